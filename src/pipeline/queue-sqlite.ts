/**
 * The embedded job queue: one SQLite file (better-sqlite3) in WAL mode with synchronous=FULL, shared by a server and
 * any number of worker processes on the same machine. Every state change and its transition row are one IMMEDIATE
 * transaction, so a committed transition survives kill -9 and power loss, and two processes never hand out the same
 * task. Per-job counters (tasks per state, bytes, dhātu distribution) are kept in the jobs row by the same
 * transactions, so job() costs one row read whatever the job's size. Schema and rules: docs/PIPELINE.md "Queues".
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { ErrorCode, PaniniError } from '../errors.js';
import {
  backoffMs,
  checkClaim,
  checkClaimOptions,
  checkJobSpec,
  checkLeaseMs,
  checkLimit,
  checkResult,
  checkState,
  checkTaskError,
  checkTasks,
  checkWorkerInfo,
  closedError,
  DEFAULT_ALIVE_MS,
  DEFAULT_EVENTS_LIMIT,
  DEFAULT_JOBS_LIMIT,
  deriveJobState,
  emptyCounts,
  isTerminalJob,
  LEASE_EXPIRED,
  MAX_JOB_ERRORS,
  notFound,
  resolveQueueOptions,
  storeError,
  type ResolvedQueueOptions,
} from './queue-common.js';
import {
  TASK_STATES,
  type Claim,
  type ClaimOptions,
  type Json,
  type JobQueue,
  type JobSpec,
  type JobState,
  type JobStatus,
  type QueueOptions,
  type TaskError,
  type TaskInfo,
  type TaskResult,
  type TaskSpec,
  type TaskState,
  type Transition,
  type WorkerInfo,
} from './types.js';

export interface SqliteQueueOptions extends QueueOptions {
  /** how long a statement waits for another process's write lock before failing with STORE (default 10 000 ms) */
  busyTimeoutMs?: number;
}

const SCHEMA_VERSION = '1';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  rid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  label TEXT,
  input TEXT NOT NULL,
  options TEXT NOT NULL,
  store TEXT NOT NULL,
  state TEXT NOT NULL,
  cancelled INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  n_pending INTEGER NOT NULL DEFAULT 0,
  n_queued INTEGER NOT NULL DEFAULT 0,
  n_running INTEGER NOT NULL DEFAULT 0,
  n_compressed INTEGER NOT NULL DEFAULT 0,
  n_verified INTEGER NOT NULL DEFAULT 0,
  n_failed INTEGER NOT NULL DEFAULT 0,
  n_cancelled INTEGER NOT NULL DEFAULT 0,
  n_retrying INTEGER NOT NULL DEFAULT 0,
  bytes_total INTEGER NOT NULL DEFAULT 0,
  bytes_in INTEGER NOT NULL DEFAULT 0,
  bytes_out INTEGER NOT NULL DEFAULT 0,
  dhatu TEXT NOT NULL DEFAULT '{}',
  errors TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS tasks (
  rid INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  key TEXT NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  size INTEGER NOT NULL,
  payload TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  worker_id TEXT,
  token TEXT,
  lease_until INTEGER,
  available_at INTEGER,
  result TEXT,
  error_code TEXT,
  error_message TEXT,
  updated_at INTEGER NOT NULL,
  UNIQUE (job_id, key)
);
CREATE INDEX IF NOT EXISTS tasks_due ON tasks (state, available_at);
CREATE INDEX IF NOT EXISTS tasks_lease ON tasks (state, lease_until);
CREATE INDEX IF NOT EXISTS tasks_job ON tasks (job_id, state);
CREATE TABLE IF NOT EXISTS transitions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  job_id TEXT NOT NULL,
  task_key TEXT,
  from_state TEXT,
  to_state TEXT NOT NULL,
  worker_id TEXT,
  code TEXT,
  message TEXT
);
CREATE INDEX IF NOT EXISTS transitions_job ON transitions (job_id, seq);
CREATE TABLE IF NOT EXISTS workers (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  device TEXT NOT NULL,
  concurrency INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  done INTEGER NOT NULL DEFAULT 0
);
`;

interface JobRow {
  rid: number;
  id: string;
  type: string;
  label: string | null;
  input: string;
  options: string;
  store: string;
  state: string;
  cancelled: number;
  failed: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  n_pending: number;
  n_queued: number;
  n_running: number;
  n_compressed: number;
  n_verified: number;
  n_failed: number;
  n_cancelled: number;
  n_retrying: number;
  bytes_total: number;
  bytes_in: number;
  bytes_out: number;
  dhatu: string;
  errors: string;
}

interface TaskRow {
  rid: number;
  job_id: string;
  key: string;
  kind: string;
  state: TaskState;
  size: number;
  payload: string;
  attempt: number;
  worker_id: string | null;
  token: string | null;
  lease_until: number | null;
  available_at: number | null;
  result: string | null;
  error_code: string | null;
  error_message: string | null;
  updated_at: number;
}

interface TransitionRow {
  seq: number;
  at: number;
  job_id: string;
  task_key: string | null;
  from_state: string | null;
  to_state: string;
  worker_id: string | null;
  code: string | null;
  message: string | null;
}

/** the most expired leases (and due retries) turned over per claim call, to bound one transaction */
const REAP_BATCH = 1000;

const col = (s: TaskState): string => `n_${s}`;

function countsOf(r: JobRow): Record<TaskState, number> {
  const c = emptyCounts();
  for (const s of TASK_STATES) c[s] = r[col(s) as keyof JobRow] as number;
  return c;
}

/** Parses `sqlite:PATH` or a plain path into the file path. */
export function sqlitePath(location: string): string {
  const path = location.startsWith('sqlite:') ? location.slice('sqlite:'.length) : location;
  if (path === '') throw new PaniniError(ErrorCode.OPTION, `SQLite queue: location ${JSON.stringify(location)} has no file path`, { option: 'location' });
  return path;
}

declare const __PANINI_CJS__: boolean | undefined;
let driver: typeof Database | undefined;
/**
 * better-sqlite3 is an optional dependency (a native addon): loaded on the first SqliteQueue, so a missing or unbuilt
 * addon fails that queue with a clear message and nothing else. The name is a variable so bundlers leave it alone.
 */
function loadSqlite(where: string): typeof Database {
  if (driver) return driver;
  const name = 'better-sqlite3';
  try {
    const req = typeof __PANINI_CJS__ === 'boolean' && __PANINI_CJS__ ? require : createRequire(import.meta.url);
    driver = req(name) as typeof Database;
    return driver;
  } catch (cause) {
    throw new PaniniError(
      ErrorCode.UNSUPPORTED,
      `${where}: the embedded queue needs better-sqlite3 (an optional dependency that did not install or build here): npm install better-sqlite3 — or use a redis:// queue (${(cause as Error).message.split('\n')[0]})`,
      { option: 'queue' },
      { cause },
    );
  }
}

export class SqliteQueue implements JobQueue {
  readonly location: string;
  readonly path: string;
  private readonly where: string;
  private readonly opts: ResolvedQueueOptions;
  private db: Database.Database | undefined;
  private readonly stmts = new Map<string, Database.Statement>();

  /** Opens (creating if needed) the queue file at `sqlite:PATH` or PATH; the parent folder must exist. */
  constructor(location: string, options?: SqliteQueueOptions) {
    this.path = sqlitePath(location);
    this.location = `sqlite:${this.path}`;
    this.where = `SQLite queue ${this.path}`;
    this.opts = resolveQueueOptions(this.where, options, ['busyTimeoutMs']);
    const busy = options?.busyTimeoutMs ?? 10_000;
    if (!Number.isSafeInteger(busy) || busy < 0) {
      throw new PaniniError(ErrorCode.OPTION, `${this.where}: option busyTimeoutMs must be a non-negative integer`, { option: 'busyTimeoutMs' });
    }
    let db: Database.Database | undefined;
    try {
      db = new (loadSqlite(this.where))(this.path, { timeout: busy });
      db.pragma(`busy_timeout = ${busy}`);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.transaction(() => {
        db!.exec(SCHEMA);
        const v = db!.prepare('SELECT value FROM meta WHERE key = ?').get('schema') as { value: string } | undefined;
        if (v === undefined) db!.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema', SCHEMA_VERSION);
        else if (v.value !== SCHEMA_VERSION) {
          throw new PaniniError(ErrorCode.UNSUPPORTED, `${this.where}: schema version ${v.value} is not ${SCHEMA_VERSION}, which this version reads`);
        }
      }).immediate();
    } catch (e) {
      db?.close();
      throw storeError(this.where, 'open', e);
    }
    this.db = db;
  }

  // ---- plumbing ----------------------------------------------------------------------------------------------

  private st(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db!.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /** Runs `f` as one IMMEDIATE transaction (or a read, when `write` is false), mapping driver errors to STORE. */
  private run<T>(op: string, write: boolean, f: (now: number) => T): Promise<T> {
    try {
      if (!this.db) throw closedError(this.where, op);
      const now = this.opts.now();
      const value = write ? this.db.transaction(() => f(now)).immediate() : f(now);
      return Promise.resolve(value);
    } catch (e) {
      return Promise.reject(storeError(this.where, op, e));
    }
  }

  private jobRow(jobId: string): JobRow | undefined {
    return this.st('SELECT * FROM jobs WHERE id = ?').get(jobId) as JobRow | undefined;
  }

  private mustJob(jobId: string): JobRow {
    if (typeof jobId !== 'string') throw notFound(this.where, String(jobId));
    const r = this.jobRow(jobId);
    if (!r) throw notFound(this.where, jobId);
    return r;
  }

  private record(now: number, jobId: string, taskKey: string | null, from: string | null, to: string, workerId: string | null, code: string | null, message: string | null): void {
    this.st('INSERT INTO transitions (at, job_id, task_key, from_state, to_state, worker_id, code, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
      now,
      jobId,
      taskKey,
      from,
      to,
      workerId,
      code,
      message,
    );
  }

  /** Moves `n` tasks of a job from one state's counter to another's. */
  private bump(jobId: string, from: TaskState, to: TaskState, n: number, now: number): void {
    if (n === 0 || from === to) return;
    this.st(`UPDATE jobs SET ${col(from)} = ${col(from)} - ?, ${col(to)} = ${col(to)} + ?, updated_at = ? WHERE id = ?`).run(n, n, now, jobId);
  }

  /** Re-derives the job's state from its counters; records a job-level transition when it changed. */
  private refresh(jobId: string, now: number): void {
    const r = this.jobRow(jobId)!;
    const next = deriveJobState(countsOf(r), r.started_at !== null, r.cancelled === 1, r.failed === 1);
    if (next === r.state) return;
    const finished = isTerminalJob(next) ? (r.finished_at ?? now) : null;
    this.st('UPDATE jobs SET state = ?, finished_at = ?, updated_at = ? WHERE id = ?').run(next, finished, now, jobId);
    this.record(now, jobId, null, r.state, next, null, null, null);
  }

  private addError(jobId: string, taskKey: string, code: string, message: string, now: number): void {
    const r = this.st('SELECT errors FROM jobs WHERE id = ?').get(jobId) as { errors: string };
    const list = JSON.parse(r.errors) as unknown[];
    if (list.length >= MAX_JOB_ERRORS) return;
    list.push({ taskKey, code, message, at: now });
    this.st('UPDATE jobs SET errors = ? WHERE id = ?').run(JSON.stringify(list), jobId);
  }

  /** The task behind a claim while the claim is current (token matches, running|compressed, lease not over). */
  private current(c: Claim, now: number): TaskRow | undefined {
    return this.st(
      "SELECT * FROM tasks WHERE job_id = ? AND key = ? AND token = ? AND state IN ('running', 'compressed') AND lease_until >= ?",
    ).get(c.jobId, c.taskKey, c.token, now) as TaskRow | undefined;
  }

  // ---- jobs and tasks ----------------------------------------------------------------------------------------

  createJob(spec: JobSpec, tasks: readonly TaskSpec[] = []): Promise<string> {
    return this.run('createJob', true, (now) => {
      checkJobSpec(this.where, spec);
      checkTasks(this.where, tasks);
      const id = randomUUID();
      this.st(
        "INSERT INTO jobs (id, type, label, input, options, store, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
      ).run(id, spec.type, spec.label ?? null, JSON.stringify(spec.input), JSON.stringify(spec.options), spec.store, now, now);
      this.record(now, id, null, null, 'pending', null, null, null);
      this.insertTasks(id, tasks, now);
      return id;
    });
  }

  private insertTasks(jobId: string, tasks: readonly TaskSpec[], now: number): void {
    if (tasks.length === 0) return;
    const ins = this.st("INSERT INTO tasks (job_id, key, kind, state, size, payload, updated_at) VALUES (?, ?, ?, 'pending', ?, ?, ?)");
    let bytes = 0;
    for (const t of tasks) {
      ins.run(jobId, t.key, t.kind, t.size, JSON.stringify(t.payload), now);
      bytes += t.size;
    }
    this.st('UPDATE jobs SET n_pending = n_pending + ?, bytes_total = bytes_total + ?, updated_at = ? WHERE id = ?').run(tasks.length, bytes, now, jobId);
    this.refresh(jobId, now);
  }

  addTasks(jobId: string, tasks: readonly TaskSpec[]): Promise<void> {
    return this.run('addTasks', true, (now) => {
      const j = this.mustJob(jobId);
      if (j.state === 'cancelled') throw new PaniniError(ErrorCode.STATE, `${this.where}: job ${jobId} is cancelled; no tasks can be added`, { job: jobId });
      const has = this.st('SELECT 1 FROM tasks WHERE job_id = ? AND key = ?');
      checkTasks(this.where, tasks, (key) => has.get(jobId, key) !== undefined);
      this.insertTasks(jobId, tasks, now);
    });
  }

  enqueue(jobId: string): Promise<void> {
    return this.run('enqueue', true, (now) => {
      this.mustJob(jobId);
      this.st("INSERT INTO transitions (at, job_id, task_key, from_state, to_state) SELECT ?, job_id, key, 'pending', 'queued' FROM tasks WHERE job_id = ? AND state = 'pending' ORDER BY rid").run(now, jobId);
      const n = this.st("UPDATE tasks SET state = 'queued', available_at = ?, updated_at = ? WHERE job_id = ? AND state = 'pending'").run(now, now, jobId).changes;
      this.bump(jobId, 'pending', 'queued', n, now);
      this.refresh(jobId, now);
    });
  }

  /** Running or compressed tasks whose lease ended before `now` → retrying (attempts left) or failed. */
  private reap(now: number): void {
    const expired = this.st(
      `SELECT * FROM tasks WHERE state = 'running' AND lease_until < ? UNION ALL SELECT * FROM tasks WHERE state = 'compressed' AND lease_until < ? LIMIT ${REAP_BATCH}`,
    ).all(now, now) as TaskRow[];
    const touched = new Set<string>();
    for (const t of expired) {
      const message = `lease of worker ${t.worker_id ?? '?'} ran out (attempt ${t.attempt})`;
      this.leave(t, LEASE_EXPIRED, message, true, now);
      touched.add(t.job_id);
    }
    const due = this.st(`SELECT * FROM tasks WHERE state = 'retrying' AND available_at <= ? ORDER BY available_at LIMIT ${REAP_BATCH}`).all(now) as TaskRow[];
    for (const t of due) {
      this.st("UPDATE tasks SET state = 'queued', updated_at = ? WHERE rid = ?").run(now, t.rid);
      this.bump(t.job_id, 'retrying', 'queued', 1, now);
      this.record(now, t.job_id, t.key, 'retrying', 'queued', null, null, null);
      touched.add(t.job_id);
    }
    for (const j of touched) this.refresh(j, now);
  }

  /** A task leaves running|compressed on a failure: retrying with backoff while attempts are left, else failed. */
  private leave(t: TaskRow, code: string, message: string, retryable: boolean, now: number): TaskState {
    const retry = retryable && t.attempt < this.opts.retry.maxAttempts;
    const to: TaskState = retry ? 'retrying' : 'failed';
    const availableAt = retry ? now + backoffMs(this.opts.retry, t.attempt) : null;
    this.st('UPDATE tasks SET state = ?, token = NULL, lease_until = NULL, available_at = ?, error_code = ?, error_message = ?, updated_at = ? WHERE rid = ?').run(
      to,
      availableAt,
      code,
      message,
      now,
      t.rid,
    );
    this.bump(t.job_id, t.state, to, 1, now);
    this.record(now, t.job_id, t.key, t.state, to, t.worker_id, code, message);
    this.addError(t.job_id, t.key, code, message, now);
    return to;
  }

  claim(workerId: string, options?: ClaimOptions): Promise<Claim[]> {
    return this.run('claim', true, (now) => {
      const { max, leaseMs, kinds } = checkClaimOptions(this.where, workerId, options, this.opts.leaseMs);
      this.reap(now);
      const kindSql = kinds ? ` AND kind IN (${kinds.map(() => '?').join(', ')})` : '';
      const rows = this.st(`SELECT * FROM tasks WHERE state = 'queued'${kindSql} ORDER BY available_at, rid LIMIT ?`).all(...(kinds ?? []), max) as TaskRow[];
      const leaseUntil = now + leaseMs;
      const take = this.st("UPDATE tasks SET state = 'running', token = ?, lease_until = ?, attempt = attempt + 1, worker_id = ?, error_code = NULL, error_message = NULL, updated_at = ? WHERE rid = ? AND state = 'queued'");
      const jobs = new Map<string, { options: { [key: string]: Json }; store: string }>();
      const out: Claim[] = [];
      for (const t of rows) {
        const token = randomUUID();
        take.run(token, leaseUntil, workerId, now, t.rid);
        this.bump(t.job_id, 'queued', 'running', 1, now);
        this.record(now, t.job_id, t.key, 'queued', 'running', workerId, null, null);
        let j = jobs.get(t.job_id);
        if (!j) {
          const r = this.st('SELECT options, store FROM jobs WHERE id = ?').get(t.job_id) as { options: string; store: string };
          j = { options: JSON.parse(r.options) as { [key: string]: Json }, store: r.store };
          jobs.set(t.job_id, j);
          this.st('UPDATE jobs SET started_at = coalesce(started_at, ?) WHERE id = ?').run(now, t.job_id);
        }
        out.push({
          jobId: t.job_id,
          taskKey: t.key,
          kind: t.kind as Claim['kind'],
          size: t.size,
          payload: JSON.parse(t.payload) as Claim['payload'],
          options: j.options,
          store: j.store,
          attempt: t.attempt + 1,
          workerId,
          token,
          leaseUntil,
        });
      }
      for (const id of jobs.keys()) this.refresh(id, now);
      if (out.length) this.st('UPDATE workers SET last_seen = ? WHERE id = ?').run(now, workerId);
      return out;
    });
  }

  extend(claim: Claim, leaseMs?: number): Promise<boolean> {
    return this.run('extend', true, (now) => {
      checkClaim(this.where, claim);
      const ms = checkLeaseMs(this.where, leaseMs, this.opts.leaseMs);
      const until = now + ms;
      const n = this.st(
        "UPDATE tasks SET lease_until = ?, updated_at = ? WHERE job_id = ? AND key = ? AND token = ? AND state IN ('running', 'compressed') AND lease_until >= ?",
      ).run(until, now, claim.jobId, claim.taskKey, claim.token, now).changes;
      if (n === 1) claim.leaseUntil = until;
      return n === 1;
    });
  }

  markCompressed(claim: Claim): Promise<boolean> {
    return this.run('markCompressed', true, (now) => {
      checkClaim(this.where, claim);
      const n = this.st(
        "UPDATE tasks SET state = 'compressed', updated_at = ? WHERE job_id = ? AND key = ? AND token = ? AND state = 'running' AND lease_until >= ?",
      ).run(now, claim.jobId, claim.taskKey, claim.token, now).changes;
      if (n !== 1) return false;
      this.bump(claim.jobId, 'running', 'compressed', 1, now);
      this.record(now, claim.jobId, claim.taskKey, 'running', 'compressed', claim.workerId, null, null);
      return true;
    });
  }

  complete(claim: Claim, result: TaskResult): Promise<boolean> {
    return this.run('complete', true, (now) => {
      checkClaim(this.where, claim);
      checkResult(this.where, result);
      const t = this.current(claim, now);
      if (!t) return false;
      const n = this.st(
        "UPDATE tasks SET state = 'verified', result = ?, token = NULL, lease_until = NULL, updated_at = ? WHERE rid = ? AND token = ? AND state IN ('running', 'compressed')",
      ).run(JSON.stringify(result), now, t.rid, claim.token).changes;
      if (n !== 1) return false;
      this.bump(t.job_id, t.state, 'verified', 1, now);
      const j = this.st('SELECT dhatu FROM jobs WHERE id = ?').get(t.job_id) as { dhatu: string };
      let dhatu = j.dhatu;
      if (result.dhatu && Object.keys(result.dhatu).length) {
        const d = JSON.parse(j.dhatu) as Record<string, number>;
        for (const [k, v] of Object.entries(result.dhatu)) d[k] = (d[k] ?? 0) + v;
        dhatu = JSON.stringify(d);
      }
      this.st('UPDATE jobs SET bytes_in = bytes_in + ?, bytes_out = bytes_out + ?, dhatu = ? WHERE id = ?').run(result.bytesIn, result.bytesOut, dhatu, t.job_id);
      this.st('UPDATE workers SET done = done + 1, last_seen = ? WHERE id = ?').run(now, t.worker_id);
      this.record(now, t.job_id, t.key, t.state, 'verified', t.worker_id, null, null);
      this.refresh(t.job_id, now);
      return true;
    });
  }

  fail(claim: Claim, error: TaskError): Promise<boolean> {
    return this.run('fail', true, (now) => {
      checkClaim(this.where, claim);
      checkTaskError(this.where, error);
      const t = this.current(claim, now);
      if (!t) return false;
      this.leave(t, error.code, error.message, error.retryable, now);
      this.refresh(t.job_id, now);
      return true;
    });
  }

  cancelJob(jobId: string): Promise<void> {
    return this.run('cancelJob', true, (now) => {
      this.mustJob(jobId);
      for (const s of ['pending', 'queued', 'running', 'compressed', 'retrying'] as const) {
        this.st("INSERT INTO transitions (at, job_id, task_key, from_state, to_state, worker_id, code) SELECT ?, job_id, key, state, 'cancelled', worker_id, 'CANCELLED' FROM tasks WHERE job_id = ? AND state = ? ORDER BY rid").run(now, jobId, s);
        const n = this.st("UPDATE tasks SET state = 'cancelled', token = NULL, lease_until = NULL, updated_at = ? WHERE job_id = ? AND state = ?").run(now, jobId, s).changes;
        this.bump(jobId, s, 'cancelled', n, now);
      }
      this.st('UPDATE jobs SET cancelled = 1, updated_at = ? WHERE id = ?').run(now, jobId);
      this.refresh(jobId, now);
    });
  }

  failJob(jobId: string, error: { code: string; message: string }): Promise<void> {
    return this.run('failJob', true, (now) => {
      this.mustJob(jobId);
      for (const s of ['pending', 'queued', 'running', 'compressed', 'retrying'] as const) {
        this.st("INSERT INTO transitions (at, job_id, task_key, from_state, to_state, worker_id, code) SELECT ?, job_id, key, state, 'cancelled', worker_id, 'JOB_FAILED' FROM tasks WHERE job_id = ? AND state = ? ORDER BY rid").run(now, jobId, s);
        const n = this.st("UPDATE tasks SET state = 'cancelled', token = NULL, lease_until = NULL, updated_at = ? WHERE job_id = ? AND state = ?").run(now, jobId, s).changes;
        this.bump(jobId, s, 'cancelled', n, now);
      }
      this.addError(jobId, '', error.code, error.message, now);
      this.st('UPDATE jobs SET failed = 1, updated_at = ? WHERE id = ?').run(now, jobId);
      const r = this.jobRow(jobId)!;
      if (r.state === 'failed') return;
      this.st('UPDATE jobs SET state = ?, finished_at = ?, updated_at = ? WHERE id = ?').run('failed', now, now, jobId);
      this.record(now, jobId, null, r.state as JobState, 'failed', null, error.code, error.message);
    });
  }

  retryJob(jobId: string): Promise<void> {
    return this.run('retryJob', true, (now) => {
      this.mustJob(jobId);
      let moved = 0;
      for (const s of ['failed', 'cancelled'] as const) {
        this.st("INSERT INTO transitions (at, job_id, task_key, from_state, to_state, code) SELECT ?, job_id, key, state, 'queued', 'RETRIED' FROM tasks WHERE job_id = ? AND state = ? ORDER BY rid").run(now, jobId, s);
        const n = this.st(
          "UPDATE tasks SET state = 'queued', attempt = 0, token = NULL, lease_until = NULL, available_at = ?, error_code = NULL, error_message = NULL, updated_at = ? WHERE job_id = ? AND state = ?",
        ).run(now, now, jobId, s).changes;
        this.bump(jobId, s, 'queued', n, now);
        moved += n;
      }
      this.st('UPDATE jobs SET cancelled = 0, failed = 0, updated_at = ?' + (moved ? ', started_at = NULL, finished_at = NULL' : '') + ' WHERE id = ?').run(now, jobId);
      this.refresh(jobId, now);
    });
  }

  // ---- reads -------------------------------------------------------------------------------------------------

  private status(r: JobRow): JobStatus {
    const counts = countsOf(r);
    const total = TASK_STATES.reduce((s, k) => s + counts[k], 0);
    const st: JobStatus = {
      id: r.id,
      type: r.type as JobStatus['type'],
      state: r.state as JobState,
      input: JSON.parse(r.input) as string[],
      options: JSON.parse(r.options) as JobStatus['options'],
      store: r.store,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      total,
      counts,
      bytesTotal: r.bytes_total,
      bytesIn: r.bytes_in,
      bytesOut: r.bytes_out,
      ratio: r.bytes_in > 0 ? r.bytes_out / r.bytes_in : 0,
      dhatu: JSON.parse(r.dhatu) as Record<string, number>,
      errors: JSON.parse(r.errors) as JobStatus['errors'],
    };
    if (r.label !== null) st.label = r.label;
    if (r.started_at !== null) st.startedAt = r.started_at;
    if (r.finished_at !== null) st.finishedAt = r.finished_at;
    return st;
  }

  job(jobId: string): Promise<JobStatus | undefined> {
    return this.run('job', false, () => {
      const r = typeof jobId === 'string' ? this.jobRow(jobId) : undefined;
      return r && this.status(r);
    });
  }

  jobs(options?: { limit?: number }): Promise<JobStatus[]> {
    return this.run('jobs', false, () => {
      const limit = checkLimit(this.where, 'limit', options?.limit, DEFAULT_JOBS_LIMIT);
      return (this.st('SELECT * FROM jobs ORDER BY rid DESC LIMIT ?').all(limit) as JobRow[]).map((r) => this.status(r));
    });
  }

  tasks(jobId: string, options?: { state?: TaskState; limit?: number; offset?: number }): Promise<TaskInfo[]> {
    return this.run('tasks', false, () => {
      this.mustJob(jobId);
      const limit = checkLimit(this.where, 'limit', options?.limit, Number.MAX_SAFE_INTEGER);
      const offset = checkLimit(this.where, 'offset', options?.offset, 0);
      const rows = (
        options?.state !== undefined
          ? this.st('SELECT * FROM tasks WHERE job_id = ? AND state = ? ORDER BY rid LIMIT ? OFFSET ?').all(jobId, checkState(this.where, options.state), limit, offset)
          : this.st('SELECT * FROM tasks WHERE job_id = ? ORDER BY rid LIMIT ? OFFSET ?').all(jobId, limit, offset)
      ) as TaskRow[];
      return rows.map((t) => {
        const info: TaskInfo = { jobId: t.job_id, key: t.key, kind: t.kind as TaskInfo['kind'], state: t.state, size: t.size, attempt: t.attempt, updatedAt: t.updated_at };
        if (t.worker_id !== null) info.workerId = t.worker_id;
        if (t.result !== null) info.result = JSON.parse(t.result) as TaskResult;
        if (t.error_code !== null) info.error = { code: t.error_code, message: t.error_message ?? '' };
        return info;
      });
    });
  }

  eventsSince(since: number, options?: { limit?: number; jobId?: string }): Promise<Transition[]> {
    return this.run('eventsSince', false, () => {
      const after = checkLimit(this.where, 'since', since, 0);
      const limit = checkLimit(this.where, 'limit', options?.limit, DEFAULT_EVENTS_LIMIT);
      const rows = (
        options?.jobId !== undefined
          ? this.st('SELECT * FROM transitions WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(options.jobId, after, limit)
          : this.st('SELECT * FROM transitions WHERE seq > ? ORDER BY seq LIMIT ?').all(after, limit)
      ) as TransitionRow[];
      return rows.map((r) => {
        const t: Transition = { seq: r.seq, at: r.at, jobId: r.job_id, to: r.to_state as Transition['to'] };
        if (r.task_key !== null) t.taskKey = r.task_key;
        if (r.from_state !== null) t.from = r.from_state as Transition['to'];
        if (r.worker_id !== null) t.workerId = r.worker_id;
        if (r.code !== null) t.code = r.code;
        if (r.message !== null) t.message = r.message;
        return t;
      });
    });
  }

  // ---- workers -----------------------------------------------------------------------------------------------

  registerWorker(info: Omit<WorkerInfo, 'lastSeen' | 'done' | 'startedAt'>): Promise<void> {
    return this.run('registerWorker', true, (now) => {
      checkWorkerInfo(this.where, info);
      this.st(
        `INSERT INTO workers (id, host, pid, device, concurrency, started_at, last_seen, done) VALUES (?, ?, ?, ?, ?, ?, ?, 0)
         ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, device = excluded.device, concurrency = excluded.concurrency,
           started_at = excluded.started_at, last_seen = excluded.last_seen`,
      ).run(info.id, info.host, info.pid, info.device, info.concurrency, now, now);
    });
  }

  heartbeat(workerId: string): Promise<void> {
    return this.run('heartbeat', true, (now) => {
      const n = this.st('UPDATE workers SET last_seen = ? WHERE id = ?').run(now, workerId).changes;
      if (n === 0) throw new PaniniError(ErrorCode.NOT_FOUND, `${this.where}: no worker ${JSON.stringify(workerId)} is registered`, { worker: workerId });
    });
  }

  unregisterWorker(workerId: string): Promise<void> {
    return this.run('unregisterWorker', true, () => {
      this.st('DELETE FROM workers WHERE id = ?').run(workerId);
    });
  }

  workers(options?: { aliveMs?: number }): Promise<WorkerInfo[]> {
    return this.run('workers', false, (now) => {
      const alive = checkLimit(this.where, 'aliveMs', options?.aliveMs, DEFAULT_ALIVE_MS);
      const rows = this.st('SELECT * FROM workers WHERE last_seen >= ? ORDER BY id').all(now - alive) as {
        id: string;
        host: string;
        pid: number;
        device: string;
        concurrency: number;
        started_at: number;
        last_seen: number;
        done: number;
      }[];
      return rows.map((w) => ({ id: w.id, host: w.host, pid: w.pid, device: w.device, concurrency: w.concurrency, startedAt: w.started_at, lastSeen: w.last_seen, done: w.done }));
    });
  }

  close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    this.stmts.clear();
    try {
      db?.close();
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(storeError(this.where, 'close', e));
    }
  }
}
