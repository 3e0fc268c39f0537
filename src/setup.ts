// The browser entry's set-up: what src/index.ts installs once when it is loaded, in one place, so that no module below
// the entries has import-time effects (package.json "sideEffects": false holds for every other file).
import { installWebWorkers } from './workers/pool-web.js';

let done = false;

/** Installs the Web Worker pool as the coder factory where Web Workers exist (browsers); idempotent. */
export function setupWeb(): void {
  if (done) return;
  done = true;
  installWebWorkers();
}
