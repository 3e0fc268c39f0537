// Grammar layer on real files: the corpus (single/, tree/mail-easy-ham-1) and node_modules (JS modules, source maps,
// package.json). Oracles: readelf (ELF section/segment offsets), acorn (top-level statement starts), JSON.parse (each
// JSON piece parses to exactly the member it should), an independent wasm section walker written here, line/paragraph
// splitting on decoded strings. Malformed variants of every sample (truncated, flipped bytes, lying length fields)
// must never throw and must give valid cut lists.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as acornParse } from 'acorn';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FORMATS, boundaries, detect, grammarFor, type FormatId } from '../../src/grammar/index.js';
import { CORPUS_DIR, corpusBytes } from '../helpers/corpus.js';

const CORPUS = CORPUS_DIR;
const HAS_CORPUS = existsSync(join(CORPUS, 'single'));
const single = (name: string): Uint8Array => corpusBytes(join('single', name));
const MAIL_DIR = join(CORPUS, 'tree/mail-easy-ham-1');
const mails = (n: number): Uint8Array[] =>
  readdirSync(MAIL_DIR)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .slice(0, n)
    .map((f) => new Uint8Array(readFileSync(join(MAIL_DIR, f))));

const all = (f: FormatId, d: Uint8Array): number[] => boundaries(f, d, { minSize: 1, maxSize: Math.max(1, d.length), avgSize: 1 });
const OPTS = { minSize: 16 * 1024, avgSize: 64 * 1024, maxSize: 256 * 1024 };

function checkCuts(cuts: number[], len: number, max: number): void {
  let prev = 0;
  for (const c of cuts) {
    if (!(Number.isInteger(c) && c > prev && c - prev <= max)) throw new Error(`bad cut ${c} after ${prev} (max ${max})`);
    prev = c;
  }
  if (cuts.length && cuts[cuts.length - 1]! >= len) throw new Error('cut at or past the end');
  if (len - prev > max) throw new Error(`last piece ${len - prev} > max ${max}`);
}

function pieces(d: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let p = 0;
  for (const c of [...cuts, d.length]) out.push(d.subarray(p, c)), (p = c);
  return out;
}

/** JSON oracle: each top-level piece, re-wrapped, parses to exactly the member/element at its index. */
function checkJsonPieces(d: Uint8Array, cuts: number[]): void {
  const text = new TextDecoder().decode(d);
  const whole = JSON.parse(text) as unknown;
  const isArr = Array.isArray(whole);
  const ps = pieces(d, cuts).map((p) => new TextDecoder().decode(p));
  const open = isArr ? '[' : '{';
  const close = isArr ? ']' : '}';
  const got: unknown[] = [];
  for (let k = 0; k < ps.length; k++) {
    let s = ps[k]!.trim();
    if (k === 0) s = s.slice(1).trim(); // the container's opening bracket
    if (k === ps.length - 1) s = s.slice(0, -1).trim(); // its closing one
    if (k < ps.length - 1) {
      expect(s.endsWith(',')).toBe(true);
      s = s.slice(0, -1);
    }
    const v = JSON.parse(open + s + close) as unknown;
    if (isArr) {
      expect((v as unknown[]).length).toBe(1);
      got.push((v as unknown[])[0]);
    } else {
      expect(Object.keys(v as object).length).toBe(1);
      got.push(v);
    }
  }
  if (isArr) expect(got).toEqual(whole);
  else expect(Object.assign({}, ...(got as object[]))).toEqual(whole);
}

describe('corpus: detection', () => {
  it('single/ files', () => {
    const want: Record<string, FormatId> = {
      'elf-esbuild': 'elf',
      'js-typescript.js': 'js',
      'json-bcd.json': 'json',
      'png-emoji-apple-32.png': 'png',
      'text-brown-all.txt': 'text',
      'wasm-ort.wasm': 'wasm',
      'zip-closure.jar': 'zip',
    };
    for (const [name, f] of Object.entries(want)) {
      const d = single(name);
      const r = detect(d.subarray(0, 65536), d.length);
      expect(r.format, name).toBe(f);
      if (f === 'zip') expect(r.info?.subtype).toBe('jar');
      // detection looks at 64 KiB at most: a longer head gives the same answer
      expect(detect(d.subarray(0, 200_000), d.length)).toEqual(r);
    }
  });
  it('200 mails are mail; concatenated they are an mbox; their .json twins joined by lines are ndjson', () => {
    const ms = mails(200);
    for (const m of ms) expect(detect(m).format).toBe('mail');
    const mbox = Buffer.concat(ms.flatMap((m) => [m, Buffer.from('\n')]));
    expect(detect(mbox.subarray(0, 65536), mbox.length).format).toBe('mbox');
    const js = readdirSync(MAIL_DIR).filter((f) => f.endsWith('.json')).sort().slice(0, 50);
    const nd = Buffer.from(js.map((f) => readFileSync(join(MAIL_DIR, f)).toString().trim()).join('\n') + '\n');
    expect(detect(nd.subarray(0, 65536), nd.length).format).toBe('ndjson');
  });
});

describe('corpus: boundaries against independent parses', () => {
  it('elf-esbuild: every section and segment edge from readelf, and nothing else', () => {
    const d = single('elf-esbuild');
    let sOut: string;
    let lOut: string;
    let hOut: string;
    try {
      sOut = execFileSync('readelf', ['-S', '-W', join(CORPUS, 'single/elf-esbuild')]).toString();
      lOut = execFileSync('readelf', ['-l', '-W', join(CORPUS, 'single/elf-esbuild')]).toString();
      hOut = execFileSync('readelf', ['-h', '-W', join(CORPUS, 'single/elf-esbuild')]).toString();
    } catch (e) {
      throw new Error(`readelf (binutils; .ci/run installs it) is the oracle of this test and did not run: ${(e as Error).message}`, { cause: e });
    }
    const sections = [...sOut.matchAll(/^\s*\[\s*\d+\]\s+(\S*)\s+(\S+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)/gm)]
      .map((m) => ({ type: m[2]!, off: parseInt(m[3]!, 16), size: parseInt(m[4]!, 16) }))
      .filter((s) => s.type !== 'NULL' && s.type !== 'NOBITS' && s.size > 0);
    expect(sections.length).toBeGreaterThan(5);
    const segs = [...lOut.matchAll(/^\s+[A-Z_]+\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x([0-9a-f]+)/gm)]
      .map((m) => ({ off: parseInt(m[1]!, 16), size: parseInt(m[2]!, 16) }))
      .filter((s) => s.size > 0);
    const num = (re: RegExp): number => Number(hOut.match(re)![1]);
    const phoff = num(/Start of program headers:\s+(\d+)/);
    const shoff = num(/Start of section headers:\s+(\d+)/);
    const phend = phoff + num(/Size of program headers:\s+(\d+)/) * num(/Number of program headers:\s+(\d+)/);
    const allowed = new Set<number>([num(/Size of this header:\s+(\d+)/), phoff, phend, shoff]);
    for (const s of [...sections, ...segs]) allowed.add(s.off).add(s.off + s.size);
    const cuts = all('elf', d);
    for (const s of sections) expect(cuts).toContain(s.off);
    for (const c of cuts) expect(allowed.has(c), `cut ${c}`).toBe(true);
    // grouped: pieces ≤ max; the big .text is cut by size inside, its start and end stay cuts
    const g = boundaries('elf', d, OPTS);
    checkCuts(g, d.length, OPTS.maxSize);
    const text = sections.reduce((a, b) => (b.size > a.size ? b : a));
    expect(g).toContain(text.off + text.size);
  });

  it('wasm-ort.wasm: sections, function bodies and data segments, as walked by an independent parser', () => {
    const d = single('wasm-ort.wasm');
    // independent walker (written for this test): sections, then code bodies and data segments
    const leb = (at: number): [number, number] => {
      let v = 0;
      let shift = 0;
      for (;;) {
        const b = d[at++]!;
        v += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (!(b & 0x80)) return [v, at];
      }
    };
    const level0: number[] = [];
    const level1: number[] = [];
    let at = 8;
    let bodies = 0;
    while (at < d.length) {
      const id = d[at]!;
      const [size, c] = leb(at + 1);
      level0.push(at, c + size);
      if (id === 10) {
        let [n, p] = leb(c);
        bodies = n;
        while (n--) {
          level1.push(p);
          const [bs, q] = leb(p);
          p = q + bs;
        }
        expect(p).toBe(c + size);
      }
      if (id === 11) {
        let [n, p] = leb(c);
        while (n--) {
          level1.push(p);
          const [flags, q] = leb(p);
          p = q;
          if (flags === 2) p = leb(p)[1];
          if (flags !== 1) {
            // constant expression: opcode, immediate, end (0x0b)
            p = leb(p + 1)[1];
            expect(d[p]).toBe(0x0b);
            p++;
          }
          const [ds, r] = leb(p);
          p = r + ds;
        }
        expect(p).toBe(c + size);
      }
      at = c + size;
    }
    expect(at).toBe(d.length);
    expect(bodies).toBeGreaterThan(1000);
    const uniq = (a: number[]): number[] => [...new Set(a)].filter((x) => x > 0 && x < d.length).sort((x, y) => x - y);
    expect(all('wasm', d)).toEqual(uniq(level0));
    const g = grammarFor('wasm', d);
    const got: number[] = [];
    g.scan(0, d.length, 1, 0, { offer: (p) => void got.push(p) });
    expect(got).toEqual(uniq([...level0, ...level1]));
    checkCuts(boundaries('wasm', d, OPTS), d.length, OPTS.maxSize);
  });

  it('json-bcd.json: each top-level piece parses to exactly its member; grouped pieces end after a "," at any depth', () => {
    const d = single('json-bcd.json');
    checkJsonPieces(d, all('json', d));
    const g = boundaries('json', d, OPTS);
    checkCuts(g, d.length, OPTS.maxSize);
    let small = 0;
    let prev = 0;
    for (const c of g) {
      expect(d[c - 1]).toBe(0x2c); // minified: the cut follows a ',' directly (never inside a string: checked next)
      if (c - prev < OPTS.minSize) small++;
      prev = c;
    }
    // all cuts are outside strings: count unescaped quotes before each cut (must be even)
    let quotes = 0;
    let k = 0;
    let esc = false;
    for (let i = 0; i < d.length && k < g.length; i++) {
      if (i === g[k]) {
        expect(quotes % 2).toBe(0);
        k++;
      }
      const c = d[i]!;
      if (esc) esc = false;
      else if (c === 0x5c && quotes % 2 === 1) esc = true;
      else if (c === 0x22) quotes++;
    }
    expect(small).toBeLessThanOrEqual(g.length * 0.05);
  });

  it('text-brown-all.txt (2 MB slice): paragraphs as split on the decoded string', () => {
    const d = single('text-brown-all.txt').subarray(0, 2_000_000);
    const s = Buffer.from(d).toString('latin1');
    const want: number[] = [];
    const lines = s.split('\n');
    let off = 0;
    let prevBlank = false;
    for (let i = 0; i < lines.length; i++) {
      const blank = lines[i]!.trim() === '';
      if (i > 0 && !blank && prevBlank) want.push(off);
      prevBlank = blank;
      off += lines[i]!.length + 1;
    }
    expect(all('text', d)).toEqual(want);
    const g = boundaries('text', d, OPTS);
    checkCuts(g, d.length, OPTS.maxSize);
    const set = new Set(want);
    for (const c of g) expect(set.has(c)).toBe(true);
  });

  it('mails: header | body at the first blank line; an mbox of them: message starts', () => {
    const ms = mails(300);
    for (const m of ms) {
      const s = Buffer.from(m).toString('latin1');
      const lines = s.split('\n');
      let off = 0;
      let body = -1;
      for (const l of lines) {
        off += l.length + 1;
        if (l.trim() === '') {
          body = off;
          break;
        }
      }
      const cuts = all('mail', m);
      if (body > 0 && body < m.length) expect(cuts).toEqual([body]);
      else expect(cuts).toEqual([]);
    }
    const sep = Buffer.from('\n');
    const mbox = new Uint8Array(Buffer.concat(ms.flatMap((m) => [m, sep])));
    const starts: number[] = [];
    let o = 0;
    for (const m of ms) starts.push(o), (o += m.length + 1);
    const cuts = all('mbox', mbox);
    // every message start is found; an extra cut may only be a "From " line after a blank line inside a body
    for (const s of starts.slice(1)) expect(cuts).toContain(s);
    const set = new Set(starts);
    for (const c of cuts) {
      if (set.has(c)) continue;
      expect(Buffer.from(mbox.subarray(c, c + 5)).toString()).toBe('From ');
      expect(mbox[c - 1]).toBe(10);
    }
    checkCuts(boundaries('mbox', mbox, OPTS), mbox.length, OPTS.maxSize);
  });

  it('js-typescript.js: grouped cuts are at line starts, outside comments; pieces in range', () => {
    const d = single('js-typescript.js');
    const g = boundaries('js', d, OPTS);
    checkCuts(g, d.length, OPTS.maxSize);
    let small = 0;
    let prev = 0;
    let atLine = 0;
    for (const c of g) {
      if (d[c - 1] === 10) atLine++;
      if (c - prev < OPTS.minSize) small++;
      prev = c;
    }
    expect(atLine).toBeGreaterThanOrEqual(g.length * 0.95);
    expect(small).toBeLessThanOrEqual(g.length * 0.1);
  });

  it('png and jar are cut by size until the deflate-aware boundary functions are wired', () => {
    for (const [name, f] of [['png-emoji-apple-32.png', 'png'], ['zip-closure.jar', 'zip']] as const) {
      const d = single(name);
      checkCuts(boundaries(f, d, OPTS), d.length, OPTS.maxSize);
    }
  });
});

describe('node_modules: JS modules (acorn), source maps and package.json (JSON.parse)', () => {
  const acornFiles = ['node_modules/rollup/dist/es/shared/node-entry.js', 'node_modules/fflate/esm/index.mjs', 'node_modules/acorn/dist/acorn.mjs'].filter(
    (f) => existsSync(f),
  );
  it('JS: every top-level statement that starts a line is a depth-0 cut; most cuts are statement starts', () => {
    expect(acornFiles.length).toBeGreaterThan(0);
    for (const file of acornFiles) {
      const buf = readFileSync(file);
      const d = new Uint8Array(buf);
      const src = buf.toString('utf8');
      // UTF-16 index → byte offset
      const byteAt = new Int32Array(src.length + 1);
      let b = 0;
      for (let i = 0; i < src.length; i++) {
        byteAt[i] = b;
        const c = src.charCodeAt(i);
        if (c >= 0xd800 && c < 0xdc00) {
          byteAt[i + 1] = b;
          b += 4;
          i++;
        } else b += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      }
      byteAt[src.length] = b;
      const prog = acornParse(src, { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true }) as unknown as {
        body: Array<{ start: number }>;
      };
      const cuts = new Set(all('js', d));
      let lineStarts = 0;
      const stmtLines = new Set<number>();
      for (const st of prog.body) {
        const p = byteAt[st.start]!;
        let q = p;
        while (q > 0 && (d[q - 1] === 32 || d[q - 1] === 9)) q--;
        if (q > 0 && d[q - 1] === 10) {
          lineStarts++;
          stmtLines.add(q);
          expect(cuts.has(q), `${file}: statement at byte ${p}`).toBe(true);
        }
      }
      expect(lineStarts).toBeGreaterThan(20);
      // precision: a cut is good when only whitespace and comments lie between it and the next statement; the
      // others are continuation lines at depth 0 (rare in formatted code)
      const sorted = [...stmtLines].sort((x, y) => x - y);
      const onlyTrivia = /^(?:\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*$/;
      let hit = 0;
      let k = 0;
      for (const c of [...cuts].sort((x, y) => x - y)) {
        while (k < sorted.length && sorted[k]! < c) k++;
        if (k < sorted.length && onlyTrivia.test(buf.subarray(c, sorted[k]).toString('latin1'))) hit++;
      }
      expect(hit / cuts.size, file).toBeGreaterThan(0.9);
    }
  });

  const maps: string[] = [];
  const pkgs: string[] = [];
  (function walk(dir: string, depth: number): void {
    if (depth > 4 || (maps.length >= 40 && pkgs.length >= 80)) return;
    let ents: import('node:fs').Dirent[] = [];
    try {
      ents = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    ents.sort((x, y) => (x.name < y.name ? -1 : 1));
    for (const e of ents) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.name.endsWith('.js.map') && maps.length < 40) maps.push(p);
      else if (e.name === 'package.json' && pkgs.length < 80) pkgs.push(p);
    }
  })('node_modules', 0);

  it('source maps: detected; top-level members parse back exactly; "mappings" is its own piece', () => {
    expect(maps.length).toBeGreaterThan(3);
    let n = 0;
    for (const f of maps) {
      const d = new Uint8Array(readFileSync(f));
      const r = detect(d.subarray(0, 65536), d.length);
      const obj = JSON.parse(Buffer.from(d).toString()) as Record<string, unknown>;
      if (!('mappings' in obj)) continue;
      expect(r.format, f).toBe('sourcemap');
      n++;
      const cuts = all('sourcemap', d);
      checkJsonPieces(d, cuts);
      const ps = pieces(d, cuts).map((p) => Buffer.from(p).toString());
      expect(ps.some((p) => /^"mappings"\s*:/.test(p) || /^\{\s*"mappings"/.test(p)), f).toBe(true);
      checkCuts(boundaries('sourcemap', d, { minSize: 1024, maxSize: 16384 }), d.length, 16384);
    }
    expect(n).toBeGreaterThan(3);
  });

  it('package.json files: json; top-level members parse back exactly', () => {
    expect(pkgs.length).toBeGreaterThan(10);
    for (const f of pkgs) {
      const d = new Uint8Array(readFileSync(f));
      expect(detect(d).format, f).toBe('json');
      checkJsonPieces(d, all('json', d));
    }
  });
});

describe('malformed real samples never throw and give valid cuts', () => {
  const samples: Array<[FormatId, Uint8Array]> = [];
  {
    samples.push(['elf', single('elf-esbuild').slice(0, 300_000)]);
    samples.push(['wasm', single('wasm-ort.wasm').slice(0, 300_000)]);
    samples.push(['js', single('js-typescript.js').slice(0, 200_000)]);
    samples.push(['json', single('json-bcd.json').slice(0, 200_000)]);
    samples.push(['text', single('text-brown-all.txt').slice(0, 100_000)]);
    samples.push(['png', single('png-emoji-apple-32.png').slice(0, 50_000)]);
    samples.push(['mail', mails(1)[0]!]);
    samples.push(['mbox', new Uint8Array(Buffer.concat(mails(20).flatMap((m) => [m, Buffer.from('\n')])))]);
  }
  const wasmFile = 'node_modules/source-map/lib/mappings.wasm';
  if (existsSync(wasmFile)) samples.push(['wasm', new Uint8Array(readFileSync(wasmFile))]);
  const tarLike = new Uint8Array(4096);
  tarLike.set(new TextEncoder().encode('a.txt'), 0);
  tarLike.set(new TextEncoder().encode('0000644\0'), 100);
  tarLike.set(new TextEncoder().encode('00000001000\0'), 124); // 512 bytes
  tarLike[156] = 48;
  tarLike.set(new TextEncoder().encode('ustar\x0000'), 257);
  let sum = 0;
  for (let k = 0; k < 512; k++) sum += k >= 148 && k < 156 ? 32 : tarLike[k]!;
  tarLike.set(new TextEncoder().encode(sum.toString(8).padStart(6, '0') + '\0 '), 148);
  samples.push(['tar', tarLike]);

  it('a hand-built ustar header parses (sanity of the tar sample)', () => {
    expect(detect(tarLike).format).toBe('tar');
    expect(all('tar', tarLike)).toEqual([1024]);
  });

  it('truncated at any point, bytes flipped, as their own format and as any other', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: samples.length - 1 }),
        fc.constantFrom<FormatId | 'own'>('own', ...FORMATS),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (si, fmt, at, flips) => {
          const [own, src] = samples[si]!;
          const d = src.slice(0, Math.floor(at * src.length));
          for (const [x, v] of flips) if (d.length) d[Math.floor(x * (d.length - 1))] = v;
          const f = fmt === 'own' ? own : fmt;
          const o = { minSize: 512, maxSize: 8192 };
          const cuts = boundaries(f, d, o);
          checkCuts(cuts, d.length, o.maxSize);
          expect(boundaries(f, d, o)).toEqual(cuts);
          detect(d.subarray(0, 65536), src.length);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('lying length fields (ELF table offsets/counts, wasm section sizes, tar sizes, JPEG segment lengths)', () => {
    const lies: Array<[FormatId, Uint8Array]> = [];
    const put32 = (d: Uint8Array, at: number, v: number): void => {
      d[at] = v & 255;
      d[at + 1] = (v >>> 8) & 255;
      d[at + 2] = (v >>> 16) & 255;
      d[at + 3] = (v >>> 24) & 255;
    };
    for (const [f, src] of samples) {
      if (f === 'elf') {
        for (const [at, v] of [[0x28, 0xfffffff0], [0x3c, 0xffff], [0x3a, 1], [0x20, 0x7fffffff], [0x38, 0xffff]] as const) {
          const d = src.slice();
          if (at === 0x3c || at === 0x3a || at === 0x38) (d[at] = v & 255), (d[at + 1] = v >> 8);
          else put32(d, at, v);
          lies.push([f, d]);
        }
        // a section whose size runs past the end
        const d = src.slice();
        const shoff = d[0x28]! | (d[0x29]! << 8);
        if (shoff + 64 * 3 < d.length) put32(d, shoff + 64 * 2 + 32, 0x7ffffff0);
        lies.push([f, d]);
      }
      if (f === 'wasm') {
        for (const v of [[0xff, 0xff, 0xff, 0xff, 0x0f], [0x80, 0x80, 0x80, 0x80, 0x80], [0x00]]) {
          const d = src.slice();
          d.set(v, 9);
          lies.push([f, d]);
        }
      }
      if (f === 'tar') {
        const d = src.slice();
        d.set(new TextEncoder().encode('77777777777\0'), 124);
        lies.push([f, d]);
        const e = src.slice();
        e[124] = 0x80;
        e[135] = 0xff;
        lies.push([f, e]);
      }
    }
    const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff, 1, 2, 3, 0xff, 0xda, 0, 1, 0xff, 0xd9]);
    lies.push(['jpeg', jpeg]);
    for (const [f, d] of lies) {
      for (const o of [{ minSize: 1, maxSize: d.length }, { minSize: 64, maxSize: 1024 }]) {
        const cuts = boundaries(f, d, o);
        checkCuts(cuts, d.length, o.maxSize);
      }
    }
    expect(lies.length).toBeGreaterThan(3);
  });
});
