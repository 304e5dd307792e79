/**
 * The model picker and the catalog under it: models grouped by engine with sizes and
 * needs; web-llm models this browser's GPU cannot run are listed, disabled, with the
 * reason (and the build to use instead).
 */
import { $, el } from './dom.js';
import { describeGpu, type Catalog, type PickerModel } from './models.js';

export const pickerUi = () => ({
  model: $<HTMLSelectElement>('model'),
  modelInfo: $<HTMLDivElement>('model-info'),
  catalogCount: $<HTMLSpanElement>('catalog-count'),
  catalogFilter: $<HTMLInputElement>('catalog-filter'),
  catalogTable: $<HTMLTableElement>('catalog-table'),
  gpuFacts: $<HTMLParagraphElement>('gpu-facts'),
  device: $<HTMLSelectElement>('device'),
});
type PickerUi = ReturnType<typeof pickerUi>;

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

export function summaryOf(m: PickerModel): string {
  const kind = m.kind === 'chat' ? null : m.kind;
  return [m.engineLabel, kind, m.quantization, m.size ?? 'size not listed', contextLabel(m.contextLength), `needs ${m.needs.join(' + ')}`]
    .filter(Boolean).join(' · ');
}

function useButton(id: string): HTMLButtonElement {
  const button = el('button', { type: 'button', className: 'use-alternative quiet', textContent: `Use ${id}` });
  button.dataset.model = id;
  return button;
}

/** The picker's option groups; `into` is the model select (A, or B in compare mode). */
export function renderPicker(into: HTMLSelectElement, catalog: Catalog, selected: string): void {
  const groups: Array<{ label: string; engine: string; models: PickerModel[] }> = [
    { label: 'transformers.js · WebGPU or WASM', engine: 'transformers', models: catalog.models.filter((m) => m.engine === 'transformers') },
    { label: 'web-llm · WebGPU', engine: 'webllm', models: catalog.models.filter((m) => m.engine === 'webllm' && m.available) },
    { label: 'web-llm · unavailable in this browser', engine: 'webllm', models: catalog.models.filter((m) => m.engine === 'webllm' && !m.available) },
    { label: 'other engines', engine: 'other', models: catalog.models.filter((m) => m.engine === 'other') },
  ];
  into.replaceChildren(
    ...groups.filter((g) => g.models.length).map((g) => {
      const group = el('optgroup', { label: `${g.label} (${g.models.length})` });
      group.dataset.engine = g.engine;
      group.append(...g.models.map((m) => {
        const option = new Option(optionText(m), m.id, false, m.id === selected);
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

export function renderCatalog(ui: PickerUi, catalog: Catalog): void {
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

export function filterCatalog(ui: PickerUi): void {
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
export function renderModelInfo(ui: PickerUi, m: PickerModel | undefined): void {
  ui.modelInfo.replaceChildren();
  ui.modelInfo.dataset.kind = !m ? '' : m.available ? (m.reasons.length ? 'limited' : 'ok') : 'unavailable';
  if (!m) return;
  ui.modelInfo.append(el('div', { className: 'summary', textContent: summaryOf(m) }));
  if (!m.available) ui.modelInfo.append(el('div', { className: 'headline', textContent: 'Unavailable in this browser:' }));
  for (const reason of m.reasons) ui.modelInfo.append(el('div', { className: 'reason', textContent: reason }));
  if (m.alternative) ui.modelInfo.append(useButton(m.alternative));
}

/** web-llm runs on WebGPU only: no WASM choice for its models. */
export function syncDevice(ui: PickerUi, m: PickerModel | undefined): void {
  const webgpuOnly = m?.engine === 'webllm';
  const wasm = [...ui.device.options].find((o) => o.value === 'wasm')!;
  wasm.disabled = webgpuOnly;
  if (webgpuOnly && ui.device.value === 'wasm') ui.device.value = 'webgpu';
}
