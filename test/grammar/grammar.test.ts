// Grammar layer: detection and semantic boundaries on constructed inputs whose unit offsets are known by
// construction (or from an independent producer: node:zlib, fflate, GNU tar), option validation, and fast-check
// properties (strictly increasing, in range, ≤ maxSize, deterministic, never throws) on random and corrupted input.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { PaniniError } from '../../src/errors.js';
import { FORMATS, boundaries, detect, semanticChunks, type FormatId } from '../../src/grammar/index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
/** every boundary of the strongest level (no grouping: minSize 1, and nothing exceeds maxSize) */
const all = (f: FormatId, d: Uint8Array): number[] => boundaries(f, d, { minSize: 1, maxSize: Math.max(1, d.length), avgSize: 1 });

/** Checks the contract of a cut list. */
function checkCuts(cuts: number[], len: number, max: number): void {
  let prev = 0;
  for (const c of cuts) {
    expect(Number.isInteger(c)).toBe(true);
    expect(c).toBeGreaterThan(prev);
    expect(c - prev).toBeLessThanOrEqual(max);
    prev = c;
  }
  if (cuts.length) expect(cuts[cuts.length - 1]!).toBeLessThan(len);
  expect(len - prev).toBeLessThanOrEqual(Math.max(max, 0));
}

/** Joins parts and returns the text and the offset of each part after the first. */
function joined(parts: string[], sep = ''): { text: string; starts: number[] } {
  const starts: number[] = [];
  let text = '';
  parts.forEach((p, k) => {
    if (k > 0) {
      text += sep;
      starts.push(enc(text).length);
    }
    text += p;
  });
  return { text, starts };
}

describe('grammar options', () => {
  it('rejects bad formats, options and data with PaniniError OPTION', () => {
    const d = enc('abc');
    const bad: Array<() => unknown> = [
      () => boundaries('nope' as FormatId, d, { minSize: 1, maxSize: 2 }),
      () => boundaries('text', d, { minSize: 0, maxSize: 2 }),
      () => boundaries('text', d, { minSize: 4, maxSize: 2 }),
      () => boundaries('text', d, { minSize: 1, maxSize: 8, avgSize: 9 }),
      () => boundaries('text', d, { minSize: 1.5, maxSize: 8 }),
      () => boundaries('text', 'abc' as unknown as Uint8Array, { minSize: 1, maxSize: 8 }),
      () => detect('abc' as unknown as Uint8Array),
    ];
    for (const f of bad) {
      expect(f).toThrow(PaniniError);
      try {
        f();
      } catch (e) {
        expect((e as PaniniError).code).toBe('OPTION');
      }
    }
  });
  it('empty and 1-byte inputs have no cuts', () => {
    for (const f of FORMATS) {
      expect(boundaries(f, new Uint8Array(0), { minSize: 1, maxSize: 1 })).toEqual([]);
      expect(boundaries(f, new Uint8Array(1), { minSize: 1, maxSize: 1 })).toEqual([]);
    }
  });
});

describe('detection', () => {
  const cases: Array<[string, Uint8Array, FormatId]> = [
    ['json object', enc('{"a": [1, 2.5e3, -0.1, true, null], "b": {"c": "x\\u00e9\\n"}}\n'), 'json'],
    ['json array', enc('[{"id":1},{"id":2}]'), 'json'],
    ['ndjson', enc('{"id":1,"v":"a"}\n{"id":2,"v":"b"}\n{"id":3,"v":"c"}\n'), 'ndjson'],
    ['sourcemap', enc('{"version":3,"file":"a.js","sources":["a.ts"],"names":[],"mappings":"AAAA;AACA"}'), 'sourcemap'],
    ['csv', enc('id,name,score\n1,"Smith, J",3.5\n2,"multi\nline",4\n3,x,5\n4,y,6\n'), 'csv'],
    ['csv semicolon', enc('a;b;c\n1;2;3\n4;5;6\n7;8;9\n'), 'csv'],
    ['tsv', enc('id\tname\tscore\n1\tSmith\t3.5\n2\tJones\t4\n3\tLee\t5\n'), 'tsv'],
    ['xml', enc('<?xml version="1.0"?>\n<root><a x="1">t</a><b/></root>\n'), 'xml'],
    ['svg', enc('<svg xmlns="http://www.w3.org/2000/svg"><rect width="1"/></svg>'), 'xml'],
    ['html', enc('<!DOCTYPE html>\n<html><head><title>x</title></head><body><p>hi</p></body></html>\n'), 'html'],
    ['js', enc('import fs from "node:fs";\nconst a = 1;\nexport function f(x) {\n  return x + a;\n}\n'), 'js'],
    ['ts', enc('interface A {\n  x: number;\n}\nexport type B = A | null;\ndeclare const c: B;\n'), 'js'],
    ['cjs', enc('"use strict";\nvar x = require("y");\nmodule.exports = function () {\n  return x;\n};\n'), 'js'],
    ['mail', enc('Return-Path: <a@b.c>\nFrom: A <a@b.c>\nTo: d@e.f\nSubject: hi\nDate: Thu, 22 Aug 2002 12:36:23 +0100\n\nBody.\n'), 'mail'],
    ['mbox', enc('From a@b.c Thu Aug 22 12:36:23 2002\nFrom: a@b.c\nSubject: one\n\nBody 1\n\nFrom d@e.f Thu Aug 22 12:37:00 2002\nFrom: d@e.f\nSubject: two\n\nBody 2\n'), 'mbox'],
    ['text', enc('It was a dark and stormy night; the rain fell in torrents.\n\nExcept at occasional intervals, when it was checked.\n'), 'text'],
    ['png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'png'],
    ['gzip', gzipSync(Buffer.from('hello hello hello')), 'gzip'],
    ['zip', zipSync({ 'a.txt': enc('hello') }), 'zip'],
    ['pdf', enc('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n'), 'pdf'],
    ['random bytes', Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24), 'generic'],
    ['empty', new Uint8Array(0), 'generic'],
  ];
  for (const [name, data, want] of cases) {
    it(`${name} → ${want}`, () => {
      const d = detect(data);
      expect(d.format).toBe(want);
      expect(d.confidence).toBeGreaterThan(0);
      expect(d.confidence).toBeLessThanOrEqual(1);
    });
  }
  it('zip subtypes: jar and docx from entry names (archives written by fflate)', () => {
    expect(detect(zipSync({ 'META-INF/MANIFEST.MF': enc('Manifest-Version: 1.0\n'), 'a/B.class': new Uint8Array(10) })).info?.subtype).toBe('jar');
    expect(detect(zipSync({ '[Content_Types].xml': enc('<Types/>'), 'word/document.xml': enc('<w:document/>') })).info?.subtype).toBe('docx');
  });
  it('a head cut inside a JSON value is json when more data follows', () => {
    const big = enc(JSON.stringify({ items: Array.from({ length: 5000 }, (_, i) => ({ i, name: `item ${i}` })) }));
    expect(big.length).toBeGreaterThan(65536);
    expect(detect(big.subarray(0, 1000), big.length).format).toBe('json');
    expect(detect(big).format).toBe('json'); // looks at 64 KiB only
  });
  it('a UTF-8 sequence cut by the end of the head does not make text binary', () => {
    const t = enc('héllo wörld — ünïcödé '.repeat(50));
    for (let k = 1; k < 40; k++) expect(detect(t.subarray(0, t.length - k), t.length).format).toBe('text');
  });
  it('is deterministic and never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(), (b, extra) => {
        const a = detect(b, b.length + (extra % 3));
        expect(detect(b, b.length + (extra % 3))).toEqual(a);
        expect(FORMATS).toContain(a.format);
      }),
      { numRuns: 300 },
    );
  });
});

describe('boundaries at known units (all boundaries, no grouping)', () => {
  it('json: top-level array elements', () => {
    const items = Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: i, s: `a,b}{[${i}"\\`, n: [i, { x: ',' }] }));
    const { text, starts } = joined(items, ',\n  ');
    const data = enc(`[\n  ${text}\n]\n`);
    expect(all('json', data)).toEqual(starts.map((s) => s + 4));
  });
  it('json: top-level object members, then nested members when a member is too big', () => {
    const members = ['"a": 1', `"b": ${JSON.stringify(Array.from({ length: 200 }, (_, i) => `v${i}`))}`, '"c": {"d": 2}'];
    const { text, starts } = joined(members, ', ');
    const data = enc(`{${text}}`);
    expect(all('json', data)).toEqual(starts.map((s) => s + 1));
    // with maxSize below the "b" member, b is cut at its elements (all cuts are still at element starts)
    const cuts = boundaries('json', data, { minSize: 50, maxSize: 400 });
    checkCuts(cuts, data.length, 400);
    const s = new TextDecoder().decode(data);
    for (const c of cuts) expect(/^[ ,]/.test(s[c - 1]!) || s[c - 1] === ',').toBe(true);
  });
  it('ndjson: line starts', () => {
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ i, t: 'x'.repeat(i) }));
    const { text, starts } = joined(lines, '\n');
    expect(all('ndjson', enc(text + '\n'))).toEqual(starts);
  });
  it('csv: row starts, never inside a quoted field', () => {
    const rows = ['id,text,n'];
    for (let i = 0; i < 50; i++) rows.push(`${i},"line one\nline two, ""quoted"" \n${i}",${i * 7}`);
    const { text, starts } = joined(rows, '\n');
    const data = enc(text + '\n');
    expect(all('csv', data)).toEqual(starts);
    // grouped: every cut is a row start
    const set = new Set(starts);
    for (const c of boundaries('csv', data, { minSize: 64, maxSize: 512 })) expect(set.has(c)).toBe(true);
  });
  it('xml: children of the root (comments and CDATA with markup inside do not count)', () => {
    const kids = Array.from({ length: 20 }, (_, i) => `<item id="${i}" note="a>b"><name>n${i}</name><![CDATA[<fake>]]><!-- <x> --><e/></item>`);
    const head = '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e "x">]>\n<r>';
    const { text, starts } = joined(kids, '\n');
    const data = enc(`${head}${text}</r>\n`);
    const h = enc(head).length;
    const doctypeAt = enc('<?xml version="1.0"?>\n').length;
    const rootAt = h - 3;
    expect(all('xml', data)).toEqual([doctypeAt, rootAt, h, ...starts.map((s) => s + h)]);
  });
  it('html: void elements and script contents do not nest', () => {
    const body = ['<p>one<br>two<img src="a.png"></p>', '<script>if (a<b) { document.write("<div>") }</script>', '<div><p>x</p></div>'];
    const pre = '<html><body>';
    const { text, starts } = joined(body, '\n');
    const data = enc(`${pre}${text}</body></html>`);
    const cuts = boundaries('html', data, { minSize: 1, maxSize: data.length, avgSize: 1 });
    // depth ≤ 1: <html> (0) and <body> (1); the body's children are at depth 2, offered at the next level
    expect(cuts).toEqual([6]);
    const fine = boundaries('html', data, { minSize: 1, maxSize: 40, avgSize: 1 });
    for (const s of starts) expect(fine).toContain(s + pre.length);
  });
  it('js: top-level statements, not inside strings, comments, regex or template literals', () => {
    const stmts = [
      'const a = "{ not a block";',
      "function f(x) {\n  const r = /[{]/g; // {\n  return `${x} {\n${'}'}\n`;\n}",
      '/* {\n block comment\n */\nlet b = 1 / 2 / 3;',
      'class C {\n  m() { return \'}\'; }\n}',
      'export default {\n  k: [1, 2],\n};',
      "if (a) {\n  b = 2;\n} else {\n  b = 3;\n}",
    ];
    const { text, starts } = joined(stmts, '\n');
    // inside the third statement, the line after the block comment is at depth 0 too
    const letAt = starts[1]! + enc(stmts[2]!).indexOf(enc('let')[0]!, 10);
    expect(text.slice(letAt, letAt + 5)).toBe('let b');
    expect(all('js', enc(text + '\n'))).toEqual([starts[0], starts[1], letAt, ...starts.slice(2)]);
  });
  it('text: paragraphs', () => {
    const paras = ['First paragraph,\nstill first.', 'Second.', '\tThird, indented\nover lines.'];
    const { text, starts } = joined(paras, '\n\n\n');
    expect(all('text', enc(text))).toEqual(starts);
  });
  it('mail: header | body; mbox: messages', () => {
    const hdr = 'From: a@b.c\nTo: d@e.f\nSubject: test\n\n';
    const msg = `${hdr}Hello,\n\n--b1\nContent-Type: text/plain\n\npart\n--b1--\n`;
    expect(all('mail', enc(msg))).toEqual([hdr.length]);
    const m1 = `From a@b.c Thu Aug 22 12:36:23 2002\n${msg}\n`;
    const m2 = `From x@y.z Fri Aug 23 01:00:00 2002\n${hdr}body two\n\n`;
    const { text, starts } = joined([m1, m2, m1]);
    expect(all('mbox', enc(text))).toEqual(starts);
    // a From line inside a paragraph (not after a blank line) is not a message start
    expect(all('mbox', enc(`${m1}text\nFrom here on\n`))).toEqual([]);
  });
  it('jpeg: every marker segment, restart markers at the next level', () => {
    const seg = (m: number, body: number[]): number[] => [0xff, m, (body.length + 2) >> 8, (body.length + 2) & 255, ...body];
    const parts: number[][] = [
      [0xff, 0xd8],
      seg(0xe0, [...enc('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]),
      seg(0xdb, new Array<number>(65).fill(1)),
      seg(0xc0, [8, 0, 16, 0, 16, 1, 1, 0x11, 0]),
      seg(0xc4, new Array<number>(20).fill(0)),
      seg(0xda, [1, 1, 0, 0, 63, 0]),
      [0x12, 0xff, 0x00, 0x34, 0x56], // entropy data with a stuffed 0xff00
      [0xff, 0xd0, 0x77, 0xff, 0x00], // RST0 inside the scan
      [0xff, 0xd9],
    ];
    const offs: number[] = [];
    let o = 0;
    for (const p of parts) offs.push(o), (o += p.length);
    const data = Uint8Array.from(parts.flat());
    expect(detect(data).format).toBe('jpeg');
    // markers: APP0 .. SOS, EOI (index 1..5 and 8); RST0 (index 7) only at level 1
    expect(all('jpeg', data)).toEqual([offs[1], offs[2], offs[3], offs[4], offs[5], offs[8]]);
    const fine = boundaries('jpeg', data, { minSize: 1, maxSize: offs[8]! - offs[5]! - 1, avgSize: 1 });
    expect(fine).toContain(offs[7]);
  });
  it('tar written by GNU tar: members (long-name headers stay with their member) at the block numbers tar -tR reports', () => {
    let tarBin = true;
    try {
      execFileSync('tar', ['--version'], { stdio: 'ignore' });
    } catch {
      tarBin = false;
    }
    if (!tarBin) return; // no tar on this machine: the corpus test's hand-built tar still covers the parser
    const dir = mkdtempSync(join(tmpdir(), 'panini-grammar-tar-'));
    try {
      const src = join(dir, 'src');
      mkdirSync(join(src, 'sub'), { recursive: true });
      writeFileSync(join(src, 'a.txt'), 'hello\n'.repeat(300));
      writeFileSync(join(src, 'empty'), '');
      writeFileSync(join(src, 'sub', `${'long-name-'.repeat(12)}.txt`), 'x'.repeat(1000));
      writeFileSync(join(src, 'sub', 'b.bin'), Buffer.alloc(5000, 7));
      const out = join(dir, 'x.tar');
      for (const fmt of ['gnu', 'pax', 'ustar', 'v7']) {
        const files = fmt === 'ustar' || fmt === 'v7' ? ['a.txt', 'empty', 'sub/b.bin'] : ['a.txt', 'empty', 'sub'];
        execFileSync('tar', [`--format=${fmt}`, '--sort=name', '-cf', out, '-C', src, ...files]);
        const data = new Uint8Array(readFileSync(out));
        const listing = execFileSync('tar', ['-tvRf', out]).toString();
        // tar -R: the block of each member's own header (after any pax 'x' / GNU 'L' header), then the NUL blocks
        const blocks = [...listing.matchAll(/^block (\d+): (.*)$/gm)].map((m) => [Number(m[1]) * 512, m[2]!] as const);
        const headers = blocks.filter(([, l]) => !l.startsWith('**')).map(([b]) => b);
        const eof = blocks.find(([, l]) => l.startsWith('**'))![0];
        expect(detect(data).format, fmt).toBe('tar');
        const cuts = all('tar', data);
        expect(cuts.length, fmt).toBe(headers.length); // members after the first, and the end-of-archive blocks
        expect(cuts[cuts.length - 1], fmt).toBe(eof);
        for (let k = 1; k < headers.length; k++) {
          const s = cuts[k - 1]!;
          // the member starts at its header, or at an extension header between the previous member and it
          expect(s, fmt).toBeGreaterThan(headers[k - 1]!);
          expect(s, fmt).toBeLessThanOrEqual(headers[k]!);
          if (s < headers[k]!) expect(['x', 'L', 'K'], fmt).toContain(String.fromCharCode(data[s + 156]!));
          if (fmt === 'ustar' || fmt === 'v7') expect(s, fmt).toBe(headers[k]); // no extension headers
        }
        // the next level: every member's data start (header + 512) is a boundary too
        const fine = boundaries('tar', data, { minSize: 1, maxSize: 511, avgSize: 1 });
        // (GNU tar -R names the 'L' long-name header's block for such a member: its data start is further on)
        for (const h of headers) {
          if (h + 512 < eof && !'LKx'.includes(String.fromCharCode(data[h + 156]!))) expect(fine, fmt).toContain(h + 512);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('properties', () => {
  const samples: Record<string, Uint8Array> = {
    json: enc(JSON.stringify({ a: Array.from({ length: 300 }, (_, i) => ({ i, s: `v${i}`, t: [i, i * 2] })), b: 'x\ny'.repeat(100) })),
    ndjson: enc(Array.from({ length: 200 }, (_, i) => JSON.stringify({ i, s: 'q'.repeat(i % 17) })).join('\n')),
    csv: enc(Array.from({ length: 300 }, (_, i) => `${i},"a,b\n${i}",x`).join('\n')),
    xml: enc(`<r>${Array.from({ length: 200 }, (_, i) => `<i n="${i}"><j>${i}</j><!-- c --></i>`).join('')}</r>`),
    js: enc(Array.from({ length: 120 }, (_, i) => `function f${i}(a) {\n  return \`\${a}{\` + "}" + /}/.source;\n}\n`).join('')),
    text: enc(Array.from({ length: 200 }, (_, i) => `Paragraph ${i} line.\nMore words here ${i}.`).join('\n\n')),
    mail: enc(`From: a@b\nTo: c@d\nSubject: s\n\n${'Body text line.\n'.repeat(300)}`),
  };
  const formats = FORMATS;
  it('any format on any bytes: strictly increasing, in (0, n), pieces ≤ maxSize, deterministic', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...formats),
        fc.oneof(fc.uint8Array({ maxLength: 4000 }), fc.constantFrom(...Object.values(samples))),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 3000 }),
        (f, data, min, extra) => {
          const max = min + extra;
          const cuts = boundaries(f, data, { minSize: min, maxSize: max });
          checkCuts(cuts, data.length, max);
          expect(boundaries(f, data, { minSize: min, maxSize: max })).toEqual(cuts);
        },
      ),
      { numRuns: 400 },
    );
  });
  it('corrupted structured samples (truncated, flipped bytes, spliced) never throw and give valid cuts', () => {
    const keys = Object.keys(samples);
    fc.assert(
      fc.property(
        fc.constantFrom(...keys),
        fc.constantFrom(...formats),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }),
        (k, f, cutAt, flips) => {
          const src = samples[k]!;
          const data = src.slice(0, cutAt % (src.length + 1));
          for (const [at, v] of flips) if (data.length) data[at % data.length] = v;
          const cuts = boundaries(f, data, { minSize: 16, maxSize: 200 });
          checkCuts(cuts, data.length, 200);
        },
      ),
      { numRuns: 400 },
    );
  });
  it('semanticChunks: chunks cover the data exactly', () => {
    for (const d of Object.values(samples)) {
      const r = semanticChunks(d, { minSize: 64, maxSize: 1024 });
      let o = 0;
      for (const c of r.chunks) {
        expect(c.offset).toBe(o);
        expect(c.length).toBeGreaterThan(0);
        o += c.length;
      }
      expect(o).toBe(d.length);
      expect(r.chunks.length).toBe(r.cuts.length + 1);
    }
  });
  it('pieces are cut where the format says and mostly at least minSize', () => {
    for (const [k, d] of Object.entries(samples)) {
      const f = detect(d).format;
      expect(f === k || (k === 'js' && f === 'js')).toBe(true);
      const cuts = boundaries(f, d, { minSize: 256, maxSize: 2048 });
      checkCuts(cuts, d.length, 2048);
      let small = 0;
      let prev = 0;
      for (const c of cuts) {
        if (c - prev < 256) small++;
        prev = c;
      }
      expect(small, k).toBeLessThanOrEqual(Math.ceil(cuts.length * 0.1));
    }
  });
});
