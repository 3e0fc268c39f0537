// Browser worker pool: CompressOptions.workers / DecompressOptions.workers > 1 code (and decode) chunks in that many
// Web Workers. The worker is src/workers/worker-web.ts, bundled by tsup.config.ts into a minified IIFE whose text
// is embedded here at build time (__PANINI_WEB_WORKER__) and started from a Blob URL: no worker file to serve and
// nothing for an application bundler to resolve.
//
// Installed when the browser entry (src/index.ts) loads this module, only where Worker, Blob and
// URL.createObjectURL exist and the build embedded the worker (the TypeScript sources under vitest do not). Where a
// worker cannot start (a Content-Security-Policy without `worker-src blob:`, for instance) the pool codes the
// affected jobs inline and later pools stay inline: the same bytes, one thread. Node installs its own pool
// (pool-node.ts) after this one.
import { setCoderFactory } from '../container/api.js';
import { type ChunkCoder, codeChunkSync, type CodedChunk, type CodeJob, InlineCoder } from '../container/coder.js';
import { decodeVerified } from '../container/verify.js';
import { type RecordDecoder } from '../container/walk.js';
import type { RecordHeader } from '../container/format.js';
import type { WorkerReply } from './protocol.js';
import { WorkerCache, WorkerPool, type SpawnWorker } from './pool.js';

declare const __PANINI_WEB_WORKER__: string | undefined;

interface WebWorkerLike {
  onmessage: ((e: { data: unknown }) => void) | null;
  onerror: ((e: { message?: string; preventDefault?(): void }) => void) | null;
  onmessageerror: ((e: unknown) => void) | null;
  postMessage(m: unknown, transfer: Transferable[]): void;
  terminate(): void;
}
type WorkerCtor = new (url: string, options?: { name?: string }) => WebWorkerLike;

function workerSource(): string | undefined {
  return typeof __PANINI_WEB_WORKER__ === 'string' && __PANINI_WEB_WORKER__.length > 0 ? __PANINI_WEB_WORKER__ : undefined;
}

let blobUrl: string | undefined;
let cache: WorkerCache | undefined;
/** set once a worker failed to start: later pools code inline */
let unavailable = false;

function workerCtor(): WorkerCtor | undefined {
  const g = globalThis as { Worker?: WorkerCtor; Blob?: typeof Blob; URL?: typeof URL };
  return typeof g.Worker === 'function' && typeof g.Blob === 'function' && typeof g.URL?.createObjectURL === 'function' ? g.Worker : undefined;
}

/** True where this build can run Web Workers here (the worker is embedded and the APIs exist). */
export function webWorkersAvailable(): boolean {
  return !unavailable && workerSource() !== undefined && workerCtor() !== undefined;
}

function spawner(Ctor: WorkerCtor, url: string): SpawnWorker {
  return (index, events) => {
    const w = new Ctor(url, { name: `panini-fs worker ${index + 1}` });
    let answered = false;
    w.onmessage = (e) => {
      answered = true;
      events.message(e.data as WorkerReply);
    };
    w.onerror = (e) => {
      e.preventDefault?.();
      // an error before the first answer is taken as "cannot start here" (see WebPool)
      events.fail(`${answered ? 'threw' : 'failed to start'}: ${e.message ?? 'error event'}`, e);
    };
    w.onmessageerror = (e) => events.fail('sent a message that could not be read', e);
    return { post: (req, transfer) => w.postMessage(req, transfer), terminate: () => w.terminate() };
  };
}

/**
 * The browser pool: a WorkerPool, except that when its first worker cannot start at all, it codes inline instead of
 * failing (and marks Web Workers unavailable for later pools). A worker failing after it has answered fails the pool
 * as in Node.
 */
class WebPool implements ChunkCoder, RecordDecoder {
  readonly parallelism: number;
  private pool: WorkerPool;
  private inline = false;
  private answered = false;
  constructor(size: number, cache: WorkerCache) {
    this.parallelism = size;
    this.pool = new WorkerPool(size, cache, 'web worker');
  }

  private run<T>(viaPool: () => Promise<T>, inline: () => T): Promise<T> {
    if (this.inline) return Promise.resolve().then(inline);
    const p = viaPool().then(
      (r) => {
        this.answered = true;
        return r;
      },
      (e: unknown) => {
        if (!this.answered && isStartFailure(e)) {
          this.inline = true;
          unavailable = true;
          return inline();
        }
        throw e;
      },
    );
    p.catch(() => undefined);
    return p;
  }

  code(data: Uint8Array, job: CodeJob): Promise<CodedChunk> {
    return this.run(
      () => this.pool.code(data, job),
      () => codeChunkSync(data, job),
    );
  }

  decode(rec: RecordHeader, stored: Uint8Array, frameOffset: number, index: number): Promise<Uint8Array> {
    return this.run(
      () => this.pool.decode(rec, stored, frameOffset, index),
      () => decodeVerified(rec, stored, frameOffset, index),
    );
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function isStartFailure(e: unknown): boolean {
  return e instanceof Error && / failed to start| could not start/.test(e.message);
}

/** Installs the Web Worker pool as the coder factory, where webWorkersAvailable(). Returns whether it did. */
export function installWebWorkers(): boolean {
  const src = workerSource();
  const Ctor = workerCtor();
  if (src === undefined || Ctor === undefined) return false;
  setCoderFactory((workers) => {
    if (unavailable) return new InlineCoder();
    try {
      blobUrl ??= URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
    } catch {
      unavailable = true;
      return new InlineCoder();
    }
    cache ??= new WorkerCache(spawner(Ctor, blobUrl));
    return new WebPool(workers, cache);
  });
  return true;
}

