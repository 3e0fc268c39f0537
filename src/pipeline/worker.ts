/**
 * The worker loop: register, claim tasks up to `concurrency`, run each (src/pipeline/tasks.ts), keep its lease alive
 * while it runs, and report verified results or typed failures. A task whose claim was lost (lease expired and handed
 * to someone else, job cancelled) is dropped without reporting: the queue counts every result once.
 *
 * Device: `gpu` and `auto` load the content classifier (models/) on CUDA or WebGPU when the ONNX runtime offers one and
 * fall back to the CPU; the device that ran is what the worker registers (the dashboard's CPU/GPU column). Coding
 * itself runs on the CPU: the decoder never needs a model, and the chunk's class is recorded with its result.
 */
import { hostname } from 'node:os';
import { PaniniError } from '../errors.js';
import { init } from '../wasm/core.js';
import { loadClassifier, type ContentClassifier } from '../model/classifier.js';
import { ModelRegistry } from '../model/registry.js';
import { PermanentTaskError, runTask, storeCache } from './tasks.js';
import { followUp, followUpAll } from './followup.js';
import type { Claim, JobQueue, TaskKind } from './types.js';

export type WorkerDevice = 'auto' | 'cpu' | 'gpu';

export interface WorkerOptions {
  queue: JobQueue;
  /** tasks run at once (default 1) */
  concurrency?: number;
  device?: WorkerDevice;
  /** default `<host>-<pid>-<random>` */
  id?: string;
  /** claim lease (default 60 s); extended every third of it while a task runs */
  leaseMs?: number;
  /** how long to wait between claims when the queue is empty (default 250 ms) */
  idleMs?: number;
  /** only these task kinds */
  kinds?: readonly TaskKind[];
  /**
   * stop once the queue has nothing to claim and no task waits out a retry backoff (default false: wait for more);
   * a task held by another worker is that worker's, or comes back through its lease (then to a worker still running)
   */
  exitWhenIdle?: boolean;
  /** one line per notable event (device fallback, failures), for --verbose */
  log?: (line: string) => void;
}

export interface WorkerHandle {
  id: string;
  /** the device the encode-side model runs on ('cpu' when there is none) */
  device: string;
  /** stops claiming, waits for running tasks to finish and report, unregisters */
  stop(): Promise<void>;
  /** settles when the loop has ended (after stop, or when idle with exitWhenIdle) */
  done: Promise<void>;
  /** tasks this worker verified / failed */
  readonly stats: { verified: number; failed: number; lost: number };
}

function randomId(): string {
  const b = new Uint8Array(4);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

async function openClassifier(device: WorkerDevice, log: (l: string) => void): Promise<ContentClassifier | undefined> {
  if (device === 'cpu') return undefined;
  try {
    const reg = new ModelRegistry();
    const { bytes } = reg.read('content-classifier');
    const c = await loadClassifier(bytes, { device: device === 'gpu' ? 'cuda' : 'auto' });
    for (const n of c.session.notices) log(`model: ${n}`);
    return c;
  } catch (e) {
    log(`model: no content classifier (${e instanceof Error ? e.message : String(e)}); coding on the CPU without it`);
    return undefined;
  }
}

/** Whether a job that is not finished holds a task in retrying: it becomes claimable once its backoff is over. */
async function retriesPending(queue: JobQueue): Promise<boolean> {
  const jobs = await queue.jobs({ limit: 10_000 });
  return jobs.some((j) => j.counts.retrying > 0);
}

export async function startWorker(o: WorkerOptions): Promise<WorkerHandle> {
  await init();
  const queue = o.queue;
  const concurrency = o.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new PaniniError('OPTION', `concurrency must be an integer 1–256, got ${concurrency}`, { option: 'concurrency' });
  const device = o.device ?? 'auto';
  if (!['auto', 'cpu', 'gpu'].includes(device)) throw new PaniniError('OPTION', `device must be auto, cpu or gpu, got ${JSON.stringify(device)}`, { option: 'device' });
  const leaseMs = o.leaseMs ?? 60_000;
  if (!Number.isInteger(leaseMs) || leaseMs < 100) throw new PaniniError('OPTION', `leaseMs must be an integer ≥ 100, got ${leaseMs}`, { option: 'leaseMs' });
  const idleMs = o.idleMs ?? 250;
  const log = o.log ?? (() => {});
  const id = o.id ?? `${hostname()}-${process.pid}-${randomId()}`;
  const classifier = await openClassifier(device, log);
  const ran = classifier ? (classifier.session.device === 'cpu' ? 'cpu' : `gpu:${classifier.session.device}`) : 'cpu';
  await queue.registerWorker({ id, host: hostname(), pid: process.pid, device: ran, concurrency });
  await followUpAll(queue, 1000).catch((e) => log(`looking for assemblies a crash missed: ${(e as Error).message}`));
  const stores = storeCache();
  const stopper = new AbortController();
  const stats = { verified: 0, failed: 0, lost: 0 };
  const running = new Set<Promise<void>>();
  // concurrent tasks code on pool threads so that they use several cores; one task codes on this thread
  const threads = concurrency > 1 ? 2 : 1;

  const runOne = async (claim: Claim): Promise<void> => {
    const abort = new AbortController();
    let lost = false;
    const keep = setInterval(() => {
      queue.extend(claim, leaseMs).then(
        (ok) => {
          if (!ok && !lost) {
            lost = true;
            abort.abort();
          }
        },
        (e) => log(`lease ${claim.jobId}/${claim.taskKey}: ${(e as Error).message}`),
      );
    }, Math.max(50, Math.floor(leaseMs / 3)));
    try {
      const result = await runTask(claim, {
        store: (l) => stores.get(l),
        threads,
        classifier,
        compressed: async () => {
          const ok = await queue.markCompressed(claim);
          if (!ok) lost = true;
          return ok;
        },
        signal: abort.signal,
      });
      if (lost || !(await queue.complete(claim, result))) stats.lost++;
      else {
        stats.verified++;
        // the last chunk of a compress job with a container output queues its assembly
        if (claim.kind === 'compress-chunk' && typeof claim.options.container === 'string') await followUp(queue, claim.jobId).catch((e) => log(`job ${claim.jobId}: queueing its assembly: ${(e as Error).message}`));
      }
    } catch (e) {
      if (lost) {
        stats.lost++;
        return;
      }
      const err = e instanceof PaniniError ? e : undefined;
      const code = err?.code ?? 'INTERNAL';
      const message = e instanceof Error ? e.message : String(e);
      log(`task ${claim.jobId}/${claim.taskKey} failed (${code}): ${message}`);
      const retryable = !(e instanceof PermanentTaskError) && code !== 'OPTION' && code !== 'UNSUPPORTED';
      if (await queue.fail(claim, { code, message, retryable }).catch(() => false)) stats.failed++;
      else stats.lost++;
    } finally {
      clearInterval(keep);
    }
  };

  const heartbeat = setInterval(() => {
    queue.heartbeat(id).catch((e) => log(`heartbeat: ${(e as Error).message}`));
  }, 5000);

  const loop = async (): Promise<void> => {
    while (!stopper.signal.aborted) {
      const free = concurrency - running.size;
      let claims: Claim[] = [];
      if (free > 0) {
        try {
          claims = await queue.claim(id, { max: free, leaseMs, ...(o.kinds ? { kinds: o.kinds } : {}) });
        } catch (e) {
          if (e instanceof PaniniError && e.code === 'STATE') break; // queue closed
          log(`claim: ${(e as Error).message}`);
        }
      }
      for (const c of claims) {
        const p = runOne(c).finally(() => running.delete(p));
        running.add(p);
      }
      if (claims.length === 0) {
        if (running.size === 0 && o.exitWhenIdle && !(await retriesPending(queue).catch(() => false))) break;
        // until idleMs pass, the worker is stopped or a running task ends; the abort listener goes with the wait
        await new Promise<void>((res) => {
          const finish = () => {
            clearTimeout(t);
            stopper.signal.removeEventListener('abort', finish);
            res();
          };
          const t = setTimeout(finish, idleMs);
          stopper.signal.addEventListener('abort', finish, { once: true });
          if (running.size > 0) void Promise.race(running).then(finish);
        });
      }
    }
    await Promise.allSettled([...running]);
  };

  const done = loop().finally(async () => {
    clearInterval(heartbeat);
    await queue.unregisterWorker(id).catch(() => {});
    await stores.close();
    await classifier?.release().catch(() => {});
  });

  return {
    id,
    device: ran,
    stats,
    done,
    async stop() {
      stopper.abort();
      await done;
    },
  };
}
