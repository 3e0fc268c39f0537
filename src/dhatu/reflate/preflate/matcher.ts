// The deterministic match finder both sides of preflate run on the raw bytes. Four hash chains key every position by
// its next 3, 4, 6 and 8 bytes (windowed, 64 Ki-entry circular links), so a candidate sharing L ≥ k bytes is always on
// the chain for k: long matches deep in a chain of short ones (transparent pixels, zero runs) are found in a few
// steps. find() predicts the longest match (nearest among equals); rankOf()/distOfRank() number the candidates that
// match at least L bytes, nearest first. Encoder and decoder call the same functions in the same order.
const HASH_BITS = 16;
const WINDOW = 32768;
const PMASK = 0xffff;
/** bytes hashed by each chain */
export const CHAIN_LENS = [3, 4, 6, 8] as const;
const NCH = CHAIN_LENS.length;

export class Matcher {
  private readonly head: Int32Array[] = [];
  private readonly prev: Int32Array[] = [];
  private inserted = 0;
  /** results of the last find() */
  len = 0;
  dist = 0;

  constructor(private readonly raw: Uint8Array, private readonly chain: number) {
    for (let k = 0; k < NCH; k++) {
      this.head.push(new Int32Array(1 << HASH_BITS).fill(-1));
      this.prev.push(new Int32Array(PMASK + 1));
    }
  }

  private hash(k: number, i: number): number {
    const r = this.raw;
    const a = (r[i]! << 16) | (r[i + 1]! << 8) | r[i + 2]!;
    if (k === 0) return Math.imul(a, 0x9e3779b1) >>> (32 - HASH_BITS);
    const b = k === 1 ? r[i + 3]! : k === 2 ? (r[i + 3]! << 16) | (r[i + 4]! << 8) | r[i + 5]! : (r[i + 3]! << 24) | (r[i + 4]! << 16) | (r[i + 5]! << 8) | r[i + 6]!;
    const x = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + k, 0x85ebca6b) ^ (k === 3 ? Math.imul(r[i + 7]! + 1, 0xc2b2ae35) : 0);
    return Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> (32 - HASH_BITS);
  }

  /** inserts every position < pos */
  insertTo(pos: number): void {
    const n = this.raw.length;
    for (let i = this.inserted; i < pos; i++) {
      for (let k = 0; k < NCH; k++) {
        if (i + CHAIN_LENS[k]! > n) break;
        const h = this.hash(k, i);
        const head = this.head[k]!;
        this.prev[k]![i & PMASK] = head[h]!;
        head[h] = i;
      }
    }
    if (pos > this.inserted) this.inserted = pos;
  }

  /** longest match at pos (length ≤ maxLen, nearest among the longest found within the chain limits); 0 if none ≥ 3 */
  find(pos: number, maxLen: number): number {
    this.len = 0;
    this.dist = 0;
    const raw = this.raw;
    if (maxLen < 3 || pos + 3 > raw.length) return 0;
    this.insertTo(pos);
    const lim = pos - WINDOW;
    let bl = 2;
    let bd = 0;
    for (let k = NCH - 1; k >= 0; k--) {
      const kl = CHAIN_LENS[k]!;
      if (kl > maxLen) continue;
      const prev = this.prev[k]!;
      let c = this.head[k]![this.hash(k, pos)]!;
      let n = this.chain;
      while (c >= 0 && c >= lim && n-- > 0) {
        if (raw[c + bl] === raw[pos + bl] || bl >= maxLen) {
          let l = 0;
          while (l < maxLen && raw[c + l] === raw[pos + l]) l++;
          if (l > bl) {
            bl = l;
            bd = pos - c;
            if (l >= maxLen) break;
          }
        }
        c = prev[c & PMASK]!;
      }
      if (bl >= kl) break; // shorter chains only hold shorter candidates
    }
    if (bd === 0) return 0;
    this.len = bl;
    this.dist = bd;
    return bl;
  }

  private chainFor(len: number): number {
    let k = NCH - 1;
    while (CHAIN_LENS[k]! > len) k--;
    return k;
  }

  /** rank of distance d among candidates matching ≥ len bytes (nearest first), or -1 beyond maxRank/walk */
  rankOf(pos: number, len: number, d: number, maxRank: number, walk: number): number {
    if (pos + len > this.raw.length) return -1;
    this.insertTo(pos);
    const raw = this.raw;
    const k = this.chainFor(len);
    const prev = this.prev[k]!;
    const target = pos - d;
    let c = this.head[k]![this.hash(k, pos)]!;
    let r = 0;
    const lim = pos - WINDOW;
    while (c >= 0 && c >= lim && walk-- > 0) {
      if (c < target) return -1;
      if (raw[c + len - 1] === raw[pos + len - 1]) {
        let l = 0;
        while (l < len && raw[c + l] === raw[pos + l]) l++;
        if (l >= len) {
          if (c === target) return r;
          if (++r > maxRank) return -1;
        }
      }
      c = prev[c & PMASK]!;
    }
    return -1;
  }

  /** the distance of the candidate with the given rank (see rankOf), or 0 when there is none */
  distOfRank(pos: number, len: number, rank: number, walk: number): number {
    if (pos + len > this.raw.length) return 0;
    this.insertTo(pos);
    const raw = this.raw;
    const k = this.chainFor(len);
    const prev = this.prev[k]!;
    let c = this.head[k]![this.hash(k, pos)]!;
    let r = 0;
    const lim = pos - WINDOW;
    while (c >= 0 && c >= lim && walk-- > 0) {
      if (raw[c + len - 1] === raw[pos + len - 1]) {
        let l = 0;
        while (l < len && raw[c + l] === raw[pos + l]) l++;
        if (l >= len) {
          if (r === rank) return pos - c;
          r++;
        }
      }
      c = prev[c & PMASK]!;
    }
    return 0;
  }
}
