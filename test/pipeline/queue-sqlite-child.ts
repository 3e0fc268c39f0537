// Child process of queue-sqlite.test.ts: claims and completes tasks of the queue at argv[2] until killed or done,
// printing "V <jobId> <key>" after each complete() that returned true (so the parent knows it was committed).
// With a third argument it waits until that file exists before claiming (a start line for several children) and
// spends a millisecond on each task, so that concurrent children really interleave. PACE_MS (environment) is a floor
// on the time each task takes, so a child killed after t ms has done at most t / PACE_MS tasks on any machine.
import { existsSync } from 'node:fs';
import { SqliteQueue } from '../../src/pipeline/queue-sqlite.js';

const [path, seedArg, goFile] = process.argv.slice(2);
let seed = Number(seedArg) >>> 0 || 1;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const q = new SqliteQueue(path!, { retry: { maxAttempts: 1000, baseDelayMs: 1, maxDelayMs: 5 }, leaseMs: 100 });
process.stdout.write('ready\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pace = Number(process.env.PACE_MS ?? 0);
if (goFile !== undefined) while (!existsSync(goFile)) await sleep(5);
for (;;) {
  const got = await q.claim(`child-${process.pid}`, { max: 1 + Math.floor(rnd() * 4) });
  if (got.length === 0) {
    const st = (await q.jobs({ limit: 1 }))[0]!;
    if (st.counts.verified === st.total) break;
    await sleep(20);
    continue;
  }
  for (const c of got) {
    const r = rnd();
    if (goFile !== undefined) await sleep(1);
    if (pace > 0) await sleep(pace);
    if (r < 0.1) {
      await q.fail(c, { code: 'IO', message: 'flaky', retryable: true });
      continue;
    }
    if (r < 0.5) await q.markCompressed(c);
    if (await q.complete(c, { bytesIn: c.size, bytesOut: 1, dhatu: { literal: c.size } })) process.stdout.write(`V ${c.jobId} ${c.taskKey}\n`);
  }
}
await q.close();
process.stdout.write('done\n');
