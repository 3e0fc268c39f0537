// Adaptive binary range coder (LZMA-style: 11-bit probabilities, shift 5) used by the preflate correction stream.
// Encoder and decoder share one interface, `bit(probs, index, value)`, so the model walk is written once and runs in
// both directions: the encoder codes `value` and returns it, the decoder ignores it and returns the decoded bit.
export interface BitCoder {
  bit(p: Uint16Array, i: number, b: number): number;
}

const TOP = 0x1000000;

export class RcEncoder implements BitCoder {
  private low = 0;
  private range = 0xffffffff;
  private cache = 0;
  private cacheSize = 1;
  private buf = new Uint8Array(1 << 16);
  private n = 0;

  private out(b: number): void {
    if (this.n === this.buf.length) {
      const nb = new Uint8Array(this.buf.length * 2);
      nb.set(this.buf);
      this.buf = nb;
    }
    this.buf[this.n++] = b;
  }

  private shiftLow(): void {
    const low = this.low;
    if (low < 0xff000000 || low >= 0x100000000) {
      const carry = low >= 0x100000000 ? 1 : 0;
      let temp = this.cache;
      do {
        this.out((temp + carry) & 0xff);
        temp = 0xff;
      } while (--this.cacheSize !== 0);
      this.cache = Math.floor(low / 0x1000000) & 0xff;
    }
    this.cacheSize++;
    this.low = (low % 0x1000000) * 256;
  }

  bit(p: Uint16Array, i: number, b: number): number {
    const pr = p[i]!;
    const bound = (this.range >>> 11) * pr;
    if (b === 0) {
      this.range = bound;
      p[i] = pr + ((2048 - pr) >> 5);
    } else {
      this.low += bound;
      this.range -= bound;
      p[i] = pr - (pr >> 5);
    }
    while (this.range < TOP) {
      this.range = (this.range * 256) >>> 0;
      this.shiftLow();
    }
    return b;
  }

  finish(): Uint8Array {
    for (let k = 0; k < 5; k++) this.shiftLow();
    return this.buf.slice(0, this.n);
  }
}

export class RcDecoder implements BitCoder {
  private range = 0xffffffff;
  private code = 0;
  private ip: number;
  /** bytes read past the end of the input (zeros); a well-formed stream reads at most 4 */
  overrun = 0;
  constructor(private readonly src: Uint8Array, start: number) {
    this.ip = start;
    for (let k = 0; k < 5; k++) this.code = ((this.code * 256) % 0x100000000) + this.next();
  }
  private next(): number {
    if (this.ip < this.src.length) return this.src[this.ip++]!;
    this.overrun++;
    return 0;
  }
  bit(p: Uint16Array, i: number, _b: number): number {
    const pr = p[i]!;
    const bound = (this.range >>> 11) * pr;
    let r: number;
    if (this.code < bound) {
      this.range = bound;
      p[i] = pr + ((2048 - pr) >> 5);
      r = 0;
    } else {
      this.code -= bound;
      this.range -= bound;
      p[i] = pr - (pr >> 5);
      r = 1;
    }
    while (this.range < TOP) {
      this.range = (this.range * 256) >>> 0;
      this.code = ((this.code * 256) >>> 0) + this.next();
      this.code >>>= 0;
    }
    return r;
  }
}

export function probs(n: number): Uint16Array {
  return new Uint16Array(n).fill(1024);
}

/** Codes `nbits` bits of `v` MSB-first through a bit tree at probs[base + 1 .. base + 2^nbits). Returns the value. */
export function codeTree(c: BitCoder, p: Uint16Array, base: number, nbits: number, v: number): number {
  let m = 1;
  for (let k = nbits - 1; k >= 0; k--) {
    const b = c.bit(p, base + m, (v >>> k) & 1);
    m = (m << 1) | b;
  }
  return m - (1 << nbits);
}

/** Codes a non-negative integer < 2^30 with an Elias-gamma-like adaptive code: unary bit count, then the bits. */
export function codeUInt(c: BitCoder, p: Uint16Array, base: number, v: number): number {
  // p needs 32 (bit-count unary) + 32 (mantissa bits per position) entries from base
  const nb = v === 0 ? 0 : 32 - Math.clz32(v);
  let k = 0;
  while (k < 30 && c.bit(p, base + k, k < nb ? 1 : 0) === 1) k++;
  if (k === 0) return 0;
  let r = 1;
  for (let j = k - 2; j >= 0; j--) r = (r << 1) | c.bit(p, base + 32 + j, (v >>> j) & 1);
  return r;
}
