// A minimal ONNX writer: the protobuf bytes of a multilayer perceptron (Gemm → Relu → … → Gemm → Softmax) with float32
// weights. Only the fields the model needs are written (onnx.proto3 field numbers in the comments); the output is a
// function of the weights alone, so a model trained with fixed seeds is the same file on every run.
import { mlpLogits, type DenseLayer } from '../dhatu/mlp.js';

/** One dense layer: `weights` is in × out, row-major; `bias` has `out` entries (src/dhatu/mlp.ts). */
export type { DenseLayer };

export interface MlpModel {
  /** the graph's name */
  name: string;
  layers: DenseLayer[];
  /** model metadata_props (key → value), written in key order */
  metadata?: Record<string, string>;
  /** doc_string of the model */
  doc?: string;
}

/** Input and output tensor names of every model written here. */
export const INPUT_NAME = 'features';
export const LOGITS_NAME = 'logits';
export const PROBS_NAME = 'probs';

class Writer {
  private parts: number[] = [];
  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x) b |= 0x80;
      this.parts.push(b);
    } while (x);
    return this;
  }
  key(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  int(field: number, v: number): this {
    return this.key(field, 0).varint(v);
  }
  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2).varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  msg(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }
  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    for (const x of b) this.parts.push(x);
    return this;
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function tensor(name: string, dims: number[], data: Float32Array): Writer {
  // TensorProto: dims = 1, data_type = 2 (FLOAT = 1), name = 8, raw_data = 9 (little-endian)
  const w = new Writer();
  for (const d of dims) w.int(1, d);
  w.int(2, 1);
  w.str(8, name);
  const raw = new Uint8Array(data.length * 4);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i]!, true);
  return w.bytes(9, raw);
}

function valueInfo(name: string, dims: Array<number | string>): Writer {
  // ValueInfoProto: name = 1, type = 2; TypeProto.tensor_type = 1; Tensor: elem_type = 1, shape = 2;
  // TensorShapeProto.dim = 1; Dimension: dim_value = 1, dim_param = 2
  const shape = new Writer();
  for (const d of dims) shape.msg(1, typeof d === 'number' ? new Writer().int(1, d) : new Writer().str(2, d));
  const tt = new Writer().int(1, 1).msg(2, shape);
  return new Writer().str(1, name).msg(2, new Writer().msg(1, tt));
}

function node(op: string, inputs: string[], outputs: string[], name: string, attrs: Writer[] = []): Writer {
  // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5
  const w = new Writer();
  for (const i of inputs) w.str(1, i);
  for (const o of outputs) w.str(2, o);
  w.str(3, name).str(4, op);
  for (const a of attrs) w.msg(5, a);
  return w;
}

function intAttr(name: string, v: number): Writer {
  // AttributeProto: name = 1, i = 3, type = 20 (INT = 2)
  return new Writer().str(1, name).int(3, v).int(20, 2);
}

/** The ONNX bytes of `m` (IR version 8, opset 17): input `features` [N, in], outputs `logits` and `probs` [N, out]. */
export function writeMlp(m: MlpModel): Uint8Array {
  if (m.layers.length === 0) throw new RangeError('an MLP needs at least one layer');
  const g = new Writer();
  let x = INPUT_NAME;
  m.layers.forEach((l, i) => {
    if (l.weights.length !== l.in * l.out || l.bias.length !== l.out) throw new RangeError(`layer ${i}: weights or bias of the wrong size`);
    if (i > 0 && m.layers[i - 1]!.out !== l.in) throw new RangeError(`layer ${i}: takes ${l.in} inputs, the layer before gives ${m.layers[i - 1]!.out}`);
    const last = i === m.layers.length - 1;
    const y = last ? LOGITS_NAME : `h${i}`;
    g.msg(1, node('Gemm', [x, `w${i}`, `b${i}`], [last ? y : `g${i}`], `dense${i}`));
    if (!last) g.msg(1, node('Relu', [`g${i}`], [y], `relu${i}`));
    x = y;
  });
  g.msg(1, node('Softmax', [LOGITS_NAME], [PROBS_NAME], 'softmax', [intAttr('axis', -1)]));
  g.str(2, m.name);
  m.layers.forEach((l, i) => {
    g.msg(5, tensor(`w${i}`, [l.in, l.out], l.weights));
    g.msg(5, tensor(`b${i}`, [l.out], l.bias));
  });
  g.msg(11, valueInfo(INPUT_NAME, ['N', m.layers[0]!.in]));
  const outN = m.layers[m.layers.length - 1]!.out;
  g.msg(12, valueInfo(LOGITS_NAME, ['N', outN]));
  g.msg(12, valueInfo(PROBS_NAME, ['N', outN]));
  // ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, doc_string = 6, graph = 7,
  // opset_import = 8 (domain = 1, version = 2), metadata_props = 14 (key = 1, value = 2)
  const w = new Writer().int(1, 8).str(2, 'panini-fs').str(3, '1');
  if (m.doc) w.str(6, m.doc);
  w.msg(7, g);
  w.msg(8, new Writer().str(1, '').int(2, 17));
  for (const k of Object.keys(m.metadata ?? {}).sort()) w.msg(14, new Writer().str(1, k).str(2, m.metadata![k]!));
  return w.finish();
}

/** The same MLP evaluated in plain JavaScript (float32 weights, float64 arithmetic: src/dhatu/mlp.ts, the plan
 *  selector's own evaluation): the reference the runtimes are checked against. Returns logits, `n` rows of `out`. */
export function mlpForward(layers: DenseLayer[], x: Float32Array, n: number): Float32Array {
  const k = layers[layers.length - 1]!.out;
  const w = layers[0]!.in;
  const y = new Float32Array(n * k);
  for (let r = 0; r < n; r++) y.set(mlpLogits(layers, x, r * w), r * k);
  return y;
}
