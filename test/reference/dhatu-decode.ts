// Reference decoder for dhātu plans (container codec 16), written from docs/DHATU.md (plan payload, CODER, ITER,
// TRANS, TOKEN, SPLIT), docs/DHATU-COMM.md (COMM 48/49), docs/REFLATE.md (REFLATE 64) and docs/PREFLATE.md (image
// stage 40) only. It shares no code with src/: the plz and pfz blocks go through ./plz-decode.ts and ./pfz-decode.ts,
// re-deflation through pako (the pinned version the spec names), CRC-32 through node:zlib.
//
// Not covered: REFLATE items with foreign (preflate) corrections — docs/PREFLATE.md describes the correction model
// but not bit for bit, so this decoder answers UNSUPPORTED for them, as docs/REFLATE.md allows ("a foreign item
// meets no reconstructor").
import { crc32 as zcrc32 } from 'node:zlib';
import { ZStream, Z_FINISH, Z_OK, Z_STREAM_END, zlibDeflate, zlibDeflateEnd, zlibDeflateInit2 } from 'pako';
import { RefError } from './errors.js';
import { plzDecode, PLZ_MAX_BLOCK, x86Inverse } from './plz-decode.js';
import { pfzDecode, PFZ_MAX_BLOCK } from './pfz-decode.js';

export interface PlanContext {
  /** the record's original length: the plan must end with one stream of exactly this length */
  recordLength: number;
  /** the record's output offset (its index entry's original offset) */
  recordOffset: number;
  /** the header's dedup window W (0 = unlimited): COMM may not read before recordOffset − W */
  window: number;
  /** bytes of earlier output: output[offset … offset + length), offset + length ≤ recordOffset */
  readOutput(offset: number, length: number): Uint8Array;
  /** bound of one stream (FORMAT.md "Dhātu records": 4 × MAX_RECORD) */
  maxBytes?: number;
}

const MAX_BYTES = 4 * 64 * 1024 * 1024;

const fail = (what: string): never => {
  throw new RefError('FORMAT', `dhatu: ${what}`);
};

/** Cursor over a byte array; `varint` is the plan's LEB128 (≤ 8 bytes, ≤ 2^53 − 1, DHATU.md "Conventions"). */
class Reader {
  at = 0;
  constructor(
    readonly b: Uint8Array,
    readonly where: string,
  ) {}
  get left(): number {
    return this.b.length - this.at;
  }
  u8(): number {
    if (this.at >= this.b.length) fail(`${this.where}: truncated`);
    return this.b[this.at++]!;
  }
  u16le(): number {
    return this.u8() | (this.u8() << 8);
  }
  u16be(): number {
    return (this.u8() << 8) | this.u8();
  }
  varint(max = 2 ** 53 - 1): number {
    let v = 0;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      v += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) {
        if (v > max) fail(`${this.where}: value ${v} over ${max}`);
        return v;
      }
    }
    return fail(`${this.where}: varint longer than 8 bytes`);
  }
  bytes(n: number): Uint8Array {
    if (n > this.left) fail(`${this.where}: ${n} bytes with ${this.left} left`);
    const s = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return s;
  }
  end(): void {
    if (this.at !== this.b.length) fail(`${this.where}: ${this.left} bytes after the params`);
  }
}

/** A growable output buffer with a hard bound. */
class Out {
  buf: Uint8Array;
  n = 0;
  constructor(
    cap: number,
    readonly max: number,
    readonly where: string,
  ) {
    this.buf = new Uint8Array(Math.max(16, Math.min(cap, max)));
  }
  private room(k: number): void {
    if (this.n + k > this.max) throw new RefError('LIMIT', `${this.where}: output over ${this.max} bytes`);
    if (this.n + k > this.buf.length) {
      const b = new Uint8Array(Math.min(this.max, Math.max(this.n + k, this.buf.length * 2)));
      b.set(this.buf.subarray(0, this.n));
      this.buf = b;
    }
  }
  byte(x: number): void {
    this.room(1);
    this.buf[this.n++] = x;
  }
  bytes(s: Uint8Array): void {
    this.room(s.length);
    this.buf.set(s, this.n);
    this.n += s.length;
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

// ------------------------------------------------------------------------------------------------- CODER (1)
interface RefCoder {
  block: number; // B, Infinity for none
  decode(payload: Uint8Array, n: number): Uint8Array;
}
const CODERS: Record<number, RefCoder> = {
  0: {
    block: Infinity,
    decode: (p, n) => {
      if (p.length !== n) fail(`coder store: ${p.length} stored bytes for ${n}`);
      return p;
    },
  },
  1: { block: PLZ_MAX_BLOCK, decode: plzDecode },
  2: { block: PFZ_MAX_BLOCK, decode: pfzDecode },
};

function coderInverse(params: Uint8Array, streams: Uint8Array[], maxBytes: number): Uint8Array[] {
  const r = new Reader(params, 'coder');
  const n = r.varint();
  if (n !== streams.length) fail(`coder: params for ${n} streams, list has ${streams.length}`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const id = r.u8();
    const c = CODERS[id];
    if (!c) throw new RefError('UNSUPPORTED', `dhatu: coder id ${id}`);
    const raw = r.varint();
    if (raw > maxBytes) throw new RefError('LIMIT', `dhatu: coder: stream of ${raw} bytes`);
    const stored = streams[i]!;
    const blocks = raw > c.block ? Math.ceil(raw / c.block) : 1;
    const lens: number[] = [];
    let sum = 0;
    for (let b = 0; b < blocks - 1; b++) {
      const l = r.varint();
      if (l > stored.length - sum) fail(`coder: block payload of ${l} bytes past the stored stream`);
      lens.push(l);
      sum += l;
    }
    lens.push(stored.length - sum);
    const res = new Uint8Array(raw);
    let at = 0; // in the stored stream
    let o = 0; // in the raw stream
    for (let b = 0; b < blocks; b++) {
      const size = Math.min(c.block, raw - o); // block b decodes to min(B, raw − b·B) bytes
      const d = c.decode(stored.subarray(at, at + lens[b]!), size);
      if (d.length !== size) fail('coder: block decodes to the wrong length');
      res.set(d, o);
      at += lens[b]!;
      o += size;
    }
    out.push(res);
  }
  r.end();
  return out;
}

// ------------------------------------------------------------------------------------------------- one-stream stages
/** A stage on streams[sel … sel + k) → one stream, the others kept in place (DHATU.md "Stream list"). */
function atSel(streams: Uint8Array[], sel: number, k: number, run: (parts: Uint8Array[]) => Uint8Array, name: string): Uint8Array[] {
  if (sel + k > streams.length) fail(`${name}: sel ${sel} + ${k} streams, list has ${streams.length}`);
  const one = run(streams.slice(sel, sel + k));
  return [...streams.slice(0, sel), one, ...streams.slice(sel + k)];
}

function runsInverse(r: Reader, streams: Uint8Array[], maxBytes: number): Uint8Array[] {
  const sel = r.varint();
  const minRun = r.varint();
  if (minRun < 1 || minRun > 65535) fail(`runs: minRun ${minRun}`);
  r.end();
  return atSel(
    streams,
    sel,
    2,
    ([lits, runs]) => {
      // pass 1: size
      const q = new Reader(runs!, 'runs stream');
      let litUsed = 0;
      let total = 0;
      while (q.left > 0) {
        const gap = q.varint();
        const len = q.varint() + minRun;
        q.u8();
        if (gap > lits!.length - litUsed) fail('runs: gap past the literals');
        litUsed += gap;
        total += gap + len;
        if (total > maxBytes) throw new RefError('LIMIT', 'dhatu: runs: output over the limit');
      }
      total += lits!.length - litUsed;
      // pass 2: fill
      const out = new Uint8Array(total);
      const p = new Reader(runs!, 'runs stream');
      let o = 0;
      let l = 0;
      while (p.left > 0) {
        const gap = p.varint();
        const len = p.varint() + minRun;
        const byte = p.u8();
        out.set(lits!.subarray(l, l + gap), o);
        o += gap;
        l += gap;
        out.fill(byte, o, o + len);
        o += len;
      }
      out.set(lits!.subarray(l), o);
      return out;
    },
    'runs',
  );
}

function transInverse(id: number, r: Reader, streams: Uint8Array[]): Uint8Array[] {
  const sel = r.varint();
  if (id === 20 || id === 21) {
    const d = r.varint();
    if (d < 1 || d > 65535) fail(`delta/xor: d ${d}`);
    r.end();
    return atSel(
      streams,
      sel,
      1,
      ([x]) => {
        const out = x!.slice();
        for (let i = d; i < out.length; i++) out[i] = id === 20 ? (out[i]! + out[i - d]!) & 255 : out[i]! ^ out[i - d]!;
        return out;
      },
      id === 20 ? 'delta' : 'xor',
    );
  }
  if (id === 22) {
    const w = r.varint();
    if (w < 2 || w > 65535) fail(`transpose: w ${w}`);
    r.end();
    return atSel(
      streams,
      sel,
      1,
      ([x]) => {
        const R = Math.floor(x!.length / w);
        const out = x!.slice();
        for (let j = 0; j < w; j++) for (let row = 0; row < R; row++) out[row * w + j] = x![j * R + row]!;
        return out;
      },
      'transpose',
    );
  }
  // 23: x86, the same map as plz's filter (DHATU.md "x86")
  r.end();
  return atSel(
    streams,
    sel,
    1,
    ([x]) => {
      const out = x!.slice();
      x86Inverse(out);
      return out;
    },
    'x86',
  );
}

function wordsInverse(r: Reader, streams: Uint8Array[], maxBytes: number): Uint8Array[] {
  const sel = r.varint();
  const nS = r.varint(255);
  const nP = r.varint(255);
  if (nS + nP > 255) fail(`words: nS ${nS} + nP ${nP} > 255`);
  const codes = r.bytes(nS + nP);
  r.end();
  const role = new Int16Array(256).fill(-1); // byte → single code j (0…nS−1) or nS + prefix j
  for (let k = 0; k < codes.length; k++) {
    if (role[codes[k]!] !== -1) fail('words: code bytes not distinct');
    role[codes[k]!] = k;
  }
  return atSel(
    streams,
    sel,
    2,
    ([text, dict]) => {
      if (dict!.length > 0 && dict![dict!.length - 1] !== 0x0a) fail('words: dictionary does not end with 0x0A');
      const starts: number[] = [];
      const ends: number[] = [];
      let s = 0;
      for (let i = 0; i < dict!.length; i++)
        if (dict![i] === 0x0a) {
          starts.push(s);
          ends.push(i);
          s = i + 1;
        }
      if (starts.length > nS + 256 * nP) fail(`words: ${starts.length} words for ${nS} + 256·${nP} codes`);
      const word = (w: number): number => {
        if (w >= starts.length) fail(`words: word ${w} past the dictionary of ${starts.length}`);
        return w;
      };
      // pass 1: validate and size
      const t = text!;
      let total = 0;
      for (let i = 0; i < t.length; i++) {
        const k = role[t[i]!]!;
        if (k < 0) total += 1;
        else if (k < nS) {
          const w = word(k);
          total += ends[w]! - starts[w]!;
        } else {
          if (i + 1 >= t.length) fail('words: prefix as the last byte');
          const w = word(nS + 256 * (k - nS) + t[++i]!);
          total += ends[w]! - starts[w]!;
        }
        if (total > maxBytes) throw new RefError('LIMIT', 'dhatu: words: output over the limit');
      }
      // pass 2: expand
      const out = new Uint8Array(total);
      let o = 0;
      for (let i = 0; i < t.length; i++) {
        const k = role[t[i]!]!;
        if (k < 0) out[o++] = t[i]!;
        else {
          const w = k < nS ? k : nS + 256 * (k - nS) + t[++i]!;
          out.set(dict!.subarray(starts[w]!, ends[w]!), o);
          o += ends[w]! - starts[w]!;
        }
      }
      return out;
    },
    'words',
  );
}

const isNumByte = (b: number): boolean => (b >= 0x30 && b <= 0x39) || b === 0x2e || b === 0x65 || b === 0x45 || b === 0x2b || b === 0x2d;

function jsonInverse(r: Reader, streams: Uint8Array[], maxBytes: number): Uint8Array[] {
  const sel = r.varint();
  r.end();
  return atSel(
    streams,
    sel,
    4,
    ([structure, keys, strings, numbers]) => {
      const total = structure!.length + keys!.length + strings!.length + numbers!.length;
      const out = new Out(total, maxBytes, 'json');
      const pk = { at: 0 };
      const ps = { at: 0 };
      let pn = 0;
      /** one string: up to and including the first unescaped `"`, or to the stream's end */
      const copyString = (src: Uint8Array, p: { at: number }): void => {
        while (p.at < src.length) {
          const b = src[p.at++]!;
          out.byte(b);
          if (b === 0x5c) {
            if (p.at < src.length) out.byte(src[p.at++]!);
          } else if (b === 0x22) return;
        }
      };
      const st = structure!;
      for (let i = 0; i < st.length; i++) {
        const b = st[i]!;
        if (b === 0x22) {
          out.byte(b);
          // the string goes to keys when the next structure byte is `:`
          if (i + 1 < st.length && st[i + 1] === 0x3a) copyString(keys!, pk);
          else copyString(strings!, ps);
        } else if (b === 0x30) {
          const start = pn;
          while (pn < numbers!.length && isNumByte(numbers![pn]!)) out.byte(numbers![pn++]!);
          if (pn === start) fail('json: empty number');
          if (pn < numbers!.length) {
            if (numbers![pn] !== 0x2c) fail('json: number not ended by ","');
            pn++;
          }
        } else out.byte(b);
      }
      if (pk.at !== keys!.length || ps.at !== strings!.length || pn !== numbers!.length) fail('json: streams not used up');
      return out.done();
    },
    'json',
  );
}

function columnsInverse(r: Reader, streams: Uint8Array[]): Uint8Array[] {
  const sel = r.varint();
  const delim = r.u8();
  const c = r.varint();
  if (c < 1 || c > 255) fail(`columns: c ${c}`);
  const flags = r.u8();
  if (flags & ~1) fail(`columns: flags ${flags}`);
  r.end();
  return atSel(
    streams,
    sel,
    c + 1,
    ([shape, ...cols]) => {
      let total = 0;
      for (const col of cols) total += col.length;
      const out = new Out(total, total, 'columns');
      const at = new Array<number>(c).fill(0);
      const sh = shape!;
      for (let line = 0; line < sh.length; line++) {
        const u = sh[line]!;
        if (u < 1 || u > c) fail(`columns: shape byte ${u}`);
        for (let j = 0; j < u; j++) {
          if (j > 0) out.byte(delim);
          const col = cols[j]!;
          const nl = col.indexOf(0x0a, at[j]);
          if (nl < 0) fail(`columns: column ${j} ends inside a field`);
          out.bytes(col.subarray(at[j], nl));
          at[j] = nl + 1;
        }
        if (line + 1 < sh.length || flags & 1) out.byte(0x0a);
      }
      for (let j = 0; j < c; j++) if (at[j] !== cols[j]!.length) fail(`columns: column ${j} not used up`);
      return out.done();
    },
    'columns',
  );
}

// ---- SPLIT wasm (34)
const W_REST = 0;
const W_SEGMENTS = 1;
const W_OPS = 2;
const W_LOCALS = 3;
const W_CALLS = 4;
const W_CONSTS = 5;
const W_MEMARGS = 6;
const W_OTHER = 7;

function wasmInverse(r: Reader, streams: Uint8Array[], maxBytes: number): Uint8Array[] {
  const sel = r.varint();
  r.end();
  return atSel(
    streams,
    sel,
    8,
    (s) => {
      const pos = new Array<number>(8).fill(0);
      let total = 0;
      for (const x of s) total += x.length;
      const out = new Out(total, Math.min(maxBytes, total), 'wasm');
      /** n raw bytes from stream k */
      const fixed = (k: number, n: number): void => {
        if (n > s[k]!.length - pos[k]!) fail(`wasm: stream ${k} used up`);
        out.bytes(s[k]!.subarray(pos[k]!, pos[k]! + n));
        pos[k]! += n;
      };
      /** one LEB128 copied raw from stream k (≤ 10 bytes); returns its value */
      const leb = (k: number): number => {
        let v = 0;
        for (let i = 0; i < 10; i++) {
          if (pos[k]! >= s[k]!.length) fail(`wasm: stream ${k} ends inside a LEB128`);
          const b = s[k]![pos[k]!++]!;
          out.byte(b);
          v += (b & 0x7f) * 2 ** (7 * i);
          if (b < 0x80) return v;
        }
        return fail('wasm: LEB128 longer than 10 bytes');
      };
      const memarg = (): void => {
        const align = leb(W_MEMARGS);
        if (Math.floor(align / 64) % 2 === 1) leb(W_MEMARGS);
        leb(W_MEMARGS);
      };
      const instruction = (limit: number): void => {
        if (pos[W_OPS]! >= s[W_OPS]!.length) fail('wasm: ops used up');
        const op = s[W_OPS]![pos[W_OPS]!++]!;
        out.byte(op);
        const count = (k: number): number => {
          const n = leb(k);
          if (n > limit - out.n) fail('wasm: count past the segment');
          return n;
        };
        if (op <= 0x01 || op === 0x05 || op === 0x0a || op === 0x0b || op === 0x0f || op === 0x19 || op === 0x1a || op === 0x1b || (op >= 0x45 && op <= 0xc4) || op === 0xd1) return;
        if ([0x02, 0x03, 0x04, 0x06, 0x07, 0x08, 0x09, 0x0c, 0x0d, 0x18].includes(op)) return void leb(W_OTHER);
        if (op === 0x0e) {
          const n = count(W_OTHER);
          for (let i = 0; i <= n; i++) leb(W_OTHER);
          return;
        }
        if (op === 0x10 || op === 0x12) return void leb(W_CALLS);
        if (op === 0x11 || op === 0x13) {
          leb(W_CALLS);
          leb(W_CALLS);
          return;
        }
        if (op === 0x1c) {
          const n = count(W_OTHER);
          for (let i = 0; i < n; i++) leb(W_OTHER);
          return;
        }
        if (op >= 0x20 && op <= 0x24) return void leb(W_LOCALS);
        if ([0x25, 0x26, 0x3f, 0x40, 0xd0, 0xd2].includes(op)) return void leb(W_OTHER);
        if (op >= 0x28 && op <= 0x3e) return memarg();
        if (op === 0x41 || op === 0x42) return void leb(W_CONSTS);
        if (op === 0x43) return fixed(W_CONSTS, 4);
        if (op === 0x44) return fixed(W_CONSTS, 8);
        if (op === 0xfc || op === 0xfd || op === 0xfe) {
          const sub = leb(W_OPS);
          if (op === 0xfc) {
            if (sub <= 7) return;
            if (sub === 8 || sub === 10 || sub === 12 || sub === 14) {
              leb(W_OTHER);
              leb(W_OTHER);
              return;
            }
            if (sub === 9 || sub === 11 || sub === 13 || sub === 15 || sub === 16 || sub === 17) return void leb(W_OTHER);
            return fail(`wasm: no layout for 0xFC ${sub}`);
          }
          if (op === 0xfd) {
            if (sub <= 11 || sub === 92 || sub === 93) return memarg();
            if (sub >= 84 && sub <= 91) {
              memarg();
              return fixed(W_OTHER, 1);
            }
            if (sub === 12 || sub === 13) return fixed(W_CONSTS, 16);
            if (sub >= 21 && sub <= 34) return fixed(W_OTHER, 1);
            if (sub <= 511) return;
            return fail(`wasm: no layout for 0xFD ${sub}`);
          }
          if (sub === 3) return fixed(W_OTHER, 1);
          if (sub <= 78) return memarg();
          return fail(`wasm: no layout for 0xFE ${sub}`);
        }
        fail(`wasm: no layout for opcode 0x${op.toString(16)}`);
      };
      const seg = new Reader(s[W_SEGMENTS]!, 'wasm segments');
      while (seg.left > 0) {
        const rn = seg.varint();
        const cn = seg.varint();
        fixed(W_REST, rn);
        const limit = out.n + cn;
        while (out.n < limit) {
          instruction(limit);
          if (out.n > limit) fail('wasm: instruction passes the segment');
        }
      }
      fixed(W_REST, s[W_REST]!.length - pos[W_REST]!);
      for (let k = 0; k < 8; k++) if (k !== W_SEGMENTS && pos[k] !== s[k]!.length) fail(`wasm: stream ${k} not used up`); // segments: read to its end by the loop above
      return out.done();
    },
    'wasm',
  );
}

// ---- image (40): docs/PREFLATE.md "Image stage"
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

function predictor(kind: number, a: number, b: number, c: number): number {
  switch (kind) {
    case 0:
      return 0;
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return (a + b) >> 1;
    case 4: {
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    case 5: {
      const mx = Math.max(a, b);
      const mn = Math.min(a, b);
      return c >= mx ? mn : c <= mn ? mx : a + b - c;
    }
    default:
      return Math.min(255, Math.max(0, a + b - c));
  }
}

function imageInverse(r: Reader, streams: Uint8Array[], maxBytes: number): Uint8Array[] {
  const sel = r.varint();
  const width = r.varint();
  const height = r.varint();
  const bitDepth = r.u8();
  const colorType = r.u8();
  const interlace = r.u8();
  const pred = r.u8();
  const planes = r.u8();
  r.end();
  const ch = CHANNELS[colorType];
  if (ch === undefined) fail(`image: colour type ${colorType}`);
  const depths = colorType === 0 ? [1, 2, 4, 8, 16] : colorType === 3 ? [1, 2, 4, 8] : [8, 16];
  if (!depths.includes(bitDepth)) fail(`image: bit depth ${bitDepth} for colour type ${colorType}`);
  if (interlace > 1) fail(`image: interlace ${interlace}`);
  if (width < 1 || height < 1 || width > 0x7fffffff || height > 0x7fffffff) fail(`image: size ${width}×${height}`);
  if (pred > 6) fail(`image: predictor ${pred}`);
  if (planes > 1) fail(`image: planes ${planes}`);
  const bitsPP = ch! * bitDepth;
  const bpp = Math.max(1, bitsPP >> 3);
  const passes: { rows: number; rowBytes: number }[] = [];
  let total = 0;
  for (const [x0, y0, dx, dy] of interlace ? ADAM7 : [[0, 0, 1, 1]]) {
    const w = width > x0! ? Math.ceil((width - x0!) / dx!) : 0;
    const h = height > y0! ? Math.ceil((height - y0!) / dy!) : 0;
    if (w === 0 || h === 0) continue;
    const rowBytes = Math.ceil((w * bitsPP) / 8);
    passes.push({ rows: h, rowBytes });
    total += h * (1 + rowBytes);
  }
  if (total > maxBytes) throw new RefError('LIMIT', `dhatu: image: ${total} bytes of scanlines`);
  const nPl = planes ? bpp : 1;
  return atSel(
    streams,
    sel,
    1 + nPl,
    ([filters, ...pl]) => {
      const rows = passes.reduce((s, p) => s + p.rows, 0);
      if (filters!.length !== rows) fail(`image: ${filters!.length} filter bytes for ${rows} rows`);
      const used = new Array<number>(nPl).fill(0);
      const out = new Uint8Array(total);
      let o = 0;
      let row = 0;
      for (const p of passes) {
        let prev: Uint8Array | null = null;
        for (let y = 0; y < p.rows; y++) {
          const cur = new Uint8Array(p.rowBytes);
          // undo the stage's predictor: the pixels of the row, unfiltered
          for (let i = 0; i < p.rowBytes; i++) {
            const a = i >= bpp ? cur[i - bpp]! : 0;
            const b = prev ? prev[i]! : 0;
            const c = prev && i >= bpp ? prev[i - bpp]! : 0;
            const k = planes ? i % bpp : 0;
            if (used[k]! >= pl[k]!.length) fail(`image: plane ${k} too short`);
            cur[i] = (pl[k]![used[k]!++]! + predictor(pred, a, b, c)) & 255;
          }
          // re-apply the row's PNG filter (0–4)
          const ft = filters![row++]!;
          if (ft > 4) fail(`image: filter type ${ft}`);
          out[o++] = ft;
          for (let i = 0; i < p.rowBytes; i++) {
            const a = i >= bpp ? cur[i - bpp]! : 0;
            const b = prev ? prev[i]! : 0;
            const c = prev && i >= bpp ? prev[i - bpp]! : 0;
            out[o++] = (cur[i]! - predictor(ft, a, b, c)) & 255;
          }
          prev = cur;
        }
      }
      for (let k = 0; k < nPl; k++) if (used[k] !== pl[k]!.length) fail(`image: plane ${k} not used up`);
      return out;
    },
    'image',
  );
}

// ------------------------------------------------------------------------------------------------- COMM (48, 49)
function commInverse(id: number, params: Uint8Array, streams: Uint8Array[], ctx: PlanContext, maxBytes: number): Uint8Array[] {
  let ops = params;
  if (id === 49) {
    const r = new Reader(params, 'comm ops header');
    const L = r.varint();
    if (L > 64 * 1024 * 1024) fail(`comm: ops length ${L}`);
    const coder = r.u8();
    const rest = params.subarray(r.at);
    if (coder === 0) {
      if (rest.length !== L) fail(`comm: ${rest.length} stored ops bytes for ${L}`);
      ops = rest;
    } else if (coder === 1) ops = plzDecode(rest, L);
    else fail(`comm: ops coder ${coder}`);
  }
  if (streams.length !== 1) fail(`comm: ${streams.length} streams`);
  const residue = streams[0]!;
  const n = ctx.recordLength;
  if (!Number.isInteger(n) || n < 0 || n > maxBytes) fail(`comm: record length ${n}`);
  if (residue.length > n) fail('comm: residue longer than the record');
  // DHATU-COMM.md varints: 1–5 bytes, canonical
  let p = 0;
  const varint = (): number => {
    let v = 0;
    for (let i = 0; i < 5; i++) {
      if (p >= ops.length) fail('comm: varint truncated');
      const b = ops[p++]!;
      v += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) {
        if (i > 0 && b === 0) fail('comm: non-canonical varint');
        return v;
      }
    }
    return fail('comm: varint longer than 5 bytes');
  };
  const count = varint();
  if (count > ops.length) fail(`comm: ${count} ops in ${ops.length} bytes`);
  const lits: number[] = [];
  const codes: number[] = [];
  for (let k = 0; k < count; k++) lits.push(varint());
  for (let k = 0; k < count; k++) codes.push(varint());
  const out = new Uint8Array(n);
  let pos = 0;
  let r = 0;
  let dist = -1;
  const W = ctx.window;
  const base = ctx.recordOffset;
  for (let k = 0; k < count; k++) {
    const lit = lits[k]!;
    if (lit > n - pos || lit > residue.length - r) fail(`comm: op ${k}: literal run passes the end`);
    out.set(residue.subarray(r, r + lit), pos);
    pos += lit;
    r += lit;
    const len = Math.floor(codes[k]! / 2) + 1;
    if (codes[k]! % 2 === 0) dist = varint() + 1;
    else if (dist < 0) fail(`comm: op ${k}: repeat before any copy`);
    if (len > n - pos) fail(`comm: op ${k}: copy passes the record's end`);
    if (dist > base + pos) fail(`comm: op ${k}: source before the start of the output`);
    const source = base + pos - dist;
    if (W > 0 && source < base - W) fail(`comm: op ${k}: source ${source} before the dedup window`);
    // the part before the record from the earlier output, the rest from the record itself
    const before = Math.max(0, Math.min(len, base - source));
    if (before > 0) {
      const got = ctx.readOutput(source, before);
      if (got.length !== before) fail(`comm: op ${k}: earlier output gave ${got.length} bytes for ${before}`);
      out.set(got, pos);
    }
    for (let i = before; i < len; i++) out[pos + i] = out[pos + i - dist]!;
    pos += len;
  }
  if (p !== ops.length) fail('comm: bytes after section D');
  if (residue.length - r !== n - pos) fail(`comm: ${residue.length - r} residue bytes left for ${n - pos}`);
  out.set(residue.subarray(r), pos);
  return [out];
}

// ------------------------------------------------------------------------------------------------- REFLATE (64)
interface ZParams {
  level: number;
  memLevel: number;
  windowBits: number;
  strategy: number;
  hash: number;
}

/** REFLATE.md "Parameters": pako deflateInit2 + deflate(Z_FINISH), output buffers of 256, 1024, 4096, then 16384 bytes. */
function runDeflate(raw: Uint8Array, z: ZParams, cap: number): Uint8Array {
  const strm = new ZStream();
  const st = zlibDeflateInit2(strm, z.level, 8, -z.windowBits, z.memLevel, z.strategy as 0, z.hash === 1 ? false : true);
  if (st !== Z_OK) fail(`reflate: deflateInit2 failed for ${JSON.stringify(z)}`);
  strm.input = raw;
  strm.next_in = 0;
  strm.avail_in = raw.length;
  const parts: Uint8Array[] = [];
  let size = 0;
  const schedule = [256, 1024, 4096];
  for (let call = 0; ; call++) {
    const chunk = new Uint8Array(call < schedule.length ? schedule[call]! : 16384);
    strm.output = chunk;
    strm.next_out = 0;
    strm.avail_out = chunk.length;
    const status = zlibDeflate(strm, Z_FINISH);
    const produced = chunk.length - strm.avail_out;
    parts.push(chunk.subarray(0, produced));
    size += produced;
    if (size > cap) fail('reflate: re-deflated stream passes its region');
    if (status === Z_STREAM_END) break;
    if (status !== Z_OK) fail(`reflate: deflate status ${status}`);
  }
  zlibDeflateEnd(strm);
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Adler-32 (RFC 1950) */
function adler32(b: Uint8Array): number {
  let a = 1;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    a = (a + b[i]!) % 65521;
    s = (s + a) % 65521;
  }
  return (s * 65536 + a) >>> 0;
}

function be32(x: number): Uint8Array {
  return Uint8Array.of((x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255);
}

function reflateInverse(params: Uint8Array, streams: Uint8Array[], maxBytes: number): Uint8Array[] {
  if (streams.length !== 1) fail(`reflate: ${streams.length} streams`);
  const expanded = streams[0]!;
  const r = new Reader(params, 'reflate recipe');
  const version = r.u8();
  if (version !== 1) fail(`reflate: recipe version ${version}`);
  const L = r.varint();
  if (L > maxBytes) fail(`reflate: record length ${L} over the limit`);
  let e = 0; // position in the expanded stream
  let last: ZParams | undefined; // the previous zlib item's params, in recipe order
  const take = (n: number): Uint8Array => {
    if (n > expanded.length - e) fail('reflate: read past the expanded stream');
    const s = expanded.subarray(e, e + n);
    e += n;
    return s;
  };
  /** one region into `out` (at most `room` bytes) */
  const region = (out: Out, depth: number): void => {
    if (depth > 4) fail('reflate: nesting deeper than 4');
    const N = r.varint();
    if (N > r.left / 3) fail(`reflate: ${N} items in ${r.left} bytes`);
    for (let i = 0; i < N; i++) {
      const gap = r.varint(maxBytes);
      out.bytes(take(gap));
      const tag = r.u8();
      const wrapper = tag & 3;
      if (wrapper === 3) fail('reflate: wrapper 3');
      if (tag & 0xe0) fail(`reflate: tag ${tag}`);
      const foreign = (tag & 4) !== 0;
      const same = (tag & 8) !== 0;
      const nested = (tag & 16) !== 0;
      let z: ZParams | undefined;
      if (!foreign) {
        if (same) {
          if (!last) fail('reflate: "same params" without a previous zlib item');
          z = last;
        } else {
          const v = r.u16le();
          z = { level: v & 15, memLevel: (v >> 4) & 15, windowBits: ((v >> 8) & 7) + 8, strategy: (v >> 11) & 7, hash: (v >> 14) & 3 };
          if (z.level > 9 || z.memLevel < 1 || z.memLevel > 9 || z.windowBits < 9 || z.strategy > 4 || z.hash > 1) fail(`reflate: params ${JSON.stringify(z)}`);
        }
        last = z;
      } else if (same) fail('reflate: foreign item with "same params"');
      const rawLen = r.varint(maxBytes);
      let deflateLen = 0;
      if (foreign) {
        deflateLen = r.varint(maxBytes);
        const C = r.varint();
        r.bytes(C);
      }
      let zhdr = 0;
      if (wrapper === 1 || wrapper === 2) {
        zhdr = r.u16be();
        const cmf = zhdr >> 8;
        const flg = zhdr & 255;
        if ((cmf & 15) !== 8 || cmf >> 4 > 7 || zhdr % 31 !== 0 || flg & 0x20) fail(`reflate: zlib header ${zhdr.toString(16)}`);
      }
      let pngSizes: number[] | undefined;
      let pngS = 0;
      if (wrapper === 2) {
        pngS = r.varint(maxBytes);
        if (pngS === 0) {
          pngSizes = [];
          const R = r.varint();
          if (R > r.left / 2) fail('reflate: PNG runs');
          for (let k = 0; k < R; k++) {
            const size = r.varint(maxBytes);
            const count = r.varint();
            if (count < 1) fail('reflate: PNG run count 0');
            if (count * 12 > maxBytes) fail('reflate: PNG runs do not fit the record');
            for (let q = 0; q < count; q++) pngSizes.push(size);
          }
        }
      }
      let raw: Uint8Array;
      if (nested) {
        const inner = new Out(rawLen, rawLen, 'reflate nested region');
        region(inner, depth + 1);
        if (inner.n !== rawLen) fail(`reflate: nested region gives ${inner.n} bytes for ${rawLen}`);
        raw = inner.done();
      } else raw = take(rawLen);
      if (foreign) throw new RefError('UNSUPPORTED', 'dhatu: reflate: foreign (preflate) stream: this reference has no reconstructor');
      const deflate = runDeflate(raw, z!, out.max - out.n);
      if (wrapper === 0) out.bytes(deflate);
      else {
        const zs = new Uint8Array(2 + deflate.length + 4);
        zs[0] = zhdr >> 8;
        zs[1] = zhdr & 255;
        zs.set(deflate, 2);
        zs.set(be32(adler32(raw)), 2 + deflate.length);
        if (wrapper === 1) out.bytes(zs);
        else {
          let sizes = pngSizes;
          if (!sizes) {
            sizes = [];
            for (let left = zs.length; left > 0; left -= pngS) sizes.push(Math.min(pngS, left));
          }
          let sum = 0;
          for (const s of sizes) sum += s;
          if (sum !== zs.length) fail(`reflate: PNG chunks hold ${sum} bytes of a ${zs.length}-byte zlib stream`);
          let at = 0;
          for (const s of sizes) {
            const chunk = new Uint8Array(4 + s);
            chunk.set([0x49, 0x44, 0x41, 0x54]); // "IDAT"
            chunk.set(zs.subarray(at, at + s), 4);
            at += s;
            out.bytes(be32(s));
            out.bytes(chunk);
            out.bytes(be32(zcrc32(chunk) >>> 0));
          }
        }
      }
      void deflateLen;
    }
    const tail = r.varint(maxBytes);
    out.bytes(take(tail));
  };
  const out = new Out(L, L, 'reflate');
  region(out, 0);
  r.end();
  if (e !== expanded.length) fail(`reflate: ${expanded.length - e} expanded bytes left over`);
  if (out.n !== L) fail(`reflate: record of ${out.n} bytes, recipe says ${L}`);
  return [out.done()];
}

// ------------------------------------------------------------------------------------------------- the plan
export const STAGE_NAMES: Record<number, string> = {
  1: 'coder',
  16: 'runs',
  20: 'delta',
  21: 'xor',
  22: 'transpose',
  23: 'x86',
  28: 'words',
  32: 'json',
  33: 'columns',
  34: 'wasm',
  40: 'image',
  48: 'comm',
  49: 'comm',
  64: 'reflate',
};

export interface PlanStage {
  id: number;
  handled: number;
  params: Uint8Array;
}

/** DHATU.md "Plan payload": the framing only. */
export function parsePlan(payload: Uint8Array, maxBytes = MAX_BYTES): { stages: PlanStage[]; streams: Uint8Array[] } {
  const r = new Reader(payload, 'plan');
  const S = r.varint();
  if (S < 1 || S > 16) fail(`plan: ${S} stages`);
  const stages: PlanStage[] = [];
  for (let i = 0; i < S; i++) {
    const id = r.u8();
    const handled = r.varint();
    const P = r.varint();
    if (P > r.left) fail(`plan: params of ${P} bytes with ${r.left} left`);
    stages.push({ id, handled, params: r.bytes(P) });
  }
  const N = r.varint();
  if (N > 4096 || N > r.left) fail(`plan: ${N} stored streams`);
  const lens: number[] = [];
  for (let i = 0; i < N; i++) {
    const l = r.varint();
    if (l > maxBytes) throw new RefError('LIMIT', `dhatu: stored stream of ${l} bytes`);
    lens.push(l);
  }
  const sum = lens.reduce((a, b) => a + b, 0);
  if (sum !== r.left) fail(`plan: streams of ${sum} bytes, ${r.left} bytes left`);
  const streams = lens.map((l) => r.bytes(l));
  return { stages, streams };
}

/** Decodes a plan payload to its record (DHATU.md "Plan payload", decoding). */
export function decodePlan(payload: Uint8Array, ctx: PlanContext): Uint8Array {
  const maxBytes = ctx.maxBytes ?? MAX_BYTES;
  const plan = parsePlan(payload, maxBytes);
  let streams = plan.streams;
  for (let i = plan.stages.length - 1; i >= 0; i--) {
    const { id, params } = plan.stages[i]!;
    if (id === 1) streams = coderInverse(params, streams, maxBytes);
    else if (id === 16) streams = runsInverse(new Reader(params, 'runs'), streams, maxBytes);
    else if (id >= 20 && id <= 23) streams = transInverse(id, new Reader(params, STAGE_NAMES[id]!), streams);
    else if (id === 28) streams = wordsInverse(new Reader(params, 'words'), streams, maxBytes);
    else if (id === 32) streams = jsonInverse(new Reader(params, 'json'), streams, maxBytes);
    else if (id === 33) streams = columnsInverse(new Reader(params, 'columns'), streams);
    else if (id === 34) streams = wasmInverse(new Reader(params, 'wasm'), streams, maxBytes);
    else if (id === 40) streams = imageInverse(new Reader(params, 'image'), streams, maxBytes);
    else if (id === 48 || id === 49) streams = commInverse(id, params, streams, ctx, maxBytes);
    else if (id === 64) streams = reflateInverse(params, streams, maxBytes);
    else throw new RefError('UNSUPPORTED', `dhatu: stage id ${id}`);
    let total = 0;
    for (const s of streams) {
      if (s.length > maxBytes) throw new RefError('LIMIT', `dhatu: stream of ${s.length} bytes after stage ${id}`);
      total += s.length;
    }
    if (total > 2 * maxBytes) throw new RefError('LIMIT', `dhatu: streams of ${total} bytes after stage ${id}`);
  }
  if (streams.length !== 1 || streams[0]!.length !== ctx.recordLength) fail(`plan ends with ${streams.length} streams, not one of ${ctx.recordLength} bytes`);
  return streams[0]!;
}

/** The stage ids of a plan (encode order) and the coder ids its CODER stages use: for tests that track coverage. */
export function planInfo(payload: Uint8Array): { stages: number[]; coders: number[] } {
  const { stages } = parsePlan(payload);
  const coders: number[] = [];
  for (const s of stages) {
    if (s.id !== 1) continue;
    const r = new Reader(s.params, 'coder');
    const n = r.varint();
    for (let i = 0; i < n; i++) {
      const id = r.u8();
      coders.push(id);
      const raw = r.varint();
      const B = CODERS[id]?.block ?? Infinity;
      if (raw > B) for (let b = 0; b < Math.ceil(raw / B) - 1; b++) r.varint();
    }
  }
  return { stages: stages.map((s) => s.id), coders };
}
