// The job server over real HTTP and WebSocket, with a real SQLite queue and the pipeline's workers: a compress job
// followed through its events to verified, metrics checked against the exposition format, cancel, retry after a
// real failure, every refused request (status, code, and nothing queued), uploads, and the token.
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { openQueue } from '../../src/pipeline/queue.js';
import { startWorker, type WorkerHandle } from '../../src/pipeline/worker.js';
import type { JobQueue } from '../../src/pipeline/types.js';
import { createServer, type JobServer } from '../../src/server/server.js';
import { Events, filesUnder, http, makeTree, parsePrometheus, rawRequest } from './helpers.js';

let tmp: string;

beforeAll(async () => {
  delete process.env.PANINI_TOKEN;
  await init();
  tmp = await fsp.mkdtemp(join(tmpdir(), 'panini-server-'));
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

interface Setup {
  queue: JobQueue;
  server: JobServer;
  url: string;
  ws: string;
  data: string;
  root: string;
}

async function setup(name: string, o: { workers?: number; maxUpload?: number; token?: string } = {}): Promise<Setup> {
  const data = join(tmp, name, 'data');
  const root = join(tmp, name, 'root');
  await fsp.mkdir(data, { recursive: true });
  await fsp.mkdir(root, { recursive: true });
  const queue = await openQueue(`sqlite:${join(data, 'queue.sqlite')}`);
  const server = await createServer({
    pipeline: { queue, data, roots: [root], store: join(data, 'store') },
    port: 0,
    workers: o.workers ?? 1,
    device: 'cpu',
    ...(o.maxUpload ? { maxUpload: o.maxUpload } : {}),
    ...(o.token ? { token: o.token } : {}),
  });
  return { queue, server, url: server.url, ws: server.url.replace(/^http/, 'ws') + '/api/events', data, root };
}

async function teardown(s: Setup | undefined): Promise<void> {
  if (!s) return;
  await s.server.close();
  await s.queue.close();
}

describe('a compress job end to end (embedded worker)', () => {
  let s: Setup;
  let events: Events;
  let jobId: string;
  beforeAll(async () => {
    s = await setup('e2e');
    events = await Events.open(s.ws);
    await events.waitFor((m) => m.type === 'hello', 'hello');
  });
  afterAll(async () => {
    events?.close();
    await teardown(s);
  });

  it('answers health with the queue location and the version', async () => {
    const r = await http(s.url, '/api/health');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true, queue: s.queue.location, version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it('runs a compress job of a small tree to verified, with a real transition sequence per task', async () => {
    const tree = await makeTree(join(s.root, 'tree'), 7);
    const r = await http(s.url, '/api/jobs', { method: 'POST', json: { type: 'compress', input: [tree], label: 'small tree' } });
    expect(r.status).toBe(201);
    jobId = r.body.id;
    expect(typeof jobId).toBe('string');
    const done = await events.jobState(jobId, ['verified', 'failed', 'cancelled']);
    expect(done.status.state).toBe('verified');

    // every task went queued → running → compressed → verified, each transition starting where the last ended
    const byTask = new Map<string, any[]>();
    for (const m of events.messages) {
      if (m.type !== 'transition' || m.jobId !== jobId || m.taskKey === undefined) continue;
      byTask.set(m.taskKey, [...(byTask.get(m.taskKey) ?? []), m]);
    }
    expect(byTask.size).toBe(done.status.total);
    expect(done.status.total).toBeGreaterThan(0);
    for (const [key, ts] of byTask) {
      const seqs = ts.map((t) => t.seq);
      expect(seqs, key).toEqual([...seqs].sort((a, b) => a - b));
      const path = ts.map((t) => t.to);
      expect(path.slice(-4), key).toEqual(['queued', 'running', 'compressed', 'verified']);
      for (let i = 1; i < ts.length; i++) expect(ts[i].from, key).toBe(ts[i - 1].to);
      expect(ts.find((t) => t.to === 'running').workerId).toBeTruthy();
    }

    const st = await http(s.url, `/api/jobs/${jobId}`);
    expect(st.status).toBe(200);
    expect(st.body.id).toBe(jobId);
    expect(st.body.label).toBe('small tree');
    expect(st.body.counts.verified).toBe(st.body.total);
    expect(st.body.bytesIn).toBe(st.body.bytesTotal);
    expect(st.body.ratio).toBeGreaterThan(0);
    expect(st.body.ratio).toBeLessThan(1);
    expect(st.body.progress).toBe(1);
    expect(st.body.eta).toBe(0);
    expect(st.body.throughput).toBeGreaterThanOrEqual(0);
    expect(Object.values(st.body.dhatu as Record<string, number>).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('serves the result, the job list newest first, the tasks and the workers', async () => {
    const res = await http(s.url, `/api/jobs/${jobId}/result`);
    expect(res.status).toBe(200);
    expect(res.body.status.id).toBe(jobId);
    expect(Array.isArray(res.body.files)).toBe(true);

    const tree2 = await makeTree(join(s.root, 'tree2'), 8, 8 << 10);
    const second = await http(s.url, '/api/jobs', { method: 'POST', json: { type: 'compress', input: [tree2] } });
    expect(second.status).toBe(201);
    const list = await http(s.url, '/api/jobs');
    expect(list.status).toBe(200);
    expect(list.body.map((j: any) => j.id).slice(0, 2)).toEqual([second.body.id, jobId]);
    await events.jobState(second.body.id, ['verified']);

    const tasks = await http(s.url, `/api/jobs/${jobId}/tasks?state=verified&limit=2`);
    expect(tasks.status).toBe(200);
    expect(tasks.body.length).toBeLessThanOrEqual(2);
    expect(tasks.body.length).toBeGreaterThan(0);
    for (const t of tasks.body) expect(t.state).toBe('verified');
    const bad = await http(s.url, `/api/jobs/${jobId}/tasks?state=sleeping`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('OPTION');
    expect(bad.body.error.where.option).toBe('state');

    const w = await http(s.url, '/api/workers');
    expect(w.status).toBe(200);
    expect(w.body.length).toBeGreaterThanOrEqual(1);
    expect(w.body[0]).toMatchObject({ id: expect.any(String), device: expect.any(String), pid: process.pid });
    const missing = await http(s.url, '/api/jobs/no-such-job');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
  });

  it('exposes metrics in the Prometheus text format', async () => {
    const r = await http(s.url, '/api/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples, types } = parsePrometheus(r.text);
    for (const name of ['panini_tasks', 'panini_jobs', 'panini_workers', 'panini_bytes_in_total', 'panini_bytes_out_total', 'panini_task_failures_total', 'panini_throughput_bytes_per_second']) {
      expect(types.has(name), name).toBe(true);
      expect(samples.some((x) => x.name === name), name).toBe(true);
    }
    expect(types.get('panini_bytes_in_total')).toBe('counter');
    expect(types.get('panini_tasks')).toBe('gauge');
    const one = (name: string, labels: Record<string, string> = {}) => samples.filter((x) => x.name === name && JSON.stringify(x.labels) === JSON.stringify(labels));
    const job = (await http(s.url, `/api/jobs/${jobId}`)).body;
    expect(one('panini_tasks', { state: 'verified' })[0]!.value).toBeGreaterThanOrEqual(job.total);
    expect(one('panini_jobs', { state: 'verified' })[0]!.value).toBe(2);
    expect(one('panini_jobs', { state: 'failed' })[0]!.value).toBe(0);
    expect(one('panini_workers')[0]!.value).toBeGreaterThanOrEqual(1);
    expect(one('panini_bytes_in_total')[0]!.value).toBeGreaterThanOrEqual(job.bytesIn);
    expect(one('panini_bytes_out_total')[0]!.value).toBeGreaterThan(0);
    expect(one('panini_task_failures_total')[0]!.value).toBe(0);
    expect(one('panini_throughput_bytes_per_second')[0]!.value).toBeGreaterThanOrEqual(0);
    // every task state has its gauge, each once
    expect(new Set(samples.filter((x) => x.name === 'panini_tasks').map((x) => x.labels.state)).size).toBe(8);
  });

  it('serves the results.json and report.html of a benchmark job', async () => {
    const file = join(s.root, 'tree', 'sub', 'c.json');
    const r = await http(s.url, '/api/jobs', { method: 'POST', json: { type: 'benchmark', input: [file], options: { sections: 'single', quick: true } } });
    expect(r.status).toBe(201);
    const done = await events.jobState(r.body.id, ['verified', 'failed', 'cancelled'], 300_000);
    expect(done.status.state, JSON.stringify(done.status.errors)).toBe('verified');
    const res = await http(s.url, `/api/jobs/${r.body.id}/result`);
    expect(res.status).toBe(200);
    const names = res.body.files.map((f: { name: string }) => f.name);
    expect(names).toContain('results.json');
    expect(names).toContain('report.html');
    const html = await fetch(`${s.url}/api/jobs/${r.body.id}/files/report.html`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.headers.get('content-security-policy')).toMatch(/^sandbox/);
    expect(await html.text()).toMatch(/<html/i);
    const json = await http(s.url, `/api/jobs/${r.body.id}/files/results.json`);
    expect(json.status).toBe(200);
    expect(typeof json.body).toBe('object');
    const missing = await http(s.url, `/api/jobs/${r.body.id}/files/secret.txt`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
  });

  it('a client resuming with {since} gets the transitions it missed', async () => {
    const late = await Events.open(s.ws);
    try {
      const hello = await late.waitFor((m) => m.type === 'hello', 'hello');
      expect(hello.seq).toBeGreaterThan(0);
      late.ws.send(JSON.stringify({ since: 0 }));
      const first = await late.waitFor((m) => m.type === 'transition', 'replayed transition');
      expect(first.seq).toBe((await s.queue.eventsSince(0, { limit: 1 }))[0]!.seq);
      await late.waitFor((m) => m.type === 'transition' && m.seq === hello.seq, 'replay up to the hello seq');
      const replayed = late.messages.filter((m) => m.type === 'transition').map((m) => m.seq);
      expect(replayed).toEqual([...new Set(replayed)].sort((a, b) => a - b));
      late.ws.send('not json');
      const err = await late.waitFor((m) => m.type === 'error', 'error message');
      expect(err.error.code).toBe('OPTION');
    } finally {
      late.close();
    }
  });
});

describe('cancel, retry after a real failure, refused requests, uploads (workers under the test)', () => {
  let s: Setup;
  let events: Events;
  const pipelineOf = () => ({ queue: s.queue });
  beforeAll(async () => {
    s = await setup('control', { workers: 0, maxUpload: 64 << 10 });
    events = await Events.open(s.ws);
    await events.waitFor((m) => m.type === 'hello', 'hello');
  });
  afterAll(async () => {
    events?.close();
    await teardown(s);
  });

  const jobCount = async () => (await s.queue.jobs({ limit: 10_000 })).length;

  it('cancels a queued job', async () => {
    const tree = await makeTree(join(s.root, 'to-cancel'), 21);
    const r = await http(s.url, '/api/jobs', { method: 'POST', json: { type: 'compress', input: [tree] } });
    expect(r.status).toBe(201);
    await events.jobState(r.body.id, ['queued']);
    const c = await http(s.url, `/api/jobs/${r.body.id}/cancel`, { method: 'POST' });
    expect(c.status).toBe(200);
    expect(c.body.state).toBe('cancelled');
    expect(c.body.counts.cancelled).toBe(c.body.total);
    await events.jobState(r.body.id, ['cancelled']);
    const again = await http(s.url, `/api/jobs/${r.body.id}/retry`, { method: 'POST' });
    expect(again.status).toBe(200);
    expect(again.body.state).toBe('queued');
    const twice = await http(s.url, `/api/jobs/${r.body.id}/cancel`, { method: 'POST' });
    expect(twice.status).toBe(200);
    expect(twice.body.state).toBe('cancelled');
  });

  it('retries a job that failed because its chunk objects were removed from the store', async () => {
    const tree = await makeTree(join(s.root, 'to-fail'), 33, 16 << 10);
    const r = await http(s.url, '/api/jobs', { method: 'POST', json: { type: 'compress', input: [tree] } });
    expect(r.status).toBe(201);
    const id = r.body.id;
    await events.jobState(id, ['queued']);
    // take the chunk objects away (kept aside), then let a worker try
    const store = join(s.data, 'store');
    const aside = join(tmp, 'aside');
    await fsp.rm(aside, { recursive: true, force: true });
    await fsp.cp(store, aside, { recursive: true });
    const chunks = (await filesUnder(store)).filter((f) => /[\\/]chunks[\\/]/.test(f));
    expect(chunks.length).toBeGreaterThan(0);
    for (const f of chunks) await fsp.rm(f);
    let w = await startWorker({ ...pipelineOf(), device: 'cpu' });
    const failed = await events.jobState(id, ['failed']);
    await w.stop();
    expect(failed.status.errors.length).toBeGreaterThan(0);
    expect(failed.status.errors[0].code).toBe('NOT_FOUND');
    const tasks = await http(s.url, `/api/jobs/${id}/tasks?state=failed`);
    expect(tasks.body.length).toBe(failed.status.counts.failed);
    expect(tasks.body[0].error.code).toBe('NOT_FOUND');
    expect(events.messages.some((m) => m.type === 'transition' && m.jobId === id && m.to === 'failed' && m.code === 'NOT_FOUND')).toBe(true);
    const metrics = parsePrometheus((await http(s.url, '/api/metrics')).text);
    expect(metrics.samples.find((x) => x.name === 'panini_task_failures_total')!.value).toBeGreaterThan(0);

    const early = await http(s.url, `/api/jobs/${id}/retry`, { method: 'POST' });
    expect(early.status).toBe(200);
    expect(early.body.state).toBe('queued');
    await fsp.cp(aside, store, { recursive: true });
    w = await startWorker({ ...pipelineOf(), device: 'cpu' });
    try {
      const ok = await events.jobState(id, ['verified']);
      expect(ok.status.counts.verified).toBe(ok.status.total);
    } finally {
      await w.stop();
    }
    const notAgain = await http(s.url, `/api/jobs/${id}/retry`, { method: 'POST' });
    expect(notAgain.status).toBe(409);
    expect(notAgain.body.error.code).toBe('STATE');
  });

  it('refuses bad requests with their code and status, and queues nothing', async () => {
    const tree = await makeTree(join(s.root, 'ok'), 5, 4 << 10);
    const outside = await makeTree(join(tmp, 'outside'), 6, 4 << 10);
    const before = await jobCount();
    const cases: [string, RequestInit & { json?: unknown }, number, string, string?][] = [
      ['malformed JSON', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type": "compress", ' }, 400, 'OPTION'],
      ['not an object', { method: 'POST', json: ['compress'] }, 400, 'OPTION'],
      ['unknown type', { method: 'POST', json: { type: 'squash', input: [tree] } }, 400, 'OPTION', 'type'],
      ['unknown field', { method: 'POST', json: { type: 'compress', input: [tree], priority: 1 } }, 400, 'OPTION', 'priority'],
      ['unknown option', { method: 'POST', json: { type: 'compress', input: [tree], options: { turbo: true } } }, 400, 'OPTION', 'turbo'],
      ['no input', { method: 'POST', json: { type: 'compress', input: [] } }, 400, 'OPTION', 'input'],
      ['input outside roots', { method: 'POST', json: { type: 'compress', input: [outside] } }, 403, 'PATH'],
      ['input with ..', { method: 'POST', json: { type: 'compress', input: [join(s.root, '..', '..', 'outside')] } }, 403, 'PATH'],
      ['missing input', { method: 'POST', json: { type: 'compress', input: [join(s.root, 'nope')] } }, 404, 'NOT_FOUND'],
      ['body over 1 MiB', { method: 'POST', json: { type: 'compress', input: [tree], label: 'x'.repeat(2 << 20) } }, 413, 'LIMIT'],
      ['not JSON at all', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'compress please' }, 400, 'OPTION', 'body'],
      ['empty JSON body', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' }, 400, 'OPTION'],
    ];
    for (const [what, init, status, code, option] of cases) {
      const r = await http(s.url, '/api/jobs', init);
      expect(r.status, what).toBe(status);
      expect(r.body.error.code, what).toBe(code);
      expect(typeof r.body.error.message, what).toBe('string');
      expect(r.body.error.message.length, what).toBeGreaterThan(0);
      if (option) expect(r.body.error.where.option, what).toBe(option);
    }
    // cross-site: another origin's POST, a WebSocket from another origin, a name rebound to 127.0.0.1
    const foreign = await rawRequest(`${s.url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'http://evil.example' },
      body: JSON.stringify({ type: 'compress', input: [tree] }),
    });
    expect(foreign.status).toBe(401);
    expect(foreign.body.error.code).toBe('AUTH');
    const rebound = await rawRequest(`${s.url}/api/jobs`, { headers: { host: 'evil.example:7878' } });
    expect(rebound.status).toBe(401);
    expect(rebound.body.error.code).toBe('AUTH');
    await expect(Events.open(s.ws, { origin: 'http://evil.example' })).rejects.toMatchObject({ statusCode: 401 });
    const same = await Events.open(s.ws, { origin: s.url });
    expect((await same.waitFor((m) => m.type === 'hello', 'hello')).type).toBe('hello');
    same.close();
    const route = await http(s.url, '/api/nothing-here');
    expect(route.status).toBe(404);
    expect(route.body.error.code).toBe('NOT_FOUND');
    // the queue holds no new job, and no task
    expect(await jobCount()).toBe(before);
  });

  it('stores an upload usable as a job input, and refuses bad names and oversized bodies', async () => {
    const before = await jobCount();
    const uploads = join(s.data, 'uploads');
    for (const name of ['..', '../evil.txt', 'a/b', 'bad\u0001name', '']) {
      const r = await http(s.url, `/api/uploads?name=${encodeURIComponent(name)}`, { method: 'POST', body: 'x', headers: { 'content-type': 'application/octet-stream' } });
      expect(r.status, JSON.stringify(name)).toBe(name === '' ? 400 : 403);
      expect(r.body.error.code, name).toBe(name === '' ? 'OPTION' : 'PATH');
    }
    expect(await filesUnder(uploads)).toEqual([]);

    // declared too large (content-length), and streamed too large (no length: the limit trips while writing)
    const big = new Uint8Array(200 << 10).fill(97);
    const declared = await http(s.url, '/api/uploads?name=big.bin', { method: 'POST', body: big, headers: { 'content-type': 'application/octet-stream' } });
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe('LIMIT');
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 50; i++) c.enqueue(new Uint8Array(8 << 10).fill(98));
        c.close();
      },
    });
    const streamed = await http(s.url, '/api/uploads?name=streamed.bin', { method: 'POST', body: stream, duplex: 'half', headers: { 'content-type': 'application/octet-stream' } } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(streamed.body.error.code).toBe('LIMIT');
    expect(await filesUnder(uploads)).toEqual([]);
    expect((await fsp.readdir(uploads)).length).toBe(0);

    const text = 'uploaded text, uploaded text, uploaded text\n'.repeat(100);
    const up = await http(s.url, '/api/uploads?name=notes.txt', { method: 'POST', body: text, headers: { 'content-type': 'text/plain' } });
    expect(up.status).toBe(201);
    expect(up.body.size).toBe(text.length);
    expect(await fsp.readFile(up.body.path, 'utf8')).toBe(text);
    expect(await jobCount()).toBe(before);
    const job = await http(s.url, '/api/jobs', { method: 'POST', json: { type: 'compress', input: [up.body.path] } });
    expect(job.status).toBe(201);
    await events.jobState(job.body.id, ['queued']);
    await http(s.url, `/api/jobs/${job.body.id}/cancel`, { method: 'POST' });
  });
});

describe('start-up', () => {
  it('picks up a job that a crash left pending, and runs it on its embedded worker', async () => {
    const data = join(tmp, 'resume', 'data');
    const root = join(tmp, 'resume', 'root');
    await fsp.mkdir(data, { recursive: true });
    const tree = await makeTree(join(root, 'tree'), 77, 8 << 10);
    const file = join(tree, 'a.txt');
    // a job created but never enqueued: what a server that died while preparing it leaves behind
    const before = await openQueue(`sqlite:${join(data, 'queue.sqlite')}`);
    const id = await before.createJob({ type: 'analyze', input: [file], options: {}, store: join(data, 'store') }, [{ key: 'input-0', kind: 'analyze', size: 0, payload: { path: file } }]);
    expect((await before.job(id))!.state).toBe('pending');
    await before.close();

    const queue = await openQueue(`sqlite:${join(data, 'queue.sqlite')}`);
    const server = await createServer({ pipeline: { queue, data, roots: [root], store: join(data, 'store') }, port: 0, workers: 1, device: 'cpu' });
    const events = await Events.open(server.url.replace(/^http/, 'ws') + '/api/events');
    try {
      events.ws.send(JSON.stringify({ since: 0 }));
      const done = await events.jobState(id, ['verified', 'failed', 'cancelled']);
      expect(done.status.state, JSON.stringify(done.status.errors)).toBe('verified');
    } finally {
      events.close();
      await server.close();
      await queue.close();
    }
  });
});

describe('authentication', () => {
  let s: Setup | undefined;
  afterAll(async () => teardown(s));

  it('refuses a non-loopback host without a token', async () => {
    const data = join(tmp, 'auth-refused');
    await fsp.mkdir(data, { recursive: true });
    const queue = await openQueue(`sqlite:${join(data, 'queue.sqlite')}`);
    try {
      await expect(createServer({ pipeline: { queue, data, roots: [data], store: join(data, 'store') }, host: '0.0.0.0', port: 0, workers: 0 })).rejects.toMatchObject({
        code: 'OPTION',
        where: { option: 'token' },
      });
    } finally {
      await queue.close();
    }
  });

  it('takes the token from PANINI_TOKEN, and then serves a non-loopback address', async () => {
    const data = join(tmp, 'auth-env');
    await fsp.mkdir(data, { recursive: true });
    const queue = await openQueue(`sqlite:${join(data, 'queue.sqlite')}`);
    process.env.PANINI_TOKEN = 'env-token-abcdefgh';
    let server: JobServer | undefined;
    try {
      server = await createServer({ pipeline: { queue, data, roots: [data], store: join(data, 'store') }, host: '0.0.0.0', port: 0, workers: 0 });
      const port = new URL(server.url).port;
      const url = `http://127.0.0.1:${port}`;
      expect((await http(url, '/api/health')).status).toBe(401);
      expect((await http(url, '/api/health', { token: 'env-token-abcdefgh' })).status).toBe(200);
    } finally {
      delete process.env.PANINI_TOKEN;
      await server?.close();
      await queue.close();
    }
  });

  it('requires the bearer token on every /api route when one is set', async () => {
    const token = 'test-token-0123456789';
    s = await setup('auth', { workers: 0, token });
    const none = await http(s.url, '/api/health');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('AUTH');
    const wrong = await http(s.url, '/api/jobs', { token: 'test-token-0123456780' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('AUTH');
    const inQuery = await http(s.url, `/api/jobs?token=${token}`);
    expect(inQuery.status).toBe(401);
    expect((await http(s.url, '/api/health', { token })).status).toBe(200);
    expect((await http(s.url, '/api/jobs', { token })).status).toBe(200);
    expect((await http(s.url, '/')).status).toBe(401);
    expect((await http(s.url, `/?token=${token}`)).status).toBe(200);
    await expect(Events.open(s.ws)).rejects.toMatchObject({ statusCode: 401 });
    const ev = await Events.open(`${s.ws}?token=${token}`);
    expect((await ev.waitFor((m) => m.type === 'hello', 'hello')).seq).toBeGreaterThanOrEqual(0);
    ev.close();
  });
});
