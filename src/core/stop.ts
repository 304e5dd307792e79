/**
 * Stop strings for streamed text. Text that could still turn into a stop string is held
 * back, so a partial match never leaks into the stream; the stop string itself is never
 * emitted (OpenAI semantics).
 */
export interface StopStep {
  /** Text safe to emit now. */
  text: string;
  /** A stop string matched: `text` ends right before it and generation should end. */
  stopped: boolean;
}

export class StopMatcher {
  private held = '';

  constructor(private readonly stops: readonly string[]) {}

  push(piece: string): StopStep {
    if (this.stops.length === 0) return { text: piece, stopped: false };
    const buffer = this.held + piece;
    let cut = -1;
    for (const stop of this.stops) {
      const at = buffer.indexOf(stop);
      if (at !== -1 && (cut === -1 || at < cut)) cut = at;
    }
    if (cut !== -1) {
      this.held = '';
      return { text: buffer.slice(0, cut), stopped: true };
    }
    const keep = this.partialMatchLength(buffer);
    this.held = buffer.slice(buffer.length - keep);
    return { text: buffer.slice(0, buffer.length - keep), stopped: false };
  }

  /** The end of generation: held text was not a stop string after all. */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }

  /** Length of the longest suffix of `buffer` that is a proper prefix of some stop string. */
  private partialMatchLength(buffer: string): number {
    let best = 0;
    for (const stop of this.stops) {
      for (let len = Math.min(stop.length - 1, buffer.length); len > best; len--) {
        if (buffer.endsWith(stop.slice(0, len))) { best = len; break; }
      }
    }
    return best;
  }
}
