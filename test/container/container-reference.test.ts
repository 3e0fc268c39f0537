// Containers written by src/ decode with the independent reference decoder (test/reference/pnz-decode.ts, written from
// docs/FORMAT.md only) to the original bytes, and the fields it parses agree with inspect(). This checks the encoder
// against the specification (layout, CRCs, SHA-256s, the dedup window rule, the manifest) and the specification
// against the code.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, symlinkSync, utimesSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compress, decompress, init, inspect, type CompressOptions } from '../../src/index.js';
import * as nodeApi from '../../src/node.js';
import { nodeSha256 } from '../helpers/oracles.js';
import { prngBytes } from '../helpers/prng.mjs';
import { phraseText } from '../helpers/codec-inputs.js';
import { decodePnz, RefError } from '../reference/pnz-decode.js';
import { CORPUS_DIR, corpusBytes } from '../helpers/corpus.js';

const KIB = 1024;
const MIB = 1 << 20;
const CORPUS = join(CORPUS_DIR, 'single');
const te = new TextEncoder();

/** 8 distinct 64 KiB blocks arranged with many repeats, so that fixed and CDC chunking both find duplicates. */
function repeatedBlocks(): Uint8Array {
  const blocks = Array.from({ length: 8 }, (_, k) => prngBytes(100 + k, 64 * KIB));
  const order = [0, 1, 2, 0, 1, 3, 0, 4, 5, 1, 6, 7, 0, 2, 2, 3, 7, 0, 1, 5];
  const out = new Uint8Array(order.length * 64 * KIB);
  order.forEach((b, k) => out.set(blocks[b]!, k * 64 * KIB));
  return out;
}

const words = phraseText;

const INPUTS: [string, () => Uint8Array][] = [
  ['empty', () => new Uint8Array(0)],
  ['1 byte', () => Uint8Array.of(0x42)],
  ['small text', () => te.encode('hello hello hello, panini-fs! '.repeat(40))],
  ['random 300 KiB', () => prngBytes(7, 300 * KIB + 17)],
  ['text 700 KiB', () => words(3, 700 * KIB + 5)],
  ['repeated blocks', repeatedBlocks],
];

const LEVELS = [0, 1, 6, 9];
const STRATEGIES = ['fixed', 'cdc', 'adaptive'] as const;

function optsFor(strategy: (typeof STRATEGIES)[number], level: number): CompressOptions {
  // small chunks so that the inputs above give several records (and duplicates)
  return strategy === 'fixed' ? { codec: 'deflate', level, strategy, chunkSize: 64 * KIB } : { codec: 'deflate', level, strategy, minSize: 8 * KIB, avgSize: 32 * KIB, maxSize: 128 * KIB };
}

/** Decodes with the reference and compares everything it parsed with decompress() and inspect(). */
async function check(input: Uint8Array, c: Uint8Array, o: CompressOptions): Promise<ReturnType<typeof decodePnz>> {
  const ref = decodePnz(c);
  expect(ref.output.length).toBe(input.length);
  expect(Buffer.compare(ref.output, input)).toBe(0);
  expect(ref.sha256).toBe(nodeSha256(input));
  expect(Buffer.compare(await decompress(c), input)).toBe(0);
  const info = await inspect(c);
  expect(info.version).toBe(ref.version);
  expect(info.containerSize).toBe(c.length);
  expect(info.originalSize).toBe(ref.totalSize);
  expect(info.sha256).toBe(ref.sha256);
  expect(info.dedupWindow).toBe(ref.window);
  expect(info.records).toBe(ref.recordCount);
  expect(info.dataRecords).toBe(ref.dataRecords);
  expect(info.refRecords).toBe(ref.refRecords);
  expect(info.dedupBytes).toBe(ref.refBytes);
  expect(info.codecs.map((x) => [x.id, x.records, x.originalBytes, x.storedBytes])).toEqual(
    [...ref.codecs].sort((a, b) => a[0] - b[0]).map(([id, s]) => [id, s.records, s.originalBytes, s.storedBytes]),
  );
  expect(ref.window).toBe(o.dedupWindow ?? 64 * MIB);
  // encoder properties of FORMAT.md "Encoding": no empty records, level 0 stores, deflate params = level
  for (const r of ref.records) {
    expect(r.originalLength).toBeGreaterThan(0);
    if (r.kind === 'DATA' && r.codec === 1) expect(r.params).toBe(o.level ?? 6);
    if ((o.level ?? 6) === 0) expect(r.kind === 'REF' || r.codec === 0).toBe(true);
  }
  return ref;
}

beforeAll(async () => {
  await init();
});

describe('reference decoder: containers from compress()', () => {
  for (const [name, make] of INPUTS) {
    it(`${name}: levels ${LEVELS.join('/')} × strategies ${STRATEGIES.join('/')}`, async () => {
      const input = make();
      for (const strategy of STRATEGIES) {
        for (const level of LEVELS) {
          const o = optsFor(strategy, level);
          const ref = await check(input, await compress(input, o), o);
          if (name === 'empty') expect(ref.recordCount).toBe(0);
          if (name === 'repeated blocks') expect(ref.refRecords).toBeGreaterThan(0);
        }
      }
    });
  }

  it('the worked example of FORMAT.md: "hello" at level 0 is the documented 197 bytes', async () => {
    const c = await compress(te.encode('hello'), { level: 0 });
    const doc = readFileSync(new URL('../../docs/FORMAT.md', import.meta.url), 'utf8');
    const dump = doc.slice(doc.indexOf('```\n0000  89 50'), doc.indexOf('```', doc.indexOf('```\n0000  89 50') + 3));
    const bytes = dump
      .split('\n')
      .filter((l) => /^[0-9a-f]{4} {2}/.test(l))
      .flatMap((l) => l.slice(6).trim().split(/ +/).map((x) => parseInt(x, 16)));
    expect(Buffer.from(c).toString('hex')).toBe(Buffer.from(bytes).toString('hex'));
    const ref = decodePnz(c);
    expect(ref.endOffset).toBe(93);
    expect(ref.records[0]).toMatchObject({ kind: 'DATA', codec: 0, storedLength: 5, originalLength: 5, frameOffset: 32 });
  });

  it('dedup windows: unlimited, small (REFs only to records still in the FIFO) and smaller than one chunk', async () => {
    const input = repeatedBlocks();
    for (const dedupWindow of [0, 1, 64 * KIB, 64 * KIB + 1, 200 * KIB, 300 * KIB]) {
      for (const strategy of ['fixed', 'cdc'] as const) {
        const o: CompressOptions = { ...optsFor(strategy, 1), dedupWindow };
        const ref = await check(input, await compress(input, o), o);
        if (dedupWindow === 0) expect(ref.refRecords).toBeGreaterThan(0);
        if (dedupWindow === 1) expect(ref.refRecords).toBe(0);
      }
    }
    // fixed 64 KiB chunks of the 8 blocks: with an unlimited window, exactly the 8 distinct blocks are DATA
    const ref = decodePnz(await compress(input, { ...optsFor('fixed', 0), dedupWindow: 0 }));
    expect(ref.dataRecords).toBe(8);
    expect(ref.refRecords).toBe(12);
    // a window of 3 blocks: block 0 at chunk 0 is evicted when chunk 5 (block 3) arrives, so chunk 6 (block 0) is DATA
    const w3 = decodePnz(await compress(input, { ...optsFor('fixed', 0), dedupWindow: 3 * 64 * KIB }));
    expect(w3.records.slice(0, 7).map((r) => r.kind)).toEqual(['DATA', 'DATA', 'DATA', 'REF', 'REF', 'DATA', 'DATA']);
  });

  it('real corpus files (first 1.5 MiB of each)', async () => {
    const names = ['text-brown-all.txt', 'js-typescript.js', 'json-bcd.json', 'elf-esbuild', 'png-emoji-apple-32.png', 'wasm-ort.wasm', 'zip-closure.jar'];
    const combos: CompressOptions[] = [
      { codec: 'deflate', level: 6 },
      { codec: 'deflate', level: 1, strategy: 'fixed' },
      { codec: 'deflate', level: 9, strategy: 'adaptive' },
      { codec: 'deflate', level: 0, strategy: 'cdc' },
    ];
    let k = 0;
    for (const name of names) {
      const input = corpusBytes(join('single', name), 1.5 * MIB);
      // two option sets per file, rotating, so every combination meets several kinds of data
      for (const o of [combos[k % combos.length]!, combos[(k + 1) % combos.length]!]) await check(input, await compress(input, o), o);
      k++;
    }
  });
});

describe('reference decoder: manifests', () => {
  const compressTree = (nodeApi as Record<string, unknown>).compressTree as undefined | ((dir: string, out: string, o?: object) => Promise<unknown>);
  const compressFile = (nodeApi as Record<string, unknown>).compressFile as undefined | ((path: string, out: string, o?: object) => Promise<unknown>);

  it('compressTree / compressFile output decodes, files cut by size match their contents', async () => {
    if (!compressTree || !compressFile) return; // the Node file API is not there (browser-only build of the tests)
    const dir = mkdtempSync(join(tmpdir(), 'pnz-ref-'));
    try {
      const root = join(dir, 'tree');
      mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
      const files: [string, Uint8Array][] = [
        ['a.txt', te.encode('alpha\n'.repeat(100))],
        ['empty', new Uint8Array(0)],
        ['sub/b.bin', prngBytes(11, 150 * KIB)],
        ['sub/copy.bin', prngBytes(11, 150 * KIB)],
        ['sub/deeper/c.txt', words(5, 90 * KIB)],
        ['z', Uint8Array.of(1)],
      ];
      for (const [p, d] of files) writeFileSync(join(root, p), d);
      symlinkSync('sub/b.bin', join(root, 'link'));
      chmodSync(join(root, 'a.txt'), 0o600);
      utimesSync(join(root, 'z'), new Date(1_700_000_001_000), new Date(1_700_000_001_000));
      const out = join(dir, 'tree.pnz');
      await compressTree(root, out, { codec: 'deflate', level: 6, strategy: 'cdc', avgSize: 16 * KIB, minSize: 4 * KIB, maxSize: 64 * KIB });
      const c = new Uint8Array(readFileSync(out));
      const ref = decodePnz(c);
      expect(ref.manifest?.root).toBe('tree');
      const byPath = new Map(ref.files.map((f) => [f.path, f.data]));
      for (const [p, d] of files) expect(Buffer.compare(byPath.get(p)!, d)).toBe(0);
      expect(ref.refRecords).toBeGreaterThan(0); // sub/copy.bin repeats sub/b.bin
      const entries = new Map(ref.manifest!.entries.map((e) => [e.path, e]));
      expect(entries.get('link')).toMatchObject({ type: 'symlink', target: 'sub/b.bin', size: 0 });
      expect(entries.get('sub/deeper')).toMatchObject({ type: 'dir' });
      expect(entries.get('a.txt')!.mode).toBe(0o600);
      expect(entries.get('z')!.mtime).toBe(1_700_000_001_000);
      const info = await inspect(c);
      expect(info.records).toBe(ref.recordCount);
      expect(info.refRecords).toBe(ref.refRecords);
      expect(info.sha256).toBe(ref.sha256);
      expect(info.manifest?.entries.map((e) => e.path)).toEqual(ref.manifest!.entries.map((e) => e.path));
      expect(Buffer.compare(await decompress(c), ref.output)).toBe(0);

      const one = join(dir, 'one.pnz');
      await compressFile(join(root, 'sub', 'deeper', 'c.txt'), one, { level: 9 });
      const r1 = decodePnz(new Uint8Array(readFileSync(one)));
      expect(r1.manifest).toMatchObject({ root: 'file', entries: [{ path: 'c.txt', type: 'file', size: 90 * KIB }] });
      expect(r1.window).toBe(0); // files: unlimited window by default
      expect(Buffer.compare(r1.files[0]!.data, files[4]![1])).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the reference rejects what FORMAT.md forbids (sanity of the oracle itself)', async () => {
    const c = await compress(te.encode('hello'), { level: 0 });
    const flip = (at: number) => {
      const d = c.slice();
      d[at]! ^= 1;
      return d;
    };
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(RefError);
        return (e as RefError).code;
      }
      return 'ok';
    };
    expect(code(() => decodePnz(c))).toBe('ok');
    expect(code(() => decodePnz(flip(0)))).toBe('FORMAT');
    expect(code(() => decodePnz(flip(8)))).toBe('CHECKSUM');
    expect(code(() => decodePnz(flip(90)))).toBe('CHECKSUM');
    expect(code(() => decodePnz(flip(c.length - 6)))).toBe('TRUNCATED');
    expect(code(() => decodePnz(c.subarray(0, 20)))).toBe('TRUNCATED');
    expect(code(() => decodePnz(c.subarray(0, c.length - 1)))).toBe('TRUNCATED');
    expect(code(() => decodePnz(new Uint8Array(200)))).toBe('FORMAT');
    expect(code(() => decodePnz(c, { maxOutputSize: 4 }))).toBe('LIMIT');
  });
});
