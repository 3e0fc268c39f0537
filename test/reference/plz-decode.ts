// Reference decoder for plz blocks (container codec 2, dhātu coder 1), written from docs/CODEC.md "Bitstream" only.
// It shares no code with src/ or assembly/. Plain TypeScript, one function per rule of the text; errors are
// RefError FORMAT.
import { RefError } from './errors.js';

export const PLZ_MAX_BLOCK = 16 * 1024 * 1024;

const fail = (what: string): never => {
  throw new RefError('FORMAT', `plz: ${what}`);
};

/** The range decoder of CODEC.md "Range decoder", normalizing after every bit. */
class RangeDecoder {
  range = 0xffffffff;
  code = 0;
  pos: number;
  constructor(
    private readonly buf: Uint8Array,
    start: number,
  ) {
    this.pos = start;
    for (let k = 0; k < 4; k++) this.code = ((this.code << 8) | this.next()) >>> 0;
  }
  /** the next stream byte; past the end the decoder reads zeros (and the final position check fails) */
  private next(): number {
    const b = this.pos < this.buf.length ? this.buf[this.pos]! : 0;
    this.pos++;
    return b;
  }
  private normalize(): void {
    while (this.range < 0x1000000) {
      this.range = (this.range << 8) >>> 0;
      this.code = ((this.code << 8) | this.next()) >>> 0;
    }
  }
  bit(p: Uint16Array, i: number): number {
    const prob = p[i]!;
    const bound = (this.range >>> 11) * prob; // < 2^32: a double holds it exactly
    let b: number;
    if (this.code < bound) {
      this.range = bound;
      p[i] = prob + ((2048 - prob) >> 5);
      b = 0;
    } else {
      this.range = this.range - bound;
      this.code = this.code - bound;
      p[i] = prob - (prob >> 5);
      b = 1;
    }
    this.normalize();
    return b;
  }
  direct(): number {
    this.range = this.range >>> 1;
    let b = 0;
    if (this.code >= this.range) {
      this.code = this.code - this.range;
      b = 1;
    }
    this.normalize();
    return b;
  }
  /** tree(P, k) over P[base + m] */
  tree(p: Uint16Array, base: number, k: number): number {
    let m = 1;
    for (let i = 0; i < k; i++) m = (m << 1) | this.bit(p, base + m);
    return m - (1 << k);
  }
  /** reverse tree(P, k) over P[base + m] */
  reverseTree(p: Uint16Array, base: number, k: number): number {
    let m = 1;
    let r = 0;
    for (let i = 0; i < k; i++) {
      const b = this.bit(p, base + m);
      m = (m << 1) | b;
      r |= b << i;
    }
    return r;
  }
}

/** A LEN / REP_LEN model: choice, choice2, low[16][8], mid[16][8], high[256] (514 slots). */
const LEN_CHOICE = 0;
const LEN_CHOICE2 = 1;
const LEN_LOW = 2;
const LEN_MID = 2 + 16 * 8;
const LEN_HIGH = 2 + 2 * 16 * 8;

function length(rc: RangeDecoder, p: Uint16Array, posState: number): number {
  if (rc.bit(p, LEN_CHOICE) === 0) return 2 + rc.tree(p, LEN_LOW + posState * 8, 3);
  if (rc.bit(p, LEN_CHOICE2) === 0) return 10 + rc.tree(p, LEN_MID + posState * 8, 3);
  return 18 + rc.tree(p, LEN_HIGH, 8);
}

/** CODEC.md "x86 filter", the decoder's direction (v − (i + 5)), in place. */
export function x86Inverse(b: Uint8Array): void {
  let i = 0;
  while (i + 5 <= b.length) {
    if (b[i] === 0xe8 || b[i] === 0xe9) {
      if (b[i + 4] === 0x00 || b[i + 4] === 0xff) {
        const v = (b[i + 1]! | (b[i + 2]! << 8) | (b[i + 3]! << 16) | (b[i + 4]! << 24)) >>> 0;
        const x = sx25(v - (i + 5));
        b[i + 1] = x & 0xff;
        b[i + 2] = (x >>> 8) & 0xff;
        b[i + 3] = (x >>> 16) & 0xff;
        b[i + 4] = (x >>> 24) & 0xff;
      }
      i += 5;
    } else i += 1;
  }
}
/** sx25(x) = ((x mod 2^25) xor 2^24) − 2^24, as 32-bit two's complement */
export function sx25(x: number): number {
  const low = ((x % 2 ** 25) + 2 ** 25) % 2 ** 25;
  return ((low ^ 2 ** 24) - 2 ** 24) | 0;
}

/** Decodes one plz payload to exactly n bytes (CODEC.md "Bitstream"). */
export function plzDecode(payload: Uint8Array, n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > PLZ_MAX_BLOCK) fail(`block length ${n} outside 0..16 MiB`);
  if (payload.length < 1) fail('empty payload');
  const flags = payload[0]!;
  if (flags === 0xff) {
    if (payload.length !== n + 1) fail(`raw payload of ${payload.length} bytes for ${n}`);
    return payload.slice(1);
  }
  if (flags !== 0x00 && flags !== 0x01) fail(`flags ${flags}`);
  if (n === 0) fail('coded payload for an empty block');
  if (payload.length < 2 + 4) fail('coded payload shorter than its header and 4 stream bytes');
  const props = payload[1]!;
  if (props >= 225) fail(`props ${props}`);
  const lc = props % 9;
  const lp = Math.floor(props / 9) % 5;
  const pb = Math.floor(props / 45);
  if (lc + lp > 8) fail(`lc ${lc} + lp ${lp} > 8`);

  // models, all at 1024
  const isMatch = new Uint16Array(12 * 16).fill(1024);
  const isRep = new Uint16Array(12).fill(1024);
  const isRepG0 = new Uint16Array(12).fill(1024);
  const isRepG1 = new Uint16Array(12).fill(1024);
  const isRepG2 = new Uint16Array(12).fill(1024);
  const isRep0Long = new Uint16Array(12 * 16).fill(1024);
  const posSlot = new Uint16Array(4 * 64).fill(1024);
  const specPos = new Uint16Array(114).fill(1024);
  const align = new Uint16Array(16).fill(1024);
  const lenModel = new Uint16Array(514).fill(1024);
  const repLenModel = new Uint16Array(514).fill(1024);
  const literal = new Uint16Array(0x300 << (lc + lp)).fill(1024);

  const rc = new RangeDecoder(payload, 2);
  const out = new Uint8Array(n);
  const pbMask = (1 << pb) - 1;
  const lpMask = (1 << lp) - 1;
  let pos = 0;
  let state = 0;
  let rep0 = 0;
  let rep1 = 0;
  let rep2 = 0;
  let rep3 = 0;
  while (pos < n) {
    const posState = pos & pbMask;
    if (rc.bit(isMatch, state * 16 + posState) === 0) {
      // 1. literal
      const prev = pos > 0 ? out[pos - 1]! : 0;
      const base = 0x300 * (((pos & lpMask) << lc) + (prev >> (8 - lc)));
      let byte: number;
      if (state < 7) byte = rc.tree(literal, base, 8);
      else {
        let mb = out[pos - rep0 - 1]!; // rep0 < pos: every distance was checked when it was set
        let sym = 1;
        let offs = 0x100;
        while (sym < 0x100) {
          mb <<= 1;
          const mbit = mb & offs;
          const b = rc.bit(literal, base + offs + mbit + sym);
          sym = (sym << 1) | b;
          offs &= b ? mbit : ~mbit;
        }
        byte = sym - 0x100;
      }
      out[pos++] = byte;
      state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
      continue;
    }
    let len: number;
    if (rc.bit(isRep, state) === 0) {
      // 2. match
      len = length(rc, lenModel, posState);
      const lenState = Math.min(len - 2, 3);
      const slot = rc.tree(posSlot, lenState * 64, 6);
      let d: number;
      if (slot < 4) d = slot;
      else {
        const k = (slot >> 1) - 1;
        d = (2 | (slot & 1)) * 2 ** k;
        if (slot < 14) d += rc.reverseTree(specPos, d - slot - 1, k);
        else {
          let direct = 0;
          for (let i = 0; i < k - 4; i++) direct = direct * 2 + rc.direct();
          d += direct * 16 + rc.reverseTree(align, 0, 4);
        }
      }
      rep3 = rep2;
      rep2 = rep1;
      rep1 = rep0;
      rep0 = d;
      state = state < 7 ? 7 : 10;
      if (d >= pos) fail(`match distance ${d + 1} at position ${pos}`);
    } else {
      // 3. repeat
      if (pos === 0) fail('repeat at position 0');
      if (rc.bit(isRepG0, state) === 0) {
        if (rc.bit(isRep0Long, state * 16 + posState) === 0) {
          // short rep: one byte from distance rep0 + 1
          out[pos] = out[pos - rep0 - 1]!;
          pos++;
          state = state < 7 ? 9 : 11;
          continue;
        }
      } else {
        let dist: number;
        if (rc.bit(isRepG1, state) === 0) {
          dist = rep1;
        } else {
          if (rc.bit(isRepG2, state) === 0) dist = rep2;
          else {
            dist = rep3;
            rep3 = rep2;
          }
          rep2 = rep1;
        }
        rep1 = rep0;
        rep0 = dist;
      }
      len = length(rc, repLenModel, posState);
      state = state < 7 ? 8 : 11;
    }
    // 4. copy
    if (len > n - pos) fail(`match of ${len} bytes at position ${pos} of ${n}`);
    for (let k = 0; k < len; k++, pos++) out[pos] = out[pos - rep0 - 1]!;
  }
  if (rc.pos !== payload.length) fail(`stream consumed ${rc.pos} of ${payload.length} bytes`);
  if (flags === 0x01) x86Inverse(out);
  return out;
}
