import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { sampleFrameIndices } from './sample.js';

const SAMPLING = { fps: 2, maxFrames: 32 };

describe('sampleFrameIndices (qwen-vl-utils smart_nframes + linspace)', () => {
  test('the fixture clips: what reference.json was computed on', () => {
    const ref = JSON.parse(readFileSync(join(process.cwd(), 'fixtures', 'models', 'tiny-random-qwen2-vl', 'reference.json'), 'utf8'));
    for (const v of Object.values(ref.videos) as Array<{ frames: number; fps: number; sampled_indices: number[] }>) {
      expect(sampleFrameIndices(v.frames, v.fps, SAMPLING)).toEqual(v.sampled_indices);
    }
  });

  test('2 fps, at least 4, at most maxFrames, always an even count, first and last frame included', () => {
    // 10 s at 30 fps: 20 frames (expected values from scripts/fixtures/gen_video_model.py's sample_indices).
    expect(sampleFrameIndices(300, 30, SAMPLING)).toEqual([0, 16, 31, 47, 63, 79, 94, 110, 126, 142, 157, 173, 189, 205, 220, 236, 252, 268, 283, 299]);
  });

  test('short and tiny clips', () => {
    expect(sampleFrameIndices(1, 25, SAMPLING)).toEqual([0, 0]);
    expect(sampleFrameIndices(3, 25, SAMPLING)).toEqual([0, 2]);
    expect(sampleFrameIndices(5, 25, SAMPLING)).toEqual([0, 1, 3, 4]); // linspace(0, 4, 4) = 0, 1.33, 2.67, 4
    expect(sampleFrameIndices(0, 25, SAMPLING)).toEqual([]);
  });

  test('long clips stop at maxFrames (rounded down to even); other rates', () => {
    expect(sampleFrameIndices(3000, 25, { fps: 2, maxFrames: 9 })).toHaveLength(8);
    expect(sampleFrameIndices(3000, 25, SAMPLING)).toHaveLength(32);
    // 4 s x 1.5 fps = 6: linspace(0, 7, 6) = 0, 1.4, 2.8, 4.2, 5.6, 7
    expect(sampleFrameIndices(8, 2, { fps: 1.5, maxFrames: 32 })).toEqual([0, 1, 3, 4, 6, 7]);
    // 6 s x 0.5 fps = 3 -> at least 4: linspace(0, 5, 4) = 0, 1.67, 3.33, 5
    expect(sampleFrameIndices(6, 1, { fps: 0.5, maxFrames: 32 })).toEqual([0, 2, 3, 5]); // 1.67 -> 2, 3.33 -> 3
  });
});
