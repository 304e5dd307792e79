import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * A real OpenAI-compatible server for the hybrid tests: Hugging Face's `transformers serve`
 * (transformers 5.x; needs fastapi, uvicorn, openai and accelerate) on a free localhost
 * port, pinned to a local model folder on CPU, with permissive CORS (`--enable-cors`) so
 * the engine host worker (another origin: the Vite server's) may call it.
 *
 *   python3 -m transformers.cli.transformers serve <folder> --host 127.0.0.1 --port <p> --enable-cors --device cpu
 *
 * It answers /health once the model is loaded (about 20-50 s on a busy 2-core machine).
 */
export interface TransformersServe {
  /** `http://127.0.0.1:<port>/v1` */
  baseURL: string;
  /** The model name the server answers to: the folder path it was started with. */
  model: string;
  /** Seconds from spawn to a healthy server. */
  startupSeconds: number;
  stop(): Promise<void>;
}

/**
 * The tiny random Qwen2.5 of the real-architecture fixtures: its HF folder for the server,
 * and where Vite serves its transformers.js copy (gen-models.mjs copies it to public/models/).
 */
export function qwenFixture(): { dir: string; url: string } {
  return { dir: resolve('fixtures/models/tiny-random-qwen2.5'), url: '/models/tiny-random-qwen2.5/' };
}

export async function startTransformersServe(modelDir: string, timeoutMs = 180_000): Promise<TransformersServe> {
  const port = await freePort();
  const cache = mkdtempSync(join(tmpdir(), 'webinfer-hf-'));
  const started = Date.now();
  const child = spawn(
    process.env.PYTHON ?? 'python3',
    ['-m', 'transformers.cli.transformers', 'serve', modelDir, '--host', '127.0.0.1', '--port', String(port), '--enable-cors', '--device', 'cpu'],
    // Offline, and an empty hub cache of its own (its /v1/models scans the cache).
    { env: { ...process.env, HF_HUB_OFFLINE: '1', HF_HUB_CACHE: cache, TOKENIZERS_PARALLELISM: 'false' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout!.on('data', (d) => { log = (log + d).slice(-4000); });
  child.stderr!.on('data', (d) => { log = (log + d).slice(-4000); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const stop = async () => {
    await kill(child, exited);
    rmSync(cache, { recursive: true, force: true });
  };
  const baseURL = `http://127.0.0.1:${port}/v1`;
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) break;
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
    if (ok) return { baseURL, model: modelDir, startupSeconds: (Date.now() - started) / 1000, stop };
    await new Promise((r) => setTimeout(r, 500));
  }
  await stop();
  throw new Error(`transformers serve did not become healthy (exit ${child.exitCode}):\n${log}`);
}

async function kill(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** A localhost port nobody listens on (also what a "server down" test points at). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}
