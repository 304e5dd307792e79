/**
 * Incremental detokenization: decoding token by token loses spaces and splits multi-byte
 * characters, so each step decodes a short window and emits only the new, complete text
 * (the approach of vLLM and HF's TextStreamer).
 */
export class IncrementalDetokenizer {
  private readonly ids: number[] = [];
  private prefixOffset = 0;
  private readOffset = 0;

  private readonly decode: (ids: number[]) => string;

  constructor(decode: (ids: number[]) => string) {
    // Some tokenizers refuse to decode an empty list.
    this.decode = (ids) => (ids.length === 0 ? '' : decode(ids));
  }

  push(id: number): string {
    this.ids.push(id);
    const prefix = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const full = this.decode(this.ids.slice(this.prefixOffset));
    // An incomplete UTF-8 sequence decodes to U+FFFD: wait for the next token.
    if (full.length <= prefix.length || full.endsWith('\uFFFD')) return '';
    this.prefixOffset = this.readOffset;
    this.readOffset = this.ids.length;
    return full.slice(prefix.length);
  }

  /** Whatever is still held back (an incomplete character at the very end). */
  flush(): string {
    const prefix = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const full = this.decode(this.ids.slice(this.prefixOffset));
    this.prefixOffset = this.readOffset = this.ids.length;
    return full.length > prefix.length ? full.slice(prefix.length) : '';
  }
}
