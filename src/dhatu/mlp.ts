// A dense MLP (ReLU between layers) evaluated in float64 from float32 weights: the plan selector's own evaluation, and
// the JavaScript reference the ONNX runtimes are checked against (src/model/onnx.ts mlpForward). Multiplications and
// additions only: the same logits on every engine.

/** One dense layer, `weights` in × out row-major (as src/model/onnx.ts writes them). */
export interface DenseLayer {
  in: number;
  out: number;
  weights: Float32Array;
  bias: Float32Array;
}

/** The MLP's logits for one row (ReLU between layers), in float64: no device or runtime can change them. */
export function mlpLogits(layers: DenseLayer[], x: Float32Array, at = 0): Float64Array {
  let a = Float64Array.from(x.subarray(at, at + layers[0]!.in));
  for (let l = 0; l < layers.length; l++) {
    const L = layers[l]!;
    const z = Float64Array.from(L.bias);
    for (let i = 0; i < L.in; i++) {
      const ai = a[i]!;
      if (ai === 0) continue;
      const off = i * L.out;
      for (let k = 0; k < L.out; k++) z[k]! += ai * L.weights[off + k]!;
    }
    if (l < layers.length - 1) for (let k = 0; k < z.length; k++) if (z[k]! < 0) z[k] = 0;
    a = z;
  }
  return a;
}

