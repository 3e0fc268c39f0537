/**
 * The distributed job queue: BullMQ on Redis. BullMQ delivers the tasks (one BullMQ job per task, id
 * `${jobId}/${taskKey}` (BullMQ refuses `:` in ids), in its wait / delayed / active sets), locks them (our lease is its lock, plus a margin),
 * retries them with its attempts and backoff, and returns a dead worker's task to wait through its stalled-job check.
 * What BullMQ does not keep lives in our own keys under the same prefix and changes only inside small Lua scripts,
 * one per operation, so a state, its counters and its transition record move together: the task hashes (state,
 * attempt, token, lease), per-job hashes with counters per state, bytes and the dhātu distribution, the transition
 * log (INCR seq, sorted sets by seq), the workers hash, and cancellation. Our task state is the arbiter: a task BullMQ
 * delivers is granted only if our state says it is due, and whatever BullMQ still holds for a task that moved on is
 * settled when it is next seen. Keys and rules: docs/PIPELINE.md "Queues".
 *
 * bullmq and ioredis are optional peer dependencies, loaded on first use; without them, opening a redis:// queue
 * fails with UNSUPPORTED saying which packages to install.
 */
import { randomUUID } from 'node:crypto';
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
  emptyCounts,
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
  type JobQueue,
  type JobSpec,
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

type BullMQ = typeof import('bullmq');
type IORedisModule = typeof import('ioredis');
type Redis = import('ioredis').Redis;
type BullQueue = import('bullmq').Queue;
type BullWorker = import('bullmq').Worker;
type BullJob = import('bullmq').Job;

export interface RedisQueueOptions extends QueueOptions {
  /** key prefix (default: the location's `?prefix=`, else `panini`); letters, digits, `_ . -` */
  prefix?: string;
  /** how often BullMQ looks for tasks whose lock ran out (a dead worker's) and puts them back (default 30 000 ms) */
  stalledIntervalMs?: number;
  /** BullMQ's lock on a task lasts the lease plus this margin, so the lease always ends first (default 5000 ms) */
  lockMarginMs?: number;
  /** how long to wait for the server when opening (default 10 000 ms) */
  connectTimeoutMs?: number;
}

let sdkPromise: Promise<{ bullmq: BullMQ; IORedis: IORedisModule['Redis'] }> | undefined;

function loadSdk(): Promise<{ bullmq: BullMQ; IORedis: IORedisModule['Redis'] }> {
  sdkPromise ??= (async () => {
    try {
      const [bullmq, ioredis] = await Promise.all([import('bullmq'), import('ioredis')]);
      return { bullmq, IORedis: ioredis.Redis };
    } catch (cause) {
      sdkPromise = undefined;
      throw new PaniniError(
        ErrorCode.UNSUPPORTED,
        `Redis queue: bullmq and ioredis are not installed; install bullmq and ioredis (the optional peer dependencies): npm install bullmq ioredis (${
          cause instanceof Error ? cause.message : String(cause)
        })`,
        { option: 'location' },
        { cause },
      );
    }
  })();
  return sdkPromise;
}

export interface RedisLocation {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  prefix: string;
}

const PREFIX = /^[A-Za-z0-9_.-]{1,64}$/;

/** Parses `redis://[user:password@]host[:port][/db][?prefix=NAME]` (or `rediss://` for TLS). */
export function parseRedisLocation(location: string, prefixOption?: string): RedisLocation {
  const bad = (why: string) => new PaniniError(ErrorCode.OPTION, `Redis queue: location ${JSON.stringify(location)} ${why}`, { option: 'location' });
  let u: URL;
  try {
    u = new URL(location);
  } catch {
    throw bad('is not a redis://host:port/db URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad('must start with redis:// or rediss://');
  if (!u.hostname) throw bad('has no host');
  const port = u.port ? Number(u.port) : 6379;
  const dbPart = u.pathname.replace(/^\//, '');
  if (dbPart !== '' && !/^\d{1,2}$/.test(dbPart)) throw bad('has a database that is not a number from 0 to 99');
  for (const k of u.searchParams.keys()) if (k !== 'prefix') throw bad(`has an unknown parameter ${JSON.stringify(k)} (only prefix)`);
  const prefix = prefixOption ?? u.searchParams.get('prefix') ?? 'panini';
  if (!PREFIX.test(prefix)) throw bad(`has a prefix ${JSON.stringify(prefix)} that is not 1 to 64 letters, digits, _ . -`);
  const loc: RedisLocation = { host: u.hostname.replace(/^\[|\]$/g, ''), port, db: dbPart === '' ? 0 : Number(dbPart), tls: u.protocol === 'rediss:', prefix };
  if (u.username) loc.username = decodeURIComponent(u.username);
  if (u.password) loc.password = decodeURIComponent(u.password);
  return loc;
}

// ---- Lua ---------------------------------------------------------------------------------------------------------
// ARGV[1] is the prefix P in every script. Keys: P:job:J (hash), P:jobs (zset), P:task:J:K (hash), P:tasks:J (zset by
// insertion index), P:ts:J:STATE (zset by insertion index), P:leases (zset by lease end, member J:K), P:seq,
// P:events and P:events:J (zset by seq, member = the transition as JSON), P:errors:J (list), P:workers (hash id →
// JSON), P:workers:seen, P:workers:done (hash id → number). Scripts touch keys they compute, so a single Redis server
// (or one shard) holds a queue.

const LIB = `
  local P = ARGV[1]
  local TERMINAL = {verified = true, failed = true, cancelled = true}
  local function jkey(j) return P .. ':job:' .. j end
  local function tkey(j, k) return P .. ':task:' .. j .. ':' .. k end
  local function record(now, j, k, from, to, w, code, msg)
    local seq = redis.call('INCR', P .. ':seq')
    local e = {seq = seq, at = now, jobId = j, to = to}
    if k then e.taskKey = k end
    if from then e.from = from end
    if w then e.workerId = w end
    if code then e.code = code end
    if msg then e.message = msg end
    local s = cjson.encode(e)
    redis.call('ZADD', P .. ':events', seq, s)
    redis.call('ZADD', P .. ':events:' .. j, seq, s)
  end
  local function move(j, k, idx, from, to)
    local jk = jkey(j)
    redis.call('HINCRBY', jk, 'n:' .. from, -1)
    redis.call('HINCRBY', jk, 'n:' .. to, 1)
    redis.call('ZREM', P .. ':ts:' .. j .. ':' .. from, k)
    redis.call('ZADD', P .. ':ts:' .. j .. ':' .. to, idx, k)
  end
  local function addError(j, k, code, msg, now)
    local ek = P .. ':errors:' .. j
    if redis.call('LLEN', ek) < ${MAX_JOB_ERRORS} then
      redis.call('RPUSH', ek, cjson.encode({taskKey = k, code = code, message = msg, at = now}))
    end
  end
  local function derive(j, now)
    local jk = jkey(j)
    local v = redis.call('HMGET', jk, 'n:pending', 'n:queued', 'n:running', 'n:compressed', 'n:verified', 'n:failed', 'n:cancelled', 'n:retrying', 'startedAt', 'cancelled', 'state', 'finishedAt', 'failed')
    local c = {}
    local total = 0
    for i = 1, 8 do c[i] = tonumber(v[i]) or 0; total = total + c[i] end
    local nxt
    if v[13] == '1' then
      nxt = 'failed'
    elseif total == 0 then
      if v[10] == '1' then nxt = 'cancelled' else nxt = 'pending' end
    elseif c[1] + c[2] + c[3] + c[4] + c[8] == 0 then
      if c[7] > 0 then nxt = 'cancelled' elseif c[6] > 0 then nxt = 'failed' else nxt = 'verified' end
    elseif c[3] + c[4] > 0 or v[9] then
      nxt = 'running'
    elseif c[2] + c[8] > 0 then
      nxt = 'queued'
    else
      nxt = 'pending'
    end
    if nxt ~= v[11] then
      redis.call('HSET', jk, 'state', nxt, 'updatedAt', now)
      if TERMINAL[nxt] then
        if not v[12] then redis.call('HSET', jk, 'finishedAt', now) end
      else
        redis.call('HDEL', jk, 'finishedAt')
      end
      record(now, j, false, v[11] or false, nxt, false, false, false)
    end
  end
  local function backoff(attempt, base, cap)
    local d = base * (2 ^ (attempt - 1))
    if d > cap then d = cap end
    return d
  end
  -- a task leaves running|compressed on a failure: retrying (attempts left, retryable) or failed
  local function leave(j, k, now, code, msg, retryable, maxAttempts, base, cap)
    local t = tkey(j, k)
    local f = redis.call('HMGET', t, 'state', 'attempt', 'idx', 'worker')
    local attempt = tonumber(f[2])
    local to = 'failed'
    local at = 0
    if retryable and attempt < maxAttempts then
      to = 'retrying'
      at = now + backoff(attempt, base, cap)
      redis.call('HSET', t, 'availableAt', at)
    end
    redis.call('HSET', t, 'state', to, 'ecode', code, 'emsg', msg, 'updatedAt', now)
    redis.call('HDEL', t, 'token', 'leaseUntil')
    redis.call('ZREM', P .. ':leases', j .. ':' .. k)
    move(j, k, tonumber(f[3]), f[1], to)
    redis.call('HSET', jkey(j), 'updatedAt', now)
    record(now, j, k, f[1], to, f[4] or false, code, msg)
    addError(j, k, code, msg, now)
    return {to, at, attempt}
  end
  -- the task hash fields of a current claim, or false
  local function current(j, k, token, now)
    local t = tkey(j, k)
    local f = redis.call('HMGET', t, 'state', 'token', 'leaseUntil')
    if (f[1] == 'running' or f[1] == 'compressed') and f[2] == token and tonumber(f[3]) >= now then return f[1] end
    return false
  end
`;

const SCRIPTS = {
  // ARGV: P, jobId, now, type, label ('' = none), input, options, store
  createJob: `
  local j = ARGV[2]
  local now = tonumber(ARGV[3])
  local jk = jkey(j)
  if redis.call('EXISTS', jk) == 1 then return redis.error_reply('job exists') end
  local n = redis.call('INCR', P .. ':jobseq')
  redis.call('HSET', jk, 'type', ARGV[4], 'input', ARGV[6], 'options', ARGV[7], 'store', ARGV[8], 'state', 'pending', 'cancelled', '0',
    'createdAt', now, 'updatedAt', now, 'ntask', 0, 'bytesTotal', 0, 'bytesIn', 0, 'bytesOut', 0,
    'n:pending', 0, 'n:queued', 0, 'n:running', 0, 'n:compressed', 0, 'n:verified', 0, 'n:failed', 0, 'n:cancelled', 0, 'n:retrying', 0)
  if ARGV[5] ~= '' then redis.call('HSET', jk, 'label', ARGV[5]) end
  redis.call('ZADD', P .. ':jobs', n, j)
  record(now, j, false, false, 'pending', false, false, false)
  return 1`,
  // ARGV: P, jobId, now, then (key, kind, size, payload) per task
  addTasks: `
  local j = ARGV[2]
  local now = tonumber(ARGV[3])
  local jk = jkey(j)
  if redis.call('EXISTS', jk) == 0 then return 'NOT_FOUND' end
  if redis.call('HGET', jk, 'state') == 'cancelled' then return 'CANCELLED' end
  for i = 4, #ARGV, 4 do
    if redis.call('EXISTS', tkey(j, ARGV[i])) == 1 then return 'EXISTS:' .. ARGV[i] end
  end
  local bytes = 0
  local n = 0
  for i = 4, #ARGV, 4 do
    local k = ARGV[i]
    local idx = redis.call('HINCRBY', jk, 'ntask', 1)
    redis.call('HSET', tkey(j, k), 'kind', ARGV[i + 1], 'size', ARGV[i + 2], 'payload', ARGV[i + 3], 'state', 'pending', 'attempt', 0, 'idx', idx, 'updatedAt', now)
    redis.call('ZADD', P .. ':tasks:' .. j, idx, k)
    redis.call('ZADD', P .. ':ts:' .. j .. ':pending', idx, k)
    bytes = bytes + tonumber(ARGV[i + 2])
    n = n + 1
  end
  redis.call('HINCRBY', jk, 'n:pending', n)
  redis.call('HINCRBY', jk, 'bytesTotal', bytes)
  redis.call('HSET', jk, 'updatedAt', now)
  derive(j, now)
  return 'OK'`,
  // ARGV: P, jobId, now, limit, fromStates (comma list), to, code ('' = none), resetAttempts ('1'), and flag field ('' = none)
  // moves up to `limit` tasks of the job in the given states to `to`; returns {moved keys..., with their former states}
  bulkMove: `
  local j = ARGV[2]
  local now = tonumber(ARGV[3])
  local limit = tonumber(ARGV[4])
  local to = ARGV[6]
  local code = ARGV[7]
  if code == '' then code = false end
  local jk = jkey(j)
  if redis.call('EXISTS', jk) == 0 then return redis.error_reply('NOT_FOUND') end
  local out = {}
  for from in string.gmatch(ARGV[5], '[^,]+') do
    if #out >= limit * 2 then break end
    local keys = redis.call('ZRANGE', P .. ':ts:' .. j .. ':' .. from, 0, limit - #out / 2 - 1, 'WITHSCORES')
    for i = 1, #keys, 2 do
      local k = keys[i]
      local t = tkey(j, k)
      local w = redis.call('HGET', t, 'worker')
      redis.call('HSET', t, 'state', to, 'updatedAt', now)
      redis.call('HDEL', t, 'token', 'leaseUntil')
      redis.call('ZREM', P .. ':leases', j .. ':' .. k)
      if to == 'queued' then redis.call('HSET', t, 'availableAt', now) end
      if ARGV[8] == '1' then
        redis.call('HSET', t, 'attempt', 0)
        redis.call('HDEL', t, 'ecode', 'emsg')
      end
      move(j, k, tonumber(keys[i + 1]), from, to)
      record(now, j, k, from, to, w or false, code, false)
      out[#out + 1] = k
      out[#out + 1] = from
    end
  end
  redis.call('HSET', jk, 'updatedAt', now)
  derive(j, now)
  return out`,
  // ARGV: P, jobId, now, what ('cancel' | 'fail' | 'uncancel' | 'retry': uncancel, unfail and forget start and end)
  jobFlag: `
  local j = ARGV[2]
  local now = tonumber(ARGV[3])
  local jk = jkey(j)
  if redis.call('EXISTS', jk) == 0 then return redis.error_reply('NOT_FOUND') end
  if ARGV[4] == 'cancel' then redis.call('HSET', jk, 'cancelled', '1') end
  if ARGV[4] == 'fail' then redis.call('HSET', jk, 'failed', '1') end
  if ARGV[4] == 'uncancel' then redis.call('HSET', jk, 'cancelled', '0', 'failed', '0') end
  if ARGV[4] == 'retry' then
    redis.call('HSET', jk, 'cancelled', '0', 'failed', '0')
    redis.call('HDEL', jk, 'startedAt', 'finishedAt')
  end
  redis.call('HSET', jk, 'updatedAt', now)
  derive(j, now)
  return 1`,
  // ARGV: P, now, maxAttempts, base, cap; returns flat {id, token, to, availableAt, attempt, ...}
  reap: `
  local now = tonumber(ARGV[2])
  local ids = redis.call('ZRANGEBYSCORE', P .. ':leases', '-inf', '(' .. now, 'LIMIT', 0, 1000)
  local out = {}
  local touched = {}
  for _, id in ipairs(ids) do
    local j, k = string.match(id, '^([^:]+):(.*)$')
    local f = redis.call('HMGET', tkey(j, k), 'state', 'token', 'leaseUntil', 'worker', 'attempt')
    redis.call('ZREM', P .. ':leases', id)
    if (f[1] == 'running' or f[1] == 'compressed') and tonumber(f[3]) < now then
      local msg = 'lease of worker ' .. (f[4] or '?') .. ' ran out (attempt ' .. f[5] .. ')'
      local r = leave(j, k, now, '${LEASE_EXPIRED}', msg, true, tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]))
      out[#out + 1] = id
      out[#out + 1] = f[2]
      out[#out + 1] = r[1]
      out[#out + 1] = tostring(r[2])
      out[#out + 1] = tostring(r[3])
      touched[j] = true
    end
  end
  for j in pairs(touched) do derive(j, now) end
  return out`,
  // ARGV: P, jobId, key, token, now, leaseUntil, workerId, kinds (comma list, '' = all)
  grant: `
  local j, k = ARGV[2], ARGV[3]
  local id = j .. ':' .. k
  local now = tonumber(ARGV[5])
  local t = tkey(j, k)
  local s = redis.call('HMGET', t, 'state', 'kind', 'availableAt', 'leaseUntil', 'idx', 'size', 'payload')
  local state = s[1]
  if not state then return {'gone'} end
  if TERMINAL[state] then return {'terminal', state} end
  if state == 'pending' then return {'later', tostring(now + 1000)} end
  if state == 'running' or state == 'compressed' then
    local lu = tonumber(s[4]) or now
    if lu < now then lu = now end
    return {'later', tostring(lu + 1)}
  end
  if ARGV[8] ~= '' and not string.find(',' .. ARGV[8] .. ',', ',' .. s[2] .. ',', 1, true) then return {'kind'} end
  local idx = tonumber(s[5])
  if state == 'retrying' then
    local at = tonumber(s[3]) or 0
    if at > now then return {'later', tostring(at)} end
    move(j, k, idx, 'retrying', 'queued')
    record(now, j, k, 'retrying', 'queued', false, false, false)
  end
  local w = ARGV[7]
  local attempt = redis.call('HINCRBY', t, 'attempt', 1)
  redis.call('HSET', t, 'state', 'running', 'token', ARGV[4], 'leaseUntil', ARGV[6], 'worker', w, 'updatedAt', now)
  redis.call('HDEL', t, 'ecode', 'emsg')
  move(j, k, idx, 'queued', 'running')
  redis.call('ZADD', P .. ':leases', ARGV[6], id)
  record(now, j, k, 'queued', 'running', w, false, false)
  local jk = jkey(j)
  if not redis.call('HGET', jk, 'startedAt') then redis.call('HSET', jk, 'startedAt', now) end
  redis.call('HSET', jk, 'updatedAt', now)
  derive(j, now)
  if redis.call('HEXISTS', P .. ':workers', w) == 1 then redis.call('HSET', P .. ':workers:seen', w, now) end
  local jf = redis.call('HMGET', jk, 'options', 'store')
  return {'ok', s[2], s[6], s[7], jf[1], jf[2], tostring(attempt)}`,
  // ARGV: P, jobId, key, token, now, leaseUntil
  extend: `
  local j, k = ARGV[2], ARGV[3]
  local now = tonumber(ARGV[5])
  if not current(j, k, ARGV[4], now) then return 0 end
  redis.call('HSET', tkey(j, k), 'leaseUntil', ARGV[6], 'updatedAt', now)
  redis.call('ZADD', P .. ':leases', ARGV[6], j .. ':' .. k)
  return 1`,
  // ARGV: P, jobId, key, token, now
  markCompressed: `
  local j, k = ARGV[2], ARGV[3]
  local now = tonumber(ARGV[5])
  if current(j, k, ARGV[4], now) ~= 'running' then return 0 end
  local t = tkey(j, k)
  local f = redis.call('HMGET', t, 'idx', 'worker')
  redis.call('HSET', t, 'state', 'compressed', 'updatedAt', now)
  move(j, k, tonumber(f[1]), 'running', 'compressed')
  redis.call('HSET', jkey(j), 'updatedAt', now)
  record(now, j, k, 'running', 'compressed', f[2] or false, false, false)
  return 1`,
  // ARGV: P, jobId, key, token, now, result JSON, bytesIn, bytesOut, then (primitive, bytes) pairs
  complete: `
  local j, k = ARGV[2], ARGV[3]
  local now = tonumber(ARGV[5])
  local from = current(j, k, ARGV[4], now)
  if not from then return 0 end
  local t = tkey(j, k)
  local f = redis.call('HMGET', t, 'idx', 'worker')
  redis.call('HSET', t, 'state', 'verified', 'result', ARGV[6], 'updatedAt', now)
  redis.call('HDEL', t, 'token', 'leaseUntil')
  redis.call('ZREM', P .. ':leases', j .. ':' .. k)
  move(j, k, tonumber(f[1]), from, 'verified')
  local jk = jkey(j)
  redis.call('HINCRBY', jk, 'bytesIn', ARGV[7])
  redis.call('HINCRBY', jk, 'bytesOut', ARGV[8])
  for i = 9, #ARGV, 2 do redis.call('HINCRBY', jk, 'd:' .. ARGV[i], ARGV[i + 1]) end
  redis.call('HSET', jk, 'updatedAt', now)
  local w = f[2]
  if w and redis.call('HEXISTS', P .. ':workers', w) == 1 then
    redis.call('HINCRBY', P .. ':workers:done', w, 1)
    redis.call('HSET', P .. ':workers:seen', w, now)
  end
  record(now, j, k, from, 'verified', w or false, false, false)
  derive(j, now)
  return 1`,
  // ARGV: P, jobId, key, token, now, code, message, retryable ('1'), maxAttempts, base, cap
  fail: `
  local j, k = ARGV[2], ARGV[3]
  local now = tonumber(ARGV[5])
  if not current(j, k, ARGV[4], now) then return {'0'} end
  local r = leave(j, k, now, ARGV[6], ARGV[7], ARGV[8] == '1', tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]))
  derive(j, now)
  return {r[1], tostring(r[2]), tostring(r[3])}`,
  // ARGV: P, jobId, key; the task's state and availableAt
  taskState: `
  local f = redis.call('HMGET', tkey(ARGV[2], ARGV[3]), 'state', 'availableAt')
  return {f[1] or '', f[2] or ''}`,
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Scripted = Redis & { [K in ScriptName]: (...args: (string | number)[]) => Promise<unknown> };

const ENQUEUE_BATCH = 1000;

/** BullMQ's id of a task: `${jobId}/${taskKey}`, with ':' (which BullMQ refuses in ids) and '%' %-escaped in the key. */
export function bullId(jobId: string, key: string): string {
  return `${jobId}/${key.replace(/%/g, '%25').replace(/:/g, '%3A')}`;
}
const OWN_OPTIONS = ['prefix', 'stalledIntervalMs', 'lockMarginMs', 'connectTimeoutMs'];

function int(where: string, name: string, v: unknown, fallback: number, min: number, max: number): number {
  const x = v ?? fallback;
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min || x > max) {
    throw new PaniniError(ErrorCode.OPTION, `${where}: option ${name} must be an integer from ${min} to ${max}`, { option: name });
  }
  return x;
}

export class RedisQueue implements JobQueue {
  readonly location: string;
  readonly prefix: string;
  private readonly where: string;
  private readonly opts: ResolvedQueueOptions;
  private readonly lockMarginMs: number;
  private closed = false;
  /** BullMQ jobs this instance fetched, by BullMQ id, until they are settled */
  private readonly held = new Map<string, BullJob>();

  private constructor(
    location: string,
    prefix: string,
    opts: ResolvedQueueOptions,
    lockMarginMs: number,
    private readonly sdk: BullMQ,
    private readonly redis: Scripted,
    private readonly queue: BullQueue,
    private readonly worker: BullWorker,
  ) {
    this.location = location;
    this.prefix = prefix;
    this.where = `Redis queue ${location}`;
    this.opts = opts;
    this.lockMarginMs = lockMarginMs;
  }

  /** Connects to the server at `location` (redis://host:port/db[?prefix=NAME]). */
  static async open(location: string, options: RedisQueueOptions = {}): Promise<RedisQueue> {
    const loc = parseRedisLocation(location, options.prefix);
    const shown = `${location.replace(/\/\/[^@/]*@/, '//')}`;
    const where = `Redis queue ${shown}`;
    const own = Object.fromEntries(Object.entries(options).filter(([k]) => k !== 'busyTimeoutMs')) as RedisQueueOptions;
    const opts = resolveQueueOptions(where, own, OWN_OPTIONS);
    const stalledIntervalMs = int(where, 'stalledIntervalMs', options.stalledIntervalMs, 30_000, 10, 3_600_000);
    const lockMarginMs = int(where, 'lockMarginMs', options.lockMarginMs, 5000, 0, 3_600_000);
    const connectTimeoutMs = int(where, 'connectTimeoutMs', options.connectTimeoutMs, 10_000, 1, 600_000);
    const { bullmq, IORedis } = await loadSdk();
    const connection = {
      host: loc.host,
      port: loc.port,
      db: loc.db,
      ...(loc.username !== undefined ? { username: loc.username } : {}),
      ...(loc.password !== undefined ? { password: loc.password } : {}),
      ...(loc.tls ? { tls: {} } : {}),
    };
    const redis = new IORedis({ ...connection, lazyConnect: true, maxRetriesPerRequest: 3, connectTimeout: connectTimeoutMs }) as Scripted;
    redis.on('error', () => {}); // reported through the failing command
    try {
      await redis.connect();
      await redis.ping();
    } catch (e) {
      redis.disconnect();
      throw storeError(where, 'connect', e);
    }
    for (const [name, body] of Object.entries(SCRIPTS)) redis.defineCommand(name, { numberOfKeys: 0, lua: LIB + body });
    const bullOpts = { connection: { ...connection, maxRetriesPerRequest: null }, prefix: loc.prefix };
    const queue = new bullmq.Queue(loc.prefix, bullOpts);
    queue.on('error', () => {});
    const worker = new bullmq.Worker(loc.prefix, null, {
      ...bullOpts,
      autorun: false,
      lockDuration: opts.leaseMs + lockMarginMs,
      stalledInterval: stalledIntervalMs,
      // our attempts decide when a task fails; BullMQ must never fail a task for stalling
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      settings: { backoffStrategy: (attemptsMade: number) => backoffMs(opts.retry, attemptsMade) },
    });
    worker.on('error', () => {});
    try {
      await queue.waitUntilReady();
      await worker.waitUntilReady();
      await worker.startStalledCheckTimer();
    } catch (e) {
      await Promise.allSettled([worker.close(true), queue.close()]);
      redis.disconnect();
      throw storeError(where, 'connect', e);
    }
    return new RedisQueue(shown, loc.prefix, opts, lockMarginMs, bullmq, redis, queue, worker);
  }

  // ---- plumbing ----------------------------------------------------------------------------------------------

  private async run<T>(op: string, f: (now: number) => Promise<T>): Promise<T> {
    if (this.closed) throw closedError(this.where, op);
    try {
      return await f(this.opts.now());
    } catch (e) {
      throw storeError(this.where, op, e);
    }
  }

  private k(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  private async mustJob(jobId: string): Promise<void> {
    if (typeof jobId !== 'string' || jobId.includes(':') || (await this.redis.exists(this.k('job', jobId))) === 0) throw notFound(this.where, String(jobId));
  }

  private bullJobs(jobId: string, keys: readonly string[]) {
    const { maxAttempts } = this.opts.retry;
    return keys.map((key) => ({
      name: 'task',
      data: { jobId, key },
      opts: { jobId: bullId(jobId, key), attempts: maxAttempts, backoff: { type: 'panini' }, removeOnComplete: true, removeOnFail: true },
    }));
  }

  /** Keeps a fetched BullMQ job for the claim's later calls (the oldest are dropped past 10 000: refetched if needed). */
  private hold(job: BullJob): void {
    this.held.set(job.id!, job);
    if (this.held.size > 10_000) this.held.delete(this.held.keys().next().value!);
  }

  private async bullJob(id: string): Promise<BullJob | undefined> {
    return this.held.get(id) ?? (await this.sdk.Job.fromId(this.worker, id));
  }

  /**
   * Brings BullMQ's copy of a task in line with our state, for a BullMQ job held under `token` (ignored when that
   * token no longer holds it: BullMQ then returns it through its stalled check, and the next delivery settles it).
   */
  private async settle(id: string, token: string, state: string, availableAt: number, message = state): Promise<void> {
    try {
      const job = await this.bullJob(id);
      this.held.delete(id);
      if (!job) return;
      if (state === 'verified' || state === 'gone') await job.moveToCompleted(null, token, false);
      else if (state === 'failed' || state === 'cancelled') await job.moveToFailed(new this.sdk.UnrecoverableError(message), token, false);
      else if (state === 'queued' || state === 'pending' || state === 'retrying') await job.moveToDelayed(Math.max(availableAt, Date.now()), token);
    } catch {
      // the lock is not this token's any more; see above
    }
  }

  /** BullMQ side of a task that went to retrying or failed: its attempts and backoff when they agree with ours. */
  private async leaveBull(id: string, token: string, to: string, availableAt: number, attempt: number, message: string): Promise<void> {
    try {
      const job = await this.bullJob(id);
      this.held.delete(id);
      if (!job) return;
      if (to === 'failed') await job.moveToFailed(new this.sdk.UnrecoverableError(message), token, false);
      else if (job.attemptsMade + 1 === attempt && job.opts.attempts === this.opts.retry.maxAttempts) await job.moveToFailed(new Error(message), token, false);
      else await job.moveToDelayed(availableAt, token);
    } catch {
      // lock lost: BullMQ's stalled check returns the job to wait, and its next delivery is held back until due
    }
  }

  private async reap(now: number): Promise<void> {
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.opts.retry;
    const r = (await this.redis.reap(this.prefix, now, maxAttempts, baseDelayMs, maxDelayMs)) as string[];
    const moves: Promise<void>[] = [];
    for (let i = 0; i < r.length; i += 5) {
      const sep = r[i]!.indexOf(':');
      moves.push(this.leaveBull(bullId(r[i]!.slice(0, sep), r[i]!.slice(sep + 1)), r[i + 1]!, r[i + 2]!, Number(r[i + 3]), Number(r[i + 4]), `${LEASE_EXPIRED}: lease ran out`));
    }
    await Promise.all(moves);
  }

  // ---- jobs and tasks ----------------------------------------------------------------------------------------

  createJob(spec: JobSpec, tasks: readonly TaskSpec[] = []): Promise<string> {
    return this.run('createJob', async (now) => {
      checkJobSpec(this.where, spec);
      checkTasks(this.where, tasks);
      const id = randomUUID();
      await this.redis.createJob(this.prefix, id, now, spec.type, spec.label ?? '', JSON.stringify(spec.input), JSON.stringify(spec.options), spec.store);
      await this.insertTasks(id, tasks, now);
      return id;
    });
  }

  private async insertTasks(jobId: string, tasks: readonly TaskSpec[], now: number): Promise<void> {
    for (let i = 0; i < tasks.length; i += ENQUEUE_BATCH) {
      const args: (string | number)[] = [];
      for (const t of tasks.slice(i, i + ENQUEUE_BATCH)) args.push(t.key, t.kind, t.size, JSON.stringify(t.payload));
      const r = (await this.redis.addTasks(this.prefix, jobId, now, ...args)) as string;
      if (r === 'NOT_FOUND') throw notFound(this.where, jobId);
      if (r === 'CANCELLED') throw new PaniniError(ErrorCode.STATE, `${this.where}: job ${jobId} is cancelled; no tasks can be added`, { job: jobId });
      if (r.startsWith('EXISTS:')) throw new PaniniError(ErrorCode.OPTION, `${this.where}: option task.key ${JSON.stringify(r.slice(7))} is already a task of this job`, { option: 'task.key' });
    }
  }

  addTasks(jobId: string, tasks: readonly TaskSpec[]): Promise<void> {
    return this.run('addTasks', async (now) => {
      await this.mustJob(jobId);
      checkTasks(this.where, tasks);
      await this.insertTasks(jobId, tasks, now);
    });
  }

  /** Moves tasks of the job between states in batches; returns the moved keys with their former states. */
  private async bulkMove(jobId: string, now: number, from: string, to: string, code: string, reset: boolean, each?: (keys: string[], froms: string[]) => Promise<void>): Promise<void> {
    for (;;) {
      const r = (await this.redis.bulkMove(this.prefix, jobId, now, ENQUEUE_BATCH, from, to, code, reset ? '1' : '0')) as string[];
      if (r.length === 0) return;
      const keys: string[] = [];
      const froms: string[] = [];
      for (let i = 0; i < r.length; i += 2) {
        keys.push(r[i]!);
        froms.push(r[i + 1]!);
      }
      await each?.(keys, froms);
    }
  }

  enqueue(jobId: string): Promise<void> {
    return this.run('enqueue', async (now) => {
      await this.mustJob(jobId);
      // queued tasks first: their BullMQ jobs exist unless a crash came between a state change and its add, and
      // adding with the same id is a no-op, so enqueue again repairs that
      const queued = await this.redis.zrange(this.k('ts', jobId, 'queued'), 0, -1);
      for (let i = 0; i < queued.length; i += ENQUEUE_BATCH) await this.queue.addBulk(this.bullJobs(jobId, queued.slice(i, i + ENQUEUE_BATCH)));
      await this.bulkMove(jobId, now, 'pending', 'queued', '', false, async (keys) => {
        await this.queue.addBulk(this.bullJobs(jobId, keys));
      });
    });
  }

  claim(workerId: string, options?: ClaimOptions): Promise<Claim[]> {
    return this.run('claim', async () => {
      const { max, leaseMs, kinds } = checkClaimOptions(this.where, workerId, options, this.opts.leaseMs);
      await this.reap(this.opts.now());
      const out: Claim[] = [];
      let misses = 0;
      while (out.length < max && misses < max + 16) {
        const token = randomUUID();
        const job = (await this.worker.getNextJob(token, { block: false })) as BullJob | undefined;
        if (!job?.id) break;
        const now = this.opts.now();
        const leaseUntil = now + leaseMs;
        const { jobId, key } = job.data as { jobId: string; key: string };
        const r = (await this.redis.grant(this.prefix, jobId, key, token, now, leaseUntil, workerId, kinds ? kinds.join(',') : '')) as string[];
        if (r[0] === 'ok') {
          if (leaseMs !== this.opts.leaseMs) await job.extendLock(token, leaseMs + this.lockMarginMs);
          this.hold(job);
          out.push({
            jobId,
            taskKey: key,
            kind: r[1] as Claim['kind'],
            size: Number(r[2]),
            payload: JSON.parse(r[3]!) as Claim['payload'],
            options: JSON.parse(r[4]!) as Claim['options'],
            store: r[5]!,
            attempt: Number(r[6]),
            workerId,
            token,
            leaseUntil,
          });
          continue;
        }
        misses++;
        this.hold(job);
        if (r[0] === 'later') await this.settle(job.id, token, 'queued', Number(r[1]));
        else if (r[0] === 'kind') await this.settle(job.id, token, 'queued', 0);
        else await this.settle(job.id, token, r[0] === 'terminal' ? r[1]! : 'gone', 0);
      }
      return out;
    });
  }

  extend(claim: Claim, leaseMs?: number): Promise<boolean> {
    return this.run('extend', async (now) => {
      checkClaim(this.where, claim);
      const ms = checkLeaseMs(this.where, leaseMs, this.opts.leaseMs);
      const until = now + ms;
      const ok = (await this.redis.extend(this.prefix, claim.jobId, claim.taskKey, claim.token, now, until)) === 1;
      if (!ok) return false;
      claim.leaseUntil = until;
      const job = await this.bullJob(bullId(claim.jobId, claim.taskKey));
      // if BullMQ's lock is gone its stalled check re-delivers the task, and the grant holds it back until our lease ends
      await job?.extendLock(claim.token, ms + this.lockMarginMs).catch(() => 0);
      return true;
    });
  }

  markCompressed(claim: Claim): Promise<boolean> {
    return this.run('markCompressed', async (now) => {
      checkClaim(this.where, claim);
      return (await this.redis.markCompressed(this.prefix, claim.jobId, claim.taskKey, claim.token, now)) === 1;
    });
  }

  /** After a refused complete/fail: settle what BullMQ may still hold for this claim. */
  private async afterRefused(claim: Claim): Promise<void> {
    const [state, at] = (await this.redis.taskState(this.prefix, claim.jobId, claim.taskKey)) as [string, string];
    if (state === 'running' || state === 'compressed') return; // re-granted: BullMQ's job is the new claim's
    await this.settle(bullId(claim.jobId, claim.taskKey), claim.token, state || 'gone', Number(at) || 0);
  }

  complete(claim: Claim, result: TaskResult): Promise<boolean> {
    return this.run('complete', async (now) => {
      checkClaim(this.where, claim);
      checkResult(this.where, result);
      const dh: (string | number)[] = [];
      for (const [k, v] of Object.entries(result.dhatu ?? {})) dh.push(k, v);
      const ok = (await this.redis.complete(this.prefix, claim.jobId, claim.taskKey, claim.token, now, JSON.stringify(result), result.bytesIn, result.bytesOut, ...dh)) === 1;
      if (ok) await this.settle(bullId(claim.jobId, claim.taskKey), claim.token, 'verified', 0);
      else await this.afterRefused(claim);
      return ok;
    });
  }

  fail(claim: Claim, error: TaskError): Promise<boolean> {
    return this.run('fail', async (now) => {
      checkClaim(this.where, claim);
      checkTaskError(this.where, error);
      const { maxAttempts, baseDelayMs, maxDelayMs } = this.opts.retry;
      const r = (await this.redis.fail(
        this.prefix,
        claim.jobId,
        claim.taskKey,
        claim.token,
        now,
        error.code,
        error.message,
        error.retryable ? '1' : '0',
        maxAttempts,
        baseDelayMs,
        maxDelayMs,
      )) as string[];
      if (r[0] === '0') {
        await this.afterRefused(claim);
        return false;
      }
      await this.leaveBull(bullId(claim.jobId, claim.taskKey), claim.token, r[0]!, Number(r[1]), Number(r[2]), `${error.code}: ${error.message}`);
      return true;
    });
  }

  cancelJob(jobId: string): Promise<void> {
    return this.run('cancelJob', async (now) => {
      await this.mustJob(jobId);
      await this.redis.jobFlag(this.prefix, jobId, now, 'cancel');
      await this.bulkMove(jobId, now, 'pending,queued,retrying,running,compressed', 'cancelled', 'CANCELLED', false, async (keys, froms) => {
        // waiting and delayed BullMQ jobs are removed; a running task's BullMQ job is settled by its worker's next
        // report (refused) or, if that worker is gone, when BullMQ's stalled check hands it out again
        const waiting = keys.filter((_, i) => froms[i] === 'queued' || froms[i] === 'retrying' || froms[i] === 'pending');
        await Promise.all(waiting.map((k) => this.queue.remove(bullId(jobId, k)).catch(() => 0)));
      });
    });
  }

  failJob(jobId: string, error: { code: string; message: string }): Promise<void> {
    return this.run('failJob', async (now) => {
      await this.mustJob(jobId);
      const ek = this.k('errors', jobId);
      if ((await this.redis.llen(ek)) < MAX_JOB_ERRORS) await this.redis.rpush(ek, JSON.stringify({ taskKey: '', code: error.code, message: error.message, at: now }));
      await this.redis.jobFlag(this.prefix, jobId, now, 'fail');
      await this.bulkMove(jobId, now, 'pending,queued,retrying,running,compressed', 'cancelled', 'JOB_FAILED', false, async (keys, froms) => {
        const waiting = keys.filter((_, i) => froms[i] === 'queued' || froms[i] === 'retrying' || froms[i] === 'pending');
        await Promise.all(waiting.map((k) => this.queue.remove(`${jobId}:${k}`).catch(() => 0)));
      });
    });
  }

  retryJob(jobId: string): Promise<void> {
    return this.run('retryJob', async (now) => {
      await this.mustJob(jobId);
      const [failed, cancelled] = await this.redis.hmget(this.k('job', jobId), 'n:failed', 'n:cancelled');
      const any = Number(failed ?? 0) + Number(cancelled ?? 0) > 0;
      // the job's start and end are reset first, so once its tasks are queued again it reads as queued
      await this.redis.jobFlag(this.prefix, jobId, now, any ? 'retry' : 'uncancel');
      if (!any) return;
      await this.bulkMove(jobId, now, 'failed,cancelled', 'queued', 'RETRIED', true, async (keys) => {
        await this.queue.addBulk(this.bullJobs(jobId, keys));
      });
    });
  }

  // ---- reads -------------------------------------------------------------------------------------------------

  private async status(jobId: string): Promise<JobStatus | undefined> {
    const [h, errs] = await Promise.all([this.redis.hgetall(this.k('job', jobId)), this.redis.lrange(this.k('errors', jobId), 0, -1)]);
    if (!h.type) return undefined;
    const counts = emptyCounts();
    for (const s of TASK_STATES) counts[s] = Number(h[`n:${s}`] ?? 0);
    const dhatu: Record<string, number> = {};
    for (const [f, v] of Object.entries(h)) if (f.startsWith('d:')) dhatu[f.slice(2)] = Number(v);
    const bytesIn = Number(h.bytesIn ?? 0);
    const bytesOut = Number(h.bytesOut ?? 0);
    const st: JobStatus = {
      id: jobId,
      type: h.type as JobStatus['type'],
      state: h.state as JobStatus['state'],
      input: JSON.parse(h.input!) as string[],
      options: JSON.parse(h.options!) as JobStatus['options'],
      store: h.store!,
      createdAt: Number(h.createdAt),
      updatedAt: Number(h.updatedAt),
      total: TASK_STATES.reduce((s, k) => s + counts[k], 0),
      counts,
      bytesTotal: Number(h.bytesTotal ?? 0),
      bytesIn,
      bytesOut,
      ratio: bytesIn > 0 ? bytesOut / bytesIn : 0,
      dhatu,
      errors: errs.map((e) => JSON.parse(e) as JobStatus['errors'][number]),
    };
    if (h.label !== undefined) st.label = h.label;
    if (h.startedAt !== undefined) st.startedAt = Number(h.startedAt);
    if (h.finishedAt !== undefined) st.finishedAt = Number(h.finishedAt);
    return st;
  }

  job(jobId: string): Promise<JobStatus | undefined> {
    return this.run('job', async () => (typeof jobId === 'string' && !jobId.includes(':') ? this.status(jobId) : undefined));
  }

  jobs(options?: { limit?: number }): Promise<JobStatus[]> {
    return this.run('jobs', async () => {
      const limit = checkLimit(this.where, 'limit', options?.limit, DEFAULT_JOBS_LIMIT);
      if (limit === 0) return [];
      const ids = await this.redis.zrevrange(this.k('jobs'), 0, limit - 1);
      const all = await Promise.all(ids.map((id) => this.status(id)));
      return all.filter((s): s is JobStatus => s !== undefined);
    });
  }

  tasks(jobId: string, options?: { state?: TaskState; limit?: number; offset?: number }): Promise<TaskInfo[]> {
    return this.run('tasks', async () => {
      await this.mustJob(jobId);
      const limit = checkLimit(this.where, 'limit', options?.limit, Number.MAX_SAFE_INTEGER);
      const offset = checkLimit(this.where, 'offset', options?.offset, 0);
      if (limit === 0) return [];
      const set = options?.state !== undefined ? this.k('ts', jobId, checkState(this.where, options.state)) : this.k('tasks', jobId);
      const keys = await this.redis.zrange(set, offset, limit >= Number.MAX_SAFE_INTEGER - offset ? -1 : offset + limit - 1);
      const out: TaskInfo[] = [];
      for (let i = 0; i < keys.length; i += 1000) {
        const p = this.redis.pipeline();
        for (const key of keys.slice(i, i + 1000)) p.hgetall(this.k('task', jobId, key));
        const res = (await p.exec()) ?? [];
        res.forEach(([err, h], n) => {
          if (err) throw err;
          const t = h as Record<string, string>;
          const info: TaskInfo = {
            jobId,
            key: keys[i + n]!,
            kind: t.kind as TaskInfo['kind'],
            state: t.state as TaskState,
            size: Number(t.size),
            attempt: Number(t.attempt),
            updatedAt: Number(t.updatedAt),
          };
          if (t.worker !== undefined) info.workerId = t.worker;
          if (t.result !== undefined) info.result = JSON.parse(t.result) as TaskResult;
          if (t.ecode !== undefined) info.error = { code: t.ecode, message: t.emsg ?? '' };
          out.push(info);
        });
      }
      return out;
    });
  }

  eventsSince(since: number, options?: { limit?: number; jobId?: string }): Promise<Transition[]> {
    return this.run('eventsSince', async () => {
      const after = checkLimit(this.where, 'since', since, 0);
      const limit = checkLimit(this.where, 'limit', options?.limit, DEFAULT_EVENTS_LIMIT);
      if (limit === 0) return [];
      const key = options?.jobId !== undefined ? this.k('events', options.jobId) : this.k('events');
      const rows = await this.redis.zrangebyscore(key, `(${after}`, '+inf', 'LIMIT', 0, limit);
      return rows.map((r) => JSON.parse(r) as Transition);
    });
  }

  // ---- workers -----------------------------------------------------------------------------------------------

  registerWorker(info: Omit<WorkerInfo, 'lastSeen' | 'done' | 'startedAt'>): Promise<void> {
    return this.run('registerWorker', async (now) => {
      checkWorkerInfo(this.where, info);
      const w = { id: info.id, host: info.host, pid: info.pid, device: info.device, concurrency: info.concurrency, startedAt: now };
      await this.redis.multi().hset(this.k('workers'), info.id, JSON.stringify(w)).hset(this.k('workers', 'seen'), info.id, now).exec();
    });
  }

  heartbeat(workerId: string): Promise<void> {
    return this.run('heartbeat', async (now) => {
      if ((await this.redis.hexists(this.k('workers'), workerId)) === 0) {
        throw new PaniniError(ErrorCode.NOT_FOUND, `${this.where}: no worker ${JSON.stringify(workerId)} is registered`, { worker: workerId });
      }
      await this.redis.hset(this.k('workers', 'seen'), workerId, now);
    });
  }

  unregisterWorker(workerId: string): Promise<void> {
    return this.run('unregisterWorker', async () => {
      await this.redis.multi().hdel(this.k('workers'), workerId).hdel(this.k('workers', 'seen'), workerId).hdel(this.k('workers', 'done'), workerId).exec();
    });
  }

  workers(options?: { aliveMs?: number }): Promise<WorkerInfo[]> {
    return this.run('workers', async (now) => {
      const alive = checkLimit(this.where, 'aliveMs', options?.aliveMs, DEFAULT_ALIVE_MS);
      const [all, seen, done] = await Promise.all([
        this.redis.hgetall(this.k('workers')),
        this.redis.hgetall(this.k('workers', 'seen')),
        this.redis.hgetall(this.k('workers', 'done')),
      ]);
      const out: WorkerInfo[] = [];
      for (const id of Object.keys(all).sort()) {
        const lastSeen = Number(seen[id] ?? 0);
        if (lastSeen < now - alive) continue;
        const w = JSON.parse(all[id]!) as Omit<WorkerInfo, 'lastSeen' | 'done'>;
        out.push({ ...w, lastSeen, done: Number(done[id] ?? 0) });
      }
      return out;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.held.clear();
    try {
      await this.worker.close();
      await this.queue.close();
      await this.redis.quit();
    } catch (e) {
      this.redis.disconnect();
      throw storeError(this.where, 'close', e);
    }
  }
}
