// Node entry: everything of the browser-safe API, plus helpers that use the file system.
export * from './index.js';
export { hashFile, chunkFile } from './node/files.js';
