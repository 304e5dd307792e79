import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The committed real-architecture fixtures (fixtures/models/<name>/, served at
 * /models/<name>/) and their reference.json: for fixed chats, the prompt token ids and the
 * greedy continuation with top-5 logprobs from Hugging Face transformers (fp32) and from
 * onnxruntime (Python) on each exported file.
 */
export const REAL_MODELS = [
  'tiny-random-llama3',
  'tiny-random-qwen2.5',
  'tiny-random-qwen3',
  'tiny-random-phi3',
  'tiny-random-gemma2',
  'tiny-random-mistral',
] as const;
export type RealModel = (typeof REAL_MODELS)[number];

export interface RefEntry { id: number; logprob: number; text: string }
export interface RefOutput {
  ids: number[];
  top_logprobs: RefEntry[][];
  /** Per step, the margin of the greedy pick over the next token. */
  top2_gaps: number[];
  /** How many leading tokens keep the output valid UTF-8 with no special token. */
  utf8_prefix: number;
}
export interface RefChat {
  name: string;
  messages: unknown[];
  tools?: unknown[];
  template_kwargs?: Record<string, unknown>;
  prompt_text: string;
  prompt_ids: number[];
  outputs: Record<string, RefOutput>;
}
export interface Reference { model: string; files: Record<string, string>; steps: number; chats: RefChat[] }

export function readReference(name: RealModel): Reference {
  return JSON.parse(readFileSync(join(process.cwd(), 'fixtures', 'models', name, 'reference.json'), 'utf8')) as Reference;
}

/** The model files' sizes (for progress totals). */
export function fixtureSize(name: RealModel, file: string): number {
  return readFileSync(join(process.cwd(), 'fixtures', 'models', name, file)).byteLength;
}

/** The chat request that reproduces a reference: greedy, EOS ignored, top-5 logprobs, no penalties from generation_config. */
export function referenceRequest(model: string, chat: RefChat, steps: number): Record<string, unknown> {
  return {
    model,
    messages: chat.messages,
    ...(chat.tools ? { tools: chat.tools } : {}),
    ...(chat.template_kwargs ? { chat_template_kwargs: chat.template_kwargs } : {}),
    max_tokens: steps,
    temperature: 0,
    repetition_penalty: 1,
    ignore_eos: true,
    logprobs: true,
    top_logprobs: 5,
    reasoning_format: 'inline',
  };
}

interface Completion {
  usage: { prompt_tokens: number; completion_tokens: number };
  choices: Array<{ logprobs: { content: Array<{ token: string; logprob: number; top_logprobs: Array<{ token: string; logprob: number }> }> } | null }>;
}

/**
 * Where a completion departs from a reference output: prompt length, each greedy token (by
 * its text, as the runtime reports it) and every top-5 entry's logprob within `tol`. Where
 * the reference's own top-2 margin is within 2 * tol (two runtimes may then rightly pick
 * differently) either pick is accepted and the comparison ends there: `compared` says how
 * many tokens were compared. With tools (tool_choice 'auto') a grammar shapes the free
 * text: it only lets valid UTF-8 through, so the picks are compared up to the reference's
 * first token that breaks UTF-8 (its logprobs, computed before the grammar, still are).
 */
export function compareToReference(completion: Completion, chat: RefChat, ref: RefOutput, tol: number): { problems: string[]; maxDiff: number; compared: number } {
  const problems: string[] = [];
  let maxDiff = 0;
  let compared = 0;
  if (completion.usage.prompt_tokens !== chat.prompt_ids.length) {
    problems.push(`prompt_tokens ${completion.usage.prompt_tokens}, reference ${chat.prompt_ids.length}`);
  }
  const content = completion.choices[0]?.logprobs?.content ?? [];
  if (content.length !== ref.ids.length) problems.push(`${content.length} tokens, reference ${ref.ids.length}`);
  const show = (list: Array<{ token?: string; text?: string; logprob: number }>) => list.map((t) => `${JSON.stringify(t.token ?? t.text)} ${t.logprob.toFixed(5)}`).join(', ');
  for (let i = 0; i < Math.min(content.length, ref.ids.length); i++) {
    const got = content[i]!;
    const want = ref.top_logprobs[i]!;
    compared = i + 1;
    for (const entry of want) {
      const match = got.top_logprobs.find((t) => t.token === entry.text && Math.abs(t.logprob - entry.logprob) <= tol)
        ?? got.top_logprobs.find((t) => t.token === entry.text);
      if (!match) { problems.push(`token ${i}: top_logprobs lack ${JSON.stringify(entry.text)}`); continue; }
      const diff = Math.abs(match.logprob - entry.logprob);
      maxDiff = Math.max(maxDiff, diff);
      if (diff > tol) problems.push(`token ${i}: logprob of ${JSON.stringify(entry.text)} ${match.logprob}, reference ${entry.logprob}`);
    }
    const tied = ref.top2_gaps[i]! <= 2 * tol;
    const masked = !!chat.tools && i >= ref.utf8_prefix;
    if (masked) break;
    const accepted = tied ? [want[0]!.text, want[1]!.text] : [want[0]!.text];
    if (!accepted.includes(got.token)) {
      problems.push(`token ${i}: ${JSON.stringify(got.token)}, reference ${JSON.stringify(want[0]!.text)} (id ${want[0]!.id}); ` +
        `top ${show(got.top_logprobs)}; reference top ${show(want)}`);
    }
    if (tied || problems.length) break; // after a (rightly) different pick everything differs
  }
  return { problems, maxDiff, compared };
}
