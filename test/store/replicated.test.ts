/**
 * ReplicatedStore: the contract over three replicas, then one replica dead, one corrupted, lagging replicas repaired.
 * Bytes are checked against node:crypto digests of what was written, and each replica is read directly afterwards.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FaultyStore, MemoryStore, ReplicatedStore, isPaniniError, type PaniniError, type Store } from '../../src/node.js';
import { storeConformance } from './conformance.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const dead = (name: string) => new FaultyStore(new MemoryStore(name), { seed: 1, dieAfter: 0 });

async function failure(p: Promise<unknown>): Promise<PaniniError> {
  try {
    await p;
  } catch (e) {
    if (isPaniniError(e)) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

async function keys(s: Store, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const i of s.list(prefix)) out.push(i.key);
  return out;
}

storeConformance('replicated: 3 memory replicas, all must write', async () =>
  new ReplicatedStore([new MemoryStore('a'), new MemoryStore('b'), new MemoryStore('c')]));
storeConformance('replicated: 3 replicas, quorum 2, one dead', async () =>
  new ReplicatedStore([new MemoryStore('a'), dead('b'), new MemoryStore('c')], { writeQuorum: 2 }));

describe('replicated store', () => {
  it('with one replica dead: puts reach quorum, reads come from the living, the dead one is listed as lagging', async () => {
    const a = new MemoryStore('a');
    const c = new MemoryStore('c');
    const b = dead('b');
    const s = new ReplicatedStore([b, a, c], { writeQuorum: 2 });
    const data = randomBytes(5000);
    await s.put('k/1', data);
    expect(sha(await s.get('k/1'))).toBe(sha(data));
    expect(sha(await a.get('k/1'))).toBe(sha(data));
    expect(sha(await c.get('k/1'))).toBe(sha(data));
    await s.close(); // waits for the background write to the dead replica
    expect([...(s.lagging.get('k/1') ?? [])]).toEqual([b]);
    // Two of three say NOT_FOUND: with quorum 2 that proves no acknowledged put has the key.
    expect((await failure(s.get('k/none'))).code).toBe('NOT_FOUND');
    expect(await s.stat('k/none')).toBeUndefined();
    expect(await keys(s)).toEqual(['k/1']);
  });

  it('with all replicas required, one dead replica fails the put with STORE naming it', async () => {
    const s = new ReplicatedStore([new MemoryStore('a'), dead('b'), new MemoryStore('c')]);
    const e = await failure(s.put('x', new Uint8Array(10)));
    expect(e.code).toBe('STORE');
    expect(e.message).toContain('2 of 3 replicas succeeded, 3 needed');
    expect(e.message).toContain('memory:b');
    // With every replica required, one NOT_FOUND proves the key has no acknowledged put.
    expect((await failure(s.get('nothing'))).code).toBe('NOT_FOUND');
  });

  it('a missing key behind too many dead replicas is STORE, not NOT_FOUND', async () => {
    const s = new ReplicatedStore([dead('a'), dead('b'), new MemoryStore('c')], { writeQuorum: 2 });
    expect((await failure(s.get('k'))).code).toBe('STORE');
    expect((await failure(keys(s))).code).toBe('STORE');
  });

  it('with one replica corrupted: sha256 skips the bad copy, without it the first copy is returned', async () => {
    const a = new MemoryStore('a');
    const b = new MemoryStore('b');
    const s = new ReplicatedStore([a, b]);
    const data = randomBytes(4096);
    await s.put('obj', data);
    const bad = Uint8Array.from(data);
    bad[100]! ^= 0x40;
    await a.put('obj', bad);
    const want = sha(data);
    expect(sha(await s.get('obj', { sha256: want }))).toBe(want);
    expect(sha(await s.get('obj'))).toBe(sha(bad));
    // a corrupt read on the wire (not at rest) is caught the same way
    const flaky = new ReplicatedStore([new FaultyStore(b, { seed: 2, corruptRate: 1 }), b]);
    expect(sha(await flaky.get('obj', { sha256: want }))).toBe(want);
    // no good copy anywhere: CHECKSUM
    await b.put('obj', bad);
    expect((await failure(s.get('obj', { sha256: want }))).code).toBe('CHECKSUM');
    expect((await failure(s.get('obj', { sha256: 'xyz' }))).code).toBe('OPTION');
  });

  it('repair copies to replicas that lack the object or, given the digest, hold a bad copy', async () => {
    const a = new MemoryStore('a');
    const b = new MemoryStore('b');
    const c = new MemoryStore('c');
    const s = new ReplicatedStore([a, b, c], { writeQuorum: 1 });
    const data = randomBytes(3000);
    await b.put('p', data);
    const bad = Uint8Array.from(data);
    bad[0]! ^= 1;
    await c.put('p', bad);
    const r = await s.repair('p', { sha256: sha(data) });
    expect(r.found).toBe(true);
    expect(r.copiedTo.sort()).toEqual(['memory:a', 'memory:c']);
    for (const x of [a, b, c]) expect(sha(await x.get('p'))).toBe(sha(data));
    expect((await s.repair('p')).copiedTo).toEqual([]);
  });

  it('sync copies every missing object, after a replica was down during writes', async () => {
    const a = new MemoryStore('a');
    const bInner = new MemoryStore('b');
    const b = new FaultyStore(bInner, { seed: 4, failureRate: 0.5 });
    const s = new ReplicatedStore([a, b], { writeQuorum: 1 });
    const blobs = Array.from({ length: 20 }, (_, i) => randomBytes(200 + i));
    for (let i = 0; i < blobs.length; i++) await s.put(`d/${String(i).padStart(2, '0')}`, blobs[i]!);
    await s.close();
    const missing = blobs.length - (await keys(bInner)).length;
    expect(missing).toBeGreaterThan(0);
    expect(s.lagging.size).toBe(missing);
    const healed = new ReplicatedStore([a, bInner]);
    const reports = await healed.sync('d/');
    expect(reports.length).toBe(missing);
    for (let i = 0; i < blobs.length; i++) expect(sha(await bInner.get(`d/${String(i).padStart(2, '0')}`))).toBe(sha(blobs[i]!));
  });

  it('list merges the replicas: each key once, in order, from any replica', async () => {
    const a = new MemoryStore('a');
    const b = new MemoryStore('b');
    await a.put('m/1', new Uint8Array(1));
    await a.put('m/3', new Uint8Array(3));
    await b.put('m/2', new Uint8Array(2));
    await b.put('m/3', new Uint8Array(3));
    const s = new ReplicatedStore([a, b], { writeQuorum: 1 });
    const got: [string, number][] = [];
    for await (const i of s.list('m/')) got.push([i.key, i.size]);
    expect(got).toEqual([
      ['m/1', 1],
      ['m/2', 2],
      ['m/3', 3],
    ]);
  });

  it('rejects bad options (OPTION)', () => {
    expect(() => new ReplicatedStore([])).toThrow(/at least one/);
    expect(() => new ReplicatedStore([new MemoryStore()], { writeQuorum: 2 })).toThrow(/writeQuorum/);
  });
});
