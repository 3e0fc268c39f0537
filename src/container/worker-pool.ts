// The worker pool shared by Node (pool-node.ts, worker_threads) and browsers (pool-web.ts, Web Workers): a ChunkCoder
// (compress) and a RecordDecoder (decompress) that run the jobs in up to `size` workers. Workers are started on
// demand (a new one only when every running one is busy), get at most PER_WORKER jobs each (the rest wait here, in
// order), and are stopped by close().
//
// Failures: a job that throws in the worker rejects with the PaniniError it threw (rebuilt here). A worker that dies
// (uncaught exception, failed start, exit, unreadable message) fails the pool: every pending and later job rejects
// with a PaniniError (code STATE) naming the cause, and the workers are stopped.
//
// Every promise returned has a handler attached, so a job that fails while the caller has not awaited it yet (the
// encoder keeps several in flight) never counts as an unhandled rejection.
import { PaniniError } from '../errors.js';
import type { ChunkCoder, CodedChunk, CodeJob } from './coder.js';
import type { RecordDecoder } from './decoder.js';
import type { RecordHeader } from './format.js';
import { ownCopy, revive, type WorkerReply, type WorkerRequest } from './worker-protocol.js';

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

interface Job {
  id: number;
  req: WorkerRequest;
  transfer: ArrayBuffer[];
  resolve(reply: WorkerReply): void;
  reject(e: unknown): void;
}

interface Slot {
  index: number;
  worker: PoolWorker | undefined;
  active: Map<number, Job>;
}

export class WorkerPool implements ChunkCoder, RecordDecoder {
  readonly parallelism: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private failure: PaniniError | undefined;
  private closed = false;

  constructor(
    size: number,
    private readonly spawn: SpawnWorker,
    private readonly label = 'worker',
  ) {
    this.parallelism = size;
  }

  /** Workers started so far (for tests). */
  get started(): number {
    return this.slots.length;
  }

  code(data: Uint8Array, job: CodeJob): Promise<CodedChunk> {
    const copy = ownCopy(data);
    return this.submit({ id: 0, op: 'code', data: copy, job }, [copy.buffer as ArrayBuffer], (r) => {
      if (!('coded' in r)) throw new PaniniError('STATE', `${this.label} answered a code job with the wrong reply`);
      return r.coded;
    });
  }

  decode(rec: RecordHeader, stored: Uint8Array, frameOffset: number, index: number): Promise<Uint8Array> {
    const copy = ownCopy(stored);
    return this.submit({ id: 0, op: 'decode', rec, stored: copy, frameOffset, index }, [copy.buffer as ArrayBuffer], (r) => {
      if (!('data' in r)) throw new PaniniError('STATE', `${this.label} answered a decode job with the wrong reply`);
      return r.data;
    });
  }

  private submit<T>(req: WorkerRequest, transfer: ArrayBuffer[], pick: (r: WorkerReply) => T): Promise<T> {
    const p = new Promise<WorkerReply>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      if (this.closed) return reject(new PaniniError('STATE', `the ${this.label} pool is closed`));
      const id = this.nextId++;
      req.id = id;
      this.queue.push({ id, req, transfer, resolve, reject });
      this.pump();
    }).then(pick);
    p.catch(() => undefined);
    return p;
  }

  private pump(): void {
    while (this.queue.length && !this.failure && !this.closed) {
      const slot = this.pick();
      // no room, or starting a worker failed the pool (which rejected the queue)
      if (!slot || this.failure || !slot.worker) return;
      const job = this.queue.shift()!;
      slot.active.set(job.id, job);
      if (slot.active.size === 1) slot.worker!.ref?.();
      try {
        slot.worker!.post(job.req, job.transfer);
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
    const slot: Slot = { index: this.slots.length, worker: undefined, active: new Map() };
    this.slots.push(slot);
    try {
      slot.worker = this.spawn(slot.index, {
        message: (r) => this.onReply(slot, r),
        fail: (reason, cause) => this.fail(slot, reason, cause),
      });
      slot.worker.unref?.();
    } catch (e) {
      this.fail(slot, `could not start (${(e as Error)?.message ?? String(e)})`, e);
      return undefined;
    }
    return slot;
  }

  private onReply(slot: Slot, r: WorkerReply): void {
    const job = slot.active.get(r?.id);
    if (!job) return this.fail(slot, `sent an unexpected message (${JSON.stringify(r)?.slice(0, 80)})`);
    slot.active.delete(r.id);
    if (slot.active.size === 0) slot.worker?.unref?.();
    if (r.ok) job.resolve(r);
    else job.reject(revive(r.error));
    this.pump();
  }

  private fail(slot: Slot, reason: string, cause?: unknown): void {
    if (this.failure || this.closed) return;
    this.failure = new PaniniError('STATE', `${this.label} ${slot.index + 1} of ${this.parallelism} ${reason}`, undefined, cause === undefined ? undefined : { cause });
    this.stop(this.failure);
  }

  private stop(reason: PaniniError): Promise<unknown> {
    const jobs = [...this.queue.splice(0)];
    const stops: (void | Promise<unknown>)[] = [];
    for (const s of this.slots) {
      jobs.push(...s.active.values());
      s.active.clear();
      const w = s.worker;
      s.worker = undefined;
      if (w) {
        try {
          stops.push(w.terminate());
        } catch {
          // already gone
        }
      }
    }
    for (const j of jobs) j.reject(reason);
    return Promise.allSettled(stops);
  }

  /** Stops the workers; jobs still pending reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    const pending = this.failure ? undefined : new PaniniError('STATE', `the ${this.label} pool was closed with jobs pending`);
    this.closed = true;
    await this.stop(pending ?? this.failure!);
  }
}
