// The dhātu codec (container codec id 16) end to end: block records re-expressed by plans (COMM copies from earlier
// output, REFLATE, typed streams, transforms) decode bit-exactly through every decoder — random access, the stream
// decoder fed in random pieces, verify, single-file extraction — with node:crypto as the oracle; copies from earlier
// output respect the declared window; inspect reports the dhātu distribution; hostile changes get typed errors.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compress, compressTree, decompress, decompressStream, extractFile, init, inspect, isPaniniError, verify } from '../../src/node.js';
import { extract, extractSource } from '../../src/container/api.js';
import { bytesSource } from '../../src/container/read.js';
import { prngBytes } from '../helpers/prng.mjs';
import { corpusBytes, corpusPath } from '../helpers/corpus.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The first n bytes of a corpus file (a test failure naming the corpus when it is missing). */
const slice = (name: string, n: number): Uint8Array => corpusBytes(join('single', name), n);

/** Feeds a container to decompressStream in pseudo-random pieces; returns the output. */
async function streamDecode(c: Uint8Array, seed: number, options?: Parameters<typeof decompressStream>[0]): Promise<Uint8Array> {
  const r = prngBytes(seed, 4096);
  const ts = decompressStream(options);
  const w = ts.writable.getWriter();
  const parts: Uint8Array[] = [];
  const reading = (async () => {
    const rd = ts.readable.getReader();
    for (;;) {
      const { done, value } = await rd.read();
      if (done) break;
      parts.push(value);
    }
  })();
  reading.catch(() => undefined); // awaited below; a failure also rejects the writes
  try {
    let at = 0;
    for (let k = 0; at < c.length; k++) {
      const n = 1 + ((r[k % r.length]! * 977) % 300_000);
      await w.write(c.subarray(at, Math.min(c.length, at + n)));
      at += n;
    }
    await w.close();
  } catch (e) {
    await reading.catch(() => undefined);
    throw e;
  }
  await reading;
  return Buffer.concat(parts);
}

/** Random data repeated far apart, with small edits: what COMM is for. */
function farRepeats(): Uint8Array {
  const a = prngBytes(11, 3 << 20);
  const b = new Uint8Array(a);
  for (let i = 0; i < b.length; i += 100_003) b[i] = b[i]! ^ 0x5a; // sparse edits
  const gap = prngBytes(12, 1 << 20);
  const out = new Uint8Array(a.length + gap.length + b.length);
  out.set(a, 0);
  out.set(gap, a.length);
  out.set(b, a.length + gap.length);
  return out;
}

let tmp: string;
beforeAll(async () => {
  await init();
  tmp = mkdtempSync(join(tmpdir(), 'panini-dhatu-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('dhātu codec: round trips', () => {
  it('copies from earlier records (COMM) and decodes them through every path', async () => {
    const data = farRepeats();
    const c = await compress(data, { codec: 'dhatu', level: 1, blockSize: 1 << 20 });
    // random data: only the copies make it small
    expect(c.length).toBeLessThan(data.length * 0.7);
    expect(sha(await decompress(c))).toBe(sha(data));
    expect(sha(await streamDecode(c, 1))).toBe(sha(data));
    expect((await verify(c)).ok).toBe(true);
    const i = await inspect(c);
    expect(i.codecs.map((x) => x.name)).toContain('dhatu');
    const comm = i.dhatu.find((d) => d.primitive === 'COMM');
    expect(comm).toBeDefined();
    expect(comm!.bytes).toBeGreaterThan(2.5 * (1 << 20));
  });

  it("inspect's shares count every input byte once: they add up to the input, COMM holds the copies", async () => {
    // random 3 MiB, 1 MiB gap, the first 3 MiB again with sparse edits, then a text: copies, stored random, TOKEN
    const words = new TextEncoder().encode(Array.from({ length: 40_000 }, (_, k) => `word${k % 97} line ${k % 13} of the text\n`).join(''));
    const data = new Uint8Array([...farRepeats(), ...words]);
    const i = await inspect(await compress(data, { codec: 'dhatu', level: 1, blockSize: 1 << 20 }));
    const by = new Map(i.shares.map((x) => [x.primitive, x.bytes]));
    expect(i.shares.reduce((n, x) => n + x.bytes, 0)).toBe(data.length);
    expect(i.shares.reduce((n, x) => n + x.share, 0)).toBeCloseTo(1, 9);
    // the second copy of the 3 MiB (less a few bytes around each edit) was copied, and the text's later records copy
    // from its first; the random first copy and the gap cannot be
    expect(by.get('COMM')!).toBeGreaterThan(3 * (1 << 20) - 200_000);
    expect(by.get('COMM')!).toBeLessThanOrEqual(3 * (1 << 20) + words.length);
    expect((by.get('stored') ?? 0) + (by.get('CODER') ?? 0)).toBeGreaterThanOrEqual(4 * (1 << 20) - 4096);
    expect(by.get('TOKEN')).toBeGreaterThan(0);
    expect(i.coder.inputBytes).toBeGreaterThan(0);
    expect(i.coder.storedBytes).toBe(i.codecs.find((x) => x.name === 'dhatu')!.storedBytes);
    // deflate records: coded as they are, and the duplicates under deduplicated (= dedupBytes)
    const block = prngBytes(5, 1 << 16);
    const d = await inspect(await compress(new Uint8Array([...block, ...block, ...words]), { codec: 'deflate', strategy: 'fixed', chunkSize: 1 << 16 }));
    expect(d.shares.reduce((n, x) => n + x.bytes, 0)).toBe(d.originalSize);
    expect(d.shares.find((x) => x.primitive === 'deduplicated')?.bytes).toBe(d.dedupBytes);
    expect(d.dedupBytes).toBeGreaterThanOrEqual(1 << 16);
  });

  it('the stream decoder fails with LIMIT, not wrong bytes, when a copy reaches past what it retains', async () => {
    const data = farRepeats();
    const c = await compress(data, { codec: 'dhatu', level: 1, blockSize: 1 << 20 });
    await expect(streamDecode(c, 2, { maxWindow: 1 << 20 })).rejects.toMatchObject({ code: 'LIMIT' });
    // random access needs no window
    expect(sha(await decompress(c))).toBe(sha(data));
  });

  it('copies never reach outside the declared window', async () => {
    const data = farRepeats();
    const w = 2 << 20;
    const c = await compress(data, { codec: 'dhatu', level: 1, blockSize: 1 << 20, dedupWindow: w });
    expect(sha(await streamDecode(c, 3, { maxWindow: w }))).toBe(sha(data));
    // the repeat is 4 MiB back: outside a 2 MiB window, so the second copy must be coded anew
    const big = await compress(data, { codec: 'dhatu', level: 1, blockSize: 1 << 20 });
    expect(c.length).toBeGreaterThan(big.length);
  });

  it('a stream decoder with exactly the declared window decodes copies that reach nearly a window back, whatever the record cuts', async () => {
    // a 512 KiB random block repeated 2.9–2.99 MiB later, in a 3 MiB window: the copy's source lies inside the window
    // but, with records of about 1 MiB cut where the chunker cuts, not on a record boundary
    const w = 3 << 20;
    const a = prngBytes(31, 512 << 10);
    for (const gap of [2_430_000, 2_500_000, 2_560_000]) {
      const data = new Uint8Array([...prngBytes(32, 100_000), ...a, ...prngBytes(33, gap), ...a, ...prngBytes(34, 300_000)]);
      const c = await compress(data, { codec: 'dhatu', level: 1, blockSize: 1 << 20, dedupWindow: w });
      expect((await inspect(c)).shares.find((x) => x.primitive === 'COMM')?.bytes ?? 0, `gap ${gap}`).toBeGreaterThan(400_000);
      expect(sha(await streamDecode(c, 5, { maxWindow: w })), `gap ${gap}`).toBe(sha(data));
    }
  });

  it('takes dedup windows smaller than a COMM history (1 byte … 1 KiB): no copies then, and the bytes round-trip', async () => {
    const half = prngBytes(21, 300_000).map((b) => 97 + (b % 16));
    const data = new Uint8Array(600_000);
    data.set(half, 0);
    data.set(half, 300_000);
    for (const dedupWindow of [1, 100, 1023, 1024]) {
      const c = await compress(data, { codec: 'dhatu', level: 1, dedupWindow });
      expect(sha(await decompress(c)), `window ${dedupWindow}`).toBe(sha(data));
      expect(sha(await streamDecode(c, 1, { maxWindow: Math.max(dedupWindow, 1) })), `window ${dedupWindow}`).toBe(sha(data));
    }
  });

  const files = ['text-brown-all.txt', 'json-bcd.json', 'elf-esbuild', 'js-typescript.js', 'wasm-ort.wasm'];
  for (const name of files) {
    it(`real file slice: ${name}, levels 1 and 6, smaller than deflate -9`, async () => {
      const data = slice(name, 1536 << 10);
      const deflate9 = await compress(data, { codec: 'deflate', level: 9 });
      for (const level of [1, 6]) {
        const c = await compress(data, { codec: 'dhatu', level, blockSize: 1 << 20 });
        expect(c.length).toBeLessThan(deflate9.length);
        expect(sha(await decompress(c))).toBe(sha(data));
        expect(sha(await streamDecode(c, level))).toBe(sha(data));
      }
    });
  }

  it('is deterministic: same bytes for the same input and options, whatever the worker count', async () => {
    const data = farRepeats();
    const a = await compress(data, { codec: 'dhatu', level: 1, blockSize: 1 << 20 });
    const b = await compress(data, { codec: 'dhatu', level: 1, blockSize: 1 << 20 });
    expect(sha(a)).toBe(sha(b));
  });

  it('validates its options', async () => {
    await expect(compress(new Uint8Array(10), { codec: 'deflate', blockSize: 1 << 20 })).rejects.toMatchObject({ code: 'OPTION' });
    await expect(compress(new Uint8Array(10), { codec: 'dhatu', blockSize: 1000 })).rejects.toMatchObject({ code: 'OPTION' });
  });
});

describe('dhātu codec: trees and single-file extraction', () => {
  it('three versions of a source tree: copies across versions, one file extracted without decoding everything', async () => {
    const versions = corpusPath('versions');
    const dir = join(tmp, 'tree');
    const vs = readdirSync(versions).sort().slice(0, 3);
    const picked: string[] = [];
    for (const v of vs) {
      const lib = join(versions, v);
      for (const f of ['tsc.js', 'lib.dom.d.ts', 'lib.es5.d.ts', 'typescript.js']) {
        const p = join(lib, f);
        if (!existsSync(p)) continue;
        mkdirSync(join(dir, v), { recursive: true });
        writeFileSync(join(dir, v, f), readFileSync(p).subarray(0, 1 << 20));
        picked.push(`${v}/${f}`);
      }
    }
    expect(picked.length).toBeGreaterThan(8);
    const out = join(tmp, 'tree.pnz');
    await compressTree(dir, out, { codec: 'dhatu', level: 1, blockSize: 1 << 20 });
    const c = new Uint8Array(readFileSync(out));
    const i = await inspect(c);
    expect(i.dhatu.find((d) => d.primitive === 'COMM')?.bytes ?? 0).toBeGreaterThan(1 << 20);
    // a file of the first version: its own records (and what they copy from) only
    const first = `${vs[0]}/lib.es5.d.ts`;
    const r = await extractSource(bytesSource(c), first);
    expect(sha(r.data)).toBe(sha(readFileSync(join(dir, first))));
    expect(r.decodedBytes).toBeLessThan(i.originalSize / 2);
    for (const p of [picked[0]!, picked[picked.length - 1]!]) expect(sha(await extract(c, p))).toBe(sha(readFileSync(join(dir, p))));
    // the newest file depends on a chain of earlier records: each is decoded once, never again
    const lastFile = await extractSource(bytesSource(c), picked[picked.length - 1]!);
    expect(lastFile.decodedRecords).toBeLessThanOrEqual(i.records);
    expect(lastFile.decodedBytes).toBeLessThanOrEqual(i.originalSize);
    await expect(extract(c, 'no/such/file')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // the Node helper writes it atomically and never over an existing file without force
    const dest = join(tmp, 'one.ts');
    const fr = await extractFile(out, first, { out: dest });
    expect(sha(readFileSync(dest))).toBe(sha(fr.data));
    await expect(extractFile(out, first, { out: dest })).rejects.toMatchObject({ code: 'EXISTS' });
    await extractFile(out, first, { out: dest, force: true });
    await expect(extractFile(out, first, { bogus: 1 } as never)).rejects.toMatchObject({ code: 'OPTION' });
  });
});

describe('dhātu codec: deflate streams re-created (REFLATE)', () => {
  it('the corpus jar: every entry stored raw and re-deflated bit-exactly; far smaller than the jar', async () => {
    const data = corpusBytes('single/zip-closure.jar');
    const c = await compress(data, { codec: 'dhatu', level: 1 });
    const i = await inspect(c);
    expect(i.reflate.streams).toBeGreaterThan(7000);
    expect(i.reflate.foreign).toBe(0);
    expect(i.reflate.rawBytes).toBeGreaterThan(30e6);
    expect(i.dhatu.find((d) => d.primitive === 'REFLATE')?.bytes).toBeGreaterThan(0.7 * data.length); // the deflated entries (the rest: headers, stored entries)
    // deflated entries stored raw and coded again: well below the jar (which plain coders barely shrink)
    expect(c.length).toBeLessThan(0.75 * data.length);
    expect(sha(await decompress(c))).toBe(sha(data));
  });

  it('gzip members and zlib-made PNGs inside a record are re-created; damaged ones are kept as they are', async () => {
    const { gzipSync } = await import('node:zlib');
    const text = new TextEncoder().encode('the dhatu of panini '.repeat(20000));
    const gz = gzipSync(text, { level: 9, memLevel: 9 }); // zlib -9 / memLevel 9: what pako reproduces
    const bad = new Uint8Array(gz);
    bad[bad.length - 5] = bad[bad.length - 5]! ^ 0xff; // a broken CRC32 trailer: not a valid member
    const rec = new Uint8Array(gz.length * 2 + bad.length + 300);
    rec.set(gz, 100);
    rec.set(bad, 200 + gz.length);
    rec.set(gz, 300 + gz.length + bad.length - 100);
    const c = await compress(rec, { codec: 'dhatu', level: 1 });
    expect(sha(await decompress(c))).toBe(sha(rec));
    expect(sha(await streamDecode(c, 9))).toBe(sha(rec));
  });
});

describe('dhātu codec: hostile containers', () => {
  it('every payload byte flipped in a sample of positions gives a typed error, never wrong bytes', async () => {
    const data = farRepeats().subarray(0, 5 << 20);
    const c = await compress(data, { codec: 'dhatu', level: 1, blockSize: 1 << 20 });
    const r = prngBytes(5, 64);
    for (let k = 0; k < 24; k++) {
      const pos = 32 + ((r[k]! * 7919 + k * 104_729) % (c.length - 64));
      const bad = new Uint8Array(c);
      bad[pos] = bad[pos]! ^ (1 << (k % 8));
      try {
        const out = await decompress(bad);
        // a flip that still decodes must give the original (it cannot: every byte is under a CRC)
        expect(sha(out)).toBe(sha(data));
      } catch (e) {
        expect(isPaniniError(e)).toBe(true);
      }
    }
  });
});

describe('deflate containers get a record of their own; nothing else does', () => {
  it('a PDF starting with %PDF- and a gzip file: own records; a text quoting %PDF- in its first KiB and a tar of PDFs: in the block', async () => {
    await init();
    const { compressFiles, listRecords } = await import('../../src/index.js');
    const { gzipSync } = await import('node:zlib');
    const text = (s: string, n: number) => new TextEncoder().encode(s.repeat(Math.ceil(n / s.length)).slice(0, n));
    // files of at least the CDC average (64 KiB) start inputs of their own (smaller ones run on in the block)
    const a = text('plain words before and after ', 100000);
    const pdf = new Uint8Array([...new TextEncoder().encode('%PDF-1.4\n'), ...text('1 0 obj << >> endobj\n', 100000)]);
    const quoting = text(`a note: the signature %PDF-1.7 is quoted here, ${'and more text '.repeat(4)}`, 100000);
    const tarOfPdf = new Uint8Array(512 + pdf.length);
    tarOfPdf.set(new TextEncoder().encode('doc.pdf'), 0);
    tarOfPdf.set(new TextEncoder().encode('ustar'), 257);
    tarOfPdf.set(pdf, 512);
    const gz = gzipSync(prngBytes(3, 100000));
    const records = async (files: { path: string; data: Uint8Array }[]) => (await listRecords(await compressFiles(files, { level: 1 }))).length;
    // (a tree's files are coded in path order: b.* sits between a.txt and c.txt)
    // one block holds files that are no deflate container...
    expect(await records([{ path: 'a.txt', data: a }, { path: 'b.txt', data: quoting }, { path: 'c.txt', data: a }])).toBe(1);
    expect(await records([{ path: 'a.txt', data: a }, { path: 'b.tar', data: tarOfPdf }, { path: 'c.txt', data: a }])).toBe(1);
    // ...but a deflate container ends the block and gets its own record
    expect(await records([{ path: 'a.txt', data: a }, { path: 'b.pdf', data: pdf }, { path: 'c.txt', data: a }])).toBe(3);
    expect(await records([{ path: 'a.txt', data: a }, { path: 'b.gz', data: gz }, { path: 'c.txt', data: a }])).toBe(3);
  });
});
