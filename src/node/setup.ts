// The Node entry's set-up (src/node.ts and the CLI call it): node:crypto as the SHA-256 backend, the
// worker_threads pool as the coder factory, and local paths, file://, s3:// and azure:// for openStore. Idempotent; nothing below the entries installs anything on import.
import { installNodeSha256 } from '../hash/native.js';
import { installNodeWorkers } from '../workers/pool-node.js';
import { installBuiltinStores } from '../store/open.js';
import { openBuiltinStore } from '../store/open-node.js';

let done = false;

export function setupNode(): void {
  if (done) return;
  done = true;
  installNodeSha256();
  installNodeWorkers();
  installBuiltinStores(openBuiltinStore);
}
