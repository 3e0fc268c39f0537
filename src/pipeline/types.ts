/**
 * The asynchronous pipeline's job store: jobs made of tasks, the states they pass through, and the queue interface
 * every backend implements (embedded SQLite, BullMQ on Redis). docs/PIPELINE.md is the specification; the queue
 * conformance suite (test/pipeline/queue-conformance.ts) checks each backend against it.
 *
 * A job is what a user submits (compress a tree, analyze files, run a benchmark, validate a reconstruction); its
 * tasks are the units a worker claims — for a compress job, one task per pending chunk. State machine of a task:
 *
 *   pending ──enqueue──▶ queued ──claim──▶ running ──compressed──▶ compressed ──complete──▶ verified
 *                          ▲                 │  │                      │
 *                          │  (backoff due)  │  └─lease expired / fail─┴──▶ retrying ──▶ queued …
 *                          └──── retrying ◀──┘                              (attempts left)
 *                                                                          failed      (no attempts left, or a
 *                                                                                       non-retryable error)
 *   any non-terminal state ──cancelJob──▶ cancelled;   failed | cancelled ──retryJob──▶ queued (attempts reset)
 *
 * Terminal: verified, failed, cancelled. Every transition is recorded (time, worker id, error code) and gets a
 * sequence number, so a dashboard follows changes with `eventsSince(seq)` instead of scanning.
 *
 * Exactly-once commit: a claim carries a token; `markCompressed`, `complete` and `fail` take effect only while the
 * claim is the task's current one (its lease not yet expired and re-granted, the task not cancelled). A worker whose
 * lease was lost gets `false` back and must not count its result. Results are stored under content-derived keys
 * (docs/PIPELINE.md), so a second worker redoing a task writes the same object: nothing is duplicated.
 */

/** The states of a task, in the order of its normal life. */
export const TASK_STATES = ['pending', 'queued', 'running', 'compressed', 'verified', 'failed', 'cancelled', 'retrying'] as const;
export type TaskState = (typeof TASK_STATES)[number];
export const TERMINAL_TASK_STATES: readonly TaskState[] = ['verified', 'failed', 'cancelled'];

/**
 * The state of a job, derived from its tasks: pending (nothing enqueued yet), queued (none claimed yet), running,
 * verified (every task verified), failed (every task terminal, at least one failed), cancelled.
 */
export const JOB_STATES = ['pending', 'queued', 'running', 'verified', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const JOB_TYPES = ['compress', 'analyze', 'benchmark', 'validate', 'assemble'] as const;
export type JobType = (typeof JOB_TYPES)[number];

/** What a task asks a worker to do (src/pipeline/tasks.ts runs each kind). */
export const TASK_KINDS = ['compress-chunk', 'analyze', 'benchmark', 'validate', 'assemble'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** JSON-safe values only: payloads, options and results go through JSON in every backend. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface JobSpec {
  type: JobType;
  /** input locations as the user gave them (paths on the server's machine, store URLs) */
  input: string[];
  /** the job's options, already validated for its type */
  options: { [key: string]: Json };
  /** where results land: a store location (`local:/dir`, `s3://…`) holding chunks/ results/ jobs/ */
  store: string;
  /** free text shown on the dashboard */
  label?: string;
}

export interface TaskSpec {
  /** unique within its job (a compress job uses the chunk index, zero-padded) */
  key: string;
  kind: TaskKind;
  /** input bytes the task covers (for progress and throughput) */
  size: number;
  payload: { [key: string]: Json };
}

export interface RetryPolicy {
  /** attempts in all, first one included (default 3) */
  maxAttempts: number;
  /** delay before attempt n+1 is base * 2^(n-1), capped at maxDelayMs (default 1000 / 60000) */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000 };

export interface ClaimOptions {
  /** most tasks handed out by this call (default 1) */
  max?: number;
  /** how long the claim holds without an `extend` (default 60 000 ms); afterwards the task is re-queued */
  leaseMs?: number;
  /** only tasks of these kinds */
  kinds?: readonly TaskKind[];
}

export interface Claim {
  jobId: string;
  taskKey: string;
  kind: TaskKind;
  size: number;
  payload: { [key: string]: Json };
  /** the job's options and store, so a worker needs no second lookup */
  options: { [key: string]: Json };
  store: string;
  /** 1 for the first attempt */
  attempt: number;
  workerId: string;
  /** opaque; identifies this grant of the task */
  token: string;
  /** ms since the epoch */
  leaseUntil: number;
}

/** What a worker reports for a verified task. */
export interface TaskResult {
  bytesIn: number;
  bytesOut: number;
  /** store key of the result object, when the task wrote one */
  object?: string;
  /** bytes each dhātu primitive handled (Inspection.dhatu), summed into the job's distribution */
  dhatu?: { [primitive: string]: number };
  /** anything else the task kind reports (analysis, benchmark summary) */
  data?: Json;
}

export interface TaskError {
  /** a PaniniError code, or INTERNAL */
  code: string;
  message: string;
  /** false: fail now, whatever attempts are left (bad input, wrong options) */
  retryable: boolean;
}

export interface TaskInfo {
  jobId: string;
  key: string;
  kind: TaskKind;
  state: TaskState;
  size: number;
  attempt: number;
  workerId?: string;
  result?: TaskResult;
  error?: { code: string; message: string };
  updatedAt: number;
}

export interface Transition {
  /** increasing across the whole queue */
  seq: number;
  at: number;
  jobId: string;
  /** absent for job-level events (created, cancelled, retried) */
  taskKey?: string;
  from?: TaskState | JobState;
  to: TaskState | JobState;
  workerId?: string;
  code?: string;
  message?: string;
}

export interface JobStatus {
  id: string;
  type: JobType;
  state: JobState;
  label?: string;
  input: string[];
  options: { [key: string]: Json };
  store: string;
  createdAt: number;
  updatedAt: number;
  /** when the first task was claimed / the last task became terminal */
  startedAt?: number;
  finishedAt?: number;
  total: number;
  counts: Record<TaskState, number>;
  /** input bytes of all tasks, and of verified tasks */
  bytesTotal: number;
  bytesIn: number;
  /** output bytes of verified tasks */
  bytesOut: number;
  /** bytesOut / bytesIn of the verified tasks (0 before any) */
  ratio: number;
  /** summed over verified tasks */
  dhatu: { [primitive: string]: number };
  /** the first failures (at most 20), newest last */
  errors: { taskKey: string; code: string; message: string; at: number }[];
}

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  device: string;
  concurrency: number;
  startedAt: number;
  lastSeen: number;
  /** tasks verified by this worker */
  done: number;
}

export interface JobQueue {
  /** `sqlite:/path/queue.sqlite`, `redis://host:port/db` */
  readonly location: string;
  /** Creates a job in state pending with its tasks (more may be added with addTasks before enqueue). Returns its id. */
  createJob(spec: JobSpec, tasks?: readonly TaskSpec[]): Promise<string>;
  addTasks(jobId: string, tasks: readonly TaskSpec[]): Promise<void>;
  /** pending → queued for the job's pending tasks. */
  enqueue(jobId: string): Promise<void>;
  /** Hands out queued tasks (and retrying ones whose backoff is over; expired leases are re-queued first), oldest job first. */
  claim(workerId: string, options?: ClaimOptions): Promise<Claim[]>;
  /** Extends the lease; false when the claim is no longer current (expired and re-granted, cancelled). */
  extend(claim: Claim, leaseMs?: number): Promise<boolean>;
  /** running → compressed; false when the claim is no longer current. */
  markCompressed(claim: Claim): Promise<boolean>;
  /** running|compressed → verified, once; false when the claim is no longer current (the result is not counted). */
  complete(claim: Claim, result: TaskResult): Promise<boolean>;
  /** → retrying (attempts left and retryable, after backoff) or failed; false when the claim is no longer current. */
  fail(claim: Claim, error: TaskError): Promise<boolean>;
  cancelJob(jobId: string): Promise<void>;
  /**
   * Marks the job failed as a whole (its preparation failed: chunking the input, reading a recipe): its non-terminal
   * tasks are cancelled, the job's state is failed and the error is recorded (JobStatus.errors, a job-level transition).
   */
  failJob(jobId: string, error: { code: string; message: string }): Promise<void>;
  /** failed and cancelled tasks → queued, attempts reset. */
  retryJob(jobId: string): Promise<void>;
  job(jobId: string): Promise<JobStatus | undefined>;
  /** newest first */
  jobs(options?: { limit?: number }): Promise<JobStatus[]>;
  tasks(jobId: string, options?: { state?: TaskState; limit?: number; offset?: number }): Promise<TaskInfo[]>;
  /** transitions with seq > since, oldest first (at most limit, default 1000) */
  eventsSince(since: number, options?: { limit?: number; jobId?: string }): Promise<Transition[]>;
  registerWorker(info: Omit<WorkerInfo, 'lastSeen' | 'done' | 'startedAt'>): Promise<void>;
  heartbeat(workerId: string): Promise<void>;
  unregisterWorker(workerId: string): Promise<void>;
  /** workers seen within the last `aliveMs` (default 30 000) */
  workers(options?: { aliveMs?: number }): Promise<WorkerInfo[]>;
  close(): Promise<void>;
}

/** Options every JobQueue backend takes (backends add their own). */
export interface QueueOptions {
  /** retry policy of every task; missing fields take DEFAULT_RETRY's */
  retry?: Partial<RetryPolicy>;
  /** lease of a claim or an extend that gives none (default 60 000 ms) */
  leaseMs?: number;
  /** the clock, ms since the epoch (default Date.now); tests move it instead of sleeping */
  now?: () => number;
}
