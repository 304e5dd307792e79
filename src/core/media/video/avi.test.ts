import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AviError, demuxAvi, isAvi } from './avi.js';

const fixture = (name: string) => new Uint8Array(readFileSync(join(process.cwd(), 'fixtures', 'videos', `${name}.avi`)));

describe('demuxAvi', () => {
  test('the fixture clip: Motion JPEG 64x64, 8 fps, 16 frames, each a whole JPEG', () => {
    const v = demuxAvi(fixture('red-dominant'));
    expect(v).toMatchObject({ fourcc: 'MJPG', width: 64, height: 64, fps: 8, seconds: 2 });
    expect(v.frames).toHaveLength(16);
    for (const f of v.frames) expect([f[0], f[1], f.at(-2), f.at(-1)]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
  });

  test('a file cut short keeps the whole frames before the cut; other files are refused', () => {
    const bytes = fixture('blue-dominant');
    const cut = demuxAvi(bytes.subarray(0, Math.floor(bytes.length * 0.5)));
    expect(cut.frames.length).toBeGreaterThan(0);
    expect(cut.frames.length).toBeLessThan(16);
    expect(() => demuxAvi(bytes.subarray(0, 200))).toThrow(AviError);
    expect(isAvi(new TextEncoder().encode('RIFF\0\0\0\0WAVEfmt '))).toBe(false);
  });
});
