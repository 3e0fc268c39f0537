// Node worker thread of the chunk-coding pool (pool-node.ts). Built by tsup as its own file, dist/worker.cjs, and
// started by the pool with `new Worker(file)`. Loads the wasm core (synchronously: the first message waits for it
// anyway) and answers each request with protocol.ts's handler, transferring the result.
import { parentPort } from 'node:worker_threads';
import { installNodeSha256 } from '../hash/native.js';
import { initSync } from '../wasm/core.js';
import { handleRequest, type WorkerRequest } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('panini-fs worker.cjs must run in a worker thread');
initSync();
installNodeSha256();
port.on('message', (req: WorkerRequest) => {
  const { reply, transfer } = handleRequest(req, (m) => port.postMessage(m));
  port.postMessage(reply, transfer);
});
