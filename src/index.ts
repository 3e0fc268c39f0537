// panini-fs: the public API, the same in Node and in browsers. Node-only helpers are added by ./node.ts.
import { setupWeb } from './setup.js';
export { init, initSync, coreInfo } from './wasm/core.js';
export { PaniniError, ErrorCode, EXIT_STATUS, isPaniniError, type ErrorWhere } from './errors.js';
export { sha256, createSha256, sha256Backend, setSha256Backend, type Hasher, type Sha256Backend } from './hash/sha256.js';
export { crc32 } from './hash/crc32.js';
export {
  chunk,
  createChunker,
  resolveChunkOptions,
  CDC_LIMITS,
  FIXED_LIMITS,
  type Chunk,
  type Chunker,
  type ChunkOptions,
  type CdcOptions,
  type FixedOptions,
} from './chunk/index.js';
export {
  compress,
  decompress,
  verify,
  inspect,
  extract,
  compressStream,
  decompressStream,
  CODECS,
  type VerifyReport,
  type Inspection,
  type ExtractResult,
} from './container/api.js';
export { detect, boundaries, semanticChunks, FORMATS, type Detection, type FormatId, type BoundaryOptions } from './grammar/index.js';
export { compressFiles, type FileInput } from './container/files.js';
export { listRecords, type RecordListing } from './container/records.js';
export type { CompressOptions, DecompressOptions, Progress, Strategy, CodecName } from './container/options.js';
export { compressMemory } from './container/options.js';
export type { Manifest, ManifestEntry } from './container/manifest.js';
export { webWorkersAvailable } from './workers/pool-web.js';
export {
  MemoryStore,
  OpfsStore,
  IndexedDbStore,
  openBrowserStore,
  opfsAvailable,
  indexedDbAvailable,
  RetryingStore,
  ReplicatedStore,
  FaultyStore,
  isRetryable,
  type RetryOptions,
  type ReplicatedOptions,
  type RepairReport,
  type FaultOptions,
  type FaultCounts,
  type FaultyOp,
  openStore,
  registerStoreScheme,
  assertStoreKey,
  MAX_STORE_KEY,
  type Store,
  type StoreObjectInfo,
  type StoreOpOptions,
  type OpenStoreOptions,
  type StoreOpener,
} from './store/index.js';
export {
  initRepository,
  openRepository,
  Repository,
  diff as diffSnapshots,
  forget,
  prune,
  check as checkRepository,
  copy as copySnapshots,
  type Tier as RepositoryTier,
  type InitOptions,
  type OpenOptions,
  type KeyInfo,
  type DiffResult,
  type ForgetPolicy,
  type PruneResult,
  type CheckReport,
  type CheckProblem,
  type Snapshot,
  type TreeNode,
} from './repo/index.js';

setupWeb();
