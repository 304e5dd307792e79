/// <reference lib="webworker" />
/**
 * The baseline of the real-size bench: plain transformers.js (`AutoModelForCausalLM` +
 * `generate`) in a dedicated worker, on the same files and dtype, one thread, greedy with
 * the same token count. Times come from transformers.js's per-token streamer callback.
 */
import { AutoModelForCausalLM, AutoTokenizer, TextStreamer, env, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import type { Sample } from './measure.js';

env.allowLocalModels = true;
env.allowRemoteModels = false;
env.localModelPath = '/models/';
env.useBrowserCache = false;
const wasm = (env.backends.onnx as { wasm: { wasmPaths: string; numThreads: number } }).wasm;
wasm.wasmPaths = '/ort/';
wasm.numThreads = 1;

const loaded = new Map<string, { tokenizer: PreTrainedTokenizer; model: PreTrainedModel }>();

self.onmessage = async (e: MessageEvent<{ op: 'load' | 'run'; repo: string; dtype: string; messages?: unknown[]; tokens?: number }>) => {
  const { op, repo, dtype } = e.data;
  const key = `${repo}@${dtype}`;
  if (op === 'load') {
    const [tokenizer, model] = await Promise.all([
      AutoTokenizer.from_pretrained(repo),
      AutoModelForCausalLM.from_pretrained(repo, { dtype: dtype as 'fp32', device: 'wasm' }),
    ]);
    loaded.set(key, { tokenizer, model });
    self.postMessage({ op: 'loaded' });
    return;
  }
  const { tokenizer, model } = loaded.get(key)!;
  const start = performance.now();
  const text = tokenizer.apply_chat_template(e.data.messages as never, { add_generation_prompt: true, tokenize: false }) as string;
  const inputs = tokenizer(text, { add_special_tokens: false });
  const times: number[] = [];
  const streamer = new TextStreamer(tokenizer, { skip_prompt: true, token_callback_function: () => { times.push(performance.now()); } } as never);
  await model.generate({ ...inputs, max_new_tokens: e.data.tokens, min_new_tokens: e.data.tokens, do_sample: false, streamer } as never);
  const first = times[0]!;
  const last = times.at(-1)!;
  const sample: Sample = { ttftMs: first - start, tokens: times.length, decodeTokPerS: ((times.length - 1) * 1000) / (last - first), totalMs: last - start };
  self.postMessage({ op: 'sample', sample });
};
