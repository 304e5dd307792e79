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
  const issue = result.error.issues[0]!;
  throw issueToError(issue);
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
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return new BadRequestError(`Missing required parameter: '${param}'.`, { param, code: 'missing_required_parameter' });
  }
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    return new BadRequestError(`Invalid value for '${param}': ${issue.message}`, { param, code: 'invalid_value' });
  }
  const code = issue.code === 'invalid_type' ? 'invalid_type' : 'invalid_value';
  return new BadRequestError(`Invalid value for '${param ?? 'body'}': ${issue.message}`, { param, code });
}
