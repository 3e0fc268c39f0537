// Shared by the job server's tests: temp trees, an HTTP client that returns status + JSON, and a WebSocket client
// that records every event and waits for the one a test needs (no sleeps: generous timeouts instead).
import { promises as fsp } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import WebSocket from 'ws';

export interface Reply {
  status: number;
  type: string;
  body: any;
  text: string;
}

export async function http(base: string, path: string, init: RequestInit & { token?: string; json?: unknown } = {}): Promise<Reply> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  const res = await fetch(base + path, { ...init, headers, body });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  let parsed: unknown = undefined;
  if (type.includes('json')) parsed = JSON.parse(text);
  return { status: res.status, type, body: parsed, text };
}

/** Text with repeats and some variety: compressible, like real source or logs. */
export function compressibleText(seed: number, size: number): string {
  const words = ['panini', 'dhatu', 'grammar', 'chunk', 'verify', 'store', 'queue', 'worker', 'ratio', 'stream', 'sutra', 'root'];
  let x = seed >>> 0 || 1;
  let out = '';
  while (out.length < size) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out += `${words[x % words.length]} ${words[(x >>> 8) % words.length]} ${x % 1000}\n`;
  }
  return out.slice(0, size);
}

/** A small tree: a few files, two with the same content. */
export async function makeTree(dir: string, seed: number, size = 48 << 10): Promise<string> {
  await fsp.mkdir(join(dir, 'sub'), { recursive: true });
  const a = compressibleText(seed, size);
  await fsp.writeFile(join(dir, 'a.txt'), a);
  await fsp.writeFile(join(dir, 'copy-of-a.txt'), a);
  await fsp.writeFile(join(dir, 'sub', 'b.log'), compressibleText(seed + 1, size / 2));
  await fsp.writeFile(join(dir, 'sub', 'c.json'), JSON.stringify(Array.from({ length: 400 }, (_, i) => ({ i, name: `item-${i % 17}`, ok: i % 3 === 0 }))));
  return dir;
}

export class Events {
  readonly messages: any[] = [];
  private waiters: { pred: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  closed = false;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
    ws.on('close', () => {
      this.closed = true;
    });
  }

  static open(url: string, options?: WebSocket.ClientOptions): Promise<Events> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const ev = new Events(ws);
      ws.once('open', () => resolve(ev));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`unexpected response ${res.statusCode}`), { statusCode: res.statusCode })));
    });
  }

  /** The first message (already received or coming) that matches; rejects after `ms`. */
  waitFor(pred: (m: any) => boolean, what: string, ms = 90_000): Promise<any> {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no event ${what} within ${ms} ms; last: ${JSON.stringify(this.messages.slice(-5))}`)), ms);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  jobState(id: string, states: string[], ms?: number): Promise<any> {
    return this.waitFor((m) => m.type === 'job' && m.status.id === id && states.includes(m.status.state), `job ${id} ${states.join('|')}`, ms);
  }

  close(): void {
    this.ws.close();
  }
}

export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    let names: string[];
    try {
      names = await fsp.readdir(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const st = await fsp.lstat(p);
      if (st.isDirectory()) await walk(p);
      else out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}

/** A Prometheus text exposition parser, strict about the format rules (HELP/TYPE before samples, escaping). */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string>; help: Map<string, string> } {
  if (!text.endsWith('\n')) throw new Error('exposition text must end with a newline');
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, n) => {
    const where = `line ${n + 1}: ${JSON.stringify(line)}`;
    if (line === '') return;
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line))) {
      if (help.has(m[1]!)) throw new Error(`second HELP for ${m[1]} at ${where}`);
      if (/\\[^\\n]/.test(m[2]!.replace(/\\\\/g, ''))) throw new Error(`bad escape in HELP at ${where}`);
      help.set(m[1]!, m[2]!);
      return;
    }
    if ((m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line))) {
      if (types.has(m[1]!)) throw new Error(`second TYPE for ${m[1]} at ${where}`);
      if (samples.some((s) => s.name === m![1])) throw new Error(`TYPE after samples of ${m[1]} at ${where}`);
      types.set(m[1]!, m[2]!);
      return;
    }
    if (line.startsWith('#')) throw new Error(`unknown comment form at ${where}`);
    m = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`).exec(line);
    if (!m) throw new Error(`not a sample at ${where}`);
    const labels: Record<string, string> = {};
    if (m[2] !== undefined && m[2] !== '') {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
      let at = 0;
      while (at < m[2].length) {
        re.lastIndex = at;
        const l = re.exec(m[2]);
        if (!l) throw new Error(`bad label set at ${where}`);
        if (l[1]! in labels) throw new Error(`label ${l[1]} twice at ${where}`);
        labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        at = re.lastIndex;
        if (l[3] === '' && at !== m[2].length) throw new Error(`bad label set at ${where}`);
      }
    }
    const v = m[3]!;
    if (!/^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]Inf)$/.test(v)) throw new Error(`bad value at ${where}`);
    const name = m[1]!;
    if (!types.has(name)) throw new Error(`sample before its TYPE at ${where}`);
    if (!help.has(name)) throw new Error(`sample without HELP at ${where}`);
    if (types.get(name) === 'counter' && !name.endsWith('_total')) throw new Error(`counter not named *_total at ${where}`);
    samples.push({ name, labels, value: v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v) });
  });
  return { samples, types, help };
}

/** A raw HTTP request with headers fetch will not send as given (Host, Origin). */
export function rawRequest(url: string, o: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method ?? 'GET', headers: o.headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}
