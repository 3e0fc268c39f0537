// Every codec of the .pnz container decoded by two decoders: src/ (decompress) and the independent reference in
// test/reference/ (written from docs/FORMAT.md, CODEC.md, DHATU*.md, REFLATE.md, PREFLATE.md; it imports nothing
// from src/). Both must give the original bytes, and the reference output's SHA-256 (node:crypto) must be the
// input's. Inputs: the committed vectors, containers written here by the real encoder for every codec and level,
// every dhātu stage the planner picks (tracked, and required at the end), plans built stage by stage for the stages
// the planner never writes, slices of the real corpus (PANINI_CORPUS_DIR: these tests FAIL when it is missing), and
// damaged payloads that the reference must reject.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as zcrc32, deflateSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { compress, decompress, init, type CompressOptions } from '../src/index.js';
import { compressTree } from '../src/node.js';
import { encode as plzEncode } from '../src/codec/plz.js';
import { encode as pfzEncode } from '../src/codec/pfz.js';
import {
  coderForward,
  decodePlan as srcDecodePlan,
  deltaForward,
  iterRunsForward,
  splitColumnsForward,
  splitJsonForward,
  splitWasmForward,
  tokenForward,
  transposeForward,
  writePlan,
  x86Forward,
  xorForward,
  type StageResult,
} from '../src/dhatu/index.js';
import { imageForward } from '../src/dhatu/stages/image.js';
import '../src/dhatu/adapter/record.js'; // registers COMM, image, REFLATE and the pfz coder with src's plan decoder
import { CORPUS_DIR } from './helpers/corpus.js';
import { prngBytes } from './helpers/prng.mjs';
import { PHRASE_VOCAB, phraseText } from './helpers/codec-inputs.js';
import { decodePnz, RefError } from './reference/pnz-decode.js';
import { decodePlan as refDecodePlan, planInfo } from './reference/dhatu-decode.js';
import { plzDecode } from './reference/plz-decode.js';
import { pfzDecode } from './reference/pfz-decode.js';

const KIB = 1024;
const MIB = 1 << 20;
const te = new TextEncoder();
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const crc = (b: Uint8Array): number => zcrc32(b) >>> 0;

// ------------------------------------------------------------------------------------------------- corpus
/** A corpus file, or a test failure that says how to get the corpus (never a silent skip). */
function corpus(name: string): Uint8Array {
  const p = join(CORPUS_DIR, 'single', name);
  if (!existsSync(p)) {
    throw new Error(`corpus file ${p} is missing: build the dev corpus (../shared/corpus/build-corpus.sh) or set PANINI_CORPUS_DIR to it`);
  }
  return new Uint8Array(readFileSync(p));
}
function slice(name: string, at: number, n: number): Uint8Array {
  const all = corpus(name);
  const from = Math.min(at, Math.max(0, all.length - n));
  return all.slice(from, from + n);
}

// ------------------------------------------------------------------------------------------------- coverage
const seen = { codecs: new Set<number>(), stages: new Set<number>(), coders: new Set<number>() };

/** Payload bytes of every DATA record of a container, from the reference's parse. */
function recordPayloads(c: Uint8Array): { codec: number; payload: Uint8Array; frameOffset: number }[] {
  const ref = decodePnz(c);
  return ref.records.filter((r) => r.kind === 'DATA').map((r) => ({ codec: r.codec, payload: c.subarray(r.frameOffset + 56, r.frameOffset + 56 + r.storedLength), frameOffset: r.frameOffset }));
}

/** Both decoders, byte for byte, and the reference output against the input's SHA-256. Records the coverage. */
async function both(input: Uint8Array, c: Uint8Array, label: string): Promise<void> {
  const ref = decodePnz(c);
  expect(ref.output.length, label).toBe(input.length);
  expect(sha(ref.output), `${label}: reference output vs input SHA-256`).toBe(sha(input));
  expect(ref.sha256, label).toBe(sha(input));
  const out = await decompress(c);
  expect(Buffer.compare(out, ref.output), `${label}: src and reference outputs differ`).toBe(0);
  for (const r of recordPayloads(c)) {
    seen.codecs.add(r.codec);
    if (r.codec === 16) {
      const info = planInfo(r.payload);
      info.stages.forEach((s) => seen.stages.add(s));
      info.coders.forEach((k) => seen.coders.add(k));
    }
  }
}

async function roundTrip(input: Uint8Array, o: CompressOptions, label: string): Promise<Uint8Array> {
  const c = await compress(input, o);
  await both(input, c, `${label} ${JSON.stringify(o)}`);
  return c;
}

// ------------------------------------------------------------------------------------------------- inputs
const WORDS_VOCAB = [...PHRASE_VOCAB, 'Ashtadhyayi'];
const wordsText = (seed: number, n: number): Uint8Array => phraseText(seed, n, WORDS_VOCAB);

function tsv(rows: number): Uint8Array {
  const r = prngBytes(77, rows * 4);
  const lines = ['id\tname\tversion\tdownloads\tlicense'];
  const names = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
  const lic = ['MIT', 'ISC', 'Apache-2.0', 'BSD-3-Clause'];
  for (let i = 0; i < rows; i++) lines.push(`${i}\t${names[r[4 * i]! % 8]}-${r[4 * i + 1]! % 50}\t${r[4 * i + 2]! % 9}.${r[4 * i + 3]! % 20}.0\t${(r[4 * i]! * 977 + i) % 100000}\t${lic[r[4 * i + 1]! % 4]}`);
  return te.encode(lines.join('\n') + '\n');
}

function jsonDoc(n: number): Uint8Array {
  const items = [];
  for (let i = 0; i < n; i++) items.push({ id: i, name: `item-${i % 97}`, tags: ['a', 'b', `t${i % 13}`], price: (i * 37) % 1000 / 10, ok: i % 3 === 0 });
  return te.encode(JSON.stringify({ version: 3, items }, null, 1));
}

/** A minimal ustar archive of the given files (512-byte headers, data padded to 512). */
function tar(files: [string, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, data] of files) {
    const h = new Uint8Array(512);
    h.set(te.encode(name), 0);
    h.set(te.encode('0000644\0'), 100);
    h.set(te.encode('0000000\0'), 108);
    h.set(te.encode('0000000\0'), 116);
    h.set(te.encode(data.length.toString(8).padStart(11, '0') + '\0'), 124);
    h.set(te.encode('14000000000\0'), 136);
    h.fill(0x20, 148, 156);
    h[156] = 0x30;
    h.set(te.encode('ustar\0' + '00'), 257);
    let sum = 0;
    for (const b of h) sum += b;
    h.set(te.encode(sum.toString(8).padStart(6, '0') + '\0 '), 148);
    parts.push(h, data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  parts.push(new Uint8Array(1024));
  return Buffer.concat(parts);
}

/** A stored-method-free ZIP: every entry deflated by node:zlib (Chromium zlib, which REFLATE reproduces). */
function zip(files: [string, Uint8Array][]): Uint8Array {
  const locals: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameB = te.encode(name);
    const comp = deflateSync(data, { level: 6 }).subarray(2, -4); // raw deflate
    const c = crc(data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(8, 8);
    lh.writeUInt32LE(c, 14);
    lh.writeUInt32LE(comp.length, 18);
    lh.writeUInt32LE(data.length, 22);
    lh.writeUInt16LE(nameB.length, 26);
    locals.push(lh, nameB, comp);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(8, 10);
    ch.writeUInt32LE(c, 16);
    ch.writeUInt32LE(comp.length, 20);
    ch.writeUInt32LE(data.length, 24);
    ch.writeUInt16LE(nameB.length, 28);
    ch.writeUInt32LE(offset, 42);
    central.push(ch, nameB);
    offset += 30 + nameB.length + comp.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(files.length, 8);
  eocd.writeUInt16LE(files.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** A small RGB PNG (one IDAT, zlib by node:zlib at the given level), rows with mixed filter types. */
function png(w: number, h: number, level: number): { file: Uint8Array; scan: Uint8Array } {
  const rowBytes = 3 * w;
  const scan = new Uint8Array(h * (1 + rowBytes));
  for (let y = 0; y < h; y++) {
    scan[y * (1 + rowBytes)] = y % 5; // filter types 0–4 (bytes below are arbitrary: any bytes are valid filtered data)
    for (let x = 0; x < rowBytes; x++) scan[y * (1 + rowBytes) + 1 + x] = (x * 7 + y * 3 + ((x * y) >> 5)) & 255;
  }
  const chunk = (type: string, data: Uint8Array): Uint8Array => {
    const t = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(t));
    return Buffer.concat([len, t, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const file = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(scan, { level })), chunk('IEND', new Uint8Array(0))]);
  return { file, scan };
}

// ------------------------------------------------------------------------------------------------- hand-made containers
/** A container (FORMAT.md) of DATA records given as (codec, params, payload, original), built here without src/. */
function container(records: { codec: number; params: number; payload: Uint8Array; original: Uint8Array }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const header = Buffer.alloc(32);
  Buffer.from([0x89, 0x50, 0x4e, 0x5a, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header);
  header.writeUInt16LE(1, 8);
  header.writeUInt32LE(crc(header.subarray(0, 28)), 28);
  parts.push(header);
  const index = Buffer.alloc(16 * records.length);
  let at = 32;
  let out = 0;
  records.forEach((r, i) => {
    const h = Buffer.alloc(56);
    h[0] = 1;
    h[1] = r.codec;
    h.writeUInt16LE(r.params, 2);
    h.writeUInt32LE(r.payload.length, 4);
    h.writeUInt32LE(r.original.length, 8);
    Buffer.from(sha(r.original), 'hex').copy(h, 16);
    h.writeUInt32LE(crc(r.payload), 48);
    h.writeUInt32LE(crc(h.subarray(0, 52)), 52);
    parts.push(h, r.payload);
    index.writeBigUInt64LE(BigInt(at), 16 * i);
    index.writeBigUInt64LE(BigInt(out), 16 * i + 8);
    at += 56 + r.payload.length;
    out += r.original.length;
  });
  const end = Buffer.alloc(56);
  end.writeUInt32LE(records.length, 12);
  Buffer.from(sha(Buffer.concat(records.map((r) => r.original))), 'hex').copy(end, 16);
  end.writeUInt32LE(crc(end.subarray(0, 52)), 52);
  const footer = Buffer.alloc(32);
  footer.writeBigUInt64LE(BigInt(at), 0);
  footer.writeBigUInt64LE(BigInt(out), 8);
  footer.writeUInt32LE(records.length, 16);
  footer.writeUInt32LE(crc(index), 20);
  footer.write('PNZ!', 24, 'latin1');
  footer.writeUInt32LE(crc(footer.subarray(0, 28)), 28);
  parts.push(end, index, footer);
  return Buffer.concat(parts);
}

/** A plan from stage results (encode order) and the CODER over the last list. */
function plan(stages: StageResult[], level = 6, coder = 1): Uint8Array {
  const last = stages.length ? stages[stages.length - 1]!.streams : [];
  return writePlan([...stages, coderForward(last, { level, coder })]);
}

/** Replaces a record's payload byte and recomputes its payload CRC and header CRC (so only the codec can notice). */
function flipPayloadByte(c: Uint8Array, frameOffset: number, k: number, xor = 0x01): Uint8Array {
  const d = Buffer.from(c);
  const stored = d.readUInt32LE(frameOffset + 4);
  d[frameOffset + 56 + k] = d[frameOffset + 56 + k]! ^ xor;
  d.writeUInt32LE(crc(d.subarray(frameOffset + 56, frameOffset + 56 + stored)), frameOffset + 48);
  d.writeUInt32LE(crc(d.subarray(frameOffset, frameOffset + 52)), frameOffset + 52);
  return d;
}

// ------------------------------------------------------------------------------------------------- tests
beforeAll(async () => {
  await init();
});

describe('the committed vectors', () => {
  const meta = JSON.parse(readFileSync('test/vectors/vectors.json', 'utf8')) as { vectors: { file: string; outputSha256: string; outputSize: number }[] };
  const files = readdirSync('test/vectors').filter((f) => f.endsWith('.pnz'));
  it('every vector is listed', () => {
    expect(files.sort()).toEqual(meta.vectors.map((v) => v.file).sort());
  });
  for (const v of meta.vectors) {
    it(v.file, async () => {
      const c = new Uint8Array(readFileSync(join('test/vectors', v.file)));
      const ref = decodePnz(c);
      expect(ref.output.length).toBe(v.outputSize);
      expect(sha(ref.output)).toBe(v.outputSha256);
      expect(Buffer.compare(await decompress(c), ref.output)).toBe(0);
      for (const r of recordPayloads(c)) seen.codecs.add(r.codec);
    });
  }
});

describe('every codec and level, generated inputs', () => {
  const inputs: [string, () => Uint8Array][] = [
    ['1 byte', () => Uint8Array.of(0x42)],
    ['text 300 KiB', () => wordsText(3, 300 * KIB + 5)],
    ['random 100 KiB', () => prngBytes(9, 100 * KIB)],
    ['json', () => jsonDoc(3000)],
  ];
  const cases: CompressOptions[] = [
    { level: 0 },
    ...[1, 6, 9].map((level) => ({ level })),
    ...[1, 6, 9].flatMap((level) => [{ level, codec: 'plz' as const }, { level, codec: 'pfz' as const }]),
    ...[1, 3, 6, 9].map((level) => ({ level, codec: 'dhatu' as const })),
  ];
  for (const [name, make] of inputs) {
    it(name, async () => {
      const input = make();
      for (const o of cases) await roundTrip(input, o, name);
    });
  }
  it('plz and pfz records of several chunks (fixed 64 KiB chunks)', async () => {
    const input = wordsText(5, 400 * KIB);
    for (const codec of ['plz', 'pfz'] as const) for (const level of [2, 5]) await roundTrip(input, { level, codec, strategy: 'fixed', chunkSize: 64 * KIB }, 'chunks');
  });
});

describe('dhātu stages the planner picks, by format', () => {
  const levels = [1, 3, 6, 9];
  const cases: [string, () => Uint8Array, number[]][] = [
    ['text (words)', () => wordsText(11, 200 * KIB), levels],
    ['JSON', () => jsonDoc(4000), levels],
    ['TSV (columns)', () => tsv(6000), levels],
    ['tar', () => tar([['a.txt', wordsText(1, 40 * KIB)], ['b.json', jsonDoc(500)], ['c.bin', new Uint8Array(20000).fill(7)]]), [1, 6]],
    ['gzip (REFLATE)', () => gzipSync(wordsText(12, 120 * KIB), { level: 6 }), [1, 6]],
    ['ZIP (REFLATE, zlib params repeated)', () => zip([['x.txt', wordsText(13, 30 * KIB)], ['y.json', jsonDoc(300)], ['z.txt', wordsText(14, 20 * KIB)]]), [1, 6]],
    ['PNG (REFLATE, IDAT)', () => png(200, 120, 9).file, [1, 6]],
    ['runs of one byte', () => {
      const b = prngBytes(15, 300 * KIB);
      for (let k = 0; k < b.length; k += 4000) b.fill(0, k, k + 1500);
      return b;
    }, [6]],
  ];
  for (const [name, make, lv] of cases) {
    it(name, async () => {
      const input = make();
      for (const level of lv) await roundTrip(input, { level, codec: 'dhatu' }, name);
    });
  }
  it('COMM: a block that repeats an earlier record (stage 49)', async () => {
    const a = wordsText(21, 1100 * KIB);
    const input = Buffer.concat([a, prngBytes(22, 64 * KIB), a]);
    for (const level of [1, 6]) await roundTrip(input, { level, codec: 'dhatu', blockSize: MIB }, 'comm');
    expect(seen.stages.has(49)).toBe(true);
  });
  it('a tree with files (compressTree, dhātu and deflate)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ref-tree-'));
    try {
      mkdirSync(join(dir, 'src', 'lib'), { recursive: true });
      const files: [string, Uint8Array][] = [
        ['README.md', te.encode('# a tree\n' + 'words and more words\n'.repeat(200))],
        ['src/a.json', jsonDoc(800)],
        ['src/lib/b.txt', wordsText(31, 90 * KIB)],
        ['src/lib/c.bin', prngBytes(32, 20 * KIB)],
        ['src/copy.txt', wordsText(31, 90 * KIB)],
        ['empty', new Uint8Array(0)],
      ];
      for (const [p, d] of files) writeFileSync(join(dir, p), d);
      const total = files.reduce((n, f) => n + f[1].length, 0);
      for (const o of [{ level: 6 }, { level: 3, codec: 'dhatu' as const }, { level: 9, codec: 'dhatu' as const }]) {
        const out = join(dir, '..', `ref-tree-${process.pid}.pnz`);
        await compressTree(dir, out, { ...o, force: true });
        const c = new Uint8Array(readFileSync(out));
        rmSync(out);
        const ref = decodePnz(c);
        expect(ref.manifest?.root).toBe('tree');
        const byPath = new Map(files);
        expect(ref.files.length).toBe(files.length);
        for (const f of ref.files) expect(sha(f.data), f.path).toBe(sha(byPath.get(f.path)!));
        expect(ref.output.length).toBe(total);
        expect(Buffer.compare(await decompress(c), ref.output)).toBe(0);
        for (const r of recordPayloads(c)) {
          seen.codecs.add(r.codec);
          if (r.codec === 16) planInfo(r.payload).stages.forEach((s) => seen.stages.add(s));
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('corpus slices (PANINI_CORPUS_DIR)', () => {
  const files: [string, number, number[]][] = [
    ['text-brown-all.txt', 768 * KIB, [1, 3, 6, 9]],
    ['json-bcd.json', 768 * KIB, [1, 3, 6, 9]],
    ['js-typescript.js', 768 * KIB, [1, 3, 6, 9]],
    ['wasm-ort.wasm', 768 * KIB, [1, 3, 6]],
    ['elf-esbuild', 768 * KIB, [1, 6]],
    ['png-emoji-apple-32.png', 512 * KIB, [1]],
  ];
  for (const [name, n, lv] of files) {
    it(`${name}: every codec, dhātu at levels ${lv.join(', ')}`, async () => {
      const input = slice(name, name.endsWith('.wasm') ? 0 : 2 * MIB, n);
      for (const o of [{ level: 6 }, { level: 6, codec: 'plz' as const }, { level: 2, codec: 'pfz' as const }]) await roundTrip(input, o, name);
      for (const level of lv) await roundTrip(input, { level, codec: 'dhatu' }, name);
    });
  }
  it('zip-closure.jar (REFLATE over thousands of entries, nested JARs), dhātu levels 1 and 6', async () => {
    const input = corpus('zip-closure.jar').slice(0, 3 * MIB);
    for (const level of [1, 6]) await roundTrip(input, { level, codec: 'dhatu' }, 'jar');
    expect(seen.stages.has(64)).toBe(true);
  });
  it('the whole PNG at level 1 (REFLATE keeps its foreign stream; a whole-file record)', async () => {
    const input = corpus('png-emoji-apple-32.png');
    await roundTrip(input, { level: 1, codec: 'dhatu' }, 'png');
  });
});

describe('plans built stage by stage (stages the planner does not write), in hand-made containers', () => {
  /** one plan record in a container; both decoders, and both plan decoders directly */
  async function check(original: Uint8Array, stages: StageResult[], coder = 1, level = 6): Promise<void> {
    const payload = plan(stages, level, coder);
    expect(payload.length, 'plan not smaller than its record').toBeLessThan(original.length);
    const info = planInfo(payload);
    info.stages.forEach((s) => seen.stages.add(s));
    info.coders.forEach((k) => seen.coders.add(k));
    const ctx = { recordLength: original.length, recordOffset: 0, window: 0, readOutput: () => new Uint8Array(0) };
    expect(sha(refDecodePlan(payload, ctx))).toBe(sha(original));
    expect(sha(srcDecodePlan(payload, { ...ctx, maxBytes: 4 * 64 * MIB, where: 'test' }))).toBe(sha(original));
    await both(original, container([{ codec: 16, params: level, payload, original }]), `plan ${info.stages.join(',')}`);
  }
  const bin = (): Uint8Array => {
    const b = new Uint8Array(120 * KIB);
    for (let i = 0; i < b.length; i++) b[i] = (i * 3 + (i >> 9)) & 255;
    return b;
  };
  it('ITER runs (16)', async () => {
    const b = prngBytes(41, 100 * KIB);
    for (let k = 0; k < b.length; k += 3000) b.fill(0xaa, k, k + 700);
    await check(b, [iterRunsForward([b], 0, 32)]);
  });
  it('TRANS delta (20), xor (21), transpose (22), x86 (23)', async () => {
    const b = bin();
    await check(b, [deltaForward([b], 0, 4)]);
    await check(b, [xorForward([b], 0, 3)]);
    await check(b, [transposeForward([b], 0, 12)]);
    const code = new Uint8Array(100 * KIB);
    for (let i = 0; i < code.length; i += 10) code.set([0xe8, (i * 7) & 255, (i >> 8) & 255, 0, 0, 0x48, 0x89, 0xc7, 0x90, 0xc3], i);
    await check(code, [x86Forward([code], 0)]);
  });
  it('TOKEN words (28) then SPLIT json (32) on another stream, pfz coder (2)', async () => {
    const j = jsonDoc(3000);
    const s1 = splitJsonForward([j], 0);
    const s2 = tokenForward(s1.streams, 2)!; // words on the strings stream
    expect(s2).not.toBeNull();
    await check(j, [s1, s2], 2, 2);
  });
  it('SPLIT columns (33)', async () => {
    const t = tsv(300);
    await check(t, [splitColumnsForward([t], 0, 0x09, 5)]);
  });
  it('SPLIT wasm (34) on a real module', async () => {
    const w = slice('wasm-ort.wasm', 0, 512 * KIB);
    const s = splitWasmForward([w], 0);
    expect(s).not.toBeNull();
    await check(w, [s!]);
  });
  it('TRANS image (40): every predictor, interleaved and planes', async () => {
    const { scan } = png(64, 40, 6);
    for (let pred = 0; pred <= 6; pred++) {
      for (const planes of [false, true]) {
        const s = imageForward([scan], 0, { width: 64, height: 40, bitDepth: 8, colorType: 2, interlace: 0, pred, planes });
        expect(s).not.toBeNull();
        await check(scan, [s!]);
      }
    }
  });
  it('COMM stage 48 (ops stored in params), copying from an earlier record and inside the record', async () => {
    const first = wordsText(51, 40 * KIB);
    // record 1: 100 literals, then 30000 bytes from record 0 (distance = 100 + 40 KiB − 5000), then a period-3 copy
    const residue = te.encode('L'.repeat(100) + 'tail');
    const v = (x: number): number[] => {
      const out: number[] = [];
      do {
        out.push((x & 0x7f) | (x >= 0x80 ? 0x80 : 0));
        x = Math.floor(x / 128);
      } while (x > 0);
      return out;
    };
    const d0 = 100 + first.length - 5000;
    const ops = Uint8Array.from([...v(2), ...v(100), ...v(0), ...v((30000 - 1) * 2), ...v((9000 - 1) * 2), ...v(d0 - 1), ...v(3 - 1)]);
    const rec = new Uint8Array(100 + 30000 + 9000 + 4);
    rec.set(residue.subarray(0, 100));
    rec.set(first.subarray(5000, 35000), 100);
    for (let i = 0; i < 9000; i++) rec[30100 + i] = rec[30100 + i - 3]!;
    rec.set(te.encode('tail'), 39100);
    const comm: StageResult = { id: 48, params: ops, streams: [residue], handled: 39000 };
    const payload = plan([comm]);
    planInfo(payload).stages.forEach((s) => seen.stages.add(s));
    const c = container([
      { codec: 1, params: 6, payload: deflateSync(first).subarray(2, -4), original: first },
      { codec: 16, params: 6, payload, original: rec },
    ]);
    await both(Buffer.concat([first, rec]), c, 'comm 48');
  });
});

describe('damaged payloads: the reference rejects them or gives other bytes', () => {
  it('plz and pfz blocks: every single-bit flip in bytes 1–399 is FORMAT or different bytes', () => {
    const data = wordsText(61, 20 * KIB);
    for (const [name, enc, dec] of [
      ['plz', plzEncode, plzDecode],
      ['pfz', pfzEncode, pfzDecode],
    ] as const) {
      const p = enc(data, 6);
      expect(sha(dec(p, data.length))).toBe(sha(data));
      let rejected = 0;
      // from byte 1: plz's flag byte 0 → 1 only switches on the x86 filter, a no-op on text without E8/E9 bytes
      for (let k = 1; k < Math.min(400, p.length); k++) {
        const q = p.slice();
        q[k] = q[k]! ^ (1 << (k % 8));
        try {
          const d = dec(q, data.length);
          expect(sha(d), `${name} flip at ${k} gave the original`).not.toBe(sha(data));
        } catch (e) {
          expect(e).toBeInstanceOf(RefError);
          expect((e as RefError).code).toBe('FORMAT');
          rejected++;
        }
      }
      expect(rejected, `${name}: flips rejected by the decoder itself`).toBeGreaterThan(0);
      // truncation and a trailing byte are FORMAT
      expect(() => dec(p.subarray(0, p.length - 1), data.length)).toThrow(RefError);
      expect(() => dec(Buffer.concat([p, Uint8Array.of(0)]), data.length)).toThrow(RefError);
    }
  });
  it('a flipped payload byte in plz, pfz and dhātu records (CRCs recomputed) fails the reference, FORMAT or CHECKSUM', async () => {
    const input = wordsText(62, 150 * KIB);
    for (const codec of ['plz', 'pfz', 'dhatu'] as const) {
      const c = await compress(input, { level: 6, codec });
      const [r] = recordPayloads(c);
      // past the plan's framing (its `handled` fields are informational: a flip there changes nothing)
      for (const k of [40, Math.floor(r!.payload.length / 4), Math.floor(r!.payload.length / 2)]) {
        const bad = flipPayloadByte(c, r!.frameOffset, k);
        let code: string | undefined;
        try {
          decodePnz(bad);
        } catch (e) {
          expect(e).toBeInstanceOf(RefError);
          code = (e as RefError).code;
        }
        expect(['FORMAT', 'CHECKSUM'], `${codec} flip at ${k}`).toContain(code);
      }
    }
  });
  it('a plan whose CODER says another raw length is FORMAT', async () => {
    const t = wordsText(63, 30 * KIB);
    const p = writePlan([coderForward([t], { level: 6 })]);
    expect(() => refDecodePlan(p, { recordLength: t.length + 1, recordOffset: 0, window: 0, readOutput: () => new Uint8Array(0) })).toThrow(/FORMAT/);
  });
});

describe('coverage', () => {
  // what this file is about: a change that stops a codec, coder or stage from being exercised above fails here
  it('every container codec, plan coder and stage id was decoded by both decoders', () => {
    expect([...seen.codecs].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 16]);
    expect([...seen.coders].sort((a, b) => a - b)).toEqual([0, 1, 2]);
    expect([...seen.stages].sort((a, b) => a - b)).toEqual([1, 16, 20, 21, 22, 23, 28, 32, 33, 34, 40, 48, 49, 64]);
  });
});
