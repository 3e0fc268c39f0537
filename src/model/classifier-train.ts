// The content classifier's training recipe: the generated data set (src/model/generate.ts), its features
// (src/model/features.ts), the MLP (src/model/train.ts) and the ONNX file (src/model/onnx.ts). `trainClassifier()`
// returns the same bytes on every run.
import { PaniniError } from '../errors.js';
import { CLASSES, FEATURE_WIDTH, chunkFeatures } from './features.js';
import { generateChunk, seeded } from './generate.js';
import { trainMlp } from './train.js';
import { writeMlp, type DenseLayer } from './onnx.js';

export const CLASSIFIER_NAME = 'content-classifier';

export interface ClassifierRecipe {
  seed: number;
  perClass: number;
  hidden: number[];
  epochs: number;
  minSize: number;
  maxSize: number;
  headShare: number;
}

/** Every shipped version's recipe (1.1.0: more data, a wider hidden layer, more epochs than its parent 1.0.0). */
export const CLASSIFIER_RECIPES: Record<string, ClassifierRecipe> = {
  '1.0.0': { seed: 20260101, perClass: 160, hidden: [24], epochs: 10, minSize: 2048, maxSize: 65536, headShare: 0.3 },
  '1.1.0': { seed: 20260101, perClass: 360, hidden: [48], epochs: 24, minSize: 2048, maxSize: 65536, headShare: 0.3 },
};

export interface GeneratedSet {
  x: Float32Array;
  y: Int32Array;
}

/** The generated training set: `perClass` chunks of each class, sizes log-uniform in [minSize, maxSize]. */
export function classifierData(R: ClassifierRecipe, seed: number = R.seed, perClass: number = R.perClass): GeneratedSet {
  const r = seeded(seed);
  const n = perClass * CLASSES.length;
  const x = new Float32Array(n * FEATURE_WIDTH);
  const y = new Int32Array(n);
  let row = 0;
  for (let k = 0; k < perClass; k++) {
    for (let c = 0; c < CLASSES.length; c++) {
      const size = Math.round(R.minSize * (R.maxSize / R.minSize) ** r());
      const chunk = generateChunk(CLASSES[c]!, seeded(Math.floor(r() * 2 ** 32)), size, r() < R.headShare);
      chunkFeatures(chunk, x, row * FEATURE_WIDTH);
      y[row++] = c;
    }
  }
  return { x, y };
}

export function trainClassifierLayers(R: ClassifierRecipe): DenseLayer[] {
  const d = classifierData(R);
  return trainMlp(d.x, d.y, FEATURE_WIDTH, CLASSES.length, { hidden: [...R.hidden], epochs: R.epochs, seed: R.seed });
}

/** The classifier's .onnx bytes and the layers they hold. */
export function trainClassifier(version: string): { onnx: Uint8Array; layers: DenseLayer[] } {
  const R = CLASSIFIER_RECIPES[version];
  if (!R) throw new PaniniError('MODEL', `${CLASSIFIER_NAME} has no recipe for version ${version} (recipes: ${Object.keys(CLASSIFIER_RECIPES).join(', ')})`, { option: 'version' });
  const layers = trainClassifierLayers(R);
  const onnx = writeMlp({
    name: CLASSIFIER_NAME,
    layers,
    doc: 'panini-fs content classifier: chunk features (src/model/features.ts) to class probabilities',
    metadata: { classes: CLASSES.join(','), features: String(FEATURE_WIDTH), version, recipe: JSON.stringify(R) },
  });
  return { onnx, layers };
}
