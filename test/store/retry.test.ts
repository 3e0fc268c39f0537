/**
 * RetryingStore over FaultyStore: transient faults (500-like failures, timeouts, puts that store nothing, lost
 * acknowledgements) are retried until the operation succeeds with the right bytes; a dead store gives up with STORE
 * after the bound; answers (NOT_FOUND, OPTION, ABORTED) are not retried. Fault patterns come from fixed seeds.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FaultyStore, LocalStore, MemoryStore, RetryingStore, isPaniniError, type PaniniError } from '../../src/node.js';
import { storeConformance } from './conformance.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const roots: string[] = [];
afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<PaniniError> {
  try {
    await p;
  } catch (e) {
    if (isPaniniError(e)) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

const transient = { failureRate: 0.2, timeoutRate: 0.05, partialWriteRate: 0.1, lostAckRate: 0.1, hangMs: 60_000 };
const fast = { attempts: 10, baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 300 };

// The whole contract holds through retries over a store that fails a third of its operations.
let seed = 1;
const faulties: FaultyStore[] = [];
storeConformance('retrying over faulty memory', async () => {
  const f = new FaultyStore(new MemoryStore(), { seed: seed++, ...transient });
  faulties.push(f);
  return new RetryingStore(f, fast);
});
storeConformance('retrying over faulty local directory', async () => {
  const d = mkdtempSync(join(tmpdir(), 'panini-retry-'));
  roots.push(d);
  const f = new FaultyStore(new LocalStore(d), { seed: 1000 + seed++, ...transient });
  faulties.push(f);
  return new RetryingStore(f, fast);
});

describe('retrying store', () => {
  it('the contract runs above really injected faults', () => {
    const total = faulties.reduce((a, f) => a + f.counts.failure + f.counts.timeout + f.counts.partialWrite + f.counts.lostAck, 0);
    expect(faulties.length).toBeGreaterThan(10);
    expect(total).toBeGreaterThan(50);
  });

  it('recovers from transient faults: every object read back equals what was written', async () => {
    const inner = new MemoryStore();
    const f = new FaultyStore(inner, { seed: 42, ...transient });
    const s = new RetryingStore(f, fast);
    const blobs = Array.from({ length: 40 }, (_, i) => randomBytes(100 + i * 311));
    for (let i = 0; i < blobs.length; i++) await s.put(`o/${i}`, blobs[i]!);
    for (let i = 0; i < blobs.length; i++) {
      expect(sha(await s.get(`o/${i}`))).toBe(sha(blobs[i]!));
      expect(sha(await s.getRange(`o/${i}`, 10, 50))).toBe(sha(blobs[i]!.subarray(10, 60)));
      // the inner store, read without faults, holds exactly the bytes
      expect(sha(await inner.get(`o/${i}`))).toBe(sha(blobs[i]!));
    }
    const keys: string[] = [];
    for await (const { key } of s.list('o/')) keys.push(key);
    expect(keys).toEqual(blobs.map((_, i) => `o/${i}`).sort());
    expect(f.counts.failure).toBeGreaterThan(0);
    expect(f.counts.timeout).toBeGreaterThan(0);
    expect(f.counts.partialWrite).toBeGreaterThan(0);
    expect(f.counts.lostAck).toBeGreaterThan(0);
  });

  it('the same seed gives the same faults', async () => {
    const run = async () => {
      const f = new FaultyStore(new MemoryStore(), { seed: 7, failureRate: 0.3, partialWriteRate: 0.2 });
      const s = new RetryingStore(f, { ...fast, attempts: 20 });
      for (let i = 0; i < 30; i++) await s.put(`k${i}`, new Uint8Array([i]));
      return { ...f.counts };
    };
    expect(await run()).toEqual(await run());
  });

  it('gives up after the bound with STORE, saying how many attempts were made', async () => {
    const f = new FaultyStore(new MemoryStore(), { seed: 3, dieAfter: 2 });
    const tries: number[] = [];
    const s = new RetryingStore(f, { ...fast, attempts: 4, onRetry: (i) => tries.push(i.attempt) });
    await s.put('a', new Uint8Array([1]));
    expect((await s.get('a'))[0]).toBe(1);
    const e = await failure(s.get('a'));
    expect(e.code).toBe('STORE');
    expect(e.message).toContain('after 4 attempts');
    expect(e.message).toContain('the store is down');
    expect(e.where?.attempts).toBe(4);
    expect(tries).toEqual([1, 2, 3]);
    expect(f.counts.dead).toBe(4);
  });

  it('a store that never answers: each attempt times out, then STORE', async () => {
    const f = new FaultyStore(new MemoryStore(), { seed: 5, timeoutRate: 1, hangMs: 60_000 });
    const s = new RetryingStore(f, { attempts: 3, baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 20 });
    const e = await failure(s.put('k', new Uint8Array(3)));
    expect(e.code).toBe('STORE');
    expect(e.message).toMatch(/after 3 attempts: .*no answer within 20 ms/);
    expect(f.counts.timeout).toBe(3);
    expect(await f.inner.stat('k')).toBeUndefined();
  });

  it('answers are not retried: NOT_FOUND, OPTION, and the caller aborting', async () => {
    const f = new FaultyStore(new MemoryStore(), { seed: 9 });
    const s = new RetryingStore(f, fast);
    expect((await failure(s.get('missing'))).code).toBe('NOT_FOUND');
    expect(f.counts.operations).toBe(1);
    expect((await failure(s.get('../x'))).code).toBe('OPTION');
    expect(f.counts.operations).toBe(1);
    // a hung operation stops when the caller aborts, with ABORTED and no retry
    const hung = new FaultyStore(new MemoryStore(), { seed: 9, timeoutRate: 1, hangMs: 60_000 });
    const r = new RetryingStore(hung, { ...fast, timeoutMs: 0 });
    const ac = new AbortController();
    const p = failure(r.get('k', { signal: ac.signal }));
    setTimeout(() => ac.abort(), 10);
    expect((await p).code).toBe('ABORTED');
    expect(hung.counts.operations).toBe(1);
  });

  it('a corrupted read is returned as read: retries do not hide corruption, the caller verifies', async () => {
    // RetryingStore retries failures, it does not judge bytes; ReplicatedStore with sha256 does (replicated.test.ts).
    const f = new FaultyStore(new MemoryStore(), { seed: 11, corruptRate: 1 });
    const s = new RetryingStore(f, fast);
    const data = randomBytes(1000);
    await s.put('c', data);
    expect(sha(await s.get('c'))).not.toBe(sha(data));
    expect(f.counts.corrupt).toBe(1);
  });

  it('rejects bad options (OPTION)', () => {
    expect(() => new RetryingStore(new MemoryStore(), { attempts: 0 })).toThrow(/attempts/);
    expect(() => new FaultyStore(new MemoryStore(), { seed: 1, failureRate: 2 })).toThrow(/failureRate/);
  });
});
