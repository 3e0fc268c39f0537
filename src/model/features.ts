// The content classifier's classes; its input is the byte feature vector of src/grammar/features.ts.
export { FEATURE_SAMPLE, FEATURE_WIDTH, batchFeatures, chunkFeatures } from '../grammar/features.js';

export const CLASSES = ['text', 'markup', 'json', 'source', 'executable', 'wasm', 'image', 'compressed', 'archive', 'table'] as const;
export type ContentClass = (typeof CLASSES)[number];
