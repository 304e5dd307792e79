/**
 * A minimal AVI (RIFF) demuxer for Motion JPEG: the first video stream's size, frame rate and
 * frames (each a whole JPEG), from `movi` (and OpenDML `AVIX` continuation chunks). An empty
 * chunk (a dropped frame) repeats the frame before it, as players do.
 */
export interface AviVideo {
  /** The stream's compression fourcc (`MJPG`, ...). */
  fourcc: string;
  width: number;
  height: number;
  fps: number;
  seconds: number;
  frames: Uint8Array[];
}

export class AviError extends Error {
  override name = 'AviError';
}

const ascii = (b: Uint8Array, at: number) => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);

export function isAvi(b: Uint8Array): boolean {
  return b.length >= 12 && ascii(b, 0) === 'RIFF' && ascii(b, 8) === 'AVI ';
}

export function demuxAvi(bytes: Uint8Array): AviVideo {
  if (!isAvi(bytes)) throw new AviError('not an AVI file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number) => view.getUint32(at, true);
  let stream = -1; // index of the strl being read
  let video: { index: number; fourcc: string; rate: number; scale: number; width: number; height: number } | null = null;
  let microSecPerFrame = 0;
  const frames: Uint8Array[] = [];
  const walk = (start: number, end: number): void => {
    let pos = start;
    while (pos + 8 <= end) {
      const id = ascii(bytes, pos);
      const size = u32(pos + 4);
      const data = pos + 8;
      const stop = Math.min(data + size, end);
      if (id === 'RIFF' || id === 'LIST') {
        const type = ascii(bytes, data);
        if (type === 'strl') stream++;
        walk(data + 4, stop);
      } else if (id === 'avih' && size >= 40) {
        microSecPerFrame = u32(data);
      } else if (id === 'strh' && size >= 36 && !video && ascii(bytes, data) === 'vids') {
        video = { index: stream, fourcc: ascii(bytes, data + 4), scale: u32(data + 20), rate: u32(data + 24), width: 0, height: 0 };
      } else if (id === 'strf' && video && video.index === stream && size >= 20 && !video.width) {
        video.width = Math.abs(view.getInt32(data + 4, true));
        video.height = Math.abs(view.getInt32(data + 8, true));
        const compression = ascii(bytes, data + 16);
        if (/^[\x20-\x7e]{4}$/.test(compression)) video.fourcc = compression;
      } else if (video && /^\d\d(dc|db)$/.test(id) && Number(id.slice(0, 2)) === video.index) {
        if (data + size > end) break; // a file cut short: keep the frames before the cut
        frames.push(size > 0 ? bytes.subarray(data, data + size) : frames.at(-1) ?? new Uint8Array(0));
      }
      pos = data + size + (size & 1);
    }
  };
  walk(12, bytes.length);
  const v = video as { fourcc: string; rate: number; scale: number; width: number; height: number } | null;
  if (!v) throw new AviError('the file has no video stream');
  if (frames.length === 0 || frames.every((f) => f.length === 0)) throw new AviError('the video stream has no frames');
  const fps = v.rate > 0 && v.scale > 0 ? v.rate / v.scale : microSecPerFrame > 0 ? 1e6 / microSecPerFrame : 0;
  if (!(fps > 0)) throw new AviError('the file gives no frame rate');
  return { fourcc: v.fourcc, width: v.width, height: v.height, fps, seconds: frames.length / fps, frames };
}
