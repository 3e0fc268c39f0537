// Deterministic training of the models' MLPs: seeded initialisation, seeded shuffles, full float64 arithmetic, Adam,
// softmax cross-entropy; the weights are rounded to float32 once at the end. Same inputs, same seed → same weights,
// hence the same .onnx bytes (src/model/onnx.ts writes nothing else).
import type { DenseLayer } from './onnx.js';
import { seeded } from './generate.js';

export interface TrainOptions {
  hidden: number[];
  epochs: number;
  seed: number;
  lr?: number;
  batch?: number;
  /** L2 weight decay */
  decay?: number;
  /** a weight per row (its gradient is scaled by it; default 1 each) */
  rowWeights?: Float32Array;
}

/**
 * Trains on `x` (n rows of `width`) with labels `y`: class indices in 0..classes-1 (Int32Array, one per row), or a
 * target distribution per row (Float32Array, n × classes, each row summing to 1); returns the layers.
 */
export function trainMlp(x: Float32Array, y: Int32Array | Float32Array, width: number, classes: number, o: TrainOptions): DenseLayer[] {
  const soft = y instanceof Float32Array;
  const n = soft ? y.length / classes : y.length;
  const r = seeded(o.seed);
  const sizes = [width, ...o.hidden, classes];
  const W: Float64Array[] = [];
  const B: Float64Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const a = sizes[l]!;
    const b = sizes[l + 1]!;
    const s = Math.sqrt(6 / (a + b));
    W.push(Float64Array.from({ length: a * b }, () => (r() * 2 - 1) * s));
    B.push(new Float64Array(b));
  }
  const params = [...W, ...B];
  const m1 = params.map((p) => new Float64Array(p.length));
  const m2 = params.map((p) => new Float64Array(p.length));
  const grads = params.map((p) => new Float64Array(p.length));
  const lr = o.lr ?? 0.002;
  const bs = o.batch ?? 32;
  const decay = o.decay ?? 1e-5;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let step = 0;
  const L = W.length;
  const acts: Float64Array[] = sizes.map((s) => new Float64Array(s));
  const deltas: Float64Array[] = sizes.map((s) => new Float64Array(s));
  for (let ep = 0; ep < o.epochs; ep++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    for (let b0 = 0; b0 < n; b0 += bs) {
      for (const g of grads) g.fill(0);
      const b1 = Math.min(n, b0 + bs);
      for (let bi = b0; bi < b1; bi++) {
        const row = order[bi]!;
        const a0 = acts[0]!;
        for (let i = 0; i < width; i++) a0[i] = x[row * width + i]!;
        for (let l = 0; l < L; l++) {
          const a = acts[l]!;
          const z = acts[l + 1]!;
          const ni = sizes[l]!;
          const no = sizes[l + 1]!;
          const w = W[l]!;
          z.set(B[l]!);
          for (let i = 0; i < ni; i++) {
            const ai = a[i]!;
            if (ai === 0) continue;
            const off = i * no;
            for (let k = 0; k < no; k++) z[k]! += ai * w[off + k]!;
          }
          if (l < L - 1) for (let k = 0; k < no; k++) if (z[k]! < 0) z[k] = 0;
        }
        // softmax cross-entropy gradient
        const out = acts[L]!;
        let mx = -Infinity;
        for (let k = 0; k < classes; k++) mx = Math.max(mx, out[k]!);
        let s = 0;
        const d = deltas[L]!;
        for (let k = 0; k < classes; k++) s += (d[k] = Math.exp(out[k]! - mx));
        if (soft) for (let k = 0; k < classes; k++) d[k] = d[k]! / s - y[row * classes + k]!;
        else for (let k = 0; k < classes; k++) d[k] = d[k]! / s - (k === y[row] ? 1 : 0);
        if (o.rowWeights) for (let k = 0; k < classes; k++) d[k] = d[k]! * o.rowWeights[row]!;
        for (let l = L - 1; l >= 0; l--) {
          const a = acts[l]!;
          const dz = deltas[l + 1]!;
          const ni = sizes[l]!;
          const no = sizes[l + 1]!;
          const w = W[l]!;
          const gw = grads[l]!;
          const gb = grads[L + l]!;
          for (let k = 0; k < no; k++) gb[k]! += dz[k]!;
          const da = deltas[l]!;
          for (let i = 0; i < ni; i++) {
            const ai = a[i]!;
            const off = i * no;
            let acc = 0;
            for (let k = 0; k < no; k++) {
              gw[off + k]! += ai * dz[k]!;
              acc += w[off + k]! * dz[k]!;
            }
            da[i] = l > 0 && a[i]! <= 0 ? 0 : acc;
          }
        }
      }
      step++;
      const c1 = 1 - 0.9 ** step;
      const c2 = 1 - 0.999 ** step;
      const inv = 1 / (b1 - b0);
      for (let p = 0; p < params.length; p++) {
        const P = params[p]!;
        const G = grads[p]!;
        const M = m1[p]!;
        const V = m2[p]!;
        const wd = p < L ? decay : 0;
        for (let i = 0; i < P.length; i++) {
          const g = G[i]! * inv + wd * P[i]!;
          M[i] = 0.9 * M[i]! + 0.1 * g;
          V[i] = 0.999 * V[i]! + 0.001 * g * g;
          P[i]! -= (lr * (M[i]! / c1)) / (Math.sqrt(V[i]! / c2) + 1e-8);
        }
      }
    }
  }
  return W.map((w, l) => ({ in: sizes[l]!, out: sizes[l + 1]!, weights: Float32Array.from(w), bias: Float32Array.from(B[l]!) }));
}
