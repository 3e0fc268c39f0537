/**
 * The JobQueue contract (src/pipeline/types.ts, docs/PIPELINE.md "Queues"), as a suite every backend runs: call
 * `queueConformance(name, open, opts)` from a backend's test file with a function that opens a fresh, empty queue.
 * Counters are checked against a recount of tasks(), not against the queue's own summary.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorCode as code } from '../helpers/errors.js';
import { TASK_STATES, type Claim, type JobQueue, type RetryPolicy, type TaskSpec, type TaskState } from '../../src/pipeline/index.js';

/** the PaniniError code of a rejection (test/helpers/errors.ts), for the backends' own test files */
export { code };

export interface QueueConformanceOptions {
  /** moves the queue's clock forward: an injected clock, or real waiting */
  advance(ms: number): Promise<void>;
  /** advance() is exact (an injected clock): backoff ends are checked to the millisecond */
  exactClock: boolean;
  /** opens a second handle on the same queue (another connection, as another process would) */
  reopen(q: JobQueue): Promise<JobQueue>;
  /** the retry policy `open` gives its queues */
  retry: RetryPolicy;
  /** a lease short enough to wait out */
  shortLeaseMs: number;
  /** runs of the property test */
  propertyRuns: number;
}


export const spec = { type: 'compress' as const, input: ['/in'], options: { tier: 'fast' }, store: 'memory:out' };

export function taskList(n: number, kind: TaskSpec['kind'] = 'compress-chunk', from = 0): TaskSpec[] {
  return Array.from({ length: n }, (_, i) => ({ key: String(from + i).padStart(6, '0'), kind, size: 100 + from + i, payload: { chunk: from + i } }));
}

export const result = (c: Claim, dhatu: Record<string, number> = { literal: c.size }) => ({ bytesIn: c.size, bytesOut: Math.floor(c.size / 2), dhatu });

/** The job's counters must equal a recount from tasks(); bytes and dhātu sums from the verified tasks' results. */
export async function expectCountsMatch(q: JobQueue, jobId: string): Promise<void> {
  const st = (await q.job(jobId))!;
  const tasks = await q.tasks(jobId);
  const counts = Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<TaskState, number>;
  let bytesIn = 0;
  let bytesOut = 0;
  let bytesTotal = 0;
  const dhatu: Record<string, number> = {};
  for (const t of tasks) {
    counts[t.state]++;
    bytesTotal += t.size;
    if (t.state === 'verified') {
      bytesIn += t.result!.bytesIn;
      bytesOut += t.result!.bytesOut;
      for (const [k, v] of Object.entries(t.result!.dhatu ?? {})) dhatu[k] = (dhatu[k] ?? 0) + v;
    }
  }
  expect(st.counts).toEqual(counts);
  expect(st.total).toBe(tasks.length);
  expect({ bytesIn: st.bytesIn, bytesOut: st.bytesOut, bytesTotal: st.bytesTotal, dhatu: st.dhatu }).toEqual({ bytesIn, bytesOut, bytesTotal, dhatu });
}

async function withQueue(open: () => Promise<JobQueue>, f: (q: JobQueue) => Promise<void>): Promise<void> {
  const q = await open();
  try {
    await f(q);
  } finally {
    await q.close();
  }
}

export function queueConformance(name: string, open: () => Promise<JobQueue>, opts: QueueConformanceOptions): void {
  const { retry } = opts;
  // past the backoff of attempt n (base * 2^(n-1)), with room for a real clock
  const pastBackoff = (attempt: number) => Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1)) + (opts.exactClock ? 0 : 60);

  describe(`queue contract: ${name}`, () => {
    it('walks a job through pending → queued → running → compressed → verified and records every transition', async () => {
      await withQueue(open, async (q) => {
        const id = await q.createJob({ ...spec, label: 'walk' }, taskList(3));
        let st = (await q.job(id))!;
        expect(st).toMatchObject({ id, type: 'compress', state: 'pending', label: 'walk', input: ['/in'], options: { tier: 'fast' }, store: 'memory:out', total: 3 });
        expect(st.counts.pending).toBe(3);
        expect(st.bytesTotal).toBe(100 + 101 + 102);
        await q.enqueue(id);
        expect((await q.job(id))!.state).toBe('queued');
        const [a, b] = await q.claim('w1', { max: 2 });
        expect([a!.taskKey, b!.taskKey]).toEqual(['000000', '000001']);
        expect(a).toMatchObject({ jobId: id, kind: 'compress-chunk', size: 100, payload: { chunk: 0 }, options: { tier: 'fast' }, store: 'memory:out', attempt: 1, workerId: 'w1' });
        expect(a!.token).not.toBe(b!.token);
        st = (await q.job(id))!;
        expect(st.state).toBe('running');
        expect(st.startedAt).toBeTypeOf('number');
        expect(st.counts).toMatchObject({ queued: 1, running: 2 });
        expect(await q.markCompressed(a!)).toBe(true);
        expect(await q.markCompressed(a!)).toBe(false); // already compressed
        expect((await q.job(id))!.counts.compressed).toBe(1);
        expect(await q.complete(a!, result(a!, { literal: 60, match: 40 }))).toBe(true);
        expect(await q.complete(b!, result(b!, { literal: 101 }))).toBe(true);
        const [c] = await q.claim('w2');
        expect(await q.complete(c!, result(c!, { match: 2 }))).toBe(true);
        st = (await q.job(id))!;
        expect(st.state).toBe('verified');
        expect(st.finishedAt).toBeTypeOf('number');
        expect(st.counts.verified).toBe(3);
        expect(st.bytesIn).toBe(303);
        expect(st.bytesOut).toBe(50 + 50 + 51);
        expect(st.ratio).toBeCloseTo(151 / 303, 10);
        expect(st.dhatu).toEqual({ literal: 161, match: 42 });
        await expectCountsMatch(q, id);

        const events = await q.eventsSince(0, { jobId: id });
        for (let i = 1; i < events.length; i++) expect(events[i]!.seq).toBeGreaterThan(events[i - 1]!.seq);
        const ofTask = (k: string) => events.filter((e) => e.taskKey === k).map((e) => [e.from, e.to, e.workerId]);
        expect(ofTask('000000')).toEqual([
          ['pending', 'queued', undefined],
          ['queued', 'running', 'w1'],
          ['running', 'compressed', 'w1'],
          ['compressed', 'verified', 'w1'],
        ]);
        expect(ofTask('000002')).toEqual([
          ['pending', 'queued', undefined],
          ['queued', 'running', 'w2'],
          ['running', 'verified', 'w2'],
        ]);
        const jobLevel = events.filter((e) => e.taskKey === undefined).map((e) => [e.from, e.to]);
        expect(jobLevel).toEqual([
          [undefined, 'pending'],
          ['pending', 'queued'],
          ['queued', 'running'],
          ['running', 'verified'],
        ]);
        expect(events.every((e) => e.jobId === id && typeof e.at === 'number')).toBe(true);
      });
    });

    it('claims oldest job first, in task order, at most max per call; kinds filter what is handed out', async () => {
      await withQueue(open, async (q) => {
        const a = await q.createJob(spec, taskList(5));
        const b = await q.createJob(spec, taskList(5, 'compress-chunk', 100));
        await q.enqueue(a);
        await q.enqueue(b);
        const first = await q.claim('w', { max: 3 });
        expect(first.map((c) => [c.jobId, c.taskKey])).toEqual([
          [a, '000000'],
          [a, '000001'],
          [a, '000002'],
        ]);
        const rest = await q.claim('w', { max: 100 });
        expect(rest.map((c) => [c.jobId, c.taskKey])).toEqual([
          [a, '000003'],
          [a, '000004'],
          ...taskList(5, 'compress-chunk', 100).map((t) => [b, t.key]),
        ]);
        expect(await q.claim('w', { max: 10 })).toEqual([]);
        expect(await code(q.claim('w', { max: 0 }))).toBe('OPTION');
        expect(await code(q.claim('', {}))).toBe('OPTION');

        const m = await q.createJob({ ...spec, type: 'analyze' }, [...taskList(3, 'analyze'), ...taskList(2, 'validate', 10)]);
        await q.enqueue(m);
        const v = await q.claim('w', { max: 10, kinds: ['validate'] });
        expect(v.map((c) => c.taskKey).sort()).toEqual(['000010', '000011']);
        expect(v.every((c) => c.kind === 'validate')).toBe(true);
        const rest2 = await q.claim('w', { max: 10, kinds: ['analyze', 'benchmark'] });
        expect(rest2.map((c) => c.taskKey).sort()).toEqual(['000000', '000001', '000002']);
        await expectCountsMatch(q, m);
      });
    });

    it('four concurrent claim loops over 500 tasks: every task is claimed and verified exactly once', async () => {
      const q0 = await open();
      const handles = [q0, await opts.reopen(q0), await opts.reopen(q0), await opts.reopen(q0)];
      try {
        const id = await q0.createJob(spec, taskList(500));
        await q0.enqueue(id);
        const seen = new Map<string, number>();
        await Promise.all(
          handles.map(async (q, w) => {
            for (let round = 0; ; round++) {
              const got = await q.claim(`w${w}`, { max: 1 + ((round * 7 + w) % 8) });
              if (got.length === 0) return;
              for (const c of got) {
                seen.set(c.taskKey, (seen.get(c.taskKey) ?? 0) + 1);
                expect(await q.complete(c, result(c))).toBe(true);
              }
            }
          }),
        );
        expect(seen.size).toBe(500);
        expect([...seen.values()].every((n) => n === 1)).toBe(true);
        const st = (await q0.job(id))!;
        expect(st.counts.verified).toBe(500);
        expect(st.state).toBe('verified');
        await expectCountsMatch(q0, id);
      } finally {
        for (const h of handles) await h.close();
      }
    });

    it('an expired lease is re-queued with backoff; the old claim can no longer extend, complete or fail', async () => {
      await withQueue(open, async (q) => {
        const id = await q.createJob(spec, taskList(1));
        await q.enqueue(id);
        const [old] = await q.claim('w1', { leaseMs: opts.shortLeaseMs });
        expect(await q.extend(old!, opts.shortLeaseMs)).toBe(true);
        await opts.advance(opts.shortLeaseMs + 20);
        expect(await q.claim('w2')).toEqual([]); // re-queued with backoff, not handed out at once
        let st = (await q.job(id))!;
        expect(st.counts.retrying).toBe(1);
        expect(st.errors.map((e) => e.code)).toEqual(['LEASE_EXPIRED']);
        const expiry = (await q.eventsSince(0, { jobId: id })).filter((e) => e.code === 'LEASE_EXPIRED');
        expect(expiry.map((e) => [e.taskKey, e.from, e.to, e.workerId])).toEqual([['000000', 'running', 'retrying', 'w1']]);
        await opts.advance(pastBackoff(1));
        const [again] = await q.claim('w2', { leaseMs: 60_000 });
        expect(again).toMatchObject({ taskKey: '000000', attempt: 2, workerId: 'w2' });
        expect(again!.token).not.toBe(old!.token);
        expect(await q.extend(old!)).toBe(false);
        expect(await q.markCompressed(old!)).toBe(false);
        expect(await q.complete(old!, result(old!))).toBe(false);
        expect(await q.fail(old!, { code: 'IO', message: 'late', retryable: true })).toBe(false);
        st = (await q.job(id))!;
        expect(st.counts).toMatchObject({ running: 1, verified: 0 });
        expect(st.bytesIn).toBe(0);
        expect(await q.complete(again!, result(again!))).toBe(true);
        st = (await q.job(id))!;
        expect(st.counts.verified).toBe(1);
        expect(st.bytesIn).toBe(100);
        await expectCountsMatch(q, id);
      });
    });

    it('a task whose lease expires on every attempt fails with LEASE_EXPIRED after maxAttempts', async () => {
      await withQueue(open, async (q) => {
        const id = await q.createJob(spec, taskList(1));
        await q.enqueue(id);
        for (let attempt = 1; attempt <= retry.maxAttempts; attempt++) {
          const got = await q.claim('w', { leaseMs: opts.shortLeaseMs });
          expect(got.map((c) => c.attempt)).toEqual([attempt]);
          await opts.advance(opts.shortLeaseMs + 20);
          expect(await q.claim('w')).toEqual([]);
          if (attempt < retry.maxAttempts) await opts.advance(pastBackoff(attempt));
        }
        const st = (await q.job(id))!;
        expect(st.counts.failed).toBe(1);
        expect(st.state).toBe('failed');
        const [t] = await q.tasks(id);
        expect(t).toMatchObject({ state: 'failed', attempt: retry.maxAttempts, error: { code: 'LEASE_EXPIRED' } });
        await expectCountsMatch(q, id);
      });
    });

    it('complete twice counts once; fail after complete is refused', async () => {
      await withQueue(open, async (q) => {
        const id = await q.createJob(spec, taskList(2));
        await q.enqueue(id);
        const [c] = await q.claim('w');
        expect(await q.complete(c!, result(c!))).toBe(true);
        expect(await q.complete(c!, result(c!))).toBe(false);
        expect(await q.fail(c!, { code: 'IO', message: 'x', retryable: true })).toBe(false);
        expect(await q.extend(c!)).toBe(false);
        const st = (await q.job(id))!;
        expect(st.counts).toMatchObject({ verified: 1, queued: 1 });
        expect(st.bytesIn).toBe(100);
        expect(st.dhatu).toEqual({ literal: 100 });
        expect((await q.eventsSince(0, { jobId: id })).filter((e) => e.to === 'verified' && e.taskKey === c!.taskKey)).toHaveLength(1);
        await expectCountsMatch(q, id);
      });
    });

    it('fail → retrying with backoff → queued again → failed after maxAttempts', async () => {
      await withQueue(open, async (q) => {
        const id = await q.createJob(spec, taskList(1));
        await q.enqueue(id);
        for (let attempt = 1; attempt <= retry.maxAttempts; attempt++) {
          const [c] = await q.claim('w');
          expect(c).toMatchObject({ taskKey: '000000', attempt });
          expect(await q.fail(c!, { code: 'IO', message: `disk hiccup ${attempt}`, retryable: true })).toBe(true);
          const [t] = await q.tasks(id);
          if (attempt === retry.maxAttempts) {
            expect(t).toMatchObject({ state: 'failed', error: { code: 'IO', message: `disk hiccup ${attempt}` } });
            break;
          }
          expect(t!.state).toBe('retrying');
          expect(await q.claim('w')).toEqual([]);
          if (opts.exactClock) {
            await opts.advance(pastBackoff(attempt) - 1);
            expect(await q.claim('w')).toEqual([]);
            await opts.advance(1);
          } else {
            await opts.advance(pastBackoff(attempt));
          }
        }
        const st = (await q.job(id))!;
        expect(st.state).toBe('failed');
        expect(st.finishedAt).toBeTypeOf('number');
        expect(st.errors.map((e) => e.message)).toEqual(Array.from({ length: retry.maxAttempts }, (_, i) => `disk hiccup ${i + 1}`));
        const path = (await q.eventsSince(0, { jobId: id })).filter((e) => e.taskKey).map((e) => `${e.from}>${e.to}`);
        const loop = ['queued>running', 'running>retrying', 'retrying>queued'];
        expect(path).toEqual(['pending>queued', ...Array.from({ length: retry.maxAttempts - 1 }, () => loop).flat(), 'queued>running', 'running>failed']);
        await expectCountsMatch(q, id);
      });
    });

    it('a non-retryable failure goes straight to failed', async () => {
      await withQueue(open, async (q) => {
        const id = await q.createJob(spec, taskList(2));
        await q.enqueue(id);
        const [c] = await q.claim('w');
        expect(await q.fail(c!, { code: 'FORMAT', message: 'not a container', retryable: false })).toBe(true);
        const st = (await q.job(id))!;
        expect(st.counts).toMatchObject({ failed: 1, queued: 1, retrying: 0 });
        expect(st.errors).toEqual([{ taskKey: c!.taskKey, code: 'FORMAT', message: 'not a container', at: expect.any(Number) }]);
        const [t] = await q.tasks(id, { state: 'failed' });
        expect(t).toMatchObject({ key: c!.taskKey, attempt: 1, error: { code: 'FORMAT' } });
        await expectCountsMatch(q, id);
      });
    });

    it('cancelJob cancels pending, queued and running tasks; the running claim is then refused', async () => {
      await withQueue(open, async (q) => {
        const pending = await q.createJob(spec, taskList(2));
        await q.cancelJob(pending);
        expect((await q.job(pending))!).toMatchObject({ state: 'cancelled', counts: { cancelled: 2, pending: 0 } });
        expect(await code(q.addTasks(pending, taskList(1, 'compress-chunk', 9)))).toBe('STATE');

        const id = await q.createJob(spec, taskList(4));
        await q.enqueue(id);
        const [c] = await q.claim('w', { max: 1 });
        await q.cancelJob(id);
        const st = (await q.job(id))!;
        expect(st.state).toBe('cancelled');
        expect(st.counts).toMatchObject({ cancelled: 4, queued: 0, running: 0 });
        expect(st.finishedAt).toBeTypeOf('number');
        expect(await q.claim('w', { max: 10 })).toEqual([]);
        expect(await q.complete(c!, result(c!))).toBe(false);
        expect((await q.job(id))!.counts.verified).toBe(0);
        const ev = await q.eventsSince(0, { jobId: id });
        expect(ev.filter((e) => e.to === 'cancelled' && e.taskKey).map((e) => `${e.taskKey}:${e.from}`)).toEqual(
          expect.arrayContaining(['000000:running', '000001:queued', '000002:queued', '000003:queued']),
        );
        expect(ev.at(-1)!.taskKey).toBeUndefined();
        expect(ev.at(-1)).toMatchObject({ from: 'running', to: 'cancelled' });
        await expectCountsMatch(q, id);
      });
    });

    it('retryJob re-queues failed and cancelled tasks with attempts reset', async () => {
      await withQueue(open, async (q) => {
        const id = await q.createJob(spec, taskList(2));
        await q.enqueue(id);
        const [a, b] = await q.claim('w', { max: 2 });
        expect(await q.fail(a!, { code: 'FORMAT', message: 'bad', retryable: false })).toBe(true);
        expect(await q.complete(b!, result(b!))).toBe(true);
        expect((await q.job(id))!.state).toBe('failed');
        await q.retryJob(id);
        let st = (await q.job(id))!;
        expect(st).toMatchObject({ state: 'queued', counts: { queued: 1, verified: 1, failed: 0 } });
        expect(st.finishedAt).toBeUndefined();
        expect((await q.tasks(id, { state: 'queued' }))[0]).toMatchObject({ key: a!.taskKey, attempt: 0 });
        expect((await q.tasks(id, { state: 'queued' }))[0]!.error).toBeUndefined();
        const [again] = await q.claim('w');
        expect(again).toMatchObject({ taskKey: a!.taskKey, attempt: 1 });
        expect(await q.complete(again!, result(again!))).toBe(true);
        expect((await q.job(id))!.state).toBe('verified');
        await expectCountsMatch(q, id);

        // cancelled while running, then retried: the stale claim is refused, the task is handed out again
        const id2 = await q.createJob(spec, taskList(2));
        await q.enqueue(id2);
        const [stale] = await q.claim('w');
        await q.cancelJob(id2);
        await q.retryJob(id2);
        st = (await q.job(id2))!;
        expect(st).toMatchObject({ state: 'queued', counts: { queued: 2, cancelled: 0 } });
        expect(await q.complete(stale!, result(stale!))).toBe(false);
        const got = await q.claim('w', { max: 5 });
        expect(got.map((c) => c.taskKey).sort()).toEqual(['000000', '000001']);
        for (const c of got) expect(await q.complete(c, result(c))).toBe(true);
        expect((await q.job(id2))!.counts.verified).toBe(2);
        await expectCountsMatch(q, id2);
      });
    });

    it('counters equal a recount after a random sequence of operations (seeded property test)', async () => {
      type Op =
        | { op: 'claim'; max: number; lease: boolean }
        | { op: 'complete' | 'compress' | 'extend'; pick: number }
        | { op: 'fail'; pick: number; retryable: boolean }
        | { op: 'cancel' | 'retry' | 'enqueue' | 'add'; job: number }
        | { op: 'advance'; ms: number };
      const opArb: fc.Arbitrary<Op> = fc.oneof(
        { weight: 5, arbitrary: fc.record({ op: fc.constant('claim' as const), max: fc.integer({ min: 1, max: 4 }), lease: fc.boolean() }) },
        { weight: 5, arbitrary: fc.record({ op: fc.constant('complete' as const), pick: fc.nat() }) },
        { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('compress' as const, 'extend' as const), pick: fc.nat() }) },
        { weight: 2, arbitrary: fc.record({ op: fc.constant('fail' as const), pick: fc.nat(), retryable: fc.boolean() }) },
        { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('cancel' as const, 'retry' as const, 'enqueue' as const, 'add' as const), job: fc.nat({ max: 1 }) }) },
        { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: opts.shortLeaseMs + retry.baseDelayMs }) }) },
      );
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 30 }), async (ops) => {
          await withQueue(open, async (q) => {
            const jobs = [await q.createJob(spec, taskList(5)), await q.createJob(spec, taskList(4, 'analyze'))];
            await q.enqueue(jobs[0]!);
            const held: Claim[] = [];
            let added = 0;
            const take = (pick: number) => (held.length ? held.splice(pick % held.length, 1)[0]! : undefined);
            for (const o of ops) {
              if (o.op === 'claim') held.push(...(await q.claim('w', { max: o.max, ...(o.lease ? { leaseMs: opts.shortLeaseMs } : {}) })));
              else if (o.op === 'complete') {
                const c = take(o.pick);
                if (c) await q.complete(c, result(c));
              } else if (o.op === 'compress') {
                const c = held.length ? held[o.pick % held.length]! : undefined;
                if (c) await q.markCompressed(c);
              } else if (o.op === 'extend') {
                const c = held.length ? held[o.pick % held.length]! : undefined;
                if (c) await q.extend(c, opts.shortLeaseMs);
              } else if (o.op === 'fail') {
                const c = take(o.pick);
                if (c) await q.fail(c, { code: 'IO', message: 'x', retryable: o.retryable });
              } else if (o.op === 'cancel') await q.cancelJob(jobs[o.job]!);
              else if (o.op === 'retry') await q.retryJob(jobs[o.job]!);
              else if (o.op === 'enqueue') await q.enqueue(jobs[o.job]!);
              else if (o.op === 'add') {
                if ((await q.job(jobs[o.job]!))!.state !== 'cancelled') await q.addTasks(jobs[o.job]!, taskList(1, 'validate', 50 + added++));
              } else if (o.op === 'advance') await opts.advance(o.ms);
            }
            for (const j of jobs) await expectCountsMatch(q, j);
            // the transition log replays to the same per-task states
            for (const j of jobs) {
              const last = new Map<string, string>();
              for (const e of await q.eventsSince(0, { jobId: j, limit: 100_000 })) if (e.taskKey) last.set(e.taskKey, e.to);
              const tasks = await q.tasks(j);
              expect(Object.fromEntries(tasks.map((t) => [t.key, last.get(t.key) ?? 'pending']))).toEqual(Object.fromEntries(tasks.map((t) => [t.key, t.state])));
            }
          });
        }),
        { seed: 20261202, numRuns: opts.propertyRuns },
      );
    });

    it('eventsSince pages through the log in seq order and filters by job', async () => {
      await withQueue(open, async (q) => {
        const a = await q.createJob(spec, taskList(6));
        const b = await q.createJob(spec, taskList(3));
        await q.enqueue(a);
        await q.enqueue(b);
        const all = await q.eventsSince(0);
        expect(all.length).toBe(2 + 6 + 3 + 2); // created ×2, task enqueues, job pending → queued ×2
        const paged: typeof all = [];
        for (let since = 0; ; ) {
          const page = await q.eventsSince(since, { limit: 4 });
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(4);
          paged.push(...page);
          since = page.at(-1)!.seq;
        }
        expect(paged).toEqual(all);
        expect(new Set(all.map((e) => e.seq)).size).toBe(all.length);
        const onlyB = await q.eventsSince(0, { jobId: b });
        expect(onlyB.length).toBe(1 + 3 + 1);
        expect(onlyB.every((e) => e.jobId === b)).toBe(true);
        expect(await q.eventsSince(all.at(-1)!.seq)).toEqual([]);
        expect(await q.eventsSince(all[2]!.seq, { limit: 2 })).toEqual(all.slice(3, 5));
      });
    });

    it('registers workers, counts what they verified, and lists only those seen within aliveMs', async () => {
      await withQueue(open, async (q) => {
        await q.registerWorker({ id: 'w1', host: 'h1', pid: 11, device: 'cpu', concurrency: 2 });
        await q.registerWorker({ id: 'w2', host: 'h2', pid: 22, device: 'gpu', concurrency: 8 });
        let ws = await q.workers();
        expect(ws.map((w) => [w.id, w.host, w.pid, w.device, w.concurrency, w.done])).toEqual([
          ['w1', 'h1', 11, 'cpu', 2, 0],
          ['w2', 'h2', 22, 'gpu', 8, 0],
        ]);
        expect(ws[0]!.lastSeen).toBeGreaterThanOrEqual(ws[0]!.startedAt);
        const id = await q.createJob(spec, taskList(2));
        await q.enqueue(id);
        for (const c of await q.claim('w1', { max: 2 })) await q.complete(c, result(c));
        expect((await q.workers()).find((w) => w.id === 'w1')!.done).toBe(2);
        await opts.advance(600);
        await q.heartbeat('w2');
        ws = await q.workers({ aliveMs: 500 });
        expect(ws.map((w) => w.id)).toEqual(['w2']);
        await q.unregisterWorker('w2');
        expect((await q.workers({ aliveMs: 60_000 })).map((w) => w.id)).toEqual(['w1']);
        expect(await code(q.heartbeat('w2'))).toBe('NOT_FOUND');
        expect(await code(q.registerWorker({ id: '', host: 'h', pid: 1, device: 'cpu', concurrency: 1 }))).toBe('OPTION');
      });
    });

    it('errors are typed: unknown job NOT_FOUND, bad arguments OPTION, use after close STATE', async () => {
      const q = await open();
      expect(await q.job('no-such-job')).toBeUndefined();
      for (const p of [q.addTasks('no-such-job', taskList(1)), q.enqueue('no-such-job'), q.cancelJob('no-such-job'), q.retryJob('no-such-job'), q.tasks('no-such-job')]) {
        expect(await code(p)).toBe('NOT_FOUND');
      }
      expect(await code(q.createJob({ ...spec, type: 'nope' as 'compress' }))).toBe('OPTION');
      expect(await code(q.createJob(spec, [...taskList(1), ...taskList(1)]))).toBe('OPTION');
      expect(await code(q.createJob(spec, [{ key: 'k', kind: 'nope' as 'analyze', size: 1, payload: {} }]))).toBe('OPTION');
      const id = await q.createJob(spec, taskList(1));
      expect(await code(q.addTasks(id, taskList(1)))).toBe('OPTION'); // key 000000 exists
      expect(await code(q.tasks(id, { state: 'nope' as 'queued' }))).toBe('OPTION');
      await q.enqueue(id);
      const [c] = await q.claim('w');
      expect(await code(q.complete(c!, { bytesIn: -1, bytesOut: 0 }))).toBe('OPTION');
      expect(await code(q.fail(c!, { code: '', message: 'x', retryable: true }))).toBe('OPTION');
      await q.close();
      await q.close(); // twice is fine
      for (const p of [q.claim('w'), q.createJob(spec), q.job(id), q.complete(c!, result(c!)), q.workers()]) expect(await code(p)).toBe('STATE');
    });
  });
}
