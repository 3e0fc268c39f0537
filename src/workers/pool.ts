// The worker pool shared by Node (pool-node.ts, worker_threads) and browsers (pool-web.ts, Web Workers): a ChunkCoder
// (compress) and a RecordDecoder (decompress) that run the jobs in up to `size` workers. Workers are started on
// demand (a new one only when every running one is busy) and get at most PER_WORKER jobs each (the rest wait here,
// in order). close() hands the idle, healthy workers back to a WorkerCache, which lends them to the next pool of the
// same kind and stops them after IDLE_MS unused: starting a worker costs tens of milliseconds and ~0.1 s of CPU
// (loading, compiling and warming up the coders), which repeated calls then skip.
//
// Failures: a job that throws in the worker rejects with the PaniniError it threw (rebuilt here). A worker that dies
// (uncaught exception, failed start, exit, unreadable message) fails the pool: every pending and later job rejects
// with a PaniniError (code STATE) naming the cause, and the workers are stopped.
//
// Every promise returned has a handler attached, so a job that fails while the caller has not awaited it yet (the
// encoder keeps several in flight) never counts as an unhandled rejection.
import { PaniniError } from '../errors.js';
import type { ChunkCoder, CodedChunk, CodeJob, CodeStep } from '../container/coder.js';
import type { RecordDecoder } from '../container/walk.js';
import type { RecordHeader } from '../container/format.js';
import { ownCopy, revive, type WorkerReply, type WorkerRequest } from './protocol.js';

/** Jobs posted to one worker before it answers (hides the message round trip). */
export const PER_WORKER = 2;

export interface PoolWorker {
  post(req: WorkerRequest, transfer: ArrayBuffer[]): void;
  terminate(): void | Promise<unknown>;
  /** Node: hold the event loop open while the worker has jobs (and not when it is idle) */
  ref?(): void;
  unref?(): void;
}

export interface PoolWorkerEvents {
  message(reply: WorkerReply): void;
  /** the worker is unusable: it threw, failed to start or exited */
  fail(reason: string, cause?: unknown): void;
}

export type SpawnWorker = (index: number, events: PoolWorkerEvents) => PoolWorker;

/** How long an idle worker is kept for the next pool. */
export const IDLE_MS = 5000;
/** The most idle workers a cache keeps. */
export const MAX_IDLE = 16;

/** A started worker, with its events routed to whoever holds it (a pool's slot, or the cache while idle). */
export interface LentWorker {
  readonly worker: PoolWorker;
  readonly name: number;
  route: PoolWorkerEvents;
}

/**
 * Keeps idle workers of one kind (one worker script) for reuse. Idle workers are unref'd (Node), so they never keep a
 * process alive, and stopped after IDLE_MS; one that fails while idle is dropped.
 */
export class WorkerCache {
  private readonly idle: LentWorker[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private started = 0;
  constructor(
    private readonly spawn: SpawnWorker,
    private readonly idleMs = IDLE_MS,
  ) {}

  /** Workers waiting for a pool (for tests). */
  get size(): number {
    return this.idle.length;
  }

  /** An idle worker, or a new one (may throw). */
  take(): LentWorker {
    const w = this.idle.pop();
    if (w) {
      if (this.idle.length === 0) this.stopTimer();
      return w;
    }
    const name = ++this.started;
    const lent: LentWorker = { worker: undefined as unknown as PoolWorker, name, route: { message: () => undefined, fail: () => undefined } };
    const worker = this.spawn(name - 1, {
      message: (r) => lent.route.message(r),
      fail: (reason, cause) => lent.route.fail(reason, cause),
    });
    (lent as { worker: PoolWorker }).worker = worker;
    worker.unref?.();
    return lent;
  }

  /** Takes back a worker that has no job pending. */
  give(w: LentWorker): void {
    if (this.idleMs <= 0 || this.idle.length >= MAX_IDLE) return void stopWorker(w.worker);
    w.worker.unref?.();
    w.route = {
      message: () => this.drop(w), // an idle worker has nothing to say
      fail: () => this.drop(w),
    };
    this.idle.push(w);
    this.stopTimer();
    this.timer = setTimeout(() => this.clear(), this.idleMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Stops every idle worker. */
  clear(): void {
    this.stopTimer();
    for (const w of this.idle.splice(0)) void stopWorker(w.worker);
  }

  private drop(w: LentWorker): void {
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    void stopWorker(w.worker);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function stopWorker(w: PoolWorker): Promise<unknown> {
  try {
    return Promise.resolve(w.terminate()).catch(() => undefined);
  } catch {
    return Promise.resolve(); // already gone
  }
}

interface Job {
  id: number;
  req: WorkerRequest;
  transfer: ArrayBuffer[];
  onStep?: CodeStep;
  resolve(reply: WorkerReply): void;
  reject(e: unknown): void;
}

interface Slot {
  index: number;
  lent: LentWorker | undefined;
  active: Map<number, Job>;
}

export class WorkerPool implements ChunkCoder, RecordDecoder {
  readonly parallelism: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private failure: PaniniError | undefined;
  private closed = false;
  private readonly cache: WorkerCache;

  /** `workers`: a cache to borrow workers from (and return them to), or a spawn function (workers not reused). */
  constructor(
    size: number,
    workers: WorkerCache | SpawnWorker,
    private readonly label = 'worker',
  ) {
    this.parallelism = size;
    this.cache = typeof workers === 'function' ? new WorkerCache(workers, 0) : workers;
  }

  /** Workers started so far (for tests). */
  get started(): number {
    return this.slots.length;
  }

  code(data: Uint8Array, job: CodeJob, onStep?: CodeStep): Promise<CodedChunk> {
    const copy = ownCopy(data);
    return this.submit({ id: 0, op: 'code', data: copy, job, ...(onStep ? { progress: true } : {}) }, [copy.buffer as ArrayBuffer], (r) => {
      if (!('coded' in r)) throw new PaniniError('STATE', `${this.label} answered a code job with the wrong reply`);
      return r.coded;
    }, onStep);
  }

  decode(rec: RecordHeader, stored: Uint8Array, frameOffset: number, index: number): Promise<Uint8Array> {
    const copy = ownCopy(stored);
    return this.submit({ id: 0, op: 'decode', rec, stored: copy, frameOffset, index }, [copy.buffer as ArrayBuffer], (r) => {
      if (!('data' in r)) throw new PaniniError('STATE', `${this.label} answered a decode job with the wrong reply`);
      return r.data;
    });
  }

  private submit<T>(req: WorkerRequest, transfer: ArrayBuffer[], pick: (r: WorkerReply) => T, onStep?: CodeStep): Promise<T> {
    const p = new Promise<WorkerReply>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      if (this.closed) return reject(new PaniniError('STATE', `the ${this.label} pool is closed`));
      const id = this.nextId++;
      req.id = id;
      this.queue.push({ id, req, transfer, resolve, reject, ...(onStep ? { onStep } : {}) });
      this.pump();
    }).then(pick);
    p.catch(() => undefined);
    return p;
  }

  private pump(): void {
    while (this.queue.length && !this.failure && !this.closed) {
      const slot = this.pick();
      // no room, or starting a worker failed the pool (which rejected the queue)
      if (!slot || this.failure || !slot.lent) return;
      const job = this.queue.shift()!;
      slot.active.set(job.id, job);
      if (slot.active.size === 1) slot.lent.worker.ref?.();
      try {
        slot.lent.worker.post(job.req, job.transfer);
      } catch (e) {
        this.fail(slot, `could not be sent a job (${(e as Error)?.message ?? String(e)})`, e);
      }
    }
  }

  /** The least busy worker with room, starting a new one when all are busy and the pool is not full. */
  private pick(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) if (s.active.size < PER_WORKER && (!best || s.active.size < best.active.size)) best = s;
    if ((!best || best.active.size > 0) && this.slots.length < this.parallelism) return this.startWorker() ?? best;
    return best;
  }

  private startWorker(): Slot | undefined {
    const slot: Slot = { index: this.slots.length, lent: undefined, active: new Map() };
    this.slots.push(slot);
    try {
      slot.lent = this.cache.take();
    } catch (e) {
      this.fail(slot, `could not start (${(e as Error)?.message ?? String(e)})`, e);
      return undefined;
    }
    slot.lent.route = {
      message: (r) => this.onReply(slot, r),
      fail: (reason, cause) => this.fail(slot, reason, cause),
    };
    return slot;
  }

  private onReply(slot: Slot, r: WorkerReply): void {
    const job = slot.active.get(r?.id);
    if (!job) return this.fail(slot, `sent an unexpected message (${JSON.stringify(r)?.slice(0, 80)})`);
    if ('progress' in r) {
      if (typeof r.progress === 'number') job.onStep?.(r.progress);
      return;
    }
    slot.active.delete(r.id);
    if (slot.active.size === 0) slot.lent?.worker.unref?.();
    if (r.ok) job.resolve(r);
    else job.reject(revive(r.error));
    this.pump();
  }

  private fail(slot: Slot, reason: string, cause?: unknown): void {
    if (this.failure || this.closed) return;
    this.failure = new PaniniError('STATE', `${this.label} ${slot.index + 1} of ${this.parallelism} ${reason}`, undefined, cause === undefined ? undefined : { cause });
    void this.stop(this.failure, false);
  }

  /** Rejects every pending job; idle workers go back to the cache when `keep`, the others are stopped. */
  private stop(reason: PaniniError, keep: boolean): Promise<unknown> {
    const jobs = [...this.queue.splice(0)];
    const stops: Promise<unknown>[] = [];
    for (const s of this.slots) {
      const lent = s.lent;
      s.lent = undefined;
      if (lent && keep && s.active.size === 0) this.cache.give(lent);
      else if (lent) {
        lent.route = { message: () => undefined, fail: () => undefined };
        stops.push(stopWorker(lent.worker));
      }
      jobs.push(...s.active.values());
      s.active.clear();
    }
    for (const j of jobs) j.reject(reason);
    return Promise.allSettled(stops);
  }

  /** Ends the pool: jobs still pending reject; its idle workers are kept a while for the next pool (WorkerCache). */
  async close(): Promise<void> {
    if (this.closed) return;
    const healthy = this.failure === undefined;
    const reason = this.failure ?? new PaniniError('STATE', `the ${this.label} pool was closed with jobs pending`);
    this.closed = true;
    await this.stop(reason, healthy);
  }
}
