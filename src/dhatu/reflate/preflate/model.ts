// The preflate model walk: one function codes a deflate stream's decisions relative to the Matcher's predictions.
// Encoding (P given): every decision is read from the parsed stream and coded. Decoding (P null): every decision is
// decoded and the deflate bits are written at once through the BitWriter. Both directions run the same code, so the
// contexts and predictions cannot drift apart.
import { PaniniError } from '../../../errors.js';
import { CL_ORDER, DIST_EXTRA, FIXED_DIST, FIXED_LIT, LEN_CODE, LEN_EXTRA, LEN_BASE, DIST_BASE, distCode, type ParsedDeflate, type BlockInfo } from './inflate.js';
import { Matcher } from './matcher.js';
import { codeTree, codeUInt, probs, type BitCoder } from './rc.js';

function fail(msg: string): never {
  throw new PaniniError('FORMAT', `preflate corrections: ${msg}`);
}

export class BitWriter {
  buf: Uint8Array;
  n = 0;
  private acc = 0;
  cnt = 0;
  constructor(private readonly max: number) {
    this.buf = new Uint8Array(Math.min(max, 1 << 16) + 8);
  }
  private grow(): void {
    if (this.n + 4 > this.max + 4) fail(`deflate output exceeds the expected ${this.max} bytes`);
    const nb = new Uint8Array(Math.min(this.max + 8, this.buf.length * 2));
    nb.set(this.buf.subarray(0, this.n));
    this.buf = nb;
  }
  /** n ≤ 16 */
  put(v: number, n: number): void {
    this.acc |= v << this.cnt;
    this.cnt += n;
    while (this.cnt >= 8) {
      if (this.n >= this.buf.length) this.grow();
      this.buf[this.n++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.cnt -= 8;
    }
  }
  bytes(src: Uint8Array): void {
    // only when aligned
    while (this.n + src.length > this.buf.length) this.grow();
    this.buf.set(src, this.n);
    this.n += src.length;
  }
}

/** canonical codes, bit-reversed for LSB-first output; FORMAT when over-subscribed */
function makeCodes(lens: Uint8Array, n: number, codes: Uint16Array): void {
  const count = new Uint16Array(16);
  for (let i = 0; i < n; i++) count[lens[i]!]!++;
  count[0] = 0;
  let left = 1;
  for (let l = 1; l <= 15; l++) {
    left = (left << 1) - count[l]!;
    if (left < 0) fail('over-subscribed Huffman code');
  }
  const next = new Uint16Array(16);
  let code = 0;
  for (let l = 1; l <= 15; l++) {
    code = (code + count[l - 1]!) << 1;
    next[l] = code;
  }
  for (let s = 0; s < n; s++) {
    const l = lens[s]!;
    if (l === 0) {
      codes[s] = 0;
      continue;
    }
    const c = next[l]!++;
    let r = 0;
    for (let k = 0; k < l; k++) r |= ((c >> k) & 1) << (l - 1 - k);
    codes[s] = r;
  }
}

function lenBucket(l: number): number {
  if (l < 3) return 0;
  if (l <= 6) return l - 2; // 1..4
  if (l <= 8) return 5;
  if (l <= 12) return 6;
  if (l <= 24) return 7;
  if (l < 258) return 8;
  return 9;
}

export interface ModelParams {
  chain: number;
  walk: number;
}

export interface ModelResult {
  pos: number;
}

const NB = 10; // length buckets

/**
 * Runs the model. raw: the inflated bytes. P: the parsed stream (encode) or null (decode, then `w` receives the bits).
 */
export function runModel(c: BitCoder, raw: Uint8Array, prm: ModelParams, P: ParsedDeflate | null, w: BitWriter | null, tick?: () => void): void {
  const N = raw.length;
  const m = new Matcher(raw, prm.chain);
  // probability tables
  const pBlk = probs(16);
  const pLen = probs(64 * 2);
  const pPad = probs(8 * 128);
  const pHdr = probs(32 * 3 + 19 * 8);
  const pRle = probs(20 * 32);
  const pRleX = probs(3 * 128);
  const pIsM = probs(8 * 5 * NB * 2);
  const pEq = probs(NB * 2 * 3);
  const pShort = probs(NB);
  const pL = probs(3 * 256);
  const pOdd = probs(2);
  const pRank = probs(2 * 16);
  const pDh = probs(128);
  const pDl = probs(256);
  const litCodes = new Uint16Array(288);
  const distCodes = new Uint16Array(32);
  const enc = P !== null;
  let pos = 0;
  let prevMatch = 0;
  let cacheAt = -1;
  let cacheLen = 0;
  let cacheDist = 0;
  let oddIdx = 0;
  let bi = 0;
  let endPad = 0;
  let endPadCount = 0;
  for (;;) {
    const blk: BlockInfo | null = enc ? P.blocks[bi]! : null;
    bi++;
    const final = c.bit(pBlk, 0, enc ? (blk!.final ? 1 : 0) : 0);
    const type = codeTree(c, pBlk, 1, 2, enc ? blk!.type : 0); // uses pBlk[2..4]
    if (type === 3) fail('block type 3');
    const rawLen = codeUInt(c, pLen, 0, enc ? blk!.rawEnd - blk!.rawStart : 0);
    if (rawLen > N - pos) fail(`block of ${rawLen} bytes runs past the raw data at ${pos}`);
    const E = pos + rawLen;
    if (w) w.put(final | (type << 1), 3);
    if (type === 0) {
      if (rawLen > 65535) fail('stored block over 65535 bytes');
      const padCount = enc ? blk!.padCount : (8 - w!.cnt) & 7;
      const pad = codeTree(c, pPad, padCount * 128, padCount, enc ? blk!.padBits : 0);
      if (w) {
        w.put(pad, padCount);
        w.put(rawLen, 16);
        w.put(rawLen ^ 0xffff, 16);
        w.bytes(raw.subarray(pos, E));
      }
      pos = E;
    } else {
      let litLens: Uint8Array;
      let distLens: Uint8Array;
      if (type === 1) {
        litLens = FIXED_LIT;
        distLens = FIXED_DIST;
      } else {
        const hlit = codeTree(c, pHdr, 0, 5, enc ? blk!.hlit - 257 : 0) + 257;
        const hdist = codeTree(c, pHdr, 32, 5, enc ? blk!.hdist - 1 : 0) + 1;
        const hclen = codeTree(c, pHdr, 64, 4, enc ? blk!.hclen - 4 : 0) + 4;
        if (hlit > 286 && !enc) {
          // 286/287 are legal to transmit (lengths for unusable symbols); allowed
        }
        const clLens = enc ? blk!.clLens : new Uint8Array(19);
        for (let i = 0; i < hclen; i++) {
          const s = CL_ORDER[i]!;
          const v = codeTree(c, pHdr, 96 + i * 8, 3, enc ? clLens[s]! : 0);
          if (!enc) clLens[s] = v;
        }
        const clCodes = new Uint16Array(19);
        makeCodes(clLens, 19, clCodes);
        if (w) {
          w.put(hlit - 257, 5);
          w.put(hdist - 1, 5);
          w.put(hclen - 4, 4);
          for (let i = 0; i < hclen; i++) w.put(clLens[CL_ORDER[i]!]!, 3);
        }
        const total = hlit + hdist;
        const all = new Uint8Array(total);
        let i = 0;
        let k = 0;
        let prevSym = 19;
        while (i < total) {
          const s = codeTree(c, pRle, prevSym * 32, 5, enc ? blk!.rleSym[k]! : 0);
          if (s > 18 || clLens[s] === 0) fail('code-length symbol without a code');
          let x = 0;
          if (s < 16) {
            all[i++] = s;
          } else {
            const nb = s === 16 ? 2 : s === 17 ? 3 : 7;
            x = codeTree(c, pRleX, (s - 16) * 128, nb, enc ? blk!.rleExtra[k]! : 0);
            const rep = (s === 18 ? 11 : 3) + x;
            if (i + rep > total) fail('code-length repeat overflows');
            if (s === 16) {
              if (i === 0) fail('repeat with no previous length');
              all.fill(all[i - 1]!, i, i + rep);
            }
            i += rep;
          }
          if (w) {
            w.put(clCodes[s]!, clLens[s]!);
            if (s >= 16) w.put(x, s === 16 ? 2 : s === 17 ? 3 : 7);
          }
          prevSym = s;
          k++;
        }
        litLens = new Uint8Array(288);
        litLens.set(all.subarray(0, hlit));
        distLens = new Uint8Array(32);
        distLens.set(all.subarray(hlit));
        if (litLens[256] === 0) fail('no end-of-block code');
      }
      if (w) {
        makeCodes(litLens, 288, litCodes);
        makeCodes(distLens, 32, distCodes);
      }
      // literal-cost prefix sums and match costs under this block's own code: a cost-driven (optimal) parser decides
      // by these, so they make the best contexts for its decisions
      const pos0 = pos;
      const pre = new Int32Array(rawLen + 1);
      for (let i = 0; i < rawLen; i++) pre[i + 1] = pre[i]! + (litLens[raw[pos0 + i]!]! || 20);
      const mcost = (L: number, D: number): number => {
        const lc = LEN_CODE[L]!;
        const ll = litLens[257 + lc]!;
        const dc = distCode(D);
        const dl = distLens[dc]!;
        if (ll === 0 || dl === 0) return 100000;
        return ll + LEN_EXTRA[lc]! + dl + DIST_EXTRA[dc]!;
      };
      // tokens
      let t = enc ? blk!.tokStart : 0;
      const tEnd = enc ? blk!.tokEnd : 0;
      while (enc ? t < tEnd : pos < E) {
        const maxLen = Math.min(258, E - pos);
        let b0: number;
        let d0: number;
        if (cacheAt === pos) {
          b0 = cacheLen;
          d0 = cacheDist;
        } else {
          b0 = m.find(pos, maxLen);
          d0 = m.dist;
        }
        let b1 = 0;
        let d1 = 0;
        if (pos + 1 < E) {
          b1 = m.find(pos + 1, Math.min(258, E - pos - 1));
          d1 = m.dist;
          cacheAt = pos + 1;
          cacheLen = b1;
          cacheDist = d1;
        }
        const bk = lenBucket(b0);
        let gb = 0;
        let lz = 0;
        let m0 = 0;
        if (b0 >= 3) {
          const r0 = pos - pos0;
          m0 = mcost(b0, d0);
          const gain = pre[r0 + b0]! - pre[r0]! - m0;
          gb = m0 >= 100000 ? 1 : gain <= -3 ? 2 : gain <= 0 ? 3 : gain <= 3 ? 4 : gain <= 8 ? 5 : gain <= 16 ? 6 : 7;
          if (b1 >= 3) {
            const end = Math.max(r0 + b0, r0 + 1 + b1);
            const A = m0 + pre[end]! - pre[r0 + b0]!;
            const B = pre[r0 + 1]! - pre[r0]! + mcost(b1, d1) + pre[end]! - pre[r0 + 1 + b1]!;
            const adv = A - B;
            lz = adv <= -4 ? 1 : adv <= 0 ? 2 : adv <= 4 ? 3 : 4;
          }
        }
        const aLen = enc ? P.tokLen[t]! : 0;
        const isM = c.bit(pIsM, ((gb * 5 + lz) * NB + bk) * 2 + prevMatch, aLen > 0 ? 1 : 0);
        if (isM === 0) {
          if (w) {
            const lit = raw[pos]!;
            const l = litLens[lit]!;
            if (l === 0) fail(`literal ${lit} has no code at ${pos}`);
            w.put(litCodes[lit]!, l);
          }
          pos++;
          prevMatch = 0;
        } else {
          let L: number;
          let eq = 0;
          if (b0 >= 3) {
            const cs = b0 === 3 ? 0 : mcost(b0 - 1, d0) < m0 ? 1 : 2;
            eq = c.bit(pEq, (bk * 2 + prevMatch) * 3 + cs, aLen === b0 ? 1 : 0);
          }
          if (eq === 1) L = b0;
          else {
            let sh = 0;
            if (b0 >= 3) sh = c.bit(pShort, bk, aLen < b0 ? 1 : 0);
            const ctx = b0 < 3 ? 0 : sh ? 1 : 2;
            L = codeTree(c, pL, ctx * 256, 8, aLen - 3) + 3;
          }
          if (L > maxLen) fail(`match of ${L} bytes runs past the block end at ${pos}`);
          let odd = 0;
          if (L === 258) {
            odd = c.bit(pOdd, 0, enc && oddIdx < P.odd258.length && P.odd258[oddIdx] === t ? 1 : 0);
            if (enc && odd) oddIdx++;
          }
          // distance
          const aDist = enc ? P.tokVal[t]! : 0;
          let r = 15;
          if (enc) {
            const rr = m.rankOf(pos, L, aDist, 14, prm.walk);
            r = rr < 0 ? 15 : rr;
          }
          r = codeTree(c, pRank, (L === b0 ? 0 : 16), 4, r);
          let D: number;
          if (r < 15) {
            D = enc ? aDist : m.distOfRank(pos, L, r, prm.walk);
            if (D === 0) fail(`distance rank ${r} has no candidate at ${pos}`);
          } else {
            const dm = aDist - 1;
            const hi = codeTree(c, pDh, 0, 7, dm >>> 8);
            const lo = codeTree(c, pDl, 0, 8, dm & 255);
            D = ((hi << 8) | lo) + 1;
            if (D > pos || D > 32768) fail(`distance ${D} out of range at ${pos}`);
            if (!enc) for (let k = 0; k < L; k++) if (raw[pos + k] !== raw[pos - D + k]) fail(`match at ${pos} does not reproduce the raw bytes`);
          }
          if (w) {
            const lc = L === 258 && odd ? 27 : LEN_CODE[L]!;
            const sym = 257 + lc;
            const ll = litLens[sym]!;
            if (ll === 0) fail(`length symbol ${sym} has no code at ${pos}`);
            w.put(litCodes[sym]!, ll);
            const ne = LEN_EXTRA[lc]!;
            if (ne) w.put(L - LEN_BASE[lc]!, ne);
            const dc = distCode(D);
            const dl = distLens[dc]!;
            if (dl === 0) fail(`distance code ${dc} has no code at ${pos}`);
            w.put(distCodes[dc]!, dl);
            const de = DIST_EXTRA[dc]!;
            if (de) w.put(D - DIST_BASE[dc]!, de);
          }
          pos += L;
          prevMatch = 1;
        }
        t++;
        if (tick !== undefined && (t & 0xffff) === 0) tick();
      }
      if (pos !== E) fail(`block tokens end at ${pos}, not at ${E}`);
      if (w) w.put(litCodes[256]!, litLens[256]!);
    }
    if (final) break;
    if (enc && bi >= P.blocks.length) fail('internal: final flag mismatch');
  }
  if (pos !== N) fail(`the stream ends at raw byte ${pos}, not at ${N}`);
  endPadCount = enc ? P.endPadCount : (8 - w!.cnt) & 7;
  endPad = codeTree(c, pPad, endPadCount * 128, endPadCount, enc ? P.endPad : 0);
  if (w) w.put(endPad, endPadCount);
}
