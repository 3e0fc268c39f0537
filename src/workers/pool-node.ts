// Node worker pool: CompressOptions.workers / DecompressOptions.workers > 1 code (and decode) chunks in that many
// worker_threads running dist/worker.cjs. Imported by the Node entry (src/node.ts), which installs it as the coder
// factory at load time; the browser entry never sees this file.
//
// Finding the worker script: the ESM build looks next to itself through import.meta.url, the CJS build through
// __dirname (tsup.config.ts defines __PANINI_CJS__ per format); both find dist/worker.cjs. The TypeScript sources
// (vitest) look in ../../dist/, so tests use the built worker (`npm test` builds first). Where no script is found
// (e.g. an application bundler that did not copy worker.cjs) the pool is not used and chunks are coded inline: same
// bytes, one thread. nodeWorkerScript() tells which case applies.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { setCoderFactory } from '../container/api.js';
import { type ChunkCoder, InlineCoder } from '../container/coder.js';
import type { WorkerReply } from './protocol.js';
import { WorkerCache, WorkerPool, type SpawnWorker } from './pool.js';

declare const __PANINI_CJS__: boolean | undefined;

function moduleDir(): string | undefined {
  if (typeof __PANINI_CJS__ === 'boolean' && __PANINI_CJS__) return __dirname;
  try {
    return dirname(fileURLToPath(import.meta.url));
  } catch {
    return typeof __dirname === 'string' ? __dirname : undefined;
  }
}

let found: string | null | undefined;

/** The worker script the pool starts (an absolute path), or undefined when none was found (then coding is inline). */
export function nodeWorkerScript(): string | undefined {
  if (found === undefined) {
    const dir = moduleDir();
    const candidates = dir ? [join(dir, 'worker.cjs'), join(dir, '..', '..', 'dist', 'worker.cjs')] : [];
    found = candidates.find((f) => existsSync(f)) ?? null;
  }
  return found ?? undefined;
}

function spawner(script: string | URL): SpawnWorker {
  return (index, events) => {
    // A small young generation: the coders' temporaries (fflate allocates ~0.5 MB of tables per chunk) are typed
    // arrays whose backing stores V8 frees only when a GC runs; frequent scavenges free them early. Measured on the
    // 2-core VM (bench/stream.mjs, 384 MiB stream, 2 workers): peak RSS 315 -> 288 MB, CPU unchanged within noise.
    const w = new Worker(script, { name: `panini-fs worker ${index + 1}`, resourceLimits: { maxYoungGenerationSizeMb: 2 } });
    w.on('message', (r: WorkerReply) => events.message(r));
    w.on('error', (e: Error) => events.fail(`threw: ${e?.message ?? String(e)}`, e));
    w.on('messageerror', (e: Error) => events.fail(`sent a message that could not be read: ${e?.message ?? String(e)}`, e));
    w.on('exit', (code: number) => events.fail(`exited (code ${code})`));
    return {
      post: (req, transfer) => w.postMessage(req, transfer),
      terminate: () => w.terminate(),
      ref: () => w.ref(),
      unref: () => w.unref(),
    };
  };
}

const caches = new Map<string, WorkerCache>();

/** The idle workers kept for `script` (see WorkerCache: unref'd, stopped after 5 s unused). */
export function nodeWorkerCache(script: string | URL): WorkerCache {
  const key = String(script);
  let c = caches.get(key);
  if (!c) caches.set(key, (c = new WorkerCache(spawner(script))));
  return c;
}

/**
 * A pool of `size` worker threads that codes and decodes chunks (see pool.ts). `script` overrides the worker
 * file (tests; applications that copy dist/worker.cjs elsewhere). Close it when done: its idle workers then wait a
 * few seconds for the next pool. Idle workers never keep the process alive.
 */
export function createNodeWorkerPool(size: number, script: string | URL): WorkerPool {
  return new WorkerPool(size, nodeWorkerCache(script), 'worker thread');
}

/** The coder factory installed at load time: the pool where the worker script is found, else inline. */
export function nodeCoderFactory(workers: number): ChunkCoder {
  const script = nodeWorkerScript();
  return script ? createNodeWorkerPool(workers, script) : new InlineCoder();
}

/** Installs the Node pool as the coder factory (src/node/setup.ts does; call it again after replacing the factory). */
export function installNodeWorkers(): void {
  setCoderFactory(nodeCoderFactory);
}
