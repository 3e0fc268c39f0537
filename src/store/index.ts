/** Storage backends behind one interface (types.ts): memory, local directory, and cloud schemes opened by URL. */
export * from './types.js';
export { MemoryStore } from './memory.js';
export { openStore, registerStoreScheme, type OpenStoreOptions, type StoreOpener } from './open.js';
