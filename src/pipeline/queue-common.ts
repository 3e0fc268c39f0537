/**
 * What the JobQueue backends share: option and spec validation, the retry backoff, and the job state derived from
 * a job's per-state task counters (docs/PIPELINE.md "Queues"). Both backends call these, so SQLite and Redis hand
 * out the same delays and report the same job states for the same counters.
 */
import { ErrorCode, PaniniError } from '../errors.js';
import {
  DEFAULT_RETRY,
  JOB_TYPES,
  TASK_KINDS,
  TASK_STATES,
  type Claim,
  type ClaimOptions,
  type JobSpec,
  type JobState,
  type QueueOptions,
  type RetryPolicy,
  type TaskError,
  type TaskResult,
  type TaskSpec,
  type TaskState,
} from './types.js';

export const DEFAULT_LEASE_MS = 60_000;
export const DEFAULT_ALIVE_MS = 30_000;
export const DEFAULT_EVENTS_LIMIT = 1000;
export const DEFAULT_JOBS_LIMIT = 100;
export const MAX_JOB_ERRORS = 20;
/** the most tasks one claim call hands out */
export const MAX_CLAIM = 1000;
/** transition code of a task whose lease ran out before its worker reported */
export const LEASE_EXPIRED = 'LEASE_EXPIRED';

export interface ResolvedQueueOptions {
  retry: RetryPolicy;
  leaseMs: number;
  now: () => number;
}

function opt(where: string, name: string, message: string): PaniniError {
  return new PaniniError(ErrorCode.OPTION, `${where}: option ${name} ${message}`, { option: name });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function intIn(where: string, name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw opt(where, name, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Checks the options common to every backend (`where` names the queue in messages) against `allowed` keys. */
export function resolveQueueOptions(where: string, options: unknown, allowed: readonly string[]): ResolvedQueueOptions {
  if (options === undefined) options = {};
  if (!isPlainObject(options)) throw opt(where, 'options', 'must be an object');
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k) && !['retry', 'leaseMs', 'now'].includes(k)) {
      throw opt(where, k, `is unknown (allowed: retry, leaseMs, now, ${allowed.join(', ')})`);
    }
  }
  const o = options as QueueOptions;
  const r = o.retry ?? {};
  if (!isPlainObject(r)) throw opt(where, 'retry', 'must be an object');
  for (const k of Object.keys(r)) {
    if (!['maxAttempts', 'baseDelayMs', 'maxDelayMs'].includes(k)) throw opt(where, `retry.${k}`, 'is unknown');
  }
  const retry: RetryPolicy = {
    maxAttempts: intIn(where, 'retry.maxAttempts', r.maxAttempts ?? DEFAULT_RETRY.maxAttempts, 1, 1000),
    baseDelayMs: intIn(where, 'retry.baseDelayMs', r.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs, 0, 86_400_000),
    maxDelayMs: intIn(where, 'retry.maxDelayMs', r.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs, 0, 86_400_000),
  };
  const leaseMs = intIn(where, 'leaseMs', o.leaseMs ?? DEFAULT_LEASE_MS, 1, 86_400_000);
  if (o.now !== undefined && typeof o.now !== 'function') throw opt(where, 'now', 'must be a function returning ms since the epoch');
  return { retry, leaseMs, now: o.now ?? Date.now };
}

/** Delay before attempt `attempt + 1` after attempt `attempt` (1-based) failed: base * 2^(attempt-1), capped. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const d = policy.baseDelayMs * 2 ** Math.max(0, attempt - 1);
  return Math.min(policy.maxDelayMs, Number.isFinite(d) ? d : policy.maxDelayMs);
}

export interface ClaimArgs {
  max: number;
  leaseMs: number;
  kinds: readonly string[] | undefined;
}

export function checkClaimOptions(where: string, workerId: unknown, options: ClaimOptions | undefined, defaultLeaseMs: number): ClaimArgs {
  if (typeof workerId !== 'string' || workerId === '') throw opt(where, 'workerId', 'must be a non-empty string');
  const o = options ?? {};
  if (!isPlainObject(o)) throw opt(where, 'claim options', 'must be an object');
  const max = intIn(where, 'max', o.max ?? 1, 1, MAX_CLAIM);
  const leaseMs = intIn(where, 'leaseMs', o.leaseMs ?? defaultLeaseMs, 1, 86_400_000);
  let kinds: readonly string[] | undefined;
  if (o.kinds !== undefined) {
    if (!Array.isArray(o.kinds) || o.kinds.some((k) => !TASK_KINDS.includes(k))) {
      throw opt(where, 'kinds', `must be a list of task kinds (${TASK_KINDS.join(', ')})`);
    }
    kinds = o.kinds;
  }
  return { max, leaseMs, kinds };
}

export function checkLeaseMs(where: string, leaseMs: unknown, fallback: number): number {
  return intIn(where, 'leaseMs', leaseMs ?? fallback, 1, 86_400_000);
}

export function checkJobSpec(where: string, spec: JobSpec): void {
  if (!isPlainObject(spec)) throw opt(where, 'job spec', 'must be an object');
  if (!JOB_TYPES.includes(spec.type)) throw opt(where, 'type', `must be one of ${JOB_TYPES.join(', ')}, got ${JSON.stringify(spec.type)}`);
  if (!Array.isArray(spec.input) || spec.input.some((s) => typeof s !== 'string')) throw opt(where, 'input', 'must be a list of strings');
  if (!isPlainObject(spec.options)) throw opt(where, 'options', 'must be an object');
  if (typeof spec.store !== 'string' || spec.store === '') throw opt(where, 'store', 'must be a non-empty store location');
  if (spec.label !== undefined && typeof spec.label !== 'string') throw opt(where, 'label', 'must be a string');
}

/** Validates tasks to add: known kinds, sizes, payload objects, keys unique among themselves and not in `existing`. */
export function checkTasks(where: string, tasks: readonly TaskSpec[], existing?: (key: string) => boolean): void {
  if (!Array.isArray(tasks)) throw opt(where, 'tasks', 'must be a list');
  const seen = new Set<string>();
  for (const t of tasks) {
    if (!isPlainObject(t)) throw opt(where, 'task', 'must be an object');
    if (typeof t.key !== 'string' || t.key === '' || t.key.length > 512) throw opt(where, 'task.key', `must be a string of 1 to 512 characters, got ${JSON.stringify(t.key)}`);
    if (seen.has(t.key) || existing?.(t.key)) throw opt(where, 'task.key', `${JSON.stringify(t.key)} is already a task of this job`);
    seen.add(t.key);
    if (!(TASK_KINDS as readonly string[]).includes(t.kind as string)) throw opt(where, 'task.kind', `must be one of ${TASK_KINDS.join(', ')}, got ${JSON.stringify(t.kind)}`);
    if (typeof t.size !== 'number' || !Number.isSafeInteger(t.size) || t.size < 0) throw opt(where, 'task.size', `must be a non-negative integer (task ${t.key})`);
    if (!isPlainObject(t.payload)) throw opt(where, 'task.payload', `must be an object (task ${t.key})`);
  }
}

export function checkResult(where: string, r: TaskResult): void {
  if (!isPlainObject(r)) throw opt(where, 'result', 'must be an object');
  for (const k of ['bytesIn', 'bytesOut'] as const) {
    if (typeof r[k] !== 'number' || !Number.isSafeInteger(r[k]) || r[k] < 0) throw opt(where, `result.${k}`, 'must be a non-negative integer');
  }
  if (r.object !== undefined && typeof r.object !== 'string') throw opt(where, 'result.object', 'must be a string');
  if (r.dhatu !== undefined) {
    if (!isPlainObject(r.dhatu)) throw opt(where, 'result.dhatu', 'must be an object of byte counts');
    for (const [k, v] of Object.entries(r.dhatu)) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw opt(where, `result.dhatu.${k}`, 'must be a non-negative integer');
    }
  }
}

export function checkTaskError(where: string, e: TaskError): void {
  if (!isPlainObject(e)) throw opt(where, 'error', 'must be an object');
  if (typeof e.code !== 'string' || e.code === '') throw opt(where, 'error.code', 'must be a non-empty string');
  if (typeof e.message !== 'string') throw opt(where, 'error.message', 'must be a string');
  if (typeof e.retryable !== 'boolean') throw opt(where, 'error.retryable', 'must be a boolean');
}

export function checkClaim(where: string, c: Claim): void {
  if (!isPlainObject(c) || typeof c.jobId !== 'string' || typeof c.taskKey !== 'string' || typeof c.token !== 'string') {
    throw opt(where, 'claim', 'must be a Claim returned by claim()');
  }
}

export function checkWorkerInfo(where: string, w: { id: string; host: string; pid: number; device: string; concurrency: number }): void {
  if (!isPlainObject(w)) throw opt(where, 'worker', 'must be an object');
  if (typeof w.id !== 'string' || w.id === '') throw opt(where, 'worker.id', 'must be a non-empty string');
  if (typeof w.host !== 'string') throw opt(where, 'worker.host', 'must be a string');
  if (typeof w.device !== 'string') throw opt(where, 'worker.device', 'must be a string');
  intIn(where, 'worker.pid', w.pid, 0, 2 ** 31);
  intIn(where, 'worker.concurrency', w.concurrency, 0, 1_000_000);
}

export function checkLimit(where: string, name: string, v: unknown, fallback: number): number {
  return intIn(where, name, v ?? fallback, 0, Number.MAX_SAFE_INTEGER);
}

export function checkState(where: string, s: unknown): TaskState {
  if (!TASK_STATES.includes(s as TaskState)) throw opt(where, 'state', `must be one of ${TASK_STATES.join(', ')}, got ${JSON.stringify(s)}`);
  return s as TaskState;
}

export function emptyCounts(): Record<TaskState, number> {
  return { pending: 0, queued: 0, running: 0, compressed: 0, verified: 0, failed: 0, cancelled: 0, retrying: 0 };
}

/**
 * The job's state from its counters: pending (nothing enqueued yet), queued (none claimed since it was enqueued or
 * retried), running, and once every task is terminal: cancelled if any was cancelled, else failed if any failed,
 * else verified. A job without tasks is pending, or cancelled once cancelJob was called on it. A job marked failed as
 * a whole (failJob: its preparation failed) is failed.
 */
export function deriveJobState(c: Record<TaskState, number>, started: boolean, cancelledFlag: boolean, failedFlag = false): JobState {
  if (failedFlag) return 'failed';
  const total = TASK_STATES.reduce((s, k) => s + c[k], 0);
  if (total === 0) return cancelledFlag ? 'cancelled' : 'pending';
  const active = c.pending + c.queued + c.running + c.compressed + c.retrying;
  if (active === 0) return c.cancelled > 0 ? 'cancelled' : c.failed > 0 ? 'failed' : 'verified';
  if (c.running + c.compressed > 0 || started) return 'running';
  return c.queued + c.retrying > 0 ? 'queued' : 'pending';
}

export function isTerminalJob(s: JobState): boolean {
  return s === 'verified' || s === 'failed' || s === 'cancelled';
}

export function notFound(where: string, jobId: string): PaniniError {
  return new PaniniError(ErrorCode.NOT_FOUND, `${where}: no job ${JSON.stringify(jobId)}`, { job: jobId });
}

export function closedError(where: string, op: string): PaniniError {
  return new PaniniError(ErrorCode.STATE, `${where}: ${op} called after close()`);
}

/** Wraps a driver error as STORE naming the queue and the operation; PaniniErrors pass through. */
export function storeError(where: string, op: string, cause: unknown): PaniniError {
  if (cause instanceof PaniniError) return cause;
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new PaniniError(ErrorCode.STORE, `${where}: ${op} failed: ${msg}`, { op }, { cause });
}
