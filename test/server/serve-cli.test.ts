// `panini-fs serve` from the built CLI (dist/cli.js, `npm run build`): prints its URL, serves the API and the
// dashboard shipped in dist/ui, runs a job with its embedded worker, stops cleanly on SIGTERM; refuses a public
// address without a token.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressibleText, makeTree } from './helpers.js';
import { openQueue } from '../../src/pipeline/queue.js';
import { mulberry32 } from '../helpers/prng.mjs';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
let tmp: string;

beforeAll(async () => {
  tmp = await fsp.mkdtemp(join(tmpdir(), 'panini-serve-cli-'));
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete e.PANINI_TOKEN;
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...e, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, exit };
}

async function waitForText(get: () => string, re: RegExp, exit: Promise<unknown>, ms = 60_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  let exited = false;
  void exit.then(() => (exited = true));
  for (;;) {
    const m = re.exec(get());
    if (m) return m;
    if (exited || Date.now() > deadline) throw new Error(`no ${re} in the output: ${get()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('panini-fs serve', () => {
  it('serves the API and the dashboard, runs a job, and stops on SIGTERM', async () => {
    const data = join(tmp, 'data');
    const root = join(tmp, 'root');
    const tree = await makeTree(join(root, 'tree'), 3, 16 << 10);
    const s = start(['serve', '--port', '0', '--data', data, '--root', root, '--workers', '1', '--device', 'cpu']);
    try {
      const m = await waitForText(s.out, /panini-fs serve: (http:\/\/127\.0\.0\.1:\d+)/, s.exit);
      const url = m[1]!;
      const health = (await (await fetch(`${url}/api/health`)).json()) as { ok: boolean; queue: string; version: string };
      expect(health.ok).toBe(true);
      expect(health.queue).toBe(`sqlite:${join(data, 'queue.sqlite')}`);
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('/ui/app.js');
      const js = await fetch(`${url}/ui/app.js`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);

      const r = await fetch(`${url}/api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'compress', input: [tree] }) });
      expect(r.status).toBe(201);
      const { id } = (await r.json()) as { id: string };
      let state = '';
      const deadline = Date.now() + 120_000;
      while (!['verified', 'failed', 'cancelled'].includes(state) && Date.now() < deadline) {
        state = ((await (await fetch(`${url}/api/jobs/${id}`)).json()) as { state: string }).state;
        if (!['verified', 'failed', 'cancelled'].includes(state)) await new Promise((res) => setTimeout(res, 200));
      }
      expect(state).toBe('verified');
    } finally {
      s.child.kill('SIGTERM');
    }
    expect(await s.exit).toBe(0);
    expect(s.out()).toMatch(/SIGTERM, stopping/);
  });

  it('refuses a public address without a token (exit status 2, OPTION)', async () => {
    const s = start(['serve', '--host', '0.0.0.0', '--port', '0', '--data', join(tmp, 'data2'), '--workers', '0']);
    expect(await s.exit).toBe(2);
    expect(s.out()).toMatch(/needs a token/);
  });

  it('lists serve and worker in its help', async () => {
    const s = start(['--help']);
    expect(await s.exit).toBe(0);
    expect(s.out()).toMatch(/^\s+serve \[--port 7878\]/m);
    expect(s.out()).toMatch(/^\s+worker \[--queue Q\]/m);
    expect(s.out()).not.toContain('${');
  });

  it('survives SIGKILL of the server at random moments: the job resumes after each restart, nothing lost or counted twice', async () => {
    const data = join(tmp, 'data-kill');
    const root = join(tmp, 'root-kill');
    await fsp.mkdir(join(root, 'corpus'), { recursive: true });
    for (let i = 0; i < 12; i++) await fsp.writeFile(join(root, 'corpus', `part-${i}.txt`), compressibleText(300 + i, 3 << 19));
    const next = mulberry32(7878);
    const rnd = () => next() / 2 ** 32;
    const args = ['serve', '--port', '0', '--data', data, '--root', root, '--workers', '1', '--device', 'cpu', '--lease', '1'];
    let id = '';
    const kills: string[] = [];
    let state = '';
    for (let round = 0; round < 12 && state !== 'verified'; round++) {
      const s = start(args);
      const url = (await waitForText(s.out, /panini-fs serve: (http:\/\/127\.0\.0\.1:\d+)/, s.exit))[1]!;
      if (round === 0) {
        const r = await fetch(`${url}/api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'compress', input: [join(root, 'corpus')], options: { level: 3, blockSize: 1 << 20 } }) });
        expect(r.status).toBe(201);
        id = ((await r.json()) as { id: string }).id;
      }
      // the first kill lands while the job is still being chunked; later ones at seeded random moments while it runs
      await new Promise((r) => setTimeout(r, round === 0 ? 30 : 300 + Math.floor(rnd() * 1500)));
      const st = (await (await fetch(`${url}/api/jobs/${id}`)).json()) as { state: string; counts: Record<string, number> };
      state = st.state;
      if (state === 'verified' || round >= 6) {
        // enough kills: let it finish, then stop it cleanly
        const deadline = Date.now() + 120_000;
        while (state !== 'verified' && state !== 'failed' && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          state = ((await (await fetch(`${url}/api/jobs/${id}`)).json()) as { state: string }).state;
        }
        s.child.kill('SIGTERM');
        await s.exit;
        break;
      }
      s.child.kill('SIGKILL');
      await s.exit;
      kills.push(`${state} (${Object.entries(st.counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'no tasks yet'})`);
    }
    expect(state).toBe('verified');
    expect(kills.length).toBeGreaterThanOrEqual(3);
    expect(kills[0]).toMatch(/^pending/); // killed while chunking: resumed by the next start
    const q = await openQueue(`sqlite:${join(data, 'queue.sqlite')}`);
    try {
      const job = (await q.job(id))!;
      const events = await q.eventsSince(0, { jobId: id, limit: 100_000 });
      const verified = new Map<string, number>();
      for (const e of events) if (e.to === 'verified' && e.taskKey) verified.set(e.taskKey, (verified.get(e.taskKey) ?? 0) + 1);
      expect(verified.size).toBe(job.total);
      expect([...verified.values()].every((n) => n === 1)).toBe(true);
      expect(job.bytesIn).toBe(job.bytesTotal);
      console.log(`server kill -9 test: ${kills.length} kills at: ${kills.join('; ')}; ${job.total} tasks verified once each`);
    } finally {
      await q.close();
    }
    const v = start(['validate-reconstruction', '--original', join(root, 'corpus'), '--compressed', join(data, 'store')]);
    expect(await v.exit, v.out()).toBe(0);
    expect(v.out()).toMatch(/^BIT-PERFECT/);
  }, 300_000);
});
