/**
 * The playground: pick and load a model, edit a conversation (system prompt, any message
 * and its role), set every request parameter, compare two models or settings side by
 * side, and switch to code that reproduces the request. Everything goes through the
 * public client API; the page also registers the Service Worker gateway, so while it is
 * open any page of this origin can call the same models at /v1.
 */
import { createClient, registerGateway, type GatewayHandle, type LoadedModelInfo } from '../src/client/index.js';
import { liveAnswer } from './answer-view.js';
import { readAttachment, wireAttachments } from './attachments.js';
import { runSnippet, snippet, type SnippetKind } from './code-view.js';
import { compareSides } from './compare.js';
import { fromMessages, loadConversation, saveConversation, toMessages, type Attachment, type ToolCall, type TurnRole } from './conversation.js';
import { $, el } from './dom.js';
import { loadMeter } from './figures.js';
import { attachmentChip, renderTurns } from './messages-view.js';
import { buildCatalog, type Catalog, type PickerModel } from './models.js';
import { createParamsForm } from './params.js';
import { filterCatalog, pickerUi, renderCatalog, renderModelInfo, renderPicker, syncDevice } from './picker.js';
import { registrationOf } from './register.js';
import { describeError, runChat, turnFrom, type RunResult } from './run.js';

const EMBEDDED = 'tiny-chat';
const EMBEDDED_MODELS = [
  { id: 'tiny-chat', baseUrl: '/models/tiny-chat/' },
  { id: 'tiny-vlm', baseUrl: '/models/tiny-vlm/', contextLength: 2048, modalities: ['text', 'image'] as Array<'text' | 'image'> },
  { id: 'tiny-alm', baseUrl: '/models/tiny-alm/', contextLength: 2048, modalities: ['text', 'audio'] as Array<'text' | 'audio'> },
];
const SETTINGS_KEY = 'webinfer-playground:settings';
/** Models registered from the page: registered again on the next visit. */
const MODELS_KEY = 'webinfer-playground:models';
const registered = new Map<string, Record<string, unknown>>(
  (JSON.parse(localStorage.getItem(MODELS_KEY) ?? '[]') as Array<Record<string, unknown> & { id: string }>).map((r) => [r.id, r]),
);

const client = createClient({ config: { wasmPaths: '/ort/', models: EMBEDDED_MODELS } });

const picker = pickerUi();
const ui = {
  ...picker,
  load: $<HTMLButtonElement>('load'),
  progress: $<HTMLProgressElement>('load-progress'),
  loadFigures: $<HTMLParagraphElement>('load-figures'),
  status: $<HTMLParagraphElement>('status'),
  gatewayUrl: $<HTMLElement>('gateway-url'),
  runtimeInfo: $<HTMLElement>('runtime-info'),
  system: $<HTMLTextAreaElement>('system'),
  messages: $<HTMLOListElement>('messages'),
  answers: $<HTMLDivElement>('answers'),
  composer: $<HTMLFormElement>('composer'),
  attachments: $<HTMLUListElement>('attachments'),
  prompt: $<HTMLTextAreaElement>('prompt'),
  attach: $<HTMLButtonElement>('attach'),
  attachFile: $<HTMLInputElement>('attach-file'),
  addRole: $<HTMLSelectElement>('add-role'),
  add: $<HTMLButtonElement>('add'),
  generate: $<HTMLButtonElement>('generate'),
  send: $<HTMLButtonElement>('send'),
  stop: $<HTMLButtonElement>('stop'),
  chatStatus: $<HTMLParagraphElement>('chat-status'),
  compare: $<HTMLInputElement>('compare'),
  modelB: $<HTMLSelectElement>('model-b'),
  sideB: $<HTMLDivElement>('side-b'),
  sideALabel: $<HTMLSpanElement>('side-a-label'),
  tabUi: $<HTMLButtonElement>('tab-ui'),
  tabCode: $<HTMLButtonElement>('tab-code'),
  uiView: $<HTMLDivElement>('ui-view'),
  codeView: $<HTMLDivElement>('code-view'),
  snippetKind: $<HTMLSelectElement>('snippet-kind'),
  snippet: $<HTMLElement>('snippet'),
  copy: $<HTMLButtonElement>('copy'),
  runSnippet: $<HTMLButtonElement>('run-snippet'),
  codeStatus: $<HTMLParagraphElement>('code-status'),
  snippetOutput: $<HTMLPreElement>('snippet-output'),
  rawResponse: $<HTMLPreElement>('raw-response'),
};

let catalog: Catalog = { models: [], gpu: undefined };
const byId = new Map<string, PickerModel>();
let modelsListed = false;
let loaded: LoadedModelInfo | null = null;
let gateway: GatewayHandle | null = null;
let generation: AbortController | null = null;
let conversation = loadConversation();
let pending: Attachment[] = [];

const saveSettings = () => localStorage.setItem(SETTINGS_KEY, JSON.stringify({ a: paramsA.values(), b: paramsB.values(), compare: ui.compare.checked }));
const onParams = () => { saveSettings(); refreshCode(); };
const paramsA = createParamsForm('a', onParams);
const paramsB = createParamsForm('b', onParams);
$('params-a').append(paramsA.element);
$('params-b').append(paramsB.element);

function setStatus(target: HTMLElement, text: string, kind: 'info' | 'ready' | 'error' = 'info'): void {
  target.textContent = text;
  target.dataset.kind = kind;
}

function updateControls(): void {
  const busy = generation !== null;
  ui.send.disabled = busy || loaded === null;
  ui.generate.disabled = busy || loaded === null;
  ui.runSnippet.disabled = busy || loaded === null;
  ui.stop.disabled = !busy;
  ui.load.disabled = busy || !modelsListed || byId.get(ui.model.value)?.available === false;
}

// ---- models ------------------------------------------------------------------------------

function onModelChange(): void {
  const m = byId.get(ui.model.value);
  renderModelInfo(picker, m);
  syncDevice(picker, m);
  updateControls();
  if (m && !m.available) setStatus(ui.status, `${m.id} cannot run here${m.alternative ? `: try ${m.alternative}` : ''}.`, 'error');
  else if (ui.model.value !== loaded?.id) setStatus(ui.status, `Press Load to use ${ui.model.value}.`);
  else setStatus(ui.status, `Ready: ${loaded.id}`, 'ready');
}

function selectModel(id: string): void {
  const option = [...ui.model.options].find((o) => o.value === id);
  if (!option) return;
  option.selected = true;
  onModelChange();
}

async function listModels(select = ui.model.value || EMBEDDED): Promise<void> {
  const { data } = await client.models.list();
  catalog = await buildCatalog(data, EMBEDDED);
  byId.clear();
  for (const m of catalog.models) byId.set(m.id, m);
  const b = ui.modelB.value || select;
  renderPicker(ui.model, catalog, select);
  renderPicker(ui.modelB, catalog, b);
  renderCatalog(picker, catalog);
  onModelChange();
  modelsListed = true;
  updateControls();
}

function describeAdapter(info: LoadedModelInfo): string {
  const gpu = catalog.gpu;
  const adapter = info.device === 'webgpu' ? (gpu ? `WebGPU adapter: ${gpu.description}` : 'WebGPU') : 'WASM on the CPU';
  return `${info.id} · ${info.engine} · ${info.device} (${adapter})`;
}

async function loadModel(): Promise<void> {
  const id = ui.model.value;
  ui.load.disabled = true;
  ui.progress.max = 1;
  ui.progress.value = 0;
  ui.loadFigures.textContent = '';
  setStatus(ui.status, `Loading ${id}…`);
  const meter = loadMeter();
  try {
    const info = await client.models.load(id, {
      device: ui.device.value as 'auto' | 'webgpu' | 'wasm',
      onProgress: (p) => {
        if (p.phase === 'download' && p.total) {
          ui.progress.max = p.total;
          ui.progress.value = p.loaded ?? 0;
        }
        ui.loadFigures.textContent = meter(p);
      },
    });
    ui.progress.value = ui.progress.max;
    loaded = info;
    ui.runtimeInfo.textContent = describeAdapter(info);
    setStatus(ui.status, `Ready: ${info.id} on ${info.device} (loaded in ${info.load_ms} ms)`, 'ready');
    syncAttach();
    refreshCode();
    ui.prompt.focus();
  } catch (err) {
    setStatus(ui.status, `Load failed: ${describeError(err)}`, 'error');
  } finally {
    updateControls();
  }
}

async function registerModel(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const status = $<HTMLParagraphElement>('register-status');
  try {
    const registration = registrationOf({
      engine: $<HTMLSelectElement>('register-engine').value as 'transformers' | 'remote',
      source: $<HTMLInputElement>('register-source').value,
      id: $<HTMLInputElement>('register-id').value,
      modalities: [...document.querySelectorAll<HTMLInputElement>('#register-modalities input:checked')].map((i) => i.value as 'image' | 'audio'),
      apiKey: $<HTMLInputElement>('register-key').value,
      remoteModel: $<HTMLInputElement>('register-remote-model').value,
    });
    await client.models.register(registration as never);
    registered.set(registration.id, registration);
    localStorage.setItem(MODELS_KEY, JSON.stringify([...registered.values()]));
    await listModels(registration.id);
    setStatus(status, `Registered ${registration.id}: press Load.`, 'ready');
  } catch (err) {
    setStatus(status, describeError(err), 'error');
  }
}

// ---- conversation ------------------------------------------------------------------------

function persist(): void {
  saveConversation(conversation);
  refreshCode();
}

function answerTool(call: ToolCall, result: string): void {
  conversation.turns.push({ role: 'tool', tool_call_id: call.id, content: result });
  persist();
  renderMessages();
  void generate();
}

function renderMessages(): void {
  renderTurns(ui.messages, conversation.turns, {
    changed: persist,
    rerender: renderMessages,
    regenerate: (index) => { conversation.turns.splice(index); persist(); renderMessages(); void generate(); },
    answerTool,
    canGenerate: () => loaded !== null && generation === null,
  });
}

function renderPending(): void {
  ui.attachments.replaceChildren(...pending.map((a, i) => attachmentChip(a, () => { pending.splice(i, 1); renderPending(); })));
}

async function addFiles(files: File[]): Promise<void> {
  for (const file of files) {
    try { pending.push(await readAttachment(file)); } catch (err) { setStatus(ui.chatStatus, describeError(err), 'error'); }
  }
  renderPending();
}

/** Images and audio only for models that take them. */
function syncAttach(): void {
  const modalities = loaded?.modalities ?? [];
  const takes = modalities.filter((m) => m !== 'text');
  ui.attach.disabled = takes.length === 0;
  ui.attach.title = takes.length ? `Attach ${takes.join(' or ')} (or paste, or drop here)` : `${loaded?.id ?? 'This model'} takes text only`;
}

/** Moves the composer's text and attachments into the conversation as a new message. */
function addFromComposer(role: TurnRole): boolean {
  const text = ui.prompt.value;
  if (!text.trim() && !pending.length) return false;
  conversation.turns.push({ role, content: text, ...(pending.length && role === 'user' ? { attachments: pending } : {}) });
  pending = [];
  ui.prompt.value = '';
  renderPending();
  persist();
  renderMessages();
  return true;
}

// ---- generation --------------------------------------------------------------------------

type Side = 'a' | 'b';

function requestFor(side: Side): Record<string, unknown> & { model: string } {
  const form = side === 'a' ? paramsA : paramsB;
  const read = form.read();
  if (!read.ok) throw new Error(`Settings ${side.toUpperCase()}: ${read.error}`);
  const model = side === 'a' ? (loaded?.id ?? ui.model.value) : ui.modelB.value;
  return { model, messages: toMessages(conversation), ...read.params };
}

type ChatRequest = ReturnType<typeof requestFor>;

/** Answers the conversation as it stands: one answer appended, or two side by side. */
async function generate(): Promise<void> {
  if (!loaded || generation) return;
  let requests: ChatRequest[];
  // Both requests are fixed before either runs: edits made meanwhile wait for the next one.
  try { requests = ui.compare.checked ? [requestFor('a'), requestFor('b')] : [requestFor('a')]; } catch (err) {
    setStatus(ui.chatStatus, describeError(err), 'error');
    return;
  }
  generation = new AbortController();
  updateControls();
  setStatus(ui.chatStatus, 'Generating…');
  try {
    if (requests.length === 2) await answerSideBySide(requests, generation.signal);
    else await answerInline(requests[0]!, generation.signal);
  } finally {
    generation = null;
    updateControls();
    renderMessages();
  }
}

async function answerInline(request: ChatRequest, signal: AbortSignal): Promise<void> {
  const row = el('li', { className: 'turn assistant streaming' });
  row.setAttribute('aria-busy', 'true');
  ui.messages.append(row);
  const result = await runChat(client, request, signal, liveAnswer(row));
  if (result.choices.some((c) => c.content || c.tool_calls.length)) {
    conversation.turns.push(turnFrom(result));
    persist();
  }
  setStatus(ui.chatStatus, result.state === 'error' ? result.error! : result.state === 'stopped' ? 'Stopped.' : '', result.state === 'error' ? 'error' : 'info');
}

async function answerSideBySide(requests: ChatRequest[], signal: AbortSignal): Promise<void> {
  ui.answers.hidden = false;
  const sides = requests.map((request, i) => {
    const side = i === 0 ? 'a' : 'b';
    const title = `${side.toUpperCase()}: ${request.model} · ${(i === 0 ? paramsA : paramsB).label()}`;
    return { side, title, run: (view: (r: RunResult) => void) => runChat(client, request, signal, view) };
  });
  await compareSides(ui.answers, sides, signal, (result) => {
    conversation.turns.push(turnFrom(result));
    persist();
    renderMessages();
    ui.answers.hidden = true;
  });
  setStatus(ui.chatStatus, 'Compared: keep one answer to go on.');
}

// ---- code view ---------------------------------------------------------------------------

function codeContext() {
  const read = requestFor('a');
  const registration = EMBEDDED_MODELS.find((m) => m.id === read.model) ?? registered.get(read.model) ?? null;
  return {
    request: read,
    baseURL: gateway?.baseURL ?? `${location.origin}/v1`,
    model: { id: read.model, device: loaded?.device ?? ui.device.value, registration },
  };
}

function refreshCode(): void {
  if (ui.codeView.hidden) return;
  try {
    ui.snippet.textContent = snippet(ui.snippetKind.value as SnippetKind, codeContext());
    setStatus(ui.codeStatus, ui.compare.checked ? 'The snippet reproduces side A.' : '');
  } catch (err) {
    ui.snippet.textContent = '';
    setStatus(ui.codeStatus, describeError(err), 'error');
  }
}

function showTab(code: boolean): void {
  ui.tabUi.setAttribute('aria-selected', String(!code));
  ui.tabCode.setAttribute('aria-selected', String(code));
  ui.tabUi.tabIndex = code ? -1 : 0;
  ui.tabCode.tabIndex = code ? 0 : -1;
  ui.uiView.hidden = code;
  ui.codeView.hidden = !code;
  refreshCode();
}

async function runCode(): Promise<void> {
  ui.runSnippet.disabled = true;
  ui.snippetOutput.textContent = '';
  ui.rawResponse.textContent = '';
  setStatus(ui.codeStatus, 'Running…');
  try {
    const run = await runSnippet(ui.snippet.textContent ?? '', client);
    ui.snippetOutput.textContent = run.output.join('\n');
    ui.rawResponse.textContent = run.raw;
    setStatus(ui.codeStatus, 'Done.', 'ready');
  } catch (err) {
    setStatus(ui.codeStatus, `The snippet threw: ${describeError(err)}`, 'error');
  } finally {
    updateControls();
  }
}

// ---- export / import ---------------------------------------------------------------------

function exportConversation(): void {
  const blob = new Blob([JSON.stringify(toMessages(conversation), null, 2)], { type: 'application/json' });
  const link = el('a', { href: URL.createObjectURL(blob), download: 'messages.json' });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

async function importConversation(file: File): Promise<void> {
  try {
    conversation = fromMessages(JSON.parse(await file.text()));
    ui.system.value = conversation.system;
    persist();
    renderMessages();
    setStatus(ui.chatStatus, `Imported ${conversation.turns.length} messages.`);
  } catch (err) {
    setStatus(ui.chatStatus, `Import failed: ${describeError(err)}`, 'error');
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
ui.catalogFilter.addEventListener('input', () => filterCatalog(picker));
$<HTMLFormElement>('register-form').addEventListener('submit', (e) => void registerModel(e));
$<HTMLSelectElement>('register-engine').addEventListener('change', (e) => {
  const remote = (e.target as HTMLSelectElement).value === 'remote';
  $('register-remote').hidden = !remote;
  $('register-modalities').hidden = remote;
});

ui.system.value = conversation.system;
ui.system.addEventListener('input', () => { conversation.system = ui.system.value; persist(); });
ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  if (ui.send.disabled || !addFromComposer('user')) return;
  void generate();
});
ui.prompt.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    ui.composer.requestSubmit();
  }
});
ui.add.addEventListener('click', () => addFromComposer(ui.addRole.value as TurnRole));
ui.generate.addEventListener('click', () => void generate());
ui.stop.addEventListener('click', () => generation?.abort());
$('clear').addEventListener('click', () => {
  generation?.abort();
  conversation = { system: ui.system.value, turns: [] };
  ui.answers.hidden = true;
  persist();
  renderMessages();
});
$('export').addEventListener('click', exportConversation);
$('import').addEventListener('click', () => $('import-file').click());
$<HTMLInputElement>('import-file').addEventListener('change', (e) => {
  const input = e.target as HTMLInputElement;
  if (input.files?.[0]) void importConversation(input.files[0]).finally(() => { input.value = ''; });
});
ui.attach.addEventListener('click', () => ui.attachFile.click());
wireAttachments(ui.attachFile, ui.composer, ui.prompt, (files) => void addFiles(files));

ui.compare.addEventListener('change', () => {
  ui.sideB.hidden = !ui.compare.checked;
  ui.sideALabel.hidden = !ui.compare.checked;
  if (!ui.compare.checked) ui.answers.hidden = true;
  saveSettings();
  refreshCode();
});
ui.tabUi.addEventListener('click', () => showTab(false));
ui.tabCode.addEventListener('click', () => showTab(true));
// Arrow keys move between the two tabs (the WAI-ARIA tabs pattern).
$('tab-ui').parentElement!.addEventListener('keydown', (e) => {
  if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
  const code = document.activeElement === ui.tabUi;
  showTab(code);
  (code ? ui.tabCode : ui.tabUi).focus();
});
ui.snippetKind.addEventListener('change', refreshCode);
ui.copy.addEventListener('click', () => {
  navigator.clipboard.writeText(ui.snippet.textContent ?? '').then(
    () => setStatus(ui.codeStatus, 'Copied.', 'ready'),
    (err) => setStatus(ui.codeStatus, `Copy failed: ${describeError(err)}`, 'error'),
  );
});
ui.runSnippet.addEventListener('click', () => void runCode());

const saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? 'null') as { a?: Record<string, string | boolean>; b?: Record<string, string | boolean>; compare?: boolean } | null;
if (saved?.a) paramsA.setValues(saved.a);
if (saved?.b) paramsB.setValues(saved.b);
if (saved?.compare) { ui.compare.checked = true; ui.compare.dispatchEvent(new Event('change')); }

renderMessages();
renderPending();
syncAttach();
updateControls();
Promise.all([...registered.values()].map((r) => client.models.register(r as never).catch(() => registered.delete(r.id as string))))
  .then(() => listModels())
  .catch((err) => setStatus(ui.status, `Could not list models: ${describeError(err)}`, 'error'));
registerGateway({ client }).then(
  (handle) => {
    gateway = handle;
    ui.gatewayUrl.textContent = handle.baseURL;
    ui.gatewayUrl.dataset.kind = 'ready';
    refreshCode();
  },
  (err) => {
    ui.gatewayUrl.textContent = `not available: ${describeError(err)}`;
    ui.gatewayUrl.dataset.kind = 'error';
  },
);

// For the curious, in the console: the page's client.
Object.assign(window, { playground: { client } });
