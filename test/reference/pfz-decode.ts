// Reference decoder for pfz blocks (container codec 3, dhātu coder 2), written from docs/CODEC.md "fast codec
// bitstream" only. It shares no code with src/ or assembly/. Errors are RefError FORMAT.
import { RefError } from './errors.js';

export const PFZ_MAX_BLOCK = 16 * 1024 * 1024;

const fail = (what: string): never => {
  throw new RefError('FORMAT', `pfz: ${what}`);
};

/** Byte cursor over the payload: LEB128 varints of at most 4 bytes, single bytes, slices. */
class Cursor {
  constructor(
    readonly buf: Uint8Array,
    public at: number,
  ) {}
  byte(): number {
    if (this.at >= this.buf.length) fail('payload truncated');
    return this.buf[this.at++]!;
  }
  varint(): number {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const b = this.byte();
      v += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) return v;
    }
    return fail('varint longer than 4 bytes');
  }
  take(n: number): Uint8Array {
    if (n > this.buf.length - this.at) fail(`stream of ${n} bytes passes the payload's end`);
    const s = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return s;
  }
}

/** LSB-first bit reader over one stream: bit k is bit k & 7 of byte k >> 3. Reading past its end is FORMAT. */
class BitReader {
  private bit = 0;
  constructor(private readonly s: Uint8Array) {}
  read1(): number {
    if (this.bit >= this.s.length * 8) fail('bit stream read past its length');
    const b = (this.s[this.bit >> 3]! >> (this.bit & 7)) & 1;
    this.bit++;
    return b;
  }
  /** n bits, the first one read is the least significant */
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v += this.read1() * 2 ** i;
    return v;
  }
}

/** A canonical Huffman code (deflate's rule), decoded one bit at a time from the code's first (most significant) bit. */
class Huffman {
  single = -1; // the only symbol (zero-bit code) when c = 0
  private count: number[] = [];
  private symbols: number[] = [];
  maxLen = 0;
  static read(cur: Cursor, alphabet: number, what: string): Huffman {
    const h = new Huffman();
    const c = cur.varint();
    if (c === 0) {
      h.single = cur.byte();
      if (h.single >= alphabet) fail(`${what}: single symbol ${h.single} outside the alphabet of ${alphabet}`);
      return h;
    }
    if (c < 2 || c > alphabet) fail(`${what}: ${c} symbols (alphabet ${alphabet})`);
    const lens: number[] = [];
    for (let i = 0; i < c; i += 2) {
      const b = cur.byte();
      lens.push(b & 15);
      if (i + 1 < c) lens.push(b >> 4);
      else if (b >> 4 !== 0) fail(`${what}: final unused nibble not 0`);
    }
    for (const l of lens) if (l > 11) fail(`${what}: code length ${l} > 11`);
    h.count = new Array(12).fill(0);
    for (const l of lens) if (l > 0) h.count[l] = h.count[l]! + 1;
    // Kraft sum exactly 1 (in units of 2^-11)
    let kraft = 0;
    for (let l = 1; l <= 11; l++) kraft += h.count[l]! * 2 ** (11 - l);
    if (kraft !== 2 ** 11) fail(`${what}: code lengths do not form a complete prefix code`);
    for (let l = 1; l <= 11; l++) {
      for (let s = 0; s < c; s++) if (lens[s] === l) h.symbols.push(s);
      if (h.count[l]! > 0) h.maxLen = l;
    }
    return h;
  }
  decode(br: BitReader): number {
    if (this.single >= 0) return this.single;
    let code = 0; // the code read so far
    let first = 0; // the first code of the current length
    let index = 0; // index in symbols of the first symbol of the current length
    for (let l = 1; l <= this.maxLen; l++) {
      code |= br.read1();
      const cnt = this.count[l]!;
      if (code - first < cnt) return this.symbols[index + code - first]!;
      index += cnt;
      first = (first + cnt) << 1;
      code <<= 1;
    }
    return fail('no Huffman code matches');
  }
}

/** length code → value: codes < 16 are the value; c ≥ 16: base (2 | (c & 1)) << ((c − 16)/2 + 3) plus as many extra bits */
function lengthBase(c: number): { base: number; extra: number } {
  if (c < 16) return { base: c, extra: 0 };
  const e = ((c - 16) >> 1) + 3;
  return { base: (2 | (c & 1)) * 2 ** e, extra: e };
}

/** Decodes one pfz payload to exactly n bytes. */
export function pfzDecode(payload: Uint8Array, n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > PFZ_MAX_BLOCK) fail(`block length ${n} outside 0..16 MiB`);
  if (payload.length < 1) fail('empty payload');
  const mode = payload[0]!;
  if (mode === 0) {
    if (payload.length !== n + 1) fail(`raw payload of ${payload.length} bytes for ${n}`);
    return payload.slice(1);
  }
  if (mode !== 1) fail(`mode ${mode}`);
  const out = new Uint8Array(n);
  let pos = 0;
  const reps = [1, 4, 8];
  const cur = new Cursor(payload, 1);
  while (pos < n) {
    const outLen = cur.varint();
    if (outLen < 1 || outLen > n - pos) fail(`sub-block of ${outLen} bytes with ${n - pos} left`);
    const nSeq = cur.varint();
    if (nSeq > Math.floor(outLen / 3)) fail(`${nSeq} sequences in a sub-block of ${outLen}`);
    const nLit = cur.varint();
    if (nLit > outLen) fail(`${nLit} literals in a sub-block of ${outLen}`);
    // literals
    const lits = new Uint8Array(nLit);
    if (nLit > 0) {
      const table = Huffman.read(cur, 256, 'literal table');
      if (table.single >= 0) lits.fill(table.single);
      else {
        const lens = [cur.varint(), cur.varint(), cur.varint(), cur.varint()];
        let k = 0;
        for (let s = 0; s < 4; s++) {
          const br = new BitReader(cur.take(lens[s]!));
          const cs = Math.floor((nLit + 3 - s) / 4);
          for (let j = 0; j < cs; j++) lits[k++] = table.decode(br);
        }
      }
    }
    // sequences
    const end = pos + outLen;
    let lit = 0;
    if (nSeq > 0) {
      const llT = Huffman.read(cur, 58, 'literal-length table');
      const mlT = Huffman.read(cur, 58, 'match-length table');
      const ofT = Huffman.read(cur, 52, 'offset table');
      const br = new BitReader(cur.take(cur.varint()));
      for (let q = 0; q < nSeq; q++) {
        const llc = llT.decode(br);
        const mlc = mlT.decode(br);
        const ofc = ofT.decode(br);
        let o: number;
        if (ofc < 10) o = ofc;
        else {
          const e = ((ofc - 10) >> 1) + 2;
          o = (2 | (ofc & 1)) * 2 ** e + br.bits(e) + 2;
        }
        const ml = lengthBase(mlc);
        const matchLen = ml.base + br.bits(ml.extra) + 3;
        const ll = lengthBase(llc);
        const litLen = ll.base + br.bits(ll.extra);
        if (litLen > nLit - lit) fail(`literal length ${litLen} with ${nLit - lit} literals left`);
        if (litLen > end - pos) fail('literals pass the sub-block');
        out.set(lits.subarray(lit, lit + litLen), pos);
        pos += litLen;
        lit += litLen;
        let d: number;
        if (o === 0) d = reps[0]!;
        else if (o === 1) {
          d = reps[1]!;
          reps[1] = reps[0]!;
          reps[0] = d;
        } else if (o === 2) {
          d = reps[2]!;
          reps[2] = reps[1]!;
          reps[1] = reps[0]!;
          reps[0] = d;
        } else {
          d = o - 2;
          reps[2] = reps[1]!;
          reps[1] = reps[0]!;
          reps[0] = d;
        }
        if (d > pos) fail(`distance ${d} at block position ${pos}`);
        if (matchLen > end - pos) fail(`match of ${matchLen} passes the sub-block`);
        for (let k = 0; k < matchLen; k++, pos++) out[pos] = out[pos - d]!;
      }
    }
    const rest = nLit - lit;
    if (rest !== end - pos) fail(`sub-block ends with ${rest} literals for ${end - pos} bytes`);
    out.set(lits.subarray(lit), pos);
    pos = end;
  }
  if (cur.at !== payload.length) fail(`payload has ${payload.length - cur.at} bytes after the last sub-block`);
  return out;
}
