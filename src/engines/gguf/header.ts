/**
 * Reads a GGUF file's metadata (the key/value section of its header) from a Blob, without
 * touching the tensor data: the tokenizer's vocabulary, merges, special ids and chat
 * template live there, and wllama reports arrays only as summaries.
 * Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (little-endian).
 */

export type GgufValue = number | bigint | boolean | string | GgufValue[];
export type GgufMetadata = Map<string, GgufValue>;

const MAGIC = 0x46554747; // 'GGUF'

class OutOfData extends Error {}

class Cursor {
  private offset = 0;
  private readonly view: DataView;
  private readonly text = new TextDecoder();
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number): number {
    if (this.offset + n > this.bytes.byteLength) throw new OutOfData();
    const at = this.offset;
    this.offset += n;
    return at;
  }
  u32(): number { return this.view.getUint32(this.need(4), true); }
  u64(): number { return Number(this.view.getBigUint64(this.need(8), true)); }
  string(): string {
    const n = this.u64();
    const at = this.need(n);
    return this.text.decode(this.bytes.subarray(at, at + n));
  }
  value(type: number): GgufValue {
    const v = this.view;
    switch (type) {
      case 0: return v.getUint8(this.need(1));
      case 1: return v.getInt8(this.need(1));
      case 2: return v.getUint16(this.need(2), true);
      case 3: return v.getInt16(this.need(2), true);
      case 4: return v.getUint32(this.need(4), true);
      case 5: return v.getInt32(this.need(4), true);
      case 6: return v.getFloat32(this.need(4), true);
      case 7: return v.getUint8(this.need(1)) !== 0;
      case 8: return this.string();
      case 9: {
        const itemType = this.u32();
        const n = this.u64();
        const out = new Array<GgufValue>(n);
        for (let i = 0; i < n; i++) out[i] = this.value(itemType);
        return out;
      }
      case 10: return v.getBigUint64(this.need(8), true);
      case 11: return v.getBigInt64(this.need(8), true);
      case 12: return v.getFloat64(this.need(8), true);
      default: throw new Error(`GGUF: unknown metadata value type ${type}`);
    }
  }
}

function parse(bytes: Uint8Array): GgufMetadata {
  const c = new Cursor(bytes);
  if (c.u32() !== MAGIC) throw new Error('not a GGUF file (bad magic)');
  const version = c.u32();
  if (version < 2) throw new Error(`GGUF version ${version} is not supported`);
  c.u64(); // tensor count
  const count = c.u64();
  const out: GgufMetadata = new Map();
  for (let i = 0; i < count; i++) {
    const key = c.string();
    out.set(key, c.value(c.u32()));
  }
  return out;
}

/** The metadata of the GGUF in `blob` (the first shard of a split model holds it). */
export async function readGgufMetadata(blob: Blob): Promise<GgufMetadata> {
  // A 150k-token vocabulary with its merges is a few MiB: read that much, more if it is not enough.
  for (let size = 4 << 20; ; size *= 4) {
    const bytes = new Uint8Array(await blob.slice(0, size).arrayBuffer());
    try {
      return parse(bytes);
    } catch (err) {
      if (!(err instanceof OutOfData) || size >= blob.size) throw err instanceof OutOfData ? new Error('GGUF header is truncated') : err;
    }
  }
}

export function metaString(meta: GgufMetadata, key: string): string | null {
  const v = meta.get(key);
  return typeof v === 'string' ? v : null;
}

export function metaNumber(meta: GgufMetadata, key: string): number | null {
  const v = meta.get(key);
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;
}
