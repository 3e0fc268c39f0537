// Node entry: everything of the browser-safe API, plus helpers that use the file system.
import { installNodeSha256 } from './hash/native.js';
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
export { backup, restore, type BackupOptions, type BackupProgress, type RestoreOptions, type RestoreResult } from './node/repo.js';

installNodeSha256();
