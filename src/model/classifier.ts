// The content classifier at run time: chunk bytes → features → the ONNX model, in batches, on the device the runtime
// picked. Encode side only: a class changes what the encoder tries, never what a decoder needs.
import { PaniniError } from '../errors.js';
import { CLASSES, FEATURE_WIDTH, batchFeatures, type ContentClass } from './features.js';
import { createSession, type ModelSession, type SessionOptions } from './runtime.js';

/** Chunks per model call when the caller does not say (bench/sections/models.mjs measures the others). */
export const DEFAULT_BATCH = 64;

export interface Classification {
  class: ContentClass;
  /** the winning class's probability */
  confidence: number;
}

export interface ContentClassifier {
  session: ModelSession;
  classify(chunks: Uint8Array[], batch?: number): Promise<Classification[]>;
  release(): Promise<void>;
}

/** The index of the largest of `k` values from `at`. */
function argmax(p: Float32Array, at: number, k: number): number {
  let b = 0;
  for (let j = 1; j < k; j++) if (p[at + j]! > p[at + b]!) b = j;
  return b;
}

export async function loadClassifier(onnx: Uint8Array, opts: SessionOptions = {}): Promise<ContentClassifier> {
  const session = await createSession(onnx, opts);
  const k = CLASSES.length;
  return {
    session,
    async classify(chunks, batch = DEFAULT_BATCH) {
      if (!Number.isInteger(batch) || batch < 1) throw new PaniniError('OPTION', `batch must be a positive integer, got ${batch}`, { option: 'batch' });
      const out: Classification[] = [];
      for (let a = 0; a < chunks.length; a += batch) {
        const part = chunks.slice(a, a + batch);
        const p = await session.run(batchFeatures(part), part.length, FEATURE_WIDTH);
        if (p.length !== part.length * k) throw new PaniniError('MODEL', `the classifier returned ${p.length} values for ${part.length} chunks of ${k} classes: not a classifier for these features`);
        for (let i = 0; i < part.length; i++) {
          const b = argmax(p, i * k, k);
          out.push({ class: CLASSES[b]!, confidence: p[i * k + b]! });
        }
      }
      return out;
    },
    release: () => session.release(),
  };
}
