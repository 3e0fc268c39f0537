// `panini-fs serve` from the built CLI (dist/cli.js, `npm run build`): prints its URL, serves the API and the
// dashboard shipped in dist/ui, runs a job with its embedded worker, stops cleanly on SIGTERM; refuses a public
// address without a token.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTree } from './helpers.js';

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
});
