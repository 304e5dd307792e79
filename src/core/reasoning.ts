/**
 * Reasoning models think before they answer: `<think>…</think>` (Qwen3, QwQ, DeepSeek-R1
 * and its distills, SmolLM3) or `[THINK]…[/THINK]` (Magistral). With
 * `reasoning_format: 'parsed'` (the default) that text goes to `reasoning_content` in
 * messages and deltas; `'inline'` leaves it in `content`, tags and all.
 *
 * Only a block at the very start of the reply counts (after whitespace). Templates that
 * open the block themselves (the prompt ends with `<think>`) start the reply inside it.
 */
export type ReasoningEvent = { type: 'reasoning' | 'content'; text: string };

export interface ReasoningTags {
  open: string;
  close: string;
}

export const DEFAULT_REASONING_TAGS: ReasoningTags[] = [
  { open: '<think>', close: '</think>' },
  { open: '[THINK]', close: '[/THINK]' },
];

/** The tags a model uses (from its template; the defaults otherwise). */
export function reasoningTags(template: string | null | undefined): ReasoningTags[] {
  if (!template) return DEFAULT_REASONING_TAGS;
  const used = DEFAULT_REASONING_TAGS.filter((t) => template.includes(t.close) || template.includes(t.open));
  return used.length ? used : DEFAULT_REASONING_TAGS;
}

/** The reply starts inside a block: the prompt ends with an opening tag. */
export function opensInPrompt(prompt: string, tags: ReasoningTags[]): ReasoningTags | null {
  const end = prompt.trimEnd();
  return tags.find((t) => end.endsWith(t.open)) ?? null;
}

/** Whether the model's template knows reasoning blocks (so a grammar must allow one). */
export function isReasoningTemplate(template: string | null | undefined): boolean {
  return !!template && DEFAULT_REASONING_TAGS.some((t) => template.includes(t.close));
}

export class ReasoningParser {
  private state: 'start' | 'reasoning' | 'content';
  private held = '';
  private tag: ReasoningTags | null;
  private stripLeading = false;

  constructor(private readonly tags: ReasoningTags[], startInside: ReasoningTags | null = null) {
    this.tag = startInside;
    this.state = startInside ? 'reasoning' : 'start';
    this.stripLeading = !!startInside;
  }

  push(text: string): ReasoningEvent[] {
    this.held += text;
    return this.run(false);
  }

  /** Inside the reasoning block (its opening tag seen, its closing one not yet). */
  get inReasoning(): boolean {
    return this.state === 'reasoning';
  }

  finish(): ReasoningEvent[] {
    return this.run(true);
  }

  private run(final: boolean): ReasoningEvent[] {
    const out: ReasoningEvent[] = [];
    for (;;) {
      if (this.state === 'start') {
        const trimmed = this.held.replace(/^\s+/, '');
        const open = this.tags.find((t) => trimmed.startsWith(t.open));
        if (open) {
          this.tag = open;
          this.held = trimmed.slice(open.open.length);
          this.state = 'reasoning';
          this.stripLeading = true;
          continue;
        }
        if (!final && (trimmed === '' || this.tags.some((t) => t.open.startsWith(trimmed)))) return out;
        this.state = 'content';
        continue;
      }
      if (this.state === 'reasoning') {
        if (this.stripLeading) {
          this.held = this.held.replace(/^\s+/, '');
          if (this.held === '' && !final) return out;
          this.stripLeading = false;
        }
        const close = this.tag!.close;
        const at = this.held.indexOf(close);
        if (at !== -1) {
          const text = this.held.slice(0, at).replace(/\s+$/, '');
          if (text) out.push({ type: 'reasoning', text });
          this.held = this.held.slice(at + close.length).replace(/^\s+/, '');
          this.state = 'content';
          this.stripLeading = true;
          continue;
        }
        // Hold back what may be the start of the closing tag, and trailing whitespace
        // (it is dropped if the tag follows).
        let keep = final ? 0 : partial(this.held, close);
        const body = this.held.slice(0, this.held.length - keep);
        const trailing = final ? '' : /\s*$/.exec(body)![0];
        keep += trailing.length;
        const text = this.held.slice(0, this.held.length - keep);
        if (text) out.push({ type: 'reasoning', text });
        this.held = this.held.slice(this.held.length - keep);
        if (final && this.held) { out.push({ type: 'reasoning', text: this.held }); this.held = ''; }
        return out;
      }
      // content
      if (this.stripLeading) {
        this.held = this.held.replace(/^\s+/, '');
        if (this.held === '' && !final) return out;
        this.stripLeading = false;
      }
      if (this.held) out.push({ type: 'content', text: this.held });
      this.held = '';
      return out;
    }
  }
}

function partial(text: string, tag: string): number {
  for (let len = Math.min(tag.length - 1, text.length); len > 0; len--) {
    if (text.endsWith(tag.slice(0, len))) return len;
  }
  return 0;
}
