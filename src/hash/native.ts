// node:crypto's SHA-256 as the native backend of src/hash/sha256.ts (same digests; it uses the CPU's SHA instructions
// where present). The Node entry and the Node worker call this at load; browsers never load this file. A call, not an
// import for effect: package.json says "sideEffects": false, so bundlers may drop effect-only imports.
import { createHash } from 'node:crypto';
import { installNativeSha256 } from './sha256.js';

export function installNodeSha256(): void {
  installNativeSha256(() => createHash('sha256'));
}
