// REFLATE's zlib layer: pako (an exact port of zlib 1.3, pinned to one version in package.json because the decoder's
// output must never change) driven through its low-level API. One function, runDeflate, is the ONLY way this module
// deflates: the parameter search compares its output with the original stream while it is produced (and stops at the
// first differing byte), and the stage's inverse collects the same function's output. A search that matched every
// byte is therefore a complete proof that the inverse re-creates the stream.
//
// Parameters (docs/REFLATE.md "Parameters"): level 0–9, memLevel 1–9, windowBits 9–15, strategy 0–4, hash
// (0 = zlib's classic rolling hash: zlib, Java, Info-ZIP, libpng, …; 1 = the Chromium/Node hash that node:zlib uses).
import { concatBytes } from '../bytes.js';
import {
  ZStream,
  zlibDeflate,
  zlibDeflateInit2,
  zlibInflate,
  zlibInflateInit2,
  Z_FINISH,
  Z_NO_FLUSH,
  Z_OK,
  Z_STREAM_END,
} from 'pako';

export interface ZParams {
  level: number;
  memLevel: number;
  windowBits: number;
  strategy: number;
  /** 0 = classic zlib hash, 1 = Chromium (node:zlib) hash */
  hash: number;
}

/** Packs params into 15 bits: level | memLevel<<4 | (windowBits-8)<<8 | strategy<<11 | hash<<14. */
export function packParams(p: ZParams): number {
  return p.level | (p.memLevel << 4) | ((p.windowBits - 8) << 8) | (p.strategy << 11) | (p.hash << 14);
}

/** Unpacks a 16-bit code; null when any field is out of range (the caller reports FORMAT). */
export function unpackParams(code: number): ZParams | null {
  if (code < 0 || code > 0x7fff) return null;
  const p: ZParams = {
    level: code & 15,
    memLevel: (code >> 4) & 15,
    windowBits: ((code >> 8) & 7) + 8,
    strategy: (code >> 11) & 7,
    hash: (code >> 14) & 1,
  };
  return validParams(p) ? p : null;
}

export function validParams(p: ZParams): boolean {
  return (
    p.level >= 0 && p.level <= 9 && p.memLevel >= 1 && p.memLevel <= 9 && p.windowBits >= 9 && p.windowBits <= 15 &&
    p.strategy >= 0 && p.strategy <= 4 && (p.hash === 0 || p.hash === 1)
  );
}

export function paramsLabel(p: ZParams): string {
  const s = ['default', 'filtered', 'huffman', 'rle', 'fixed'][p.strategy] ?? '?';
  return `zlib level ${p.level} mem ${p.memLevel} wbits ${p.windowBits} ${s}${p.hash ? ' chromium-hash' : ''}`;
}

/**
 * Output buffer sizes, call after call: small first so that a search sees (and rejects) a wrong parameter set soon
 * after the first block is out, then 16 KiB. Part of the decoder's definition: the search and the inverse both go
 * through runDeflate, so they make exactly the same calls.
 */
const OUT_SCHEDULE = [256, 1024, 4096];
const OUT_CHUNK = 1 << 14;

/**
 * Raw-deflates `raw` with `p` (pako, one Z_FINISH call sequence, fixed 16 KiB output chunks) and hands each output
 * chunk to `sink` (a view, valid only during the call). `sink` returns false to stop early. Returns the bytes
 * produced, or -1 when pako refused the params or failed. `work.bytes` grows by the input bytes consumed.
 */
export function runDeflate(raw: Uint8Array, p: ZParams, sink: (chunk: Uint8Array) => boolean, work?: { bytes: number }): number {
  const strm = new ZStream();
  if (zlibDeflateInit2(strm, p.level, 8, -p.windowBits, p.memLevel, p.strategy as 0, p.hash === 0) !== Z_OK) return -1;
  strm.input = raw;
  strm.next_in = 0;
  strm.avail_in = raw.length;
  const out = new Uint8Array(OUT_CHUNK);
  let total = 0;
  let used = 0;
  for (let call = 0; ; call++) {
    strm.output = out;
    strm.next_out = 0;
    strm.avail_out = call < OUT_SCHEDULE.length ? OUT_SCHEDULE[call]! : OUT_CHUNK;
    const st = zlibDeflate(strm, Z_FINISH);
    if (st !== Z_OK && st !== Z_STREAM_END) return -1;
    const n = strm.next_out;
    total += n;
    if (work) work.bytes += strm.next_in - used;
    used = strm.next_in;
    if (n > 0 && !sink(out.subarray(0, n))) return total;
    if (st === Z_STREAM_END) return total;
    if (n === 0) return -1; // no progress: cannot happen with a valid state
  }
}

/** Re-deflates `raw` into a new array; throws nothing, returns null when the output would exceed `cap` bytes. */
export function deflateTo(raw: Uint8Array, p: ZParams, cap: number): Uint8Array | null {
  const parts: Uint8Array[] = [];
  let n = 0;
  let over = false;
  const r = runDeflate(raw, p, (c) => {
    n += c.length;
    if (n > cap) {
      over = true;
      return false;
    }
    parts.push(c.slice());
    return true;
  });
  if (r < 0 || over) return null;
  return parts.length === 1 ? parts[0]! : concatBytes(parts, n);
}

/**
 * How many leading bytes of `expect` the deflate of `raw` with `p` reproduces, stopping at the first difference:
 * expect.length when the whole stream matches exactly (same bytes, same length); -1 when pako refused the params.
 */
export function matchDeflate(raw: Uint8Array, p: ZParams, expect: Uint8Array, work: { bytes: number }): number {
  let pos = 0;
  let ok = true;
  const r = runDeflate(raw, p, (c) => {
    const n = c.length;
    if (pos + n > expect.length) {
      ok = false;
      return false;
    }
    for (let i = 0; i < n; i++) {
      if (c[i] !== expect[pos + i]) {
        pos += i;
        ok = false;
        return false;
      }
    }
    pos += n;
    return true;
  }, work);
  if (r < 0) return -1;
  return ok && pos === expect.length ? pos : Math.min(pos, expect.length - 1);
}

export interface Inflated {
  raw: Uint8Array;
  /** compressed bytes consumed, from `start` */
  consumed: number;
}

/**
 * Inflates the raw deflate stream at data[start..end) until its final block; null when it is invalid, does not end
 * before `end`, or would produce more than `maxOut` bytes. `hint` (the declared size, when a container gives one)
 * sizes the first buffer.
 */
export function inflateRawAt(data: Uint8Array, start: number, end: number, maxOut: number, hint = -1): Inflated | null {
  if (start < 0 || end > data.length || start >= end) return null;
  const strm = new ZStream();
  if (zlibInflateInit2(strm, -15) !== Z_OK) return null;
  strm.input = data.subarray(start, end);
  strm.next_in = 0;
  strm.avail_in = end - start;
  // without a size hint: 4× the input, at most 1 MiB to start (the end may be far past the stream: a local-header walk)
  let cap = hint >= 0 && hint <= maxOut ? Math.max(hint, 64) : Math.min(Math.max(1024, Math.min((end - start) * 4, 1 << 20)), maxOut);
  if (cap <= 0) cap = 1;
  let buf = new Uint8Array(cap);
  let len = 0;
  for (;;) {
    strm.output = buf;
    strm.next_out = len;
    strm.avail_out = buf.length - len;
    const st = zlibInflate(strm, Z_NO_FLUSH);
    len = strm.next_out;
    // a buffer much larger than the stream is not kept alive by a view of it
    if (st === Z_STREAM_END) return { raw: len === buf.length ? buf : buf.length - len > 65536 ? buf.slice(0, len) : buf.subarray(0, len), consumed: strm.next_in };
    if (st !== Z_OK) return null; // data error, or buffer error: input ended before the final block
    if (strm.avail_out === 0) {
      if (buf.length >= maxOut) return null;
      const nb = new Uint8Array(Math.min(maxOut, Math.max(buf.length * 2, 1024)));
      nb.set(buf);
      buf = nb;
    } else if (strm.avail_in === 0) {
      return null; // truncated
    }
  }
}

/** Adler-32 (zlib's), of `data`. */
export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  const n = data.length;
  let i = 0;
  while (i < n) {
    const end = Math.min(n, i + 3800);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 (IEEE) of data[start..end), continuing from `crc` (the value returned for the bytes before). */
export function crc32Of(data: Uint8Array, start = 0, end = data.length, crc = 0): number {
  let c = ~crc;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
