// Generated training data for the content classifier: seeded generators, one per class, that write chunks of the
// shapes real files have (words and sentences, tags, JSON values, program text, machine code, wasm bytecode, pixels,
// deflate streams and random bytes, tar members, numeric tables). Nothing is read from disk, so the training set is
// the same on every machine and shares no bytes with the corpus the model is measured on.
import { deflateSync, gzipSync, zlibSync } from 'fflate';
import type { ContentClass } from './features.js';

export type Rand = () => number;

/** mulberry32: a small seeded generator (deterministic, 32-bit state). */
export function seeded(seed: number): Rand {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (r: Rand, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rand, a: readonly T[]): T => a[int(r, a.length)]!;
const enc = new TextEncoder();

class Out {
  buf: number[] = [];
  str(s: string): void {
    for (const b of enc.encode(s)) this.buf.push(b);
  }
  u8(v: number): void {
    this.buf.push(v & 255);
  }
  /** Appends every byte of `b` (a loop: spreading a large array into push() overflows the stack). */
  all(b: ArrayLike<number>): void {
    for (let i = 0; i < b.length; i++) this.buf.push(b[i]!);
  }
  u32(v: number): void {
    for (let i = 0; i < 4; i++) this.buf.push((v >>> (8 * i)) & 255);
  }
  leb(v: number): void {
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v) b |= 0x80;
      this.buf.push(b);
    } while (v);
  }
  get length(): number {
    return this.buf.length;
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from(this.buf.slice(0, n));
  }
}

const SYL = ['ka', 'to', 'ri', 'men', 'sa', 'lo', 'the', 'an', 'ver', 'is', 'or', 'ing', 'al', 'de', 'pro', 'tion', 'ex', 'un', 'er', 'con', 'st', 'ou', 'ight', 'ba', 'ne', 'qu', 'ph', 'y', 'wa', 'el'];
function vocab(r: Rand, n: number): string[] {
  const v: string[] = [];
  for (let i = 0; i < n; i++) {
    let w = '';
    const k = 1 + int(r, 3);
    for (let j = 0; j < k; j++) w += pick(r, SYL);
    if (r() < 0.05) w += pick(r, ['é', 'ü', 'ñ', 'ø', 'ç']);
    v.push(w);
  }
  return v;
}
/** Zipf-like pick: low indices far more often. */
const zipf = (r: Rand, v: string[]): string => v[Math.floor(v.length * r() ** 3)]!;

function sentence(r: Rand, v: string[]): string {
  const n = 4 + int(r, 14);
  const w: string[] = [];
  for (let i = 0; i < n; i++) w.push(zipf(r, v));
  w[0] = w[0]![0]!.toUpperCase() + w[0]!.slice(1);
  return w.join(r() < 0.1 ? ', ' : ' ') + pick(r, ['.', '.', '.', '?', '!', ';']);
}

const ENGLISH = ('the of and to a in is that it was for on are as with his they at be this from I have or by one had not but what all were ' +
  'when we there can an your which their said if do will each about how up out them then she many some so these would other into has ' +
  'more her two like him see time could no make than first been its who now people my made over did down only way find use may water ' +
  'long little very after words called just where most know get through back much before go good new write our used me man too any day ' +
  'same right look think also around another came come work three word must because does part even place well such here take why things ' +
  'help put years different away again off went old number great tell men say small every found still between name should home big give ' +
  'air line set own under read last never us left end along while might next sound below saw something thought both few those always ' +
  'looked show large often together asked house world going want school important until form food keep children feet land side without ' +
  'boy once animals life enough took sometimes four head above kind began almost live page got earth need far hand high year mother light ' +
  'parts country father let night following picture being study second eyes soon times story boys since white days paper hard near sentence').split(' ');
const NAMES = ['John', 'Mary', 'Atlanta', 'Monday', 'August', 'Washington', 'Smith', 'Robert', 'London', 'Friday', 'Congress', 'Texas'];

function mailHeaders(r: Rand, o: Out): void {
  const host = () => `${genIdent(r)}.${pick(r, ['com', 'org', 'net', 'example.com'])}`;
  const date = () => `${pick(r, ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'])}, ${1 + int(r, 28)} ${pick(r, ['Jan', 'Aug', 'Sep', 'Oct'])} 20${10 + int(r, 15)} ${int(r, 24)}:${10 + int(r, 50)}:${10 + int(r, 50)} +0${int(r, 9)}00`;
  o.str(`From ${genIdent(r)}@${host()}  ${date()}\n`);
  for (let i = 2 + int(r, 6); i > 0; i--) o.str(`Received: from ${host()} (${host()} [${int(r, 256)}.${int(r, 256)}.${int(r, 256)}.${int(r, 256)}])\n\tby ${host()} with ESMTP id ${int(r, 1e9).toString(16).toUpperCase()}\n\tfor <${genIdent(r)}@${host()}>; ${date()}\n`);
  o.str(`Message-ID: <${int(r, 1e9).toString(36)}@${host()}>\nDate: ${date()}\nFrom: ${pick(r, NAMES)} <${genIdent(r)}@${host()}>\nTo: ${genIdent(r)}@${host()}\nSubject: Re: ${pick(r, ENGLISH)} ${pick(r, ENGLISH)}\nContent-Type: text/plain; charset=us-ascii\n\n`);
}

function genText(r: Rand, n: number): Out {
  // common English words with Zipf-like frequencies most of the time, made-up words otherwise
  const v = r() < 0.75 ? [...ENGLISH, ...NAMES, ...vocab(r, 60)] : vocab(r, 400);
  const o = new Out();
  if (r() < 0.3) mailHeaders(r, o);
  const wrap = r() < 0.5 ? 60 + int(r, 20) : 0;
  let line = 0;
  while (o.length < n) {
    const s = sentence(r, v) + ' ';
    o.str(s);
    line += s.length;
    if (wrap && line > wrap) {
      o.str('\n');
      line = 0;
    }
    if (r() < 0.08) o.str('\n\n');
  }
  return o;
}

const TAGS = ['div', 'p', 'span', 'a', 'li', 'ul', 'td', 'tr', 'table', 'h2', 'section', 'item', 'entry', 'title', 'name', 'value', 'svg', 'g', 'path'];
function genMarkup(r: Rand, n: number): Out {
  const v = vocab(r, 200);
  const o = new Out();
  if (r() < 0.5) o.str(pick(r, ['<?xml version="1.0" encoding="UTF-8"?>\n', '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>' + zipf(r, v) + '</title></head>\n<body>\n']));
  const stack: string[] = [];
  while (o.length < n) {
    if (stack.length < 6 && r() < 0.55) {
      const t = pick(r, TAGS);
      let a = '';
      for (let k = int(r, 3); k > 0; k--) a += ` ${pick(r, ['class', 'id', 'href', 'style', 'd', 'type', 'key'])}="${zipf(r, v)}${r() < 0.3 ? '-' + int(r, 100) : ''}"`;
      o.str('  '.repeat(stack.length) + `<${t}${a}>` + (r() < 0.6 ? sentence(r, v) : '') + '\n');
      stack.push(t);
    } else if (stack.length) o.str('  '.repeat(stack.length - 1) + `</${stack.pop()}>\n`);
    else o.str(`<br/>\n`);
  }
  return o;
}

function jsonValue(r: Rand, v: string[], depth: number, keys: string[]): string {
  const k = r();
  if (depth < 4 && k < 0.25) {
    const n = 1 + int(r, 6);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(`"${pick(r, keys)}":${jsonValue(r, v, depth + 1, keys)}`);
    return `{${parts.join(',')}}`;
  }
  if (depth < 4 && k < 0.35) {
    const n = int(r, 6);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(jsonValue(r, v, depth + 1, keys));
    return `[${parts.join(',')}]`;
  }
  if (k < 0.6) {
    if (r() < 0.08) return JSON.stringify(genText(r, 200 + int(r, 3000)).bytes(4000).reduce((a, b) => a + String.fromCharCode(b < 128 ? b : 63), ''));
    return `"${zipf(r, v)}${r() < 0.3 ? ' ' + zipf(r, v) : ''}"`;
  }
  if (k < 0.8) return String(r() < 0.5 ? int(r, 100000) : (r() * 1000).toFixed(int(r, 6)));
  return pick(r, ['true', 'false', 'null']);
}
function genJson(r: Rand, n: number): Out {
  const v = vocab(r, 300);
  const keys = vocab(r, 30);
  const o = new Out();
  const mode = int(r, 3); // 0 minified array, 1 ndjson, 2 pretty
  if (mode !== 1) o.str('[');
  while (o.length < n) {
    let s = jsonValue(r, v, 0, keys);
    if (mode === 2) s = JSON.stringify(JSON.parse(s), null, 2);
    o.str(s + (mode === 1 ? '\n' : ',' + (mode === 2 ? '\n' : '')));
  }
  return o;
}

const KW = ['function', 'return', 'const', 'let', 'if', 'else', 'for', 'while', 'import', 'export', 'class', 'def', 'self', 'int', 'void', 'static', 'struct', 'new', 'this', 'null', 'async', 'await', 'from', 'in', 'of'];
function genSource(r: Rand, n: number): Out {
  const v = vocab(r, 150).map((w) => w.replace(/[^a-z]/g, ''));
  const id = (): string => {
    const a = zipf(r, v) || 'x';
    return r() < 0.4 ? a + a[0]!.toUpperCase() + (zipf(r, v) || 'y') : a;
  };
  const o = new Out();
  const style = int(r, 3); // 0 js, 1 c, 2 python
  let depth = 0;
  while (o.length < n) {
    const ind = style === 2 ? '    '.repeat(depth) : '  '.repeat(depth);
    const k = r();
    let line: string;
    if (k < 0.12) line = style === 2 ? `# ${sentence(r, v)}` : `// ${sentence(r, v)}`;
    else if (k < 0.3 && depth < 5) {
      line = style === 2 ? `${pick(r, ['def', 'if', 'for', 'while', 'class'])} ${id()}(${id()}, ${id()}):` : `${pick(r, KW)} ${id()}(${id()}, ${id()}) {`;
      depth++;
    } else if (k < 0.45 && depth > 0) {
      depth--;
      line = style === 2 ? '' : '}';
    } else line = `${pick(r, ['const ', 'let ', 'int ', '', 'return '])}${id()} = ${id()}${pick(r, ['.', '->', '(', ' + ', ' * ', '['])}${id()}${pick(r, [')', ']', '', ' + 1', '(' + int(r, 64) + ')'])}${style === 2 ? '' : ';'}`;
    o.str((line ? (k >= 0.3 && k < 0.45 ? (style === 2 ? '    '.repeat(depth) : '  '.repeat(depth)) : ind) : '') + line + '\n');
  }
  return o;
}

function genExecutable(r: Rand, n: number, head: boolean): Out {
  const o = new Out();
  if (head) {
    o.str('\x7fELF');
    for (const b of [2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0, 1, 0, 0, 0]) o.u8(b);
    for (let i = 0; i < 44; i++) o.u8(i % 8 === 0 ? int(r, 256) : 0);
  }
  const regs = () => 0xc0 | (int(r, 8) << 3) | int(r, 8);
  while (o.length < n) {
    const k = r();
    if (k < 0.2) { o.u8(0x48); o.u8(pick(r, [0x89, 0x8b, 0x01, 0x29, 0x39, 0x85])); o.u8(regs()); }
    else if (k < 0.3) { o.u8(0xe8); o.u32(int(r, 1 << 20) - (1 << 19)); }
    else if (k < 0.38) { o.u8(pick(r, [0x48, 0x4c])); o.u8(0x8d); o.u8(pick(r, [0x05, 0x0d, 0x15, 0x3d])); o.u32(int(r, 1 << 22)); }
    else if (k < 0.46) { o.u8(0x48); o.u8(0x8b); o.u8(pick(r, [0x45, 0x44, 0x47, 0x43])); if (r() < 0.3) o.u8(0x24); o.u8(int(r, 16) * 8); }
    else if (k < 0.52) { o.u8(pick(r, [0x50, 0x53, 0x55, 0x41, 0x5b, 0x5d, 0xc3, 0x90])); }
    else if (k < 0.6) { o.u8(0x0f); o.u8(pick(r, [0x84, 0x85, 0x8e, 0x1f])); o.u32(int(r, 4096)); }
    else if (k < 0.68) { o.u8(pick(r, [0x74, 0x75, 0xeb, 0x7e])); o.u8(int(r, 128)); }
    else if (k < 0.74) { o.u8(0xc7); o.u8(pick(r, [0x45, 0x44])); o.u8(int(r, 64)); o.u32(r() < 0.6 ? int(r, 16) : int(r, 1 << 30)); }
    else if (k < 0.77) { for (let i = int(r, 16); i > 0; i--) o.u8(0xcc - (r() < 0.5 ? 0 : 0x3c)); }
    else if (k < 0.8 && r() < 0.3) { for (let i = 0; i < 6; i++) { o.str(`_Z${int(r, 9) + 1}${genIdent(r)}${pick(r, ['v', 'i', 'Pc', 'RKS_'])}`); o.u8(0); } }
    else if (k < 0.85) { o.u32(int(r, 1 << 24)); o.u32(0); o.u32(int(r, 64)); o.u32(0); }
    else { o.u8(0x48); o.u8(0x83); o.u8(pick(r, [0xc4, 0xec, 0xf8, 0xc0])); o.u8(int(r, 32) * 8); }
  }
  return o;
}
function genIdent(r: Rand): string {
  let s = '';
  for (let i = 3 + int(r, 8); i > 0; i--) s += String.fromCharCode(97 + int(r, 26));
  return s;
}

function genWasm(r: Rand, n: number, head: boolean): Out {
  const o = new Out();
  if (head) {
    o.u8(0); o.str('asm'); o.u32(1);
    o.u8(1); o.leb(20); for (let i = 0; i < 20; i++) o.u8(pick(r, [0x60, 0x7f, 0x7e, 0x01, 0x02, 0x00]));
    o.u8(3); o.leb(30); for (let i = 0; i < 30; i++) o.leb(int(r, 20));
    o.u8(10); o.leb(n);
  }
  while (o.length < n) {
    // one function body: size, locals, then expressions
    const body = new Out();
    body.leb(int(r, 3));
    for (let i = body.buf[0]!; i > 0; i--) { body.leb(1 + int(r, 4)); body.u8(pick(r, [0x7f, 0x7e, 0x7c])); }
    for (let i = 8 + int(r, 120); i > 0; i--) {
      const k = r();
      if (k < 0.3) { body.u8(pick(r, [0x20, 0x21, 0x22])); body.leb(int(r, 12)); }
      else if (k < 0.45) { body.u8(0x41); body.leb(r() < 0.7 ? int(r, 64) : int(r, 1 << 20)); }
      else if (k < 0.6) { body.u8(pick(r, [0x28, 0x29, 0x2d, 0x36, 0x37, 0x3a])); body.u8(int(r, 4)); body.leb(int(r, 256)); }
      else if (k < 0.75) body.u8(pick(r, [0x6a, 0x6b, 0x71, 0x72, 0x74, 0x76, 0x46, 0x47, 0x4d, 0x45, 0x7c, 0xad]));
      else if (k < 0.82) { body.u8(0x10); body.leb(int(r, 300)); }
      else if (k < 0.9) { body.u8(pick(r, [0x02, 0x03, 0x04])); body.u8(0x40); }
      else if (k < 0.95) { body.u8(pick(r, [0x0c, 0x0d])); body.leb(int(r, 4)); }
      else body.u8(0x0b);
    }
    body.u8(0x0b);
    o.leb(body.length);
    o.all(body.buf);
  }
  return o;
}

/** A pixel plane: smooth gradients, flat areas and noise; RGB or RGBA. */
function pixels(r: Rand, n: number): Out {
  const o = new Out();
  const ch = r() < 0.5 ? 3 : 4;
  const w = 64 + int(r, 400);
  const noise = r() * 24;
  const base = [int(r, 256), int(r, 256), int(r, 256)];
  const grad = [r() * 2 - 1, r() * 2 - 1, r() * 2 - 1];
  let i = 0;
  while (o.length < n) {
    const x = i % w;
    const y = Math.floor(i / w);
    for (let c = 0; c < ch; c++) {
      if (c === 3) o.u8(r() < 0.9 ? 255 : int(r, 256));
      else o.u8(base[c]! + grad[c]! * (x + y) * 0.5 + (r() - 0.5) * noise + 40 * Math.sin((x * (c + 1)) / 17 + y / 23));
    }
    i++;
  }
  return o;
}
function crcTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}
const CRC = crcTable();
function pngChunk(o: Out, type: string, data: Uint8Array): void {
  const be = (v: number) => { o.u8(v >>> 24); o.u8(v >>> 16); o.u8(v >>> 8); o.u8(v); };
  be(data.length);
  const td = Uint8Array.from([...enc.encode(type), ...data]);
  o.all(td);
  let c = 0xffffffff;
  for (const b of td) c = CRC[(c ^ b) & 255]! ^ (c >>> 8);
  be((c ^ 0xffffffff) >>> 0);
}
function genImage(r: Rand, n: number, head: boolean): Out {
  const k = r();
  if (k < 0.45) {
    // PNG: signature, IHDR, IDAT chunks of deflated filtered rows
    const o = new Out();
    if (head) {
      o.buf.push(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
      pngChunk(o, 'IHDR', Uint8Array.from([0, 0, 1, 0, 0, 0, 1, 0, 8, 6, 0, 0, 0]));
    }
    while (o.length < n) {
      const px = pixels(r, 8192 + int(r, 24576)).bytes(1 << 16);
      pngChunk(o, 'IDAT', deflateSync(px, { level: 6 }));
    }
    return o;
  }
  const o = new Out();
  if (head && k < 0.7) { o.str('BM'); o.u32(n); o.u32(0); o.u32(54); o.u32(40); o.u32(256); o.u32(256); o.u8(1); o.u8(0); o.u8(24); o.u8(0); for (let i = 0; i < 24; i++) o.u8(0); }
  const p = pixels(r, n);
  o.all(p.buf);
  return o;
}

function genCompressed(r: Rand, n: number): Out {
  const o = new Out();
  const k = r();
  if (k < 0.2) {
    for (let i = 0; i < n; i++) o.u8(int(r, 256));
    return o;
  }
  while (o.length < n) {
    const small = r() < 0.4;
    const src = pick(r, [genText, genJson, genSource, genMarkup])(r, small ? 1024 + int(r, 16384) : 32768 + int(r, 65536)).bytes(1 << 17);
    o.all(k < 0.5 ? gzipSync(src, { level: (1 + int(r, 9)) as 6, mtime: 0 }) : k < 0.75 ? zlibSync(src, { level: 6 }) : deflateSync(src, { level: 9 }));
  }
  return o;
}

function tarHeader(o: Out, r: Rand, size: number): void {
  const h = new Uint8Array(512);
  const name = `${genIdent(r)}/${genIdent(r)}.${pick(r, ['txt', 'json', 'js', 'c', 'md'])}`;
  h.set(enc.encode(name), 0);
  h.set(enc.encode('0000644\0'), 100);
  h.set(enc.encode('0001750\0'), 108);
  h.set(enc.encode('0001750\0'), 116);
  h.set(enc.encode(size.toString(8).padStart(11, '0') + '\0'), 124);
  h.set(enc.encode((1700000000 + int(r, 1e8)).toString(8).padStart(11, '0') + '\0'), 136);
  h[156] = 0x30;
  h.set(enc.encode('ustar\x0000'), 257);
  h.set(enc.encode('user'), 265);
  h.set(enc.encode('user'), 297);
  let sum = 0;
  h.fill(0x20, 148, 156);
  for (const b of h) sum += b;
  h.set(enc.encode(sum.toString(8).padStart(6, '0') + '\0 '), 148);
  o.all(h);
}
function genArchive(r: Rand, n: number): Out {
  const o = new Out();
  while (o.length < n) {
    const size = 100 + int(r, 3000);
    const body = pick(r, [genText, genJson, genSource])(r, size).bytes(size);
    if (r() < 0.6) {
      tarHeader(o, r, size);
      o.all(body);
      while (o.length % 512) o.u8(0);
    } else {
      // a ZIP local header and a deflated member
      const z = deflateSync(body);
      o.u32(0x04034b50); o.u8(20); o.u8(0); o.u8(0); o.u8(0); o.u8(8); o.u8(0); o.u32(int(r, 1 << 30)); o.u32(int(r, 1 << 30));
      o.u32(z.length); o.u32(size);
      const name = enc.encode(`${genIdent(r)}/${genIdent(r)}.class`);
      o.u8(name.length); o.u8(0); o.u8(0); o.u8(0);
      o.all(name);
      o.all(z);
    }
  }
  return o;
}

function genTable(r: Rand, n: number): Out {
  const o = new Out();
  const dv = new DataView(new ArrayBuffer(8));
  const cols = 1 + int(r, 6);
  const kinds = Array.from({ length: cols }, () => int(r, 5));
  const acc = new Float64Array(cols);
  while (o.length < n) {
    for (let c = 0; c < cols; c++) {
      const kd = kinds[c]!;
      if (kd === 0) { acc[c]! += 1 + int(r, 8); o.u32(acc[c]!); }
      else if (kd === 1) { dv.setFloat32(0, Math.sin(acc[c]! += 0.01) * 100 + r(), true); for (let i = 0; i < 4; i++) o.u8(dv.getUint8(i)); }
      else if (kd === 2) { dv.setFloat64(0, (acc[c]! += r()) , true); for (let i = 0; i < 8; i++) o.u8(dv.getUint8(i)); }
      else if (kd === 3) { o.u8(int(r, 4)); o.u8(0); }
      else { o.u32(int(r, 1000)); o.u32(0); }
    }
  }
  return o;
}

/** One generated chunk of `n` bytes of class `cls`; `head` asks for the start of a file (magic numbers, headers). */
export function generateChunk(cls: ContentClass, r: Rand, n: number, head: boolean): Uint8Array {
  switch (cls) {
    case 'text': return genText(r, n).bytes(n);
    case 'markup': return genMarkup(r, n).bytes(n);
    case 'json': return genJson(r, n).bytes(n);
    case 'source': return genSource(r, n).bytes(n);
    case 'executable': return genExecutable(r, n, head).bytes(n);
    case 'wasm': return genWasm(r, n, head).bytes(n);
    case 'image': return genImage(r, n, head).bytes(n);
    case 'compressed': return genCompressed(r, n).bytes(n);
    case 'archive': return genArchive(r, n).bytes(n);
    case 'table': return genTable(r, n).bytes(n);
  }
}
