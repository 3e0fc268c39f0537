/**
 * Storage backends behind one interface (types.ts): memory, browser storage (OPFS, IndexedDB), and the layers over any store (retry, replication, fault
 * injection); the Node-only backends (local directory, S3, Azure) are exported by the Node entry.
 */
export * from './types.js';
export { MemoryStore } from './memory.js';
export { OpfsStore, IndexedDbStore, openBrowserStore, opfsAvailable, indexedDbAvailable } from './browser.js';
export { openStore, registerStoreScheme, type OpenStoreOptions, type StoreOpener } from './open.js';
export { RetryingStore, isRetryable, type RetryOptions } from './retry.js';
export { ReplicatedStore, type ReplicatedOptions, type RepairReport } from './replicated.js';
export { FaultyStore, type FaultOptions, type FaultCounts, type FaultyOp } from './faulty.js';
