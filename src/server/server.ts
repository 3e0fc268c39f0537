// The job server (`panini-fs serve`): a REST API over the pipeline's queue, a WebSocket of live events, Prometheus
// metrics, uploads, the dashboard, and embedded worker loops so that one process runs jobs end to end.
// docs/SERVER.md is the reference of its routes, messages, metrics, authentication and error mapping.
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import { PaniniError } from '../errors.js';
import { setupNode } from '../node/setup.js';
import { init } from '../wasm/core.js';
import * as jobs from '../pipeline/jobs.js';
import type { Pipeline, JobRequest } from '../pipeline/jobs.js';
import { startWorker, type WorkerHandle } from '../pipeline/worker.js';
import { JOB_TYPES, TASK_STATES, type Json, type JobType, type TaskState } from '../pipeline/types.js';
import { isStoreInput } from '../pipeline/chunker.js';
import { errorReply } from './errors.js';
import { EventHub, type HubOptions } from './events.js';
import { METRICS_CONTENT_TYPE, formatMetrics, queueMetrics } from './metrics.js';
import { receiveUpload } from './uploads.js';
import { withRates } from './view.js';

export type WorkerDevice = 'auto' | 'cpu' | 'gpu';

export interface ServerOptions {
  pipeline: Pipeline;
  /** default 127.0.0.1; any other address than 127.0.0.1, ::1 or localhost needs a token */
  host?: string;
  /** default 7878; 0 picks a free port */
  port?: number;
  /** bearer token every /api route requires (default: env PANINI_TOKEN; none on loopback when unset) */
  token?: string;
  /** largest upload in bytes (default 1 GiB) */
  maxUpload?: number;
  /** worker loops run inside the server (default 1; 0: jobs wait for `panini-fs worker` processes) */
  workers?: number;
  /** device of the embedded workers (default auto) */
  device?: WorkerDevice;
  /** tasks each embedded worker runs at once (default 1) */
  concurrency?: number;
  /** the embedded workers' claim lease in ms (default 60 000): how soon a crashed server's tasks go back to the queue */
  leaseMs?: number;
  /** poll interval, throttles and bounds of the event stream */
  events?: HubOptions;
}

export interface JobServer {
  /** http://host:port, the dashboard's address */
  url: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/** a Host header naming a loopback address, with or without a port */
const LOOPBACK_HOST = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?$/i;
const DEVICES: readonly WorkerDevice[] = ['auto', 'cpu', 'gpu'];
const JOB_KEYS = new Set(['type', 'input', 'options', 'label']);
/** routes that also take the token as ?token= (a WebSocket, a page, a download link cannot set a header) */
const QUERY_TOKEN = /^\/(?:$|api\/events$|api\/jobs\/[^/]+\/files\/[^/]+$)/;
const UI_TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

declare const __PANINI_VERSION__: string;

/** The package version: defined at build time, read from package.json when running from the sources. */
export function serverVersion(): string {
  if (typeof __PANINI_VERSION__ === 'string') return __PANINI_VERSION__;
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(fileURLToPath(new URL(rel, import.meta.url)), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'panini-fs' && pkg.version) return pkg.version;
    } catch {
      // not there: try the next candidate
    }
  }
  return 'dev';
}

/** Where the dashboard's files are: src/server/ui/ next to this module, dist/ui/ next to the bundled CLI. */
export function uiDir(): string {
  return fileURLToPath(new URL('./ui/', import.meta.url));
}

function intOption(v: unknown, name: string, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new PaniniError('OPTION', `${name} must be an integer in [${min}, ${max}], got ${String(v)}`, { option: name });
  }
  return v;
}

function sameSecret(given: string, token: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

function queryInt(q: unknown, name: string, min: number, max: number, dflt: number): number {
  if (q === undefined || q === '') return dflt;
  const s = String(q);
  if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max) {
    throw new PaniniError('OPTION', `?${name}= must be an integer in [${min}, ${max}], got "${s}"`, { option: name });
  }
  return Number(s);
}

/** The body of POST /api/jobs, checked for shape; jobs.ts checks the type's options and the paths. */
function jobRequest(body: unknown): JobRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new PaniniError('OPTION', 'the body of POST /api/jobs must be a JSON object {type, input, options, label}', { option: 'body' });
  }
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!JOB_KEYS.has(k)) throw new PaniniError('OPTION', `unknown field "${k}" in the job request (type, input, options, label)`, { option: k });
  if (typeof b.type !== 'string' || !(JOB_TYPES as readonly string[]).includes(b.type)) {
    throw new PaniniError('OPTION', `unknown job type ${JSON.stringify(b.type)} (one of ${JOB_TYPES.join(', ')})`, { option: 'type' });
  }
  if (b.type === 'assemble' ? b.input !== undefined : !Array.isArray(b.input) || b.input.length === 0 || !b.input.every((x) => typeof x === 'string' && x.length > 0)) {
    throw new PaniniError('OPTION', b.type === 'assemble' ? 'an assemble job has no input (it reads the stored results of options.job)' : 'input must be a non-empty array of paths', { option: 'input' });
  }
  if (b.options !== undefined && (b.options === null || typeof b.options !== 'object' || Array.isArray(b.options))) {
    throw new PaniniError('OPTION', 'options must be a JSON object', { option: 'options' });
  }
  if (b.label !== undefined && (typeof b.label !== 'string' || b.label.length > 500)) {
    throw new PaniniError('OPTION', 'label must be a string of at most 500 characters', { option: 'label' });
  }
  const req: JobRequest = { type: b.type as JobType, ...(b.input !== undefined ? { input: b.input as string[] } : {}) };
  if (b.options !== undefined) req.options = b.options as { [k: string]: Json };
  if (b.label !== undefined && b.label !== '') req.label = b.label as string;
  return req;
}

export async function createServer(o: ServerOptions): Promise<JobServer> {
  const host = o.host ?? '127.0.0.1';
  const port = intOption(o.port, 'port', 0, 65535, 7878);
  const maxUpload = intOption(o.maxUpload, 'maxUpload', 1, Number.MAX_SAFE_INTEGER, 1 << 30);
  const workerCount = intOption(o.workers, 'workers', 0, 256, 1);
  const concurrency = intOption(o.concurrency, 'concurrency', 1, 256, 1);
  const leaseMs = intOption(o.leaseMs, 'leaseMs', 100, 86_400_000, 60_000);
  const device = o.device ?? 'auto';
  if (!DEVICES.includes(device)) throw new PaniniError('OPTION', `device must be one of ${DEVICES.join(', ')}, got ${JSON.stringify(device)}`, { option: 'device' });
  const token = o.token ?? (process.env.PANINI_TOKEN || undefined);
  if (token !== undefined && token.length < 8) throw new PaniniError('OPTION', 'the token must be at least 8 characters long', { option: 'token' });
  if (!LOOPBACK.has(host) && token === undefined) {
    throw new PaniniError('OPTION', `serving on ${host} (not loopback) needs a token: pass one or set PANINI_TOKEN`, { option: 'token', host });
  }
  // the Node set-up (local and cloud stores, native SHA-256, worker threads) and the wasm core the workers code with
  setupNode();
  await init();
  const uploads = resolve(o.pipeline.data, 'uploads');
  const roots = o.pipeline.roots.map((r) => (isStoreInput(r) ? r : resolve(r)));
  if (!roots.includes(uploads)) roots.push(uploads);
  const p: Pipeline = { ...o.pipeline, roots };
  const queue = p.queue;
  const version = serverVersion();

  const ui = uiDir();
  const uiFiles = new Map<string, Buffer>();
  for (const name of Object.keys(UI_TYPES)) {
    const f = join(ui, name);
    if (existsSync(f)) uiFiles.set(name, readFileSync(f));
  }

  const hub = new EventHub(queue, o.events);
  await hub.start();

  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 1 << 20, return503OnClosing: true, forceCloseConnections: true });
  await app.register(websocket, { options: { maxPayload: 64 << 10 } });

  app.setErrorHandler((err, req, reply) => {
    const r = errorReply(err);
    if (r.internal) process.stderr.write(`panini-fs serve: ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    void reply.code(r.status).type('application/json; charset=utf-8').send(r.body);
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const e = new PaniniError('NOT_FOUND', `no route ${req.method} ${path}`, { path });
    void reply.code(404).send(errorReply(e).body);
  });

  // Cross-site requests: a page of another origin may reach a loopback server through the browser (a simple POST,
  // a WebSocket, which no CORS rule covers, or a DNS name rebound to 127.0.0.1). Requests that carry an Origin of
  // another host are refused, and without a token the Host header must be a loopback name.
  app.addHook('onRequest', async (req: FastifyRequest) => {
    const path = req.url.split('?')[0]!;
    const hostHeader = req.headers.host ?? '';
    if (token === undefined && LOOPBACK.has(host) && !LOOPBACK_HOST.test(hostHeader)) {
      throw new PaniniError('AUTH', `Host ${JSON.stringify(hostHeader)} is not a loopback name: a server without a token answers only 127.0.0.1, localhost and [::1]`, { path });
    }
    const origin = req.headers.origin;
    if (typeof origin === 'string') {
      let originHost: string;
      try {
        originHost = new URL(origin).host;
      } catch {
        originHost = '';
      }
      if (originHost !== hostHeader) throw new PaniniError('AUTH', `cross-origin request from ${JSON.stringify(origin)} refused`, { path });
    }
  });

  if (token !== undefined) {
    app.addHook('onRequest', async (req: FastifyRequest) => {
      const path = req.url.split('?')[0]!;
      if (!path.startsWith('/api/') && path !== '/' && path !== '/api') return;
      const header = req.headers.authorization;
      let given: string | undefined;
      if (typeof header === 'string' && /^Bearer\s+/i.test(header)) given = header.replace(/^Bearer\s+/i, '').trim();
      else if (QUERY_TOKEN.test(path)) {
        const q = (req.query as Record<string, unknown> | undefined)?.token;
        if (typeof q === 'string') given = q;
      }
      if (given === undefined) throw new PaniniError('AUTH', `${path} needs "Authorization: Bearer TOKEN"`, { path });
      if (!sameSecret(given, token)) throw new PaniniError('AUTH', `the token given for ${path} is not the server's`, { path });
    });
  }

  const findJob = async (id: string) => {
    const s = await queue.job(id);
    if (!s) throw new PaniniError('NOT_FOUND', `no job ${JSON.stringify(id)} in ${queue.location}`, { job: id });
    return s;
  };

  // ---- REST
  app.get('/api/health', async () => ({ ok: true, queue: queue.location, version }));

  app.post('/api/jobs', async (req, reply) => {
    const r = jobRequest(req.body);
    const { id, ready } = await jobs.submitJob(p, r);
    ready.catch((e: unknown) => process.stderr.write(`panini-fs serve: job ${id} could not be enqueued: ${e instanceof Error ? e.message : String(e)}\n`));
    return reply.code(201).send({ id });
  });

  app.get('/api/jobs', async (req) => {
    const q = req.query as Record<string, unknown>;
    const limit = queryInt(q.limit, 'limit', 1, 10_000, 200);
    const now = Date.now();
    return (await queue.jobs({ limit })).map((s) => withRates(s, now));
  });

  app.get<{ Params: { id: string } }>('/api/jobs/:id', async (req) => withRates(await findJob(req.params.id)));

  app.post<{ Params: { id: string } }>('/api/jobs/:id/cancel', async (req) => {
    await findJob(req.params.id);
    await queue.cancelJob(req.params.id);
    return withRates(await findJob(req.params.id));
  });

  app.post<{ Params: { id: string } }>('/api/jobs/:id/retry', async (req) => {
    const s = await findJob(req.params.id);
    if (s.state !== 'failed' && s.state !== 'cancelled') {
      throw new PaniniError('STATE', `job ${s.id} is ${s.state}: only a failed or cancelled job can be retried`, { job: s.id, state: s.state });
    }
    await queue.retryJob(req.params.id);
    return withRates(await findJob(req.params.id));
  });

  app.get<{ Params: { id: string } }>('/api/jobs/:id/result', async (req) => {
    await findJob(req.params.id);
    return jobs.jobResult(p, req.params.id);
  });

  app.get<{ Params: { id: string; name: string } }>('/api/jobs/:id/files/:name', async (req, reply) => {
    const { id, name } = req.params;
    await findJob(id);
    const result = await jobs.jobResult(p, id);
    const file = result.files.find((f) => f.name === name);
    if (!file) throw new PaniniError('NOT_FOUND', `job ${id} has no file ${JSON.stringify(name)} (it has ${result.files.map((f) => f.name).join(', ') || 'none'})`, { job: id, path: name });
    const bytes = await jobs.readJobFile(p, id, name);
    // a report.html runs in a sandbox (its own opaque origin), never as the dashboard's origin
    return reply.type(file.type || 'application/octet-stream').header('x-content-type-options', 'nosniff').header('content-security-policy', 'sandbox allow-scripts').send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });

  app.get<{ Params: { id: string } }>('/api/jobs/:id/tasks', async (req) => {
    await findJob(req.params.id);
    const q = req.query as Record<string, unknown>;
    let state: TaskState | undefined;
    if (q.state !== undefined && q.state !== '') {
      if (!(TASK_STATES as readonly unknown[]).includes(q.state)) throw new PaniniError('OPTION', `?state= must be one of ${TASK_STATES.join(', ')}, got ${JSON.stringify(q.state)}`, { option: 'state' });
      state = q.state as TaskState;
    }
    const limit = queryInt(q.limit, 'limit', 1, 10_000, 100);
    const offset = queryInt(q.offset, 'offset', 0, Number.MAX_SAFE_INTEGER, 0);
    return queue.tasks(req.params.id, { ...(state ? { state } : {}), limit, offset });
  });

  app.get('/api/workers', async () => queue.workers());

  app.get('/api/metrics', async (_req, reply) => {
    const [all, workers] = await Promise.all([queue.jobs({ limit: 100_000 }), queue.workers()]);
    const text = formatMetrics(queueMetrics({ jobs: all, workers, taskFailures: hub.taskFailures, throughput: hub.throughput() }));
    return reply.type(METRICS_CONTENT_TYPE).send(text);
  });

  // ---- uploads: the body is streamed to disk, not parsed
  await app.register(async (sub) => {
    sub.removeAllContentTypeParsers();
    sub.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    sub.post('/api/uploads', async (req: FastifyRequest, reply: FastifyReply) => {
      const q = req.query as Record<string, unknown>;
      const length = req.headers['content-length'];
      const declared = typeof length === 'string' && /^\d+$/.test(length) ? Number(length) : undefined;
      try {
        const r = await receiveUpload(req.raw, uploads, q.name as string, maxUpload, declared);
        return reply.code(201).send(r);
      } catch (e) {
        // the rest of a refused body is not read: close the connection after the reply
        if (!req.raw.complete) void reply.header('connection', 'close');
        throw e;
      }
    });
  });

  // ---- live events
  app.get('/api/events', { websocket: true }, (socket) => hub.add(socket));

  // ---- dashboard
  const sendUi = (name: string, reply: FastifyReply) => {
    const body = uiFiles.get(name);
    if (!body) throw new PaniniError('NOT_FOUND', `the dashboard file ${name} is missing from ${ui} (build the package with npm run build)`, { path: join(ui, name) });
    return reply.type(UI_TYPES[name]!).header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').header('cache-control', 'no-cache').send(body);
  };
  app.get('/', async (_req, reply) => sendUi('index.html', reply));
  app.get<{ Params: { file: string } }>('/ui/:file', async (req, reply) => {
    if (!(req.params.file in UI_TYPES) || req.params.file === 'index.html') throw new PaniniError('NOT_FOUND', `no dashboard file ${JSON.stringify(req.params.file)}`, { path: req.params.file });
    return sendUi(req.params.file, reply);
  });

  // ---- embedded workers, and jobs a crash left pending
  const loops: WorkerHandle[] = [];
  try {
    for (let i = 0; i < workerCount; i++) loops.push(await startWorker({ queue, concurrency, device, leaseMs }));
  } catch (e) {
    await Promise.allSettled(loops.map((w) => w.stop()));
    await hub.stop();
    throw e;
  }
  for (const w of loops) {
    w.done.catch((e: unknown) => process.stderr.write(`panini-fs serve: worker ${w.id} stopped: ${e instanceof Error ? e.message : String(e)}\n`));
  }

  let address: string;
  try {
    address = await app.listen({ host, port });
  } catch (e) {
    await Promise.allSettled(loops.map((w) => w.stop()));
    await hub.stop();
    const err = e as NodeJS.ErrnoException;
    const code = err.code === 'EADDRINUSE' ? 'EXISTS' : err.code === 'EACCES' ? 'AUTH' : 'IO';
    throw new PaniniError(code, `cannot listen on ${host}:${port}: ${err.message}`, { host, port }, { cause: e });
  }
  const url = address;
  // jobs a crash left pending are prepared again in the background (chunking a large input takes a while)
  const resuming = jobs.resumePending(p).then(
    (ids) => {
      if (ids.length) process.stderr.write(`panini-fs serve: picked up ${ids.length} job(s) left pending: ${ids.join(', ')}\n`);
    },
    (e: unknown) => process.stderr.write(`panini-fs serve: resuming pending jobs failed: ${e instanceof Error ? e.message : String(e)}\n`),
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= (async () => {
        await resuming;
        await Promise.allSettled(loops.map((w) => w.stop()));
        await hub.stop();
        await app.close();
      })();
      return closing;
    },
  };
}
