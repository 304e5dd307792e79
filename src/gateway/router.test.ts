import { describe, expect, it } from 'vitest';
import { Router } from './router.js';

const router = new Router<string>()
  .get('/models', 'list')
  .get('/models/:id*', 'retrieve')
  .post('/chat/completions', 'chat')
  .post('/completions', 'legacy')
  .get('/things/:a/parts/:b', 'part');

describe('Router', () => {
  it('matches literal routes by method', () => {
    expect(router.match('GET', '/models')).toEqual({ kind: 'found', handler: 'list', params: {} });
    expect(router.match('post', '/chat/completions')).toEqual({ kind: 'found', handler: 'chat', params: {} });
    expect(router.match('POST', '/completions')).toMatchObject({ handler: 'legacy' });
  });

  it('ignores trailing and doubled slashes', () => {
    expect(router.match('GET', '/models/')).toMatchObject({ handler: 'list' });
    expect(router.match('POST', '//chat//completions/')).toMatchObject({ handler: 'chat' });
  });

  it('binds one-segment params, percent-decoded', () => {
    expect(router.match('GET', '/things/a%20b/parts/7')).toEqual({ kind: 'found', handler: 'part', params: { a: 'a b', b: '7' } });
  });

  it('rest params take ids with slashes, raw or encoded', () => {
    expect(router.match('GET', '/models/tiny-chat')).toEqual({ kind: 'found', handler: 'retrieve', params: { id: 'tiny-chat' } });
    expect(router.match('GET', '/models/onnx-community/Qwen2.5-0.5B-Instruct')).toMatchObject({ params: { id: 'onnx-community/Qwen2.5-0.5B-Instruct' } });
    expect(router.match('GET', '/models/onnx-community%2FQwen2.5-0.5B-Instruct')).toMatchObject({ params: { id: 'onnx-community/Qwen2.5-0.5B-Instruct' } });
  });

  it('a known path with another method is 405 with the allowed methods', () => {
    expect(router.match('GET', '/chat/completions')).toEqual({ kind: 'method-not-allowed', allowed: ['POST'] });
    expect(router.match('DELETE', '/models')).toEqual({ kind: 'method-not-allowed', allowed: ['GET'] });
    expect(router.match('PUT', '/models/x/y')).toEqual({ kind: 'method-not-allowed', allowed: ['GET'] });
  });

  it('unknown paths are not found', () => {
    expect(router.match('GET', '/nope')).toEqual({ kind: 'not-found' });
    expect(router.match('GET', '')).toEqual({ kind: 'not-found' });
    expect(router.match('POST', '/chat/completions/extra')).toEqual({ kind: 'not-found' });
    expect(router.match('GET', '/things/a/parts')).toEqual({ kind: 'not-found' });
  });

  it('malformed percent-encoding does not match (and does not throw)', () => {
    expect(router.match('GET', '/models/%E0%A4%A')).toEqual({ kind: 'not-found' });
  });

  it('refuses a rest parameter that is not last', () => {
    expect(() => new Router<string>().get('/a/:x*/b', 'h')).toThrow(/rest parameter/);
  });
});
