/**
 * A minimal WebM / Matroska demuxer: the first video track's codec, size and duration, and
 * its frames (SimpleBlocks and Blocks) with their timestamps, in file order. Master
 * elements are walked into rather than skipped, so unknown-size Segments and Clusters (live
 * recordings, MediaRecorder output) parse too. Lacing is refused (video tracks do not use it).
 */

export interface DemuxedFrame {
  /** Presentation time in microseconds. */
  timestamp: number;
  key: boolean;
  data: Uint8Array;
}

export interface DemuxedVideo {
  /** Matroska CodecID, e.g. `V_VP8`, `V_VP9`, `V_AV1`, `V_MPEG4/ISO/AVC`. */
  codecId: string;
  codecPrivate: Uint8Array | null;
  width: number;
  height: number;
  /** The Colour element's MatrixCoefficients (ISO/IEC 23091-4: 1 BT.709, 5/6 BT.601, 9 BT.2020), null when absent. */
  matrix: number | null;
  /** The Colour element's Range: 1 limited, 2 full; null when absent. */
  range: number | null;
  /** From the Segment's Info when present, else from the frames' timestamps; seconds. */
  seconds: number;
  frames: DemuxedFrame[];
}

export class WebmError extends Error {
  override name = 'WebmError';
}

const MASTER = new Set([
  0x18538067, // Segment
  0x1549a966, // Info
  0x1654ae6b, // Tracks
  0xae, // TrackEntry
  0xe0, // Video
  0x55b0, // Colour
  0x1f43b675, // Cluster
  0xa0, // BlockGroup
]);

interface Track {
  number: number; type: number; codecId: string; codecPrivate: Uint8Array | null; width: number; height: number;
  matrix: number | null; range: number | null;
}

export function isWebm(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3;
}

export function demuxWebm(bytes: Uint8Array): DemuxedVideo {
  if (!isWebm(bytes)) throw new WebmError('not a WebM/Matroska file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let timecodeScale = 1_000_000; // ns per tick
  let durationTicks: number | null = null;
  let clusterTime = 0;
  const tracks: Track[] = [];
  const blocks: Array<{ track: number; ticks: number; key: boolean; data: Uint8Array }> = [];
  let pos = 0;
  while (pos < bytes.length) {
    const id = readId(bytes, pos);
    if (!id) break; // trailing garbage or a truncated header: keep what was read
    const size = readSize(bytes, pos + id.length);
    if (!size) break;
    const start = pos + id.length + size.length;
    if (MASTER.has(id.value)) {
      if (id.value === 0xae) tracks.push({ number: 0, type: 0, codecId: '', codecPrivate: null, width: 0, height: 0, matrix: null, range: null });
      pos = start;
      continue;
    }
    if (size.value === null) throw new WebmError('an element of unknown size that is not a container');
    const end = start + size.value;
    if (end > bytes.length) {
      // A truncated last block: stop there (a file cut short still has its earlier frames).
      if (id.value === 0xa3 || id.value === 0xa1) break;
      throw new WebmError('the file is truncated');
    }
    const track = tracks.at(-1);
    switch (id.value) {
      case 0x2ad7b1: timecodeScale = readUint(bytes, start, size.value); break;
      case 0x4489: durationTicks = size.value === 4 ? view.getFloat32(start) : size.value === 8 ? view.getFloat64(start) : null; break;
      case 0xd7: if (track) track.number = readUint(bytes, start, size.value); break;
      case 0x83: if (track) track.type = readUint(bytes, start, size.value); break;
      case 0x86: if (track) track.codecId = new TextDecoder().decode(bytes.subarray(start, end)).replace(/\0+$/, ''); break;
      case 0x63a2: if (track) track.codecPrivate = bytes.slice(start, end); break;
      case 0xb0: if (track) track.width = readUint(bytes, start, size.value); break;
      case 0xba: if (track) track.height = readUint(bytes, start, size.value); break;
      case 0x55b1: if (track) track.matrix = readUint(bytes, start, size.value); break;
      case 0x55b9: if (track) track.range = readUint(bytes, start, size.value); break;
      case 0xe7: clusterTime = readUint(bytes, start, size.value); break;
      case 0xa3: // SimpleBlock
      case 0xa1: { // Block (in a BlockGroup: no key flag; a key frame is told apart by the codec)
        const num = readSize(bytes, start);
        if (!num || num.value === null) throw new WebmError('a block has a bad track number');
        const h = start + num.length;
        if (h + 3 > end) throw new WebmError('a block is truncated');
        const flags = bytes[h + 2]!;
        if (flags & 0x06) throw new WebmError('laced blocks are not supported in video tracks');
        blocks.push({
          track: num.value,
          ticks: clusterTime + view.getInt16(h),
          key: id.value === 0xa3 ? (flags & 0x80) !== 0 : false,
          data: bytes.subarray(h + 3, end),
        });
        break;
      }
    }
    pos = end;
  }
  const video = tracks.find((t) => t.type === 1 && t.codecId.startsWith('V_'));
  if (!video) throw new WebmError('the file has no video track');
  const ns = timecodeScale;
  const frames = blocks
    .filter((b) => b.track === video.number)
    .map((b) => ({ timestamp: Math.round((b.ticks * ns) / 1000), key: b.key, data: b.data }));
  if (frames.length === 0) throw new WebmError('the video track has no frames');
  if (!frames.some((f) => f.key)) frames[0]!.key = true;
  let seconds = durationTicks != null && durationTicks > 0 ? (durationTicks * ns) / 1e9 : 0;
  if (!seconds) {
    const ts = frames.map((f) => f.timestamp);
    const span = (Math.max(...ts) - Math.min(...ts)) / 1e6;
    seconds = frames.length > 1 ? span * (frames.length / (frames.length - 1)) : 0;
  }
  const { codecId, codecPrivate, width, height, matrix, range } = video;
  return { codecId, codecPrivate, width, height, matrix, range, seconds, frames };
}

function readId(b: Uint8Array, pos: number): { value: number; length: number } | null {
  const first = b[pos];
  if (first === undefined || first === 0) return null;
  const length = Math.clz32(first) - 23;
  if (length > 4 || pos + length > b.length) return null;
  let value = 0;
  for (let i = 0; i < length; i++) value = value * 256 + b[pos + i]!;
  return { value, length };
}

/** An EBML variable-size integer; `value: null` for the reserved all-ones "unknown size". */
function readSize(b: Uint8Array, pos: number): { value: number | null; length: number } | null {
  const first = b[pos];
  if (first === undefined || first === 0) return null;
  const length = Math.clz32(first) - 23;
  if (pos + length > b.length) return null;
  let value = first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const byte = b[pos + i]!;
    allOnes &&= byte === 0xff;
    value = value * 256 + byte;
  }
  return { value: allOnes ? null : value, length };
}

function readUint(b: Uint8Array, pos: number, length: number): number {
  let v = 0;
  for (let i = 0; i < length; i++) v = v * 256 + b[pos + i]!;
  return v;
}
