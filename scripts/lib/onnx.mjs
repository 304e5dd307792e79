// Minimal, dependency-free ONNX (protobuf) encoder for tiny generated test models.
//
// Covers what small hand-built graphs need: IR version 8, opset 17 (default domain),
// float32 / int64 / int32 / uint8 / bool initializers stored as raw_data, nodes with
// int / float / string / ints / floats / tensor attributes, and value infos whose dims are
// fixed numbers or symbolic names. Output is deterministic (fields in a fixed order).
//
// Usage:
//   import { model, graph, node, tensor, valueInfo, attr, DT } from './lib/onnx.mjs';
//   const bytes = model(graph({ name, nodes, inputs, outputs, initializers }));

export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10 };

// ---- protobuf wire format -------------------------------------------------------------

function varint(v) {
  // v: number or bigint; negative values are written as 64-bit two's complement (10 bytes).
  let x = BigInt.asUintN(64, BigInt(v));
  const out = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x !== 0n) b |= 0x80;
    out.push(b);
  } while (x !== 0n);
  return Uint8Array.from(out);
}

const tag = (field, wire) => varint((field << 3) | wire);

function concat(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const enc = new TextEncoder();

/** A message is built as a list of encoded fields; these helpers encode one field each. */
const f = {
  int: (field, v) => concat([tag(field, 0), varint(v)]),
  bytes: (field, b) => concat([tag(field, 2), varint(b.length), b]),
  str: (field, s) => f.bytes(field, enc.encode(s)),
  msg: (field, parts) => f.bytes(field, concat(parts)),
  float: (field, v) => {
    const b = new Uint8Array(5);
    b.set(tag(field, 5));
    new DataView(b.buffer).setFloat32(1, v, true);
    return b;
  },
};

// ---- ONNX messages --------------------------------------------------------------------

function rawBytes(dataType, values) {
  const n = values.length;
  switch (dataType) {
    case DT.FLOAT: { const a = values instanceof Float32Array ? values : Float32Array.from(values); return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice(); }
    case DT.INT64: {
      const a = new BigInt64Array(n);
      for (let i = 0; i < n; i++) a[i] = BigInt(values[i]);
      return new Uint8Array(a.buffer);
    }
    case DT.INT32: { const a = Int32Array.from(values); return new Uint8Array(a.buffer); }
    case DT.UINT8: case DT.BOOL: return Uint8Array.from(values, Number);
    case DT.INT8: { const a = Int8Array.from(values); return new Uint8Array(a.buffer); }
    default: throw new Error(`unsupported tensor data type ${dataType}`);
  }
}
// Little-endian hosts only (TypedArray byte order); every supported Node/browser platform is.
if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) throw new Error('big-endian host not supported');

/** TensorProto (raw_data). dims: number[]; values: array or typed array (row-major). */
export function tensor(name, dataType, dims, values) {
  const count = dims.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new Error(`tensor ${name}: ${values.length} values for dims [${dims}]`);
  return [
    ...dims.map((d) => f.int(1, d)),
    f.int(2, dataType),
    f.str(8, name),
    f.bytes(9, rawBytes(dataType, values)),
  ];
}

/** AttributeProto. kind: 'int' | 'float' | 'string' | 'ints' | 'floats' | 'tensor'. */
export function attr(name, kind, value) {
  const parts = [f.str(1, name)];
  switch (kind) {
    case 'float': parts.push(f.float(2, value), f.int(20, 1)); break;
    case 'int': parts.push(f.int(3, value), f.int(20, 2)); break;
    case 'string': parts.push(f.str(4, value), f.int(20, 3)); break;
    case 'tensor': parts.push(f.msg(5, value), f.int(20, 4)); break;
    case 'floats': parts.push(...value.map((v) => f.float(7, v)), f.int(20, 6)); break;
    case 'ints': parts.push(...value.map((v) => f.int(8, v)), f.int(20, 7)); break;
    default: throw new Error(`unsupported attribute kind ${kind}`);
  }
  return parts;
}

/** NodeProto. attrs: list of attr(...) results. */
export function node(opType, inputs, outputs, { name, attrs = [], domain } = {}) {
  return [
    ...inputs.map((s) => f.str(1, s)),
    ...outputs.map((s) => f.str(2, s)),
    f.str(3, name ?? `${opType}_${outputs[0]}`),
    f.str(4, opType),
    ...attrs.map((a) => f.msg(5, a)),
    ...(domain ? [f.str(7, domain)] : []),
  ];
}

/** ValueInfoProto for a tensor. dims: (number | string)[] — strings are symbolic dims. */
export function valueInfo(name, elemType, dims) {
  const shape = dims.map((d) => f.msg(1, [typeof d === 'string' ? f.str(2, d) : f.int(1, d)]));
  const tensorType = [f.int(1, elemType), f.msg(2, shape)];
  return [f.str(1, name), f.msg(2, [f.msg(1, tensorType)])];
}

/** GraphProto. */
export function graph({ name, nodes, inputs, outputs, initializers = [], valueInfos = [] }) {
  return [
    ...nodes.map((n) => f.msg(1, n)),
    f.str(2, name),
    ...initializers.map((t) => f.msg(5, t)),
    ...inputs.map((v) => f.msg(11, v)),
    ...outputs.map((v) => f.msg(12, v)),
    ...valueInfos.map((v) => f.msg(13, v)),
  ];
}

/** ModelProto bytes. */
export function model(graphParts, { irVersion = 8, opset = 17, producer = 'webinfer-gen-models' } = {}) {
  return concat([
    f.int(1, irVersion),
    f.str(2, producer),
    f.str(3, '1'),
    f.msg(7, graphParts),
    f.msg(8, [f.str(1, ''), f.int(2, opset)]),
  ]);
}
