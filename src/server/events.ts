// The live side of the job server: one poller follows the queue's transitions (`eventsSince`) and broadcasts them
// to every WebSocket client of GET /api/events, with throttled job status updates and worker set changes
// (docs/SERVER.md "Events"). It also keeps what /api/metrics needs over time: failed attempts and a minute of
// verified-bytes samples for the throughput.
import type { WebSocket } from 'ws';
import type { JobQueue, JobStatus, Transition, WorkerInfo } from '../pipeline/types.js';
import { withRates, type JobView } from './view.js';

export interface HubOptions {
  /** how often the queue is polled (default 200 ms) */
  intervalMs?: number;
  /** at most one job status message per job per this many ms (default 250: 4 per second) */
  jobThrottleMs?: number;
  /** a client whose send buffer holds more than this many bytes is dropped (default 8 MiB) */
  maxBuffered?: number;
  /** how often the worker set is compared (default 1000 ms) and re-sent even unchanged (default 10 000 ms) */
  workersEveryMs?: number;
  workersRefreshMs?: number;
}

export type EventMessage =
  | { type: 'hello'; seq: number }
  | ({ type: 'transition' } & Transition)
  | { type: 'job'; status: JobView }
  | { type: 'workers'; workers: WorkerInfo[] }
  | { type: 'error'; error: { code: string; message: string; where: Record<string, unknown> } };

interface Client {
  socket: WebSocket;
  /** last transition seq this client has been sent */
  cursor: number;
  /** false until its hello went out: broadcasts skip it before */
  ready: boolean;
}

const PAGE = 1000;
const WINDOW_MS = 60_000;

export class EventHub {
  readonly clients = new Set<Client>();
  /** the last transition seq seen */
  seq = 0;
  /** attempts that went to `retrying` or `failed`, over the queue's recorded history */
  taskFailures = 0;
  private readonly o: Required<HubOptions>;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private dirty = new Set<string>();
  private lastSent = new Map<string, { at: number; print: string }>();
  private bytes = new Map<string, number>();
  private samples: { at: number; bytes: number }[] = [];
  private workerIds = '';
  private workersAt = 0;
  private workersSentAt = 0;
  /** the last error of a poll, reported once per kind on stderr */
  private lastError = '';

  constructor(
    readonly queue: JobQueue,
    options: HubOptions = {},
  ) {
    this.o = {
      intervalMs: options.intervalMs ?? 200,
      jobThrottleMs: options.jobThrottleMs ?? 250,
      maxBuffered: options.maxBuffered ?? 8 << 20,
      workersEveryMs: options.workersEveryMs ?? 1000,
      workersRefreshMs: options.workersRefreshMs ?? 10_000,
    };
  }

  /** Reads the recorded history once (failure count, last seq, verified bytes), then polls. */
  async start(): Promise<void> {
    for (;;) {
      const page = await this.queue.eventsSince(this.seq, { limit: PAGE });
      for (const t of page) this.account(t);
      if (page.length < PAGE) break;
    }
    for (const j of await this.queue.jobs({ limit: 100_000 })) this.bytes.set(j.id, j.bytesIn);
    this.sample(Date.now());
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.chain;
    for (const c of this.clients) c.socket.close(1001, 'server shutting down');
    this.clients.clear();
  }

  /** Input bytes verified per second over the last minute (0 until two samples a second apart exist). */
  throughput(now = Date.now()): number {
    this.sample(now);
    const first = this.samples.find((s) => s.at >= now - WINDOW_MS) ?? this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at - first.at < 1000) return 0;
    return Math.max(0, ((last.bytes - first.bytes) * 1000) / (last.at - first.at));
  }

  /** A new WebSocket client: hello with the current seq, the worker set, then broadcasts. */
  add(socket: WebSocket): void {
    const client: Client = { socket, cursor: this.seq, ready: false };
    this.clients.add(client);
    socket.on('close', () => this.clients.delete(client));
    socket.on('error', () => this.clients.delete(client));
    socket.on('message', (data) => {
      let msg: unknown;
      try {
        msg = JSON.parse(String(data));
      } catch {
        this.send(client, { type: 'error', error: { code: 'OPTION', message: 'a message to /api/events must be JSON like {"since": 42}', where: { option: 'message' } } });
        return;
      }
      const since = (msg as { since?: unknown })?.since;
      if (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0) {
        this.send(client, { type: 'error', error: { code: 'OPTION', message: 'since must be a transition seq (an integer >= 0)', where: { option: 'since' } } });
        return;
      }
      this.run(() => this.replay(client, since));
    });
    this.run(async () => {
      this.send(client, { type: 'hello', seq: this.seq });
      client.cursor = this.seq;
      client.ready = true;
      this.send(client, { type: 'workers', workers: await this.queue.workers() });
    });
  }

  /** Serializes polls and replays so that each client sees transitions once, in seq order. */
  private run(fn: () => Promise<void>): void {
    this.chain = this.chain.then(fn).catch((e: unknown) => this.report(e));
  }

  private report(e: unknown): void {
    const m = e instanceof Error ? e.message : String(e);
    if (m !== this.lastError) process.stderr.write(`panini-fs serve: event poll failed: ${m}\n`);
    this.lastError = m;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.run(() => this.tick());
      this.chain.then(() => this.schedule(), () => this.schedule());
    }, this.o.intervalMs);
    this.timer.unref?.();
  }

  private account(t: Transition): void {
    this.seq = Math.max(this.seq, t.seq);
    if (t.taskKey !== undefined && (t.to === 'failed' || t.to === 'retrying')) this.taskFailures++;
  }

  private sample(now: number): void {
    let total = 0;
    for (const b of this.bytes.values()) total += b;
    const last = this.samples[this.samples.length - 1];
    if (last && now - last.at < 1000) last.bytes = Math.max(last.bytes, total);
    else this.samples.push({ at: now, bytes: total });
    while (this.samples.length > 2 && this.samples[1]!.at < now - WINDOW_MS - 5000) this.samples.shift();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    for (let pages = 0; pages < 20; pages++) {
      const page = await this.queue.eventsSince(this.seq, { limit: PAGE });
      for (const t of page) {
        this.account(t);
        this.dirty.add(t.jobId);
        this.broadcast(t.seq, { type: 'transition', ...t });
      }
      if (page.length < PAGE) break;
    }
    await this.flushJobs(this.clients.size > 0);
    const now = Date.now();
    this.sample(now);
    if (now - this.workersAt >= this.o.workersEveryMs) {
      this.workersAt = now;
      const workers = await this.queue.workers();
      const ids = workers.map((w) => `${w.id} ${w.done}`).sort().join('\n');
      if (ids !== this.workerIds || now - this.workersSentAt >= this.o.workersRefreshMs) {
        this.workerIds = ids;
        this.workersSentAt = now;
        this.broadcast(undefined, { type: 'workers', workers });
      }
    }
  }

  /** Job status messages for the jobs whose transitions came in, at most one per job per jobThrottleMs. */
  private async flushJobs(send: boolean): Promise<void> {
    const now = Date.now();
    for (const id of [...this.dirty]) {
      const prev = this.lastSent.get(id);
      if (prev && now - prev.at < this.o.jobThrottleMs) continue;
      this.dirty.delete(id);
      const status = await this.queue.job(id);
      if (!status) continue;
      this.bytes.set(id, status.bytesIn);
      const print = fingerprint(status);
      if (prev && prev.print === print) continue;
      this.lastSent.set(id, { at: now, print });
      if (send) this.broadcast(undefined, { type: 'job', status: withRates(status, now) });
    }
  }

  /** Sends the transitions after `since` (and the current status of each job they touch) to one client. */
  private async replay(client: Client, since: number): Promise<void> {
    const jobs = new Set<string>();
    let at = since;
    while (at < this.seq) {
      const page = await this.queue.eventsSince(at, { limit: PAGE });
      for (const t of page) {
        if (t.seq > this.seq) break;
        this.send(client, { type: 'transition', ...t });
        jobs.add(t.jobId);
        at = t.seq;
      }
      if (page.length < PAGE) break;
    }
    client.cursor = this.seq;
    const now = Date.now();
    for (const id of jobs) {
      const status = await this.queue.job(id);
      if (status) this.send(client, { type: 'job', status: withRates(status, now) });
    }
  }

  private broadcast(seq: number | undefined, msg: EventMessage): void {
    if (!this.clients.size) return;
    const text = JSON.stringify(msg);
    for (const c of this.clients) {
      if (!c.ready) continue;
      if (seq !== undefined) {
        if (seq <= c.cursor) continue;
        c.cursor = seq;
      }
      this.sendText(c, text);
    }
  }

  private send(client: Client, msg: EventMessage): void {
    this.sendText(client, JSON.stringify(msg));
  }

  private sendText(c: Client, text: string): void {
    if (c.socket.readyState !== 1) return;
    if (c.socket.bufferedAmount > this.o.maxBuffered) {
      // a client that does not read: drop it rather than hold its backlog in memory
      this.clients.delete(c);
      c.socket.terminate();
      return;
    }
    c.socket.send(text);
  }
}

function fingerprint(s: JobStatus): string {
  return JSON.stringify([s.state, s.counts, s.bytesIn, s.bytesOut, s.total, s.bytesTotal, s.errors.length]);
}
