// Node entry: everything of the browser-safe API, plus helpers that use the file system.
import { setupNode } from './node/setup.js';
export * from './index.js';
export { hashFile, chunkFile, type FileChunk } from './node/files.js';
export {
  compressFile,
  decompressFile,
  compressTree,
  extractTree,
  extractFile,
  verifyFile,
  inspectFile,
  containerKind,
  type FileCompressOptions,
  type FileDecompressOptions,
  type CompressResult,
  type DecompressResult,
} from './node/container.js';
export { validateReconstruction, type ReconstructionReport } from './node/validate.js';
export { nodeWorkerScript } from './workers/pool-node.js';
export { LocalStore } from './store/local.js';
export { createSession, deviceOrder, DEVICES, type Device, type RanDevice, type Backend, type ModelSession, type SessionOptions } from './model/runtime.js';
export { loadClassifier, DEFAULT_BATCH, type ContentClassifier, type Classification } from './model/classifier.js';
export { CLASSES, FEATURE_WIDTH, chunkFeatures, batchFeatures, type ContentClass } from './model/features.js';
export { ModelRegistry, TIERS, type ModelEntry, type ResolvedModel, type Tier } from './model/registry.js';
export { heldOutChunks, filesUnder, type LabelledChunk } from './model/heldout.js';
export { SELECTOR_NAME, SELECTOR_RECIPES, trainSelector, streamRows, type SelectorRow, type SelectorRecipe } from './model/selector-train.js';
export { selectorCases, summarize as summarizeSelector, type SelectorCase, type SelectorSummary } from './model/selector-eval.js';
export { CANDIDATE_NAMES, SELECTOR_WIDTH, SELECTOR_MARGIN, selectorFeatures, selectorLayers, selectorLogits, rankCandidates } from './dhatu/selector.js';
export { planProbe } from './dhatu/planner.js';
export { classOfName, classOfFormat, classOfFileDescription } from './model/labels.js';
export { S3Store, openS3Store, parseS3Location, type S3StoreOptions } from './store/s3.js';
export { AzureStore, openAzureStore, parseAzureLocation, type AzureStoreOptions } from './store/azure.js';
export * from './pipeline/index.js';
export { backup, restore, validateSnapshot, type BackupOptions, type BackupProgress, type RestoreOptions, type RestoreResult, type SnapshotValidation } from './node/repo.js';

setupNode();
