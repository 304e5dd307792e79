import { describe, expect, it } from 'vitest';
import { configFromQuery, configToQuery } from './messages.js';

describe('SW config in the script URL', () => {
  it('round-trips every setting', () => {
    const config = { base: '/api/v1', apiKey: 'sk-a&b=c', maxBodyBytes: 4096, portTimeoutMs: 500 };
    const query = configToQuery(config);
    expect(query).toBe('?base=%2Fapi%2Fv1&apiKey=sk-a%26b%3Dc&maxBody=4096&portTimeout=500');
    expect(configFromQuery(query)).toEqual(config);
  });

  it('leaves out unset values and ignores junk', () => {
    expect(configToQuery({})).toBe('');
    expect(configToQuery({ apiKey: '' })).toBe('');
    expect(configFromQuery('?maxBody=abc&portTimeout=-5&base=')).toEqual({});
  });
});
