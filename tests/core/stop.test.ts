import { describe, expect, it } from 'vitest';
import { StopMatcher } from '../../src/core/stop.js';

/** Feeds pieces; returns every emitted text piece, whether it stopped, and the flush. */
function run(stops: string[], pieces: string[]) {
  const matcher = new StopMatcher(stops);
  const emitted: string[] = [];
  for (const piece of pieces) {
    const step = matcher.push(piece);
    emitted.push(step.text);
    if (step.stopped) return { emitted, text: emitted.join(''), stopped: true };
  }
  const rest = matcher.flush();
  return { emitted, text: emitted.join('') + rest, stopped: false, rest };
}

describe('StopMatcher', () => {
  it('passes text through untouched without stop strings', () => {
    const r = run([], ['Hel', 'lo', ' wor', 'ld']);
    expect(r.emitted).toEqual(['Hel', 'lo', ' wor', 'ld']);
    expect(r.stopped).toBe(false);
  });

  it('cuts right before a stop string that spans a token boundary, leaking no partial match', () => {
    const r = run(['lo w'], ['Hel', 'lo', ' wor', 'ld']);
    expect(r.stopped).toBe(true);
    expect(r.text).toBe('Hel');
    // Nothing emitted at any point was the start of the stop string.
    for (const piece of r.emitted) expect(piece).not.toContain('lo');
  });

  it('stops on a stop string that spans three tokens', () => {
    const r = run(['END'], ['done', ' E', 'N', 'D', ' extra']);
    expect(r).toMatchObject({ stopped: true, text: 'done ' });
  });

  it('holds back a false partial match, then releases it once it cannot match', () => {
    const matcher = new StopMatcher(['STOP']);
    expect(matcher.push('a S')).toEqual({ text: 'a ', stopped: false });
    expect(matcher.push('T')).toEqual({ text: '', stopped: false });
    expect(matcher.push('x')).toEqual({ text: 'STx', stopped: false });
    expect(matcher.flush()).toBe('');
  });

  it('releases a held partial match at the end of generation', () => {
    const matcher = new StopMatcher(['STOP']);
    expect(matcher.push('abc ST').text).toBe('abc ');
    expect(matcher.flush()).toBe('ST');
    expect(matcher.flush()).toBe('');
  });

  it('cuts at the earliest of several stop strings', () => {
    expect(run(['c', 'ab'], ['xabc'])).toMatchObject({ stopped: true, text: 'x' });
    expect(run(['world', 'o w'], ['Hello world'])).toMatchObject({ stopped: true, text: 'Hell' });
  });

  it('holds the longest partial match across several stop strings', () => {
    const matcher = new StopMatcher(['xyz', 'yzzz']);
    expect(matcher.push('ayz').text).toBe('a'); // 'yz' could start either
    expect(matcher.push('z').text).toBe(''); // 'yzz' still a prefix of 'yzzz'
    expect(matcher.push('q')).toEqual({ text: 'yzzq', stopped: false });
  });

  it('stops on a stop string inside a single piece, and at the very start', () => {
    expect(run(['\n\n'], ['a\n\nb'])).toMatchObject({ stopped: true, text: 'a' });
    expect(run(['\n'], ['\nabc'])).toMatchObject({ stopped: true, text: '' });
  });

  it('handles a stop string made of a repeated character', () => {
    // 'aab' contains 'ab'; the held 'a' must not hide the match.
    expect(run(['ab'], ['a', 'a', 'b'])).toMatchObject({ stopped: true, text: 'a' });
    expect(run(['aaa'], ['aa', 'a'])).toMatchObject({ stopped: true, text: '' });
  });
});
