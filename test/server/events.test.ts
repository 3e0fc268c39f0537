// The event hub on its own, with a real queue and stand-in sockets: hello, transitions once each in seq order,
// job status messages, resume with {since}, and a client that stops reading is dropped.
import { EventEmitter } from 'node:events';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../src/pipeline/queue.js';
import type { JobQueue } from '../../src/pipeline/types.js';
import { EventHub } from '../../src/server/events.js';
import { formatMetrics, escapeLabelValue } from '../../src/server/metrics.js';
import { parsePrometheus } from './helpers.js';

class FakeSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  sent: any[] = [];
  terminated = false;
  send(text: string) {
    this.sent.push(JSON.parse(text));
    this.emit('sent');
  }
  terminate() {
    this.terminated = true;
    this.readyState = 3;
    this.emit('close');
  }
  close() {
    this.readyState = 3;
    this.emit('close');
  }
  until(pred: (m: any) => boolean, what: string, ms = 30_000): Promise<any> {
    const found = this.sent.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what}; got ${JSON.stringify(this.sent.slice(-5))}`)), ms);
      const on = () => {
        const m = this.sent.find(pred);
        if (!m) return;
        clearTimeout(timer);
        this.off('sent', on);
        resolve(m);
      };
      this.on('sent', on);
    });
  }
}

let tmp: string;
let queue: JobQueue;
let hub: EventHub;

beforeAll(async () => {
  tmp = await fsp.mkdtemp(join(tmpdir(), 'panini-events-'));
  queue = await openQueue(`sqlite:${join(tmp, 'queue.sqlite')}`);
  hub = new EventHub(queue, { intervalMs: 20, maxBuffered: 1 << 20 });
  await hub.start();
});
afterAll(async () => {
  await hub?.stop();
  await queue?.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

const spec = () => ({ type: 'analyze' as const, input: ['/x'], options: {}, store: join(tmp, 'store') });
const task = (key: string) => ({ key, kind: 'analyze' as const, size: 10, payload: {} });

describe('EventHub', () => {
  it('says hello, then sends each transition once, in seq order, and job status messages', async () => {
    const a = new FakeSocket();
    hub.add(a as never);
    const hello = await a.until((m) => m.type === 'hello', 'hello');
    expect(hello.seq).toBe(hub.seq);
    await a.until((m) => m.type === 'workers', 'workers');
    const id = await queue.createJob(spec(), [task('0'), task('1')]);
    await queue.enqueue(id);
    await a.until((m) => m.type === 'job' && m.status.id === id && m.status.state === 'queued', 'queued job status');
    await a.until((m) => m.type === 'transition' && m.jobId === id && m.taskKey === '1' && m.to === 'queued', 'task 1 queued');
    const seqs = a.sent.filter((m) => m.type === 'transition').map((m) => m.seq);
    expect(seqs.length).toBeGreaterThanOrEqual(2);
    expect(seqs).toEqual([...new Set(seqs)].sort((x, y) => x - y));
    expect(seqs[0]).toBeGreaterThan(hello.seq);

    // a second client resumes from 0 and gets the same transitions
    const b = new FakeSocket();
    hub.add(b as never);
    await b.until((m) => m.type === 'hello', 'hello');
    b.emit('message', Buffer.from(JSON.stringify({ since: 0 })));
    const last = seqs[seqs.length - 1];
    await b.until((m) => m.type === 'transition' && m.seq === last, 'replayed transitions');
    const replayed = b.sent.filter((m) => m.type === 'transition').map((m) => m.seq);
    expect(replayed.filter((s) => seqs.includes(s))).toEqual(seqs);
    expect(replayed).toEqual([...new Set(replayed)].sort((x, y) => x - y));
    b.emit('message', Buffer.from(JSON.stringify({ since: -3 })));
    expect((await b.until((m) => m.type === 'error', 'error')).error.where.option).toBe('since');
    a.close();
    b.close();
    expect(hub.clients.size).toBe(0);
  });

  it('drops a client whose send buffer is over the bound, and keeps serving the others', async () => {
    const slow = new FakeSocket();
    const fine = new FakeSocket();
    hub.add(slow as never);
    hub.add(fine as never);
    await slow.until((m) => m.type === 'hello', 'hello');
    await fine.until((m) => m.type === 'hello', 'hello');
    slow.bufferedAmount = 2 << 20;
    const id = await queue.createJob(spec(), [task('0')]);
    await queue.enqueue(id);
    await fine.until((m) => m.type === 'transition' && m.jobId === id && m.to === 'queued', 'transition to the reading client');
    expect(slow.terminated).toBe(true);
    expect(slow.sent.some((m) => m.jobId === id)).toBe(false);
    expect(hub.clients.size).toBe(1);
    fine.close();
  });
});

describe('metrics text', () => {
  it('escapes label values and help text as the format asks', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const text = formatMetrics([{ name: 'x_total', help: 'line one\nback\\slash', type: 'counter', samples: [{ labels: { path: 'a"b\\c\nd' }, value: 3 }] }]);
    expect(text).toBe('# HELP x_total line one\\nback\\\\slash\n# TYPE x_total counter\nx_total{path="a\\"b\\\\c\\nd"} 3\n');
    const parsed = parsePrometheus(text);
    expect(parsed.samples[0]!.labels.path).toBe('a"b\\c\nd');
    expect(() => formatMetrics([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }])).toThrow();
  });
});
