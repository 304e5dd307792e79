/**
 * The playground: pick a model and a device, load it with a progress bar, then chat with
 * answers streamed token by token. Everything goes through the public client API. The
 * picker groups models by engine with their sizes and needs; web-llm models this browser's
 * GPU (or the adapter) cannot run are listed, disabled, with the reason.
 */
import { APIError, APIUserAbortError, createClient, type LoadProgress } from '../src/client/index.js';
import { buildCatalog, describeGpu, type Catalog, type PickerModel } from './models.js';

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
  modelInfo: $<HTMLDivElement>('model-info'),
  catalog: $<HTMLDetailsElement>('catalog'),
  catalogCount: $<HTMLSpanElement>('catalog-count'),
  catalogFilter: $<HTMLInputElement>('catalog-filter'),
  catalogTable: $<HTMLTableElement>('catalog-table'),
  gpuFacts: $<HTMLParagraphElement>('gpu-facts'),
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
let catalog: Catalog = { models: [], gpu: undefined };
const byId = new Map<string, PickerModel>();
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
  ui.load.disabled = busy || !modelsListed || byId.get(ui.model.value)?.available === false;
}

// ---- models ------------------------------------------------------------------------------

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function contextLabel(n: number | null): string | null {
  return n == null ? null : n >= 1024 && n % 1024 === 0 ? `${n / 1024}k context` : `${n.toLocaleString('en')} context`;
}

/** "Llama-3.2-1B-Instruct-q4f16_1-MLC · 879 MB · needs shader-f16" */
function optionText(m: PickerModel): string {
  const parts = [m.embedded ? `${m.id} (embedded)` : m.id];
  if (m.size) parts.push(m.size.replace(/ (GPU memory|download)$/, ''));
  if (m.shortReason) parts.push(m.shortReason);
  return parts.join(' · ');
}

function summaryOf(m: PickerModel): string {
  const kind = m.kind === 'chat' ? null : m.kind;
  return [m.engineLabel, kind, m.quantization, m.size ?? 'size not listed', contextLabel(m.contextLength), `needs ${m.needs.join(' + ')}`]
    .filter(Boolean).join(' · ');
}

function useButton(id: string): HTMLButtonElement {
  const button = el('button', { type: 'button', className: 'use-alternative quiet', textContent: `Use ${id}` });
  button.dataset.model = id;
  return button;
}

/** Selects a model in the picker, disabled ones included (from the catalog table). */
function selectModel(id: string): void {
  const option = [...ui.model.options].find((o) => o.value === id);
  if (!option) return;
  option.selected = true;
  onModelChange();
}

function renderPicker(): void {
  const groups: Array<{ label: string; engine: string; models: PickerModel[] }> = [
    { label: 'transformers.js · WebGPU or WASM', engine: 'transformers', models: catalog.models.filter((m) => m.engine === 'transformers') },
    { label: 'web-llm · WebGPU', engine: 'webllm', models: catalog.models.filter((m) => m.engine === 'webllm' && m.available) },
    { label: 'web-llm · unavailable in this browser', engine: 'webllm', models: catalog.models.filter((m) => m.engine === 'webllm' && !m.available) },
    { label: 'other engines', engine: 'other', models: catalog.models.filter((m) => m.engine === 'other') },
  ];
  ui.model.replaceChildren(
    ...groups.filter((g) => g.models.length).map((g) => {
      const group = el('optgroup', { label: `${g.label} (${g.models.length})` });
      group.dataset.engine = g.engine;
      group.append(...g.models.map((m) => {
        const option = new Option(optionText(m), m.id, false, m.embedded);
        option.disabled = !m.available;
        option.dataset.engine = m.engine;
        if (m.sizeBytes != null) option.dataset.sizeBytes = String(m.sizeBytes);
        option.title = [summaryOf(m), ...m.reasons].join('\n');
        return option;
      }));
      return group;
    }),
  );
}

function catalogRow(m: PickerModel): HTMLTableRowElement {
  // Break long hub ids after the owner ("onnx-community/<wbr>Qwen2.5-...").
  const name = m.id.split('/').flatMap((part, i) => (i ? [el('wbr'), `/${part}`] : [part]));
  const pick = el('button', { type: 'button', className: 'pick', title: m.available ? `Pick ${m.id}` : `Show why ${m.id} cannot run here` }, ...name);
  const here = el('td', { className: 'here' });
  here.append(el('span', { className: 'badge', textContent: m.available ? 'available' : 'unavailable' }));
  for (const reason of m.reasons) here.append(el('div', { className: 'reason', textContent: reason }));
  if (m.alternative) here.append(useButton(m.alternative));
  const size = m.size?.replace(/ GPU memory$/, ' VRAM').replace(/ download$/, '') ?? '—';
  const row = el('tr', { className: m.available ? 'available' : 'unavailable' },
    el('td', { className: 'name' }, pick),
    el('td', { className: 'kind', textContent: [m.kind, m.quantization].filter(Boolean).join(' · ') }),
    el('td', { className: 'num', textContent: size, title: m.engine === 'webllm' ? "web-llm's estimate of the GPU memory it needs" : 'download size' }),
    el('td', { className: 'num', textContent: m.contextLength?.toLocaleString('en') ?? '—' }),
    el('td', { className: 'needs', textContent: m.needs.join(', ') }),
    here,
  );
  row.dataset.model = m.id;
  return row;
}

function renderCatalog(): void {
  const webllm = catalog.models.filter((m) => m.engine === 'webllm');
  ui.catalogCount.textContent = `(${catalog.models.length} models; web-llm: ${webllm.filter((m) => m.available).length} of ${webllm.length} run here)`;
  ui.gpuFacts.textContent = describeGpu(catalog.gpu);
  const engines = [...new Set(catalog.models.map((m) => m.engineLabel))];
  ui.catalogTable.replaceChildren(ui.catalogTable.tHead!, ...engines.map((engine) => {
    const models = catalog.models.filter((m) => m.engineLabel === engine);
    const available = models.filter((m) => m.available).length;
    const body = el('tbody', {},
      el('tr', { className: 'group' }, el('th', { colSpan: 6, textContent: `${engine} · ${models.length} models, ${available} available here` })),
      ...models.map(catalogRow));
    body.dataset.engine = engine;
    return body;
  }));
}

function filterCatalog(): void {
  const words = ui.catalogFilter.value.toLowerCase().split(/\s+/).filter(Boolean);
  for (const body of ui.catalogTable.tBodies) {
    let shown = 0;
    for (const row of body.querySelectorAll<HTMLTableRowElement>('tr[data-model]')) {
      const text = row.textContent!.toLowerCase();
      row.hidden = !words.every((w) => text.includes(w));
      if (!row.hidden) shown++;
    }
    body.hidden = shown === 0;
  }
}

/** The note under the picker: what the selected model is and needs, or why it cannot run. */
function renderModelInfo(): void {
  const m = byId.get(ui.model.value);
  ui.modelInfo.replaceChildren();
  ui.modelInfo.dataset.kind = !m ? '' : m.available ? (m.reasons.length ? 'limited' : 'ok') : 'unavailable';
  if (!m) return;
  ui.modelInfo.append(el('div', { className: 'summary', textContent: summaryOf(m) }));
  if (!m.available) ui.modelInfo.append(el('div', { className: 'headline', textContent: 'Unavailable in this browser:' }));
  for (const reason of m.reasons) ui.modelInfo.append(el('div', { className: 'reason', textContent: reason }));
  if (m.alternative) ui.modelInfo.append(useButton(m.alternative));
}

/** web-llm runs on WebGPU only: no WASM choice for its models. */
function syncDevice(): void {
  const webgpuOnly = byId.get(ui.model.value)?.engine === 'webllm';
  const wasm = [...ui.device.options].find((o) => o.value === 'wasm')!;
  wasm.disabled = webgpuOnly;
  if (webgpuOnly && ui.device.value === 'wasm') ui.device.value = 'webgpu';
}

function onModelChange(): void {
  renderModelInfo();
  syncDevice();
  updateControls();
  const m = byId.get(ui.model.value);
  if (m && !m.available) setStatus(`${m.id} cannot run here${m.alternative ? `: try ${m.alternative}` : ''}.`, 'error');
  else if (ui.model.value !== loadedModel) setStatus(`Press Load to use ${ui.model.value}.`);
  else setStatus(`Ready: ${loadedModel}`, 'ready');
}

async function listModels(): Promise<void> {
  const { data } = await client.models.list();
  catalog = await buildCatalog(data, EMBEDDED);
  byId.clear();
  for (const m of catalog.models) byId.set(m.id, m);
  renderPicker();
  renderCatalog();
  renderModelInfo();
  syncDevice();
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
ui.model.addEventListener('change', onModelChange);
document.addEventListener('click', (event) => {
  const target = event.target as HTMLElement;
  const use = target.closest<HTMLButtonElement>('button.use-alternative');
  if (use) selectModel(use.dataset.model!);
  else if (target.closest('button.pick')) selectModel(target.closest<HTMLElement>('tr')!.dataset.model!);
  else return;
  ui.model.focus();
});
ui.catalogFilter.addEventListener('input', filterCatalog);
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
