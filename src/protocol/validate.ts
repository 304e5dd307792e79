import type { z } from 'zod';
import { BadRequestError } from './errors.js';

/** `['messages', 2, 'content', 0, 'image_url']` -> `messages[2].content[0].image_url`. */
export function formatParamPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/**
 * Parses `body` with `schema`; a failure is a 400 in OpenAI's words, naming the exact
 * param of the first problem.
 */
export function parseRequest<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw issueToError(deepest(result.error.issues[0]!));
}

/**
 * A union failure (e.g. a content part that matches no part type) is reported at the
 * union; the most useful param is the deepest problem inside the branch that got furthest.
 */
function deepest(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return issue;
  let best: z.core.$ZodIssue = issue;
  for (const branch of issue.errors) {
    for (const inner of branch) {
      const candidate = deepest({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue);
      if (candidate.path.length > best.path.length) best = candidate;
    }
  }
  return best;
}

function issueToError(issue: z.core.$ZodIssue): BadRequestError {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const param = formatParamPath([...issue.path, key]);
    const message = issue.path.length === 0
      ? `Unrecognized request argument supplied: ${key}`
      : `Unrecognized argument supplied at '${formatParamPath(issue.path)}': ${key}`;
    return new BadRequestError(message, { param, code: 'unknown_parameter' });
  }
  const param = formatParamPath(issue.path) || null;
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
    return new BadRequestError(`Missing required parameter: '${param}'.`, { param, code: 'missing_required_parameter' });
  }
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    return new BadRequestError(`Invalid value for '${param}': ${issue.message}`, { param, code: 'invalid_value' });
  }
  const code = issue.code === 'invalid_type' ? 'invalid_type' : 'invalid_value';
  return new BadRequestError(`Invalid value for '${param ?? 'body'}': ${issue.message}`, { param, code });
}
