// The text half of the tiny multimodal test models (tiny-vlm, tiny-alm): a bigram table
// over token ids (like tiny-chat) plus a "memory" of what an encoder put into the prompt.
//
// A hidden vector is [token id, c_0 .. c_{C-1}]: embed_tokens gives [id, 0, ..., 0]; an
// encoder (vision, audio) gives [placeholder id, its channels]. The decoder appends every
// position's channels to the KV cache; their sum over the cache is the conversation's
// context. Gate tokens read it: after gate token g, context channel c pushes token t's
// logit by `gain` (see `gates`). Everything else is the bigram, so greedy decoding gives
// fixed sentences chosen by what the encoder saw.
//
//   embed_tokens          input_ids [b, s]                    -> inputs_embeds [b, s, 1 + C]
//   decoder_model_merged  inputs_embeds, attention_mask, position_ids,
//                         past_key_values.0.{key,value} [b, 1, past, C]
//                                                             -> logits [b, s, V], present.0.{key,value}

import { model, graph, node, tensor, valueInfo, attr, DT } from './onnx.mjs';
import { bigramLogCounts, assertGreedyAnswer } from './bigram.mjs';
import { kvDecoderIo } from './transformers-js-model.mjs';

/**
 * @param {object} o
 * @param {import('./bytelevel-bpe.mjs').ByteLevelBPE} o.tok
 * @param {Array<[number, string]>} o.corpus  weighted assistant replies, each after `start`
 * @param {number} o.start     the token every reply follows (the `\n` of `assistant\n`)
 * @param {number} o.eos
 * @param {number} o.channels  C, the context channels
 * @param {Array<{ token: number, pushes: Array<[channel: number, target: number, gain: number]> }>} o.gates
 * @param {Record<string, { ctx: number[], answer: string }>} o.cases  greedy self-checks
 * @param {string} o.name
 */
export function buildGatedBigram({ tok, corpus, start, eos, channels: C, gates, cases, name }) {
  const V = tok.size;
  const HIDDEN = 1 + C;
  const K = gates.length;

  const W = bigramLogCounts({ V, corpus, encode: (t) => tok.encode(t), start, eos });

  const gate = new Float32Array(V * K);
  const U = new Float32Array(C * K * V); // U[c][k*V + t]
  gates.forEach(({ token, pushes }, k) => {
    gate[token * K + k] = 1;
    for (const [c, target, gain] of pushes) U[c * K * V + k * V + target] += gain;
  });

  // Next-token logits in plain JS, to check the greedy chains.
  const row = (id, ctx) => {
    const out = Float32Array.from(W.subarray(id * V, id * V + V));
    for (let k = 0; k < K; k++) {
      if (!gate[id * K + k]) continue;
      for (let c = 0; c < C; c++) for (let b = 0; b < V; b++) out[b] += ctx[c] * U[c * K * V + k * V + b];
    }
    return out;
  };
  const sentenceIds = {};
  for (const [label, { ctx, answer }] of Object.entries(cases)) {
    sentenceIds[label] = assertGreedyAnswer({ tok, row: (id) => row(id, ctx), start, eos, answer, what: `${name} (${label})` });
  }

  const E = new Float32Array(V * HIDDEN);
  for (let i = 0; i < V; i++) E[i * HIDDEN] = i;
  const embedTokens = model(graph({
    name: `${name}_embed_tokens`,
    nodes: [node('Gather', ['embed_table', 'input_ids'], ['inputs_embeds'], { attrs: [attr('axis', 'int', 0)] })],
    initializers: [tensor('embed_table', DT.FLOAT, [V, HIDDEN], E)],
    inputs: [valueInfo('input_ids', DT.INT64, ['batch_size', 'sequence_length'])],
    outputs: [valueInfo('inputs_embeds', DT.FLOAT, ['batch_size', 'sequence_length', HIDDEN])],
  }));

  //   ids     = Cast(inputs_embeds[..., 0])                        [b, s]
  //   kv_new  = Unsqueeze(inputs_embeds[..., 1:], 1)              [b, 1, s, C]
  //   present = Concat(past, kv_new, axis 2)                       (key and value alike)
  //   ctx     = ReduceSum(present.value, axes [1, 2])              [b, C]
  //   push    = Reshape(Unsqueeze(ctx, 1) @ U, [b, 1, K, V])       [b, 1, K, V]
  //   gates   = Unsqueeze(Gather(gate, ids), 2)                    [b, s, 1, K]
  //   logits  = Gather(W, ids) + Squeeze(gates @ push, 2)          [b, s, V]
  const decoder = model(graph({
    name: `${name}_decoder`,
    nodes: [
      node('Slice', ['inputs_embeds', 'c_0', 'c_1', 'c_2'], ['id_float3']),
      node('Squeeze', ['id_float3', 'c_2'], ['id_float']),
      node('Cast', ['id_float'], ['ids'], { attrs: [attr('to', 'int', DT.INT64)] }),
      node('Slice', ['inputs_embeds', 'c_1', 'c_hidden', 'c_2'], ['feat']),
      node('Unsqueeze', ['feat', 'c_1'], ['kv_new']),
      node('Concat', ['past_key_values.0.key', 'kv_new'], ['present.0.key'], { attrs: [attr('axis', 'int', 2)] }),
      node('Concat', ['past_key_values.0.value', 'kv_new'], ['present.0.value'], { attrs: [attr('axis', 'int', 2)] }),
      node('ReduceSum', ['present.0.value', 'axes_12'], ['ctx'], { attrs: [attr('keepdims', 'int', 0)] }),
      node('Unsqueeze', ['ctx', 'c_1'], ['ctx3']),
      node('MatMul', ['ctx3', 'push_table'], ['push_flat']),
      node('Reshape', ['push_flat', 'push_shape'], ['push']),
      node('Gather', ['gate_table', 'ids'], ['gates3'], { attrs: [attr('axis', 'int', 0)] }),
      node('Unsqueeze', ['gates3', 'c_2'], ['gates']),
      node('MatMul', ['gates', 'push'], ['bias4']),
      node('Squeeze', ['bias4', 'c_2'], ['bias']),
      node('Gather', ['bigram_logits', 'ids'], ['bigram'], { attrs: [attr('axis', 'int', 0)] }),
      node('Add', ['bigram', 'bias'], ['logits']),
    ],
    initializers: [
      tensor('bigram_logits', DT.FLOAT, [V, V], W),
      tensor('gate_table', DT.FLOAT, [V, K], gate),
      tensor('push_table', DT.FLOAT, [C, K * V], U),
      tensor('push_shape', DT.INT64, [4], [0, 1, K, V]),
      tensor('axes_12', DT.INT64, [2], [1, 2]),
      tensor('c_0', DT.INT64, [1], [0]),
      tensor('c_1', DT.INT64, [1], [1]),
      tensor('c_2', DT.INT64, [1], [2]),
      tensor('c_hidden', DT.INT64, [1], [HIDDEN]),
    ],
    ...kvDecoderIo({ first: valueInfo('inputs_embeds', DT.FLOAT, ['batch_size', 'sequence_length', HIDDEN]), V, headDim: C }),
  }));

  return { V, HIDDEN, embedTokens, decoder, sentenceIds };
}

/** The ChatML template with `{type: <kind>}` parts rendered as `placeholder`. */
export function templateWithPlaceholder(chatml, kind, placeholder) {
  const from = String.raw`{%- elif part.type == 'text' -%}{{- part.text -}}{%- endif -%}`;
  const to = String.raw`{%- elif part.type == 'text' -%}{{- part.text -}}{%- elif part.type == '${kind}' -%}{{- '${placeholder}' -}}{%- endif -%}`;
  if (!chatml.includes(from)) throw new Error('chatml template changed; update the placeholder rewrite');
  return chatml.replace(from, to);
}
