import { describe, expect, test } from 'vitest';
import { chooseThreads, threadSupport } from '../../src/core/threads.js';
import { needsIsolation, withIsolation } from '../../src/gateway/isolation.js';
import { configFromQuery, configToQuery } from '../../src/gateway/messages.js';

const scope = (o: { isolated: boolean; worker: boolean; cores: number }) =>
  ({ crossOriginIsolated: o.isolated, navigator: { hardwareConcurrency: o.cores }, ...(o.worker ? { Worker: class {} } : {}) }) as unknown as typeof globalThis;

describe('WASM threads', () => {
  test('threads need isolation and nested workers; the default is every core up to 8', () => {
    expect(threadSupport(scope({ isolated: false, worker: true, cores: 8 }))).toMatchObject({ possible: false, cores: 8 });
    expect(threadSupport(scope({ isolated: true, worker: false, cores: 8 })).reason).toMatch(/SharedWorker/);
    const ok = threadSupport(scope({ isolated: true, worker: true, cores: 16 }));
    expect(chooseThreads(undefined, ok)).toBe(8);
    expect(chooseThreads(undefined, threadSupport(scope({ isolated: true, worker: true, cores: 2 })))).toBe(2);
    expect(chooseThreads(3, ok)).toBe(3);
    expect(chooseThreads(0, ok)).toBe(8);
    expect(chooseThreads(4, threadSupport(scope({ isolated: false, worker: true, cores: 16 })))).toBe(1);
  });
});

describe('isolation by the gateway SW', () => {
  const origin = 'https://app.example';
  test('only same-origin documents and worker scripts get the headers', () => {
    expect(needsIsolation({ mode: 'navigate', destination: 'document', url: `${origin}/` }, origin)).toBe(true);
    expect(needsIsolation({ mode: 'same-origin', destination: 'worker', url: `${origin}/w.js` }, origin)).toBe(true);
    expect(needsIsolation({ mode: 'cors', destination: 'script', url: `${origin}/a.js` }, origin)).toBe(false);
    expect(needsIsolation({ mode: 'same-origin', destination: 'sharedworker', url: `${origin}/host.js` }, origin)).toBe(false);
    expect(needsIsolation({ mode: 'navigate', destination: 'document', url: 'https://other.example/' }, origin)).toBe(false);
  });

  test('headers are added, status and body kept; the setting travels in the SW URL', async () => {
    const r = withIsolation(new Response('<p>hi', { status: 201, headers: { 'content-type': 'text/html' } }), 'credentialless');
    expect(r.status).toBe(201);
    expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(r.headers.get('cross-origin-embedder-policy')).toBe('credentialless');
    expect(r.headers.get('content-type')).toBe('text/html');
    expect(await r.text()).toBe('<p>hi');
    expect(configFromQuery(configToQuery({ isolate: 'require-corp' }))).toEqual({ isolate: 'require-corp' });
    expect(configFromQuery('?isolate=bogus')).toEqual({});
  });
});
