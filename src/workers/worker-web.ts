// Web Worker of the browser chunk-coding pool (pool-web.ts). tsup.config.ts bundles this file as a minified IIFE and
// embeds its text in the browser build; the pool starts it from a Blob URL, so no bundler has to know about it.
// Messages are handled in arrival order once the wasm core is loaded.
import { init } from '../wasm/core.js';
import { handleRequest, type WorkerRequest } from './protocol.js';

interface WorkerScope {
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
}
const scope = globalThis as unknown as WorkerScope;
const ready = init();
scope.onmessage = (e) => {
  void ready.then(
    () => {
      const { reply, transfer } = handleRequest(e.data, (m) => scope.postMessage(m, []));
      scope.postMessage(reply, transfer);
    },
    () => undefined,
  );
};
// a failed init rejects `ready`: surface it as an error of the worker (the pool rejects the pending jobs)
ready.catch((err: unknown) => {
  setTimeout(() => {
    throw err;
  });
});
