import { DynamicCache, Tensor, type PreTrainedModel } from '@huggingface/transformers';
import { PrefixCache, type PrefixCacheLimits } from '../core/prefix-cache.js';

/**
 * transformers.js's KV state (`past_key_values`: one `[batch, heads, seq, head_dim]`
 * tensor per layer and key/value) as prefix-cache entries: what a state costs, how to cut
 * it back to a shorter prefix, how to free it. On WASM the tensors live in JS memory; on
 * WebGPU in GPU buffers, which transformers.js frees when it replaces them during the
 * next generation (so a GPU state passed in whole is consumed, see `reusable`).
 */

export type KvState = Record<string, Tensor>;

const KV_PREFIX = 'past_key_values.';

/**
 * Only plain attention caches can be cut back to any prefix: models whose session takes
 * other recurrent state (Mamba/LFM2 conv and SSM states, Qwen3.5's recurrent state) or
 * no cache at all get no prefix cache.
 */
export function supportsPrefixCache(model: PreTrainedModel): boolean {
  const sessions = (model as unknown as { sessions?: Record<string, { inputNames?: string[] }> }).sessions ?? {};
  const names = sessions.model?.inputNames ?? [];
  const past = names.filter((n) => n.startsWith('past_'));
  return past.length > 0 && past.every((n) => n.startsWith(KV_PREFIX));
}

export function createKvCache(limits: PrefixCacheLimits): PrefixCache<KvState> {
  return new PrefixCache<KvState>(limits, disposeKv);
}

export function kvBytes(state: KvState): number {
  let bytes = 0;
  for (const t of Object.values(state)) bytes += t.size * bytesPer(t.type);
  return bytes;
}

export function kvLength(state: KvState): number {
  const first = Object.entries(state).find(([name]) => name.startsWith(KV_PREFIX));
  return first ? first[1].dims.at(-2)! : 0;
}

function onGpu(state: KvState): boolean {
  return Object.values(state).some((t) => t.location === 'gpu-buffer');
}

/**
 * A cache for generate() holding the first `length` positions of `state`. `consumed` is
 * true when the state's own GPU tensors were handed over (transformers.js frees them as
 * it goes), so the entry must leave the prefix cache.
 */
export async function reusable(state: KvState, length: number): Promise<{ cache: KvState; consumed: boolean }> {
  const whole = kvLength(state) === length;
  if (whole) return { cache: new DynamicCache({ ...state }) as unknown as KvState, consumed: onGpu(state) };
  const cut: KvState = {};
  for (const [name, t] of Object.entries(state)) cut[name] = await prefixOf(t, length);
  return { cache: new DynamicCache(cut) as unknown as KvState, consumed: false };
}

/** The first `length` positions (axis 2) of a KV tensor, as a CPU tensor (GPU data is read back once). */
async function prefixOf(t: Tensor, length: number): Promise<Tensor> {
  const cpu = t.location === 'gpu-buffer'
    ? new Tensor(t.type as 'float32', (await (t as unknown as { ort_tensor: { getData(): Promise<Float32Array> } }).ort_tensor.getData()), t.dims)
    : t;
  return cpu.slice(null, null, [0, length], null);
}

/**
 * Runs prompt positions [from, to) through the model in passes of `block` positions at
 * fixed offsets (from and to are multiples of block), each pass continuing `past`.
 * Returns the state for positions [0, to), or null when aborted between passes.
 */
export async function prefillBlocks(
  model: PreTrainedModel,
  ids: readonly number[],
  past: KvState | null,
  from: number,
  to: number,
  block: number,
  signal: AbortSignal,
): Promise<KvState | null> {
  let cache = past as (KvState & { update(entries: KvState): void }) | null;
  for (let start = from; start < to; start += block) {
    if (signal.aborted) {
      if (cache) await disposeKv(cache);
      return null;
    }
    const end = start + block;
    const outputs = (await model.forward({
      input_ids: new Tensor('int64', BigInt64Array.from(ids.slice(start, end), (id) => BigInt(id)), [1, end - start]),
      attention_mask: new Tensor('int64', new BigInt64Array(end).fill(1n), [1, end]),
      ...(cache ? { past_key_values: cache } : {}),
    } as never)) as Record<string, Tensor>;
    const present: KvState = {};
    for (const [name, t] of Object.entries(outputs)) {
      if (name.startsWith('present')) present[name.replace('present', 'past_key_values')] = t;
      else if (t.location === 'gpu-buffer') t.dispose();
    }
    // update() frees the replaced GPU tensors; CPU ones are left to the garbage collector.
    if (cache) cache.update(present);
    else cache = new DynamicCache(present) as unknown as typeof cache;
  }
  return cache;
}

export async function disposeKv(state: KvState): Promise<void> {
  await Promise.all(Object.values(state).map((t) => (t.location === 'gpu-buffer' ? t.dispose() : undefined)));
}

function bytesPer(type: string): number {
  if (type === 'float16' || type === 'bfloat16') return 2;
  if (type === 'uint8' || type === 'int8' || type === 'bool') return 1;
  if (type === 'int64' || type === 'float64') return 8;
  return 4;
}
