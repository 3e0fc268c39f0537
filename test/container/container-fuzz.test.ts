// Decoder fuzzing and hostile containers. Every damaged or hostile container must be rejected by decompress(),
// verify() and decompressStream() with a PaniniError of a container class (CHECKSUM, FORMAT, TRUNCATED, UNSUPPORTED,
// LIMIT) — never accepted, never decoded to wrong bytes, never another exception. Seeded (mulberry32), so every run
// checks the same cases; plus fast-check round-trip properties over bytes, options and stream piece splits.
import { deflateRawSync, crc32 as zcrc32 } from 'node:zlib';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { compress, compressStream, decompress, decompressStream, init, inspect, PaniniError, setSha256Backend, sha256Backend, verify, type CompressOptions } from '../../src/index.js';
import {
  FOOTER_SIZE,
  KIND_DATA,
  KIND_REF,
  MAX_MANIFEST,
  MAX_RECORD,
  writeEnd,
  writeFooter,
  writeHeader,
  writeIndex,
  writeRecordHeader,
} from '../../src/container/format.js';
import { encodeManifest } from '../../src/container/manifest.js';
import { writePlan } from '../../src/dhatu/plan.js';
import '../../src/node.js'; // installs the worker_threads pool used by decompress({ workers > 1 })
import { Packr } from 'msgpackr';
import { mulberry32, prngBytes } from '../helpers/prng.mjs';
import { decodePnz, RefError } from '../reference/pnz-decode.js';

const CONTAINER_CODES = new Set(['CHECKSUM', 'FORMAT', 'TRUNCATED', 'UNSUPPORTED', 'LIMIT']);
const te = new TextEncoder();
const vector = (f: string) => new Uint8Array(readFileSync(new URL(`../vectors/${f}`, import.meta.url)));
const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const crc = (b: Uint8Array) => zcrc32(b) >>> 0;
const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

// ------------------------------------------------------------------------------------------ decoding helpers
type Outcome = { ok: true; out: Uint8Array } | { ok: false; code: string; message: string };

function caught(e: unknown): Outcome {
  if (!(e instanceof PaniniError)) throw new Error(`not a PaniniError: ${String(e)}`, { cause: e });
  return { ok: false, code: e.code, message: e.message };
}

async function tryDecompress(c: Uint8Array, o?: object): Promise<Outcome> {
  try {
    return { ok: true, out: await decompress(c, o) };
  } catch (e) {
    return caught(e);
  }
}

async function tryVerify(c: Uint8Array): Promise<Outcome> {
  const r = await verify(c); // never throws for a bad container
  if (r.ok) return { ok: true, out: new Uint8Array(0) };
  expect(r.error).toBeInstanceOf(PaniniError);
  return { ok: false, code: r.error!.code, message: r.error!.message };
}

async function tryStream(c: Uint8Array, pieces: number[] = [], o?: object): Promise<Outcome> {
  const parts: Uint8Array[] = [];
  try {
    const ts = decompressStream(o);
    const w = ts.writable.getWriter();
    const reading = (async () => {
      const r = ts.readable.getReader();
      for (;;) {
        const { done, value } = await r.read();
        if (done) return;
        parts.push(value);
      }
    })();
    let at = 0;
    const cuts = [...pieces.filter((p) => p > 0 && p < c.length), c.length].sort((a, b) => a - b);
    try {
      for (const cut of cuts) {
        if (cut > at) await w.write(c.slice(at, cut));
        at = cut;
      }
      await w.close();
    } catch {
      // the failure is reported by the readable side
    }
    await reading;
    return { ok: true, out: new Uint8Array(Buffer.concat(parts)) };
  } catch (e) {
    return caught(e);
  }
}

async function tryInspect(c: Uint8Array): Promise<Outcome> {
  try {
    await inspect(c);
    return { ok: true, out: new Uint8Array(0) };
  } catch (e) {
    return caught(e);
  }
}

function refCode(c: Uint8Array, o?: { maxOutputSize?: number }): string {
  try {
    decodePnz(c, o);
    return 'ok';
  } catch (e) {
    if (!(e instanceof RefError)) throw e;
    return e.code;
  }
}

/** All three decoders reject `c` with a container error class; returns their codes. */
async function expectRejected(c: Uint8Array, what: string, pieces: number[] = []): Promise<{ d: string; v: string; s: string; dm: string; sm: string }> {
  const d = await tryDecompress(c);
  const v = await tryVerify(c);
  const s = await tryStream(c, pieces);
  for (const [name, r] of [['decompress', d], ['verify', v], ['decompressStream', s]] as const) {
    if (r.ok) throw new Error(`${what}: ${name} accepted a damaged container`);
    if (!CONTAINER_CODES.has(r.code)) throw new Error(`${what}: ${name} failed with ${r.code}: ${r.message}`);
  }
  // an inspection may succeed (it does not decode payloads) but fails only with a PaniniError
  await tryInspect(c);
  const m = (r: Outcome) => (r.ok ? '' : r.message);
  return { d: (d as { code: string }).code, v: (v as { code: string }).code, s: (s as { code: string }).code, dm: m(d), sm: m(s) };
}

// ------------------------------------------------------------------------------------------ hostile builder
interface Rec {
  kind?: number;
  codec?: number;
  params?: number;
  payload?: Uint8Array;
  /** the original bytes: gives original length and SHA-256 unless overridden */
  data?: Uint8Array;
  originalLength?: number;
  storedLength?: number;
  target?: number;
  sha256?: Uint8Array;
  payloadCrc?: number;
}

interface Build {
  version?: number;
  flags?: number;
  window?: number;
  records: Rec[];
  manifest?: Uint8Array;
  end?: Partial<{ manifestLength: number; recordCount: number; sha256: Uint8Array; manifestCrc: number }>;
  footer?: Partial<{ endOffset: number; totalSize: number; recordCount: number; indexCrc: number }>;
  /** rewrite the index entries before the CRC is taken */
  index?: (frameOffsets: number[], originalOffsets: number[]) => void;
  /** the output the records stand for (for the whole SHA-256 and total size), default: their data concatenated */
  output?: Uint8Array;
}

/** Builds a container from parts with the format.ts writers: every CRC valid, fields as hostile as asked. */
function build(b: Build): Uint8Array {
  const parts: Uint8Array[] = [writeHeader({ version: b.version ?? 1, flags: b.flags ?? 0, window: b.window ?? 0 })];
  let at = 32;
  let original = 0;
  const frameOffsets: number[] = [];
  const originalOffsets: number[] = [];
  const outputs: Uint8Array[] = [];
  for (const r of b.records) {
    const kind = r.kind ?? KIND_DATA;
    const data = r.data ?? new Uint8Array(0);
    const payload = kind === KIND_DATA ? (r.payload ?? data) : new Uint8Array(0);
    const originalLength = r.originalLength ?? data.length;
    frameOffsets.push(at);
    originalOffsets.push(original);
    const h = writeRecordHeader({
      kind: kind as 1 | 2,
      codec: r.codec ?? 0,
      params: r.params ?? 0,
      storedLength: r.storedLength ?? payload.length,
      originalLength,
      target: r.target ?? 0,
      sha256: r.sha256 ?? sha(data),
      payloadCrc: r.payloadCrc ?? (kind === KIND_DATA ? crc(payload) : 0),
    });
    // writeRecordHeader stores the kind byte as given: hostile kinds are written raw and the CRC redone
    if (kind !== KIND_DATA && kind !== KIND_REF) {
      h[0] = kind;
      new DataView(h.buffer).setUint32(52, crc(h.subarray(0, 52)), true);
    }
    parts.push(h, payload);
    at += 56 + payload.length;
    original += originalLength;
    outputs.push(data);
  }
  const endOffset = at;
  const output = b.output ?? cat(...outputs);
  const m = b.manifest ?? new Uint8Array(0);
  parts.push(
    writeEnd({
      manifestLength: b.end?.manifestLength ?? m.length,
      recordCount: b.end?.recordCount ?? b.records.length,
      sha256: b.end?.sha256 ?? sha(output),
      manifestCrc: b.end?.manifestCrc ?? (m.length ? crc(m) : 0),
    }),
    m,
  );
  b.index?.(frameOffsets, originalOffsets);
  const idx = writeIndex({ frameOffsets, originalOffsets });
  parts.push(idx);
  parts.push(
    writeFooter({
      endOffset: b.footer?.endOffset ?? endOffset,
      totalSize: b.footer?.totalSize ?? original,
      recordCount: b.footer?.recordCount ?? b.records.length,
      indexCrc: b.footer?.indexCrc ?? crc(idx),
    }),
  );
  return cat(...parts);
}

/** Rewrites the footer CRC after editing footer fields in place. */
function refooter(c: Uint8Array): Uint8Array {
  new DataView(c.buffer, c.byteOffset).setUint32(c.length - 4, crc(c.subarray(c.length - FOOTER_SIZE, c.length - 4)), true);
  return c;
}

// ------------------------------------------------------------------------------------------ containers under test
let CONTAINERS: { name: string; c: Uint8Array; x: Uint8Array }[] = [];

beforeAll(async () => {
  await init();
  const mixed = cat(prngBytes(21, 20_000), te.encode('the container record window '.repeat(1500)), prngBytes(21, 20_000), prngBytes(22, 9000));
  CONTAINERS = [
    { name: 'empty', c: vector('empty.pnz'), x: new Uint8Array(0) },
    { name: 'hello-store', c: vector('hello-store.pnz'), x: te.encode('hello') },
    { name: 'hello-deflate', c: vector('hello-deflate.pnz'), x: te.encode('hello '.repeat(8) + 'hello') },
    { name: 'dedup', c: vector('dedup.pnz'), x: await decompress(vector('dedup.pnz')) },
    { name: 'tree', c: vector('tree.pnz'), x: await decompress(vector('tree.pnz')) },
    { name: 'mixed-cdc', c: await compress(mixed, { level: 6, strategy: 'cdc', minSize: 1024, avgSize: 4096, maxSize: 16384, dedupWindow: 30_000 }), x: mixed },
  ];
});

describe('bit flips', () => {
  it('every single-bit flip of small containers is rejected (exhaustive)', async () => {
    let trials = 0;
    for (const { name, c } of CONTAINERS.filter((k) => ['empty', 'hello-store', 'hello-deflate'].includes(k.name))) {
      for (let bit = 0; bit < c.length * 8; bit++) {
        const d = c.slice();
        d[bit >> 3]! ^= 1 << (bit & 7);
        await expectRejected(d, `${name} bit ${bit}`);
        trials++;
      }
    }
    expect(trials).toBeGreaterThan(4000);
  });

  it('random 1–3 bit flips of larger containers are rejected', async () => {
    const rnd = mulberry32(0xf11b);
    let trials = 0;
    const codes = new Map<string, number>();
    for (const { name, c } of CONTAINERS.filter((k) => ['dedup', 'tree', 'mixed-cdc'].includes(k.name))) {
      for (let t = 0; t < 700; t++) {
        const d = c.slice();
        const flips = 1 + (rnd() % 3);
        for (let k = 0; k < flips; k++) {
          const bit = rnd() % (c.length * 8);
          d[bit >> 3]! ^= 1 << (bit & 7);
        }
        if (Buffer.compare(d, c) === 0) continue; // two flips of one bit cancel out
        // the stream decoder gets the container in 1–4 pieces cut at random offsets
        const cuts = Array.from({ length: rnd() % 4 }, () => rnd() % c.length);
        const r = await expectRejected(d, `${name} trial ${t}`, cuts);
        codes.set(r.d, (codes.get(r.d) ?? 0) + 1);
        trials++;
      }
    }
    expect(trials).toBeGreaterThan(2000);
    // almost everything is a CRC failure: the checks run in the documented order
    expect(codes.get('CHECKSUM')!).toBeGreaterThan(trials * 0.9);
  });
});

describe('truncation and extension', () => {
  it('every prefix of small containers is rejected; the stream decoder says TRUNCATED', async () => {
    for (const { name, c } of CONTAINERS.filter((k) => ['empty', 'hello-store', 'hello-deflate', 'dedup'].includes(k.name))) {
      for (let n = 0; n < c.length; n++) {
        const r = await expectRejected(c.subarray(0, n), `${name} cut at ${n}`);
        expect(r.s, `${name} cut at ${n}`).toBe('TRUNCATED');
        if (n > 0) expect(r.d, `${name} cut at ${n}`).toBe('TRUNCATED');
      }
    }
  });

  it('random prefixes of a larger container, and bytes appended, are rejected', async () => {
    const rnd = mulberry32(0x7c);
    for (const { name, c } of CONTAINERS.filter((k) => ['tree', 'mixed-cdc'].includes(k.name))) {
      for (let t = 0; t < 150; t++) {
        const n = rnd() % c.length;
        const r = await expectRejected(c.subarray(0, n), `${name} cut at ${n}`);
        expect(r.s).toBe('TRUNCATED');
      }
      for (const extra of [1, 2, 31, 32, 33, 1000]) {
        await expectRejected(cat(c, prngBytes(extra, extra)), `${name} + ${extra} bytes`);
        await expectRejected(cat(c, c.subarray(c.length - extra)), `${name} + its last ${extra} bytes`);
      }
      // a container followed by another container
      await expectRejected(cat(c, c), `${name} twice`);
    }
  });
});

describe('garbage', () => {
  it('random bytes, random prefixes and valid structures around garbage are rejected', async () => {
    const rnd = mulberry32(0x9a7b);
    const hello = CONTAINERS[1]!.c;
    for (let t = 0; t < 400; t++) {
      const n = rnd() % 600;
      const g = prngBytes(rnd(), n);
      await expectRejected(g, `garbage ${t}`);
      await expectRejected(cat(prngBytes(rnd(), 1 + (n % 40)), hello), `random prefix ${t}`);
      // a valid header followed by garbage, and garbage with a valid footer at the end
      await expectRejected(cat(hello.subarray(0, 32), g), `header + garbage ${t}`);
      await expectRejected(cat(hello.subarray(0, 32), g, hello.subarray(hello.length - 32)), `header + garbage + footer ${t}`);
    }
  });
});

describe('hostile containers (valid CRCs, hostile fields)', () => {
  const hello = te.encode('hello');

  it('the builder itself makes valid containers', async () => {
    const c = build({ records: [{ data: hello }, { kind: KIND_REF, data: hello, target: 0 }] });
    expect(Buffer.from(await decompress(c)).toString()).toBe('hellohello');
    expect(refCode(c)).toBe('ok');
    const s = await tryStream(c);
    expect(s.ok && Buffer.from(s.out).toString()).toBe('hellohello');
  });

  it('declared original or stored length over MAX_RECORD: LIMIT before allocating', async () => {
    for (const rec of [
      { data: hello, originalLength: MAX_RECORD + 1 },
      { data: hello, originalLength: 0xffffffff },
      { data: hello, storedLength: MAX_RECORD + 1 },
      { kind: KIND_REF, data: hello, originalLength: 0xffffffff, target: 0 },
    ]) {
      const c = build({ records: rec.kind === KIND_REF ? [{ data: hello }, rec] : [rec] });
      const r = await expectRejected(c, 'huge record');
      expect([r.d, r.v, r.s]).toEqual(['LIMIT', 'LIMIT', 'LIMIT']);
      expect(refCode(c)).toBe('LIMIT');
    }
  });

  it('huge manifest length: LIMIT over MAX_MANIFEST, FORMAT when it does not fit', async () => {
    for (const manifestLength of [MAX_MANIFEST + 1, 0xffffffff]) {
      const c = build({ records: [{ data: hello }], end: { manifestLength } });
      const r = await expectRejected(c, 'huge manifest');
      expect([r.d, r.v, r.s]).toEqual(['LIMIT', 'LIMIT', 'LIMIT']);
      expect(refCode(c)).toBe('LIMIT');
    }
    const c = build({ records: [{ data: hello }], end: { manifestLength: 1000 } });
    const r = await expectRejected(c, 'manifest past the end');
    expect(r.d).toBe('FORMAT');
    expect(refCode(c)).toBe('FORMAT');
  });

  it('record count larger than fits (footer and END agree): FORMAT without reading a huge index', async () => {
    for (const n of [2, 1000, 0x7fffffff, 0xffffffff]) {
      const c = build({ records: [{ data: hello }], end: { recordCount: n }, footer: { recordCount: n } });
      const r = await expectRejected(c, `count ${n}`);
      expect(r.d).toBe('FORMAT');
      expect(refCode(c)).toBe('FORMAT');
    }
    // index bytes present for 3 records, but only room for one record before END
    const one = build({ records: [{ data: hello }], end: { recordCount: 3 }, footer: { recordCount: 3 } });
    const padded = cat(one.subarray(0, one.length - 32 - 16), new Uint8Array(48), one.subarray(one.length - 32));
    const pv = new DataView(padded.buffer);
    pv.setUint32(padded.length - 12, crc(padded.subarray(padded.length - 32 - 48, padded.length - 32)), true);
    refooter(padded);
    expect((await expectRejected(padded, 'records do not fit')).d).toBe('FORMAT');
    expect(refCode(padded)).toBe('FORMAT');
    // END and footer counts that disagree
    const c = build({ records: [{ data: hello }], end: { recordCount: 2 } });
    expect((await expectRejected(c, 'END/footer count')).d).toBe('FORMAT');
  });

  it('REF pointing forward, to itself, to a REF, far away, or with the wrong SHA-256/length: FORMAT', async () => {
    const world = te.encode('world');
    const cases: Rec[][] = [
      [{ data: hello }, { kind: KIND_REF, data: hello, target: 1 }],
      [{ data: hello }, { kind: KIND_REF, data: hello, target: 2 }, { data: hello }],
      [{ data: hello }, { kind: KIND_REF, data: hello, target: 0xffffffff }],
      [{ data: hello }, { kind: KIND_REF, data: hello, target: 0 }, { kind: KIND_REF, data: hello, target: 1 }],
      [{ data: hello }, { kind: KIND_REF, data: world, target: 0 }],
      [{ data: hello }, { kind: KIND_REF, data: hello, originalLength: 4, target: 0 }],
      [{ data: hello }, { kind: KIND_REF, data: hello, target: 0, codec: 1 }],
      [{ data: hello }, { kind: KIND_REF, data: hello, target: 0, payloadCrc: 1 }],
    ];
    for (const [k, records] of cases.entries()) {
      const c = build({ records });
      const r = await expectRejected(c, `REF case ${k}`);
      expect(r.d, `REF case ${k}: ${r.dm}`).toBe('FORMAT');
      expect(['FORMAT', 'LIMIT']).toContain(r.s);
      expect(refCode(c), `REF case ${k}`).toBe('FORMAT');
    }
  });

  it('REF to a record evicted from the declared dedup window: FORMAT for every decoder', async () => {
    const a = prngBytes(1, 100);
    const b = prngBytes(2, 100);
    // window 150: after record 1 (b), record 0 (a) is evicted, so record 2 may not repeat it
    const c = build({ window: 150, records: [{ data: a }, { data: b }, { kind: KIND_REF, data: a, target: 0 }] });
    const r = await expectRejected(c, 'REF outside the window');
    expect([r.d, r.v, r.s]).toEqual(['FORMAT', 'FORMAT', 'FORMAT']);
    expect(refCode(c)).toBe('FORMAT');
    // a REF to a REF inside a declared window is FORMAT for the stream decoder too
    const rr = build({ window: 1000, records: [{ data: a }, { kind: KIND_REF, data: a, target: 0 }, { kind: KIND_REF, data: a, target: 1 }] });
    expect(await expectRejected(rr, 'REF to REF')).toMatchObject({ d: 'FORMAT', v: 'FORMAT', s: 'FORMAT' });
    // inside the window it is fine
    const ok = build({ window: 200, records: [{ data: a }, { data: b }, { kind: KIND_REF, data: a, target: 0 }] });
    expect(refCode(ok)).toBe('ok');
    expect((await tryStream(ok)).ok).toBe(true);
    expect((await tryDecompress(ok)).ok).toBe(true);
  });

  it('a sequential decoder with less memory than the declared window fails with LIMIT; random access decodes it', async () => {
    const a = prngBytes(1, 70_000);
    const x = cat(a, prngBytes(2, 70_000), a);
    for (const dedupWindow of [0, 1 << 20]) {
      const c = await compress(x, { level: 0, strategy: 'fixed', chunkSize: 70_000, dedupWindow });
      expect((await inspect(c)).refRecords).toBe(1);
      expect(await tryStream(c, [], { maxWindow: 100_000 })).toMatchObject({ ok: false, code: 'LIMIT' });
      const ok = await tryStream(c, [], { maxWindow: 140_000 });
      expect(ok.ok && Buffer.compare(ok.out, x)).toBe(0);
      expect(Buffer.compare(await decompress(c), x)).toBe(0);
      expect(refCode(c)).toBe('ok');
    }
  });

  it('deflate bomb: a payload that inflates beyond the declared length is FORMAT', async () => {
    for (const [size, declared] of [
      [4 << 20, 1000],
      [1 << 20, (1 << 20) - 1],
      [70_000, 0],
    ] as const) {
      const payload = deflateRawSync(new Uint8Array(size));
      const data = new Uint8Array(declared);
      const c = build({ records: [{ codec: 1, params: 6, payload, data }] });
      const r = await expectRejected(c, `bomb ${size}`);
      expect([r.d, r.v, r.s]).toEqual(['FORMAT', 'FORMAT', 'FORMAT']);
      expect(refCode(c)).toBe('FORMAT');
    }
    // a stream shorter than declared
    const short = build({ records: [{ codec: 1, params: 6, payload: deflateRawSync(hello), data: hello, originalLength: 6 }] });
    expect((await expectRejected(short, 'short inflate')).d).toBe('FORMAT');
    // not a deflate stream at all
    const junk = build({ records: [{ codec: 1, params: 6, payload: Uint8Array.of(0xff, 0xff, 0xff), data: hello }] });
    expect((await expectRejected(junk, 'junk inflate')).d).toBe('FORMAT');
  });

  it('codec fields: store with params or a length mismatch, deflate params outside 1–9: FORMAT', async () => {
    const cases: Rec[] = [
      { data: hello, params: 1 },
      { data: hello, payload: te.encode('hell') },
      { data: hello, payload: deflateRawSync(hello), codec: 1, params: 0 },
      { data: hello, payload: deflateRawSync(hello), codec: 1, params: 10 },
      { data: hello, target: 3 },
    ];
    for (const [k, rec] of cases.entries()) {
      const c = build({ records: [rec] });
      const r = await expectRejected(c, `codec case ${k}`);
      expect([r.d, r.s], `codec case ${k}`).toEqual(['FORMAT', 'FORMAT']);
      expect(refCode(c)).toBe('FORMAT');
    }
  });

  it('unknown record kinds and an END frame in the wrong place: FORMAT', async () => {
    for (const kind of [3, 7, 255]) {
      const c = build({ records: [{ data: hello, kind }] });
      expect((await expectRejected(c, `kind ${kind}`)).d).toBe('FORMAT');
      expect(refCode(c)).toBe('FORMAT');
    }
  });

  it('index lying about offsets (valid index CRC): FORMAT, and inspect() fails cleanly', async () => {
    const a = prngBytes(5, 300);
    const b = prngBytes(6, 300);
    const lies: ((f: number[], o: number[]) => void)[] = [
      (f) => void (f[1] = f[1]! + 1),
      (f) => void ([f[0], f[1]] = [f[1]!, f[0]!]),
      (_f, o) => void (o[1] = 0),
      (f) => void (f[1] = 2 ** 40),
      (f) => void (f[1] = 2 ** 53 + 2), // not below 2^53
      (f) => void (f[2] = f[2]! + 10_000),
      (f) => void (f[0] = 0),
    ];
    for (const [k, index] of lies.entries()) {
      const c = build({ records: [{ data: a }, { data: b }, { kind: KIND_REF, data: a, target: 0 }], index });
      const r = await expectRejected(c, `index lie ${k}`);
      expect([r.d, r.v, r.s], `index lie ${k}`).toEqual(['FORMAT', 'FORMAT', 'FORMAT']);
      expect(refCode(c)).toBe('FORMAT');
      const i = await tryInspect(c);
      if (!i.ok) expect(CONTAINER_CODES.has(i.code)).toBe(true);
    }
  });

  it('footer lying: END offset outside, total size wrong; total size over maxOutputSize is LIMIT before allocating', async () => {
    const c = build({ records: [{ data: hello }] });
    for (const endOffset of [0, 31, c.length, 2 ** 40, 33]) {
      const d = build({ records: [{ data: hello }], footer: { endOffset } });
      expect(CONTAINER_CODES.has((await expectRejected(d, `END offset ${endOffset}`)).d)).toBe(true);
      expect(refCode(d)).not.toBe('ok');
    }
    const wrongSize = build({ records: [{ data: hello }], footer: { totalSize: 6 } });
    expect((await expectRejected(wrongSize, 'total size')).d).toBe('FORMAT');
    // 2^50 bytes declared: over the default maxOutputSize (2 GiB) of decompress(), refused before any allocation
    const huge = build({ records: [{ data: hello }], footer: { totalSize: 2 ** 50 } });
    const r = await tryDecompress(huge);
    expect(r.ok === false && r.code).toBe('LIMIT');
    expect(refCode(huge, { maxOutputSize: 2 ** 31 })).toBe('LIMIT');
    // a real container over an explicit maxOutputSize
    expect(await tryDecompress(c, { maxOutputSize: 4 })).toMatchObject({ ok: false, code: 'LIMIT' });
    expect(await tryStream(c, [], { maxOutputSize: 4 })).toMatchObject({ ok: false, code: 'LIMIT' });
    expect((await tryDecompress(c, { maxOutputSize: 5 })).ok).toBe(true);
  });

  it('unknown codec ids: UNSUPPORTED, naming the codec', async () => {
    for (const codec of [4, 15, 17, 63, 64, 95, 96, 255]) { // 0 store, 1 deflate, 2 plz, 3 pfz (docs/CODEC.md), 16 dhātu (docs/DHATU.md) are known
      const c = build({ records: [{ data: hello, codec, params: 3 }] });
      const r = await expectRejected(c, `codec ${codec}`);
      expect([r.d, r.v, r.s]).toEqual(['UNSUPPORTED', 'UNSUPPORTED', 'UNSUPPORTED']);
      expect(r.dm).toMatch(new RegExp(`codec ${codec}\\b`));
      expect(r.sm).toMatch(new RegExp(`codec ${codec}\\b`));
      expect(refCode(c)).toBe('UNSUPPORTED');
    }
  });

  it('dhātu records (codec 16): copies from earlier output obey the window and the record start; garbage plans are typed errors', async () => {
    const first = prngBytes(31, 100);
    const tail = prngBytes(32, 10);
    const second = new Uint8Array(60);
    second.set(first.subarray(0, 50), 0); // copy 50 bytes from 100 back (output offset 0)
    second.set(tail, 50);
    // one COMM stage (id 48): ops = n=1 · lit 0 · code (50−1)·2 = 98 · dist−1 = 99; the residue is the 10 literal bytes
    const plan = (dist: number, len = 50) => writePlan([{ id: 48, params: new Uint8Array([1, 0, (len - 1) * 2, dist - 1]), streams: [tail], handled: len }]);
    const rec = (payload: Uint8Array) => ({ data: second, codec: 16, params: 1, payload });
    // positive control: inside an unlimited window it decodes, through every path
    const good = build({ records: [{ data: first }, rec(plan(100))] });
    expect(Buffer.from(await decompress(good)).equals(Buffer.concat([first, second]))).toBe(true);
    expect((await verify(good)).ok).toBe(true);
    const st = await tryStream(good, [7, 100, 200]);
    expect(st.ok && Buffer.from(st.out).equals(Buffer.concat([first, second]))).toBe(true);
    // a declared window of 64 bytes: the copy reaches 100 back
    const outside = build({ window: 64, records: [{ data: first }, rec(plan(100))] });
    const r1 = await expectRejected(outside, 'copy outside the window');
    expect([r1.d, r1.v, r1.s]).toEqual(['FORMAT', 'FORMAT', 'FORMAT']);
    expect(r1.dm).toMatch(/window/);
    // a copy from before the output's start
    const before = build({ records: [{ data: first }, rec(plan(101))] });
    const r2 = await expectRejected(before, 'copy before the output');
    expect([r2.d, r2.v, r2.s]).toEqual(['FORMAT', 'FORMAT', 'FORMAT']);
    // random payloads under codec 16 (CRCs valid): typed errors only
    const rnd = mulberry32(77);
    for (let k = 0; k < 200; k++) {
      const payload = prngBytes(1000 + k, 1 + (rnd() % 58));
      await expectRejected(build({ records: [{ data: first }, rec(payload)] }), `random dhātu payload ${k}`);
    }
  });

  it('unknown version or flags: UNSUPPORTED; non-zero reserved fields: FORMAT', async () => {
    for (const [version, flags] of [
      [0, 0],
      [2, 0],
      [0xffff, 0],
      [1, 1],
      [1, 0x8000],
    ] as const) {
      const c = build({ version, flags, records: [{ data: hello }] });
      const r = await expectRejected(c, `version ${version} flags ${flags}`);
      expect([r.d, r.v, r.s]).toEqual(['UNSUPPORTED', 'UNSUPPORTED', 'UNSUPPORTED']);
      expect(refCode(c)).toBe('UNSUPPORTED');
    }
    const base = build({ records: [{ data: hello }] });
    for (const at of [12, 24]) {
      const d = base.slice();
      d[at] = 1;
      new DataView(d.buffer).setUint32(28, crc(d.subarray(0, 28)), true);
      expect((await expectRejected(d, `reserved ${at}`)).d).toBe('FORMAT');
      expect(refCode(d)).toBe('FORMAT');
    }
    // END reserved bytes, and a manifest CRC without a manifest
    const endAt = 32 + 56 + 5;
    for (const at of [1, 2, 8]) {
      const d = base.slice();
      d[endAt + at] = 1;
      new DataView(d.buffer).setUint32(endAt + 52, crc(d.subarray(endAt, endAt + 52)), true);
      expect((await expectRejected(d, `END reserved ${at}`)).d).toBe('FORMAT');
      expect(refCode(d)).toBe('FORMAT');
    }
    const m = build({ records: [{ data: hello }], end: { manifestCrc: 7 } });
    expect((await expectRejected(m, 'manifest CRC without manifest')).d).toBe('FORMAT');
    // a window that does not fit below 2^53
    const w = base.slice();
    new DataView(w.buffer).setUint32(20, 0xffffffff, true);
    new DataView(w.buffer).setUint32(28, crc(w.subarray(0, 28)), true);
    expect((await expectRejected(w, 'window 2^64')).d).toBe('FORMAT');
  });

  it('hostile manifests: decompress() and verify() reject them (FORMAT, PATH, UNSUPPORTED)', async () => {
    const packr = new Packr({ useRecords: false, variableMapSize: true });
    const h = sha(hello);
    const file = (p: string, extra: object = {}) => ({ p, t: 'file', m: 0o644, mt: 0, s: 5, h, ...extra });
    const cases: [string, Uint8Array, string][] = [
      ['not msgpack', Uint8Array.of(0xc1), 'FORMAT'],
      ['trailing bytes', cat(encodeManifest({ version: 1, root: 'file', entries: [{ path: 'a', type: 'file', mode: 0o644, mtime: 0, size: 5, sha256: h }] }), Uint8Array.of(0)), 'FORMAT'],
      ['not a map', packr.pack([1, 2]), 'FORMAT'],
      ['version 2', packr.pack({ v: 2, r: 'file', e: [file('a')] }), 'UNSUPPORTED'],
      ['root', packr.pack({ v: 1, r: 'disk', e: [file('a')] }), 'FORMAT'],
      ['unknown key', packr.pack({ v: 1, r: 'file', e: [file('a')], x: 1 }), 'FORMAT'],
      ['unknown entry key', packr.pack({ v: 1, r: 'file', e: [file('a', { q: 1 })] }), 'FORMAT'],
      ['dot-dot', packr.pack({ v: 1, r: 'tree', e: [file('../evil')] }), 'PATH'],
      ['absolute', packr.pack({ v: 1, r: 'tree', e: [file('/etc/passwd')] }), 'PATH'],
      ['drive', packr.pack({ v: 1, r: 'tree', e: [file('C:evil')] }), 'PATH'],
      ['backslash', packr.pack({ v: 1, r: 'tree', e: [file('a\\b')] }), 'PATH'],
      ['empty segment', packr.pack({ v: 1, r: 'tree', e: [{ p: 'd', t: 'dir', m: 0, mt: 0, s: 0 }, file('d//a')] }), 'PATH'],
      ['no parent', packr.pack({ v: 1, r: 'tree', e: [file('d/a')] }), 'FORMAT'],
      ['parent is a symlink', packr.pack({ v: 1, r: 'tree', e: [{ p: 'd', t: 'symlink', m: 0, mt: 0, s: 0, l: '/etc' }, file('d/a')] }), 'FORMAT'],
      ['duplicate', packr.pack({ v: 1, r: 'tree', e: [file('a', { s: 2 }), file('a', { s: 3 })] }), 'FORMAT'],
      ['sizes do not add up', packr.pack({ v: 1, r: 'tree', e: [file('a', { s: 4 })] }), 'FORMAT'],
      ['no h', packr.pack({ v: 1, r: 'file', e: [{ p: 'a', t: 'file', m: 0, mt: 0, s: 5 }] }), 'FORMAT'],
      ['mode', packr.pack({ v: 1, r: 'file', e: [file('a', { m: 0o10000 })] }), 'FORMAT'],
      ['type', packr.pack({ v: 1, r: 'tree', e: [file('a', { t: 'fifo' })] }), 'FORMAT'],
      ['dir with content', packr.pack({ v: 1, r: 'tree', e: [{ p: 'd', t: 'dir', m: 0, mt: 0, s: 5 }] }), 'FORMAT'],
      ['file root with two', packr.pack({ v: 1, r: 'file', e: [file('a', { s: 2 }), file('b', { s: 3 })] }), 'FORMAT'],
    ];
    for (const [name, manifest, code] of cases) {
      const c = build({ records: [{ data: hello }], manifest });
      const d = await tryDecompress(c);
      const v = await tryVerify(c);
      expect([d.ok ? 'ok' : d.code, v.ok ? 'ok' : v.code], name).toEqual([code, code]);
      expect(refCode(c), name).toBe(code);
    }
    // the wrong per-file SHA-256: only a decoder that produces files can see it (extractTree, the reference)
    const wrongH = build({ records: [{ data: hello }], manifest: packr.pack({ v: 1, r: 'file', e: [file('a', { h: new Uint8Array(32) })] }) });
    expect(refCode(wrongH)).toBe('CHECKSUM');
  });

  it('deflate streams src is lenient with (reported): trailing bytes after the final block, a stored block with a bad NLEN', async () => {
    const good = deflateRawSync(hello);
    const trailing = build({ records: [{ codec: 1, params: 6, payload: cat(good, Uint8Array.of(1, 2, 3)), data: hello }] });
    const badNlen = build({ records: [{ codec: 1, params: 6, payload: Uint8Array.of(0x01, 0x05, 0x00, 0x00, 0x00, ...hello), data: hello }] });
    // FORMAT.md "Codec registry" makes both FORMAT; the reference rejects them
    expect(refCode(trailing)).toBe('FORMAT');
    expect(refCode(badNlen)).toBe('FORMAT');
    // src (fflate) decodes them to the right bytes — the SHA-256 still holds, so no wrong output is possible
    for (const c of [trailing, badNlen]) {
      const r = await tryDecompress(c);
      if (r.ok) expect(Buffer.from(r.out).toString()).toBe('hello');
      else expect(r.code).toBe('FORMAT');
    }
  });
});

describe('record SHA-256 checks through each backend', () => {
  it('a record or a whole output whose bytes differ from the SHA-256 is CHECKSUM with every backend, above and below the WebCrypto size', async () => {
    const big = prngBytes(11, 200_000); // records of WEBCRYPTO_MIN (64 KiB) or more are hashed by crypto.subtle under 'webcrypto'
    const small = te.encode('hello');
    const before = sha256Backend();
    try {
      for (const b of ['native', 'webcrypto', 'wasm'] as const) {
        setSha256Backend(b);
        for (const data of [big, small]) {
          const good = build({ records: [{ data: small }, { data }] });
          const out = await tryDecompress(good);
          expect(out.ok && Buffer.compare(out.out, cat(small, data)), `${b} ${data.length}`).toBe(0);
          const sha = createHash('sha256').update(data).digest();
          sha[31]! ^= 1;
          const r = await tryDecompress(build({ records: [{ data: small }, { data, sha256: sha }] }));
          expect(r.ok, `${b} ${data.length}`).toBe(false);
          expect((r as { code: string }).code, `${b} ${data.length}`).toBe('CHECKSUM');
          expect((r as { message: string }).message).toMatch(/record 1 at byte \d+ decodes to bytes whose SHA-256 differs/);
          // every record right, the END frame's whole-output SHA-256 wrong: decompress() hashes its output in one call
          const end = createHash('sha256').update(cat(small, data)).digest();
          end[0]! ^= 0x80;
          const w = await tryDecompress(build({ records: [{ data: small }, { data }], end: { sha256: end } }));
          expect(w.ok, `${b} ${data.length} END`).toBe(false);
          expect((w as { code: string }).code).toBe('CHECKSUM');
          expect((w as { message: string }).message).toMatch(/SHA-256 of the whole output differs from the one recorded in the END frame/);
        }
      }
    } finally {
      setSha256Backend(before);
    }
  });
});

describe('worker-pool decoding (decompress with workers: 2)', () => {
  it('rejects damaged and hostile containers with the same classes as inline decoding', async () => {
    const rnd = mulberry32(0x3077);
    const mixed = CONTAINERS.find((k) => k.name === 'mixed-cdc')!;
    const hello = te.encode('hello');
    const cases: [string, Uint8Array][] = [];
    // each call starts a pool of worker threads (~0.3 s): a few cases only
    for (let t = 0; t < 6; t++) {
      const d = mixed.c.slice();
      const bit = rnd() % (d.length * 8);
      d[bit >> 3]! ^= 1 << (bit & 7);
      cases.push([`flip ${bit}`, d]);
    }
    cases.push(
      ['codec 77', build({ records: [{ data: hello }, { data: te.encode('world'), codec: 77 }] })],
      ['bomb', build({ records: [{ data: hello }, { codec: 1, params: 6, payload: deflateRawSync(new Uint8Array(1 << 20)), data: new Uint8Array(100) }] })],
      ['wrong SHA', build({ records: [{ data: hello }, { data: hello, sha256: new Uint8Array(32) }] })],
      ['REF to REF', build({ records: [{ data: hello }, { kind: KIND_REF, data: hello, target: 0 }, { kind: KIND_REF, data: hello, target: 1 }] })],
    );
    for (const [name, c] of cases) {
      const inline = await tryDecompress(c);
      const pooled = await tryDecompress(c, { workers: 2 });
      expect(inline.ok, name).toBe(false);
      expect(pooled.ok, name).toBe(false);
      expect((pooled as { code: string }).code, name).toBe((inline as { code: string }).code);
    }
    const ok = await tryDecompress(mixed.c, { workers: 2 });
    expect(ok.ok && Buffer.compare(ok.out, mixed.x)).toBe(0);
  });
});

// ------------------------------------------------------------------------------------------ properties
/** Inputs with repeats: pieces drawn from a small pool of blocks, so dedup happens. */
const inputArb = fc
  .tuple(fc.array(fc.uint8Array({ maxLength: 9000 }), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 24 }), fc.nat())
  .map(([pool, picks, seed]) => {
    const noise = prngBytes(seed, 5000);
    const parts = picks.map((p) => (p % 5 === 4 ? noise.subarray(0, p % 5000) : pool[p % pool.length]!));
    return cat(...parts);
  });

const optionsArb: fc.Arbitrary<CompressOptions> = fc.oneof(
  fc.record({ level: fc.integer({ min: 0, max: 9 }), strategy: fc.constant('fixed' as const), chunkSize: fc.integer({ min: 64 << 10, max: 1 << 20 }), dedupWindow: fc.nat({ max: 300_000 }) }),
  fc.record({
    level: fc.integer({ min: 0, max: 9 }),
    strategy: fc.constantFrom('cdc' as const, 'adaptive' as const),
    minSize: fc.constant(1024),
    avgSize: fc.constant(4096),
    maxSize: fc.integer({ min: 4097, max: 20_000 }),
    dedupWindow: fc.nat({ max: 60_000 }),
  }),
);

async function compressPieces(x: Uint8Array, o: CompressOptions, cuts: number[]): Promise<Uint8Array> {
  const ts = compressStream(o);
  const out: Uint8Array[] = [];
  const reading = (async () => {
    for await (const p of ts.readable as unknown as AsyncIterable<Uint8Array>) out.push(p);
  })();
  const w = ts.writable.getWriter();
  let at = 0;
  for (const cut of [...cuts.map((c) => c % (x.length + 1)).sort((a, b) => a - b), x.length]) {
    if (cut >= at) {
      await w.write(x.slice(at, cut)); // empty pieces included
      at = cut;
    }
  }
  await w.close();
  await reading;
  return cat(...out);
}

describe('properties (fast-check)', () => {
  it('decompress(compress(x, opts)) = x, and the reference decoder agrees', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, optionsArb, async (x, o) => {
        const c = await compress(x, o);
        expect(Buffer.compare(await decompress(c), x)).toBe(0);
        expect(Buffer.compare(decodePnz(c).output, x)).toBe(0);
      }),
      { numRuns: 60, seed: 0x5eed1 },
    );
  });

  it('compressStream with arbitrary piece splits gives the same bytes as compress()', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, optionsArb, fc.array(fc.nat(), { maxLength: 12 }), async (x, o, cuts) => {
        const a = await compress(x, o);
        const b = await compressPieces(x, o, cuts);
        expect(Buffer.compare(a, b)).toBe(0);
      }),
      { numRuns: 40, seed: 0x5eed2 },
    );
  });

  it('decompressStream with arbitrary piece splits gives x', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, optionsArb, fc.array(fc.nat(), { maxLength: 16 }), async (x, o, cuts) => {
        const c = await compress(x, o);
        const r = await tryStream(c, cuts.map((k) => k % (c.length + 1)));
        expect(r.ok).toBe(true);
        expect(Buffer.compare((r as { out: Uint8Array }).out, x)).toBe(0);
      }),
      { numRuns: 40, seed: 0x5eed3 },
    );
  });
});
