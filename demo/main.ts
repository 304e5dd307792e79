/**
 * The playground: pick a model and a device, load it with a progress bar, then chat with
 * answers streamed token by token. Everything goes through the public client API.
 */
import { APIError, APIUserAbortError, createClient, type LoadProgress } from '../src/client/index.js';

type Message = { role: 'user' | 'assistant'; content: string };

const EMBEDDED = 'tiny-chat';

const client = createClient({
  config: {
    wasmPaths: '/ort/',
    models: [{ id: EMBEDDED, baseUrl: '/models/tiny-chat/' }],
  },
});

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  model: $<HTMLSelectElement>('model'),
  device: $<HTMLSelectElement>('device'),
  load: $<HTMLButtonElement>('load'),
  progress: $<HTMLProgressElement>('load-progress'),
  status: $<HTMLParagraphElement>('status'),
  transcript: $<HTMLDivElement>('transcript'),
  composer: $<HTMLFormElement>('composer'),
  prompt: $<HTMLTextAreaElement>('prompt'),
  send: $<HTMLButtonElement>('send'),
  stop: $<HTMLButtonElement>('stop'),
  clear: $<HTMLButtonElement>('clear'),
  temperature: $<HTMLInputElement>('temperature'),
  temperatureValue: $<HTMLOutputElement>('temperature-value'),
  maxTokens: $<HTMLInputElement>('max-tokens'),
  seed: $<HTMLInputElement>('seed'),
  ignoreEos: $<HTMLInputElement>('ignore-eos'),
};

let modelsListed = false;
let loadedModel: string | null = null;
let history: Message[] = [];
let generation: AbortController | null = null;

function setStatus(text: string, kind: 'info' | 'ready' | 'error' = 'info'): void {
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
}

function describeError(err: unknown): string {
  if (err instanceof APIError) return `${err.status} ${err.type}${err.param ? ` (${err.param})` : ''}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

function kb(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function updateControls(): void {
  const busy = generation !== null;
  ui.send.disabled = busy || loadedModel === null;
  ui.stop.disabled = !busy;
  ui.load.disabled = busy || !modelsListed;
}

// ---- models ------------------------------------------------------------------------------

async function listModels(): Promise<void> {
  const { data } = await client.models.list();
  ui.model.replaceChildren(
    ...data.map((m) => {
      const option = new Option(m.id === EMBEDDED ? `${m.id} (embedded)` : m.id, m.id);
      option.selected = m.id === EMBEDDED;
      return option;
    }),
  );
  modelsListed = true;
  updateControls();
}

function showProgress(p: LoadProgress): void {
  if (p.phase === 'download' && p.total) {
    ui.progress.max = p.total;
    ui.progress.value = p.loaded ?? 0;
    setStatus(`Downloading ${p.file ?? ''}: ${kb(p.loaded ?? 0)} of ${kb(p.total)}`);
  } else if (p.phase === 'init') {
    setStatus('Initializing…');
  }
}

async function loadModel(): Promise<void> {
  const id = ui.model.value;
  ui.load.disabled = true;
  ui.progress.max = 1;
  ui.progress.value = 0;
  setStatus(`Loading ${id}…`);
  try {
    const info = await client.models.load(id, {
      device: ui.device.value as 'auto' | 'webgpu' | 'wasm',
      onProgress: showProgress,
    });
    ui.progress.value = ui.progress.max;
    loadedModel = id;
    setStatus(`Ready: ${info.id} on ${info.device} (loaded in ${info.load_ms} ms)`, 'ready');
    ui.prompt.focus();
  } catch (err) {
    setStatus(`Load failed: ${describeError(err)}`, 'error');
  } finally {
    updateControls();
  }
}

// ---- chat --------------------------------------------------------------------------------

function addMessage(role: Message['role'], text: string): { bubble: HTMLDivElement; meta: HTMLDivElement } {
  ui.transcript.querySelector('.empty')?.remove();
  const row = document.createElement('div');
  row.className = `msg ${role}`;
  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  bubble.textContent = text;
  const meta = document.createElement('div');
  meta.className = 'meta';
  row.append(bubble, meta);
  ui.transcript.append(row);
  ui.transcript.scrollTop = ui.transcript.scrollHeight;
  return { bubble, meta };
}

function requestSettings(): { temperature: number; max_tokens: number; seed?: number; ignore_eos?: boolean } {
  const seed = ui.seed.value.trim();
  return {
    temperature: Number(ui.temperature.value),
    max_tokens: Math.max(1, Number(ui.maxTokens.value) || 256),
    ...(seed === '' ? {} : { seed: Math.trunc(Number(seed)) }),
    ...(ui.ignoreEos.checked ? { ignore_eos: true } : {}),
  };
}

async function send(text: string): Promise<void> {
  if (!loadedModel || generation) return;
  history.push({ role: 'user', content: text });
  addMessage('user', text);
  const { bubble, meta } = addMessage('assistant', '');
  bubble.classList.add('streaming');
  generation = new AbortController();
  updateControls();

  let answer = '';
  let finish: string | null = null;
  let tokens: number | null = null;
  const started = performance.now();
  let firstTokenAt = 0;
  try {
    const stream = await client.chat.completions.create(
      {
        model: loadedModel,
        messages: history,
        stream: true,
        stream_options: { include_usage: true },
        ...requestSettings(),
      },
      { signal: generation.signal },
    );
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        firstTokenAt ||= performance.now();
        answer += choice.delta.content;
        bubble.textContent = answer;
        ui.transcript.scrollTop = ui.transcript.scrollHeight;
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) tokens = chunk.usage.completion_tokens;
    }
    const seconds = (performance.now() - (firstTokenAt || started)) / 1000;
    const rate = tokens && seconds > 0 ? ` · ${(tokens / seconds).toFixed(0)} tok/s` : '';
    meta.textContent = `${tokens ?? '?'} tokens${rate} · finish: ${finish ?? '?'}`;
  } catch (err) {
    if (err instanceof APIUserAbortError) {
      meta.textContent = 'stopped';
    } else {
      bubble.parentElement!.classList.add('error');
      meta.textContent = describeError(err);
    }
  } finally {
    bubble.classList.remove('streaming');
    // What was shown is what the model said: keep partial answers in the conversation.
    if (answer) history.push({ role: 'assistant', content: answer });
    else if (history.at(-1)?.role === 'user') history.pop();
    generation = null;
    updateControls();
  }
}

// ---- wiring ------------------------------------------------------------------------------

ui.load.addEventListener('click', () => void loadModel());
ui.model.addEventListener('change', () => {
  if (ui.model.value !== loadedModel) setStatus(`Press Load to use ${ui.model.value}.`);
});
ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.prompt.value.trim();
  if (!text || ui.send.disabled) return;
  ui.prompt.value = '';
  void send(text);
});
ui.prompt.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    ui.composer.requestSubmit();
  }
});
ui.stop.addEventListener('click', () => generation?.abort());
ui.clear.addEventListener('click', () => {
  generation?.abort();
  history = [];
  ui.transcript.replaceChildren();
});
ui.temperature.addEventListener('input', () => {
  ui.temperatureValue.textContent = ui.temperature.value;
});

listModels().catch((err) => setStatus(`Could not list models: ${describeError(err)}`, 'error'));
updateControls();
