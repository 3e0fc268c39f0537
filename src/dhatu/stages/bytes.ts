// Byte helpers shared by the plan framing and the stages: LEB128 varints (unsigned, ≤ 2^53), a growable writer and
// a bounds-checked reader whose failures are PaniniError FORMAT with the caller's `where`.
import { planFail } from '../stage.js';

/** Appends bytes; grows by doubling (amortised O(1) per byte). */
export class ByteWriter {
  buf: Uint8Array;
  len = 0;
  constructor(initial = 256) {
    this.buf = new Uint8Array(Math.max(16, initial));
  }
  ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  u8(v: number): void {
    if (this.len === this.buf.length) this.ensure(1);
    this.buf[this.len++] = v;
  }
  varint(v: number): void {
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  /** a copy of the written bytes */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** Reads params / plan bytes; every overrun is FORMAT naming `what` and `where`. */
export class ByteReader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly where: string,
    readonly what: string,
  ) {}
  get left(): number {
    return this.buf.length - this.pos;
  }
  fail(msg: string): never {
    return planFail({ where: this.where }, `${this.what}: ${msg} (at byte ${this.pos})`);
  }
  u8(): number {
    if (this.pos >= this.buf.length) this.fail('truncated');
    return this.buf[this.pos++]!;
  }
  /** unsigned LEB128, at most 8 bytes and at most `max` */
  varint(max = Number.MAX_SAFE_INTEGER): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.buf.length) this.fail('truncated varint');
      const b = this.buf[this.pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (v > max) this.fail(`value ${v} exceeds ${max}`);
        return v;
      }
      mul *= 0x80;
    }
    return this.fail('varint longer than 8 bytes');
  }
  bytes(n: number): Uint8Array {
    if (n > this.left) this.fail(`needs ${n} bytes, ${this.left} left`);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  end(): void {
    if (this.pos !== this.buf.length) this.fail(`${this.left} unexpected trailing bytes`);
  }
}

export { concatBytes } from '../../bytes.js';
