// The COMM long-range matcher (src/dhatu/comm.ts, docs/DHATU-COMM.md): finds long repeats of a record in the
// history of earlier output and earlier in the record itself, rzip / zstd --long style. Own module and own memory
// map, separate from the core and the plz codec. One instance serves one matcher (one history).
//
// Memory map (fixed by init(), from offset BASE):
//   GEAR  256 × u32   the rolling hash's byte table (fixed pseudo-random values, made by init())
//   TABLE buckets × WAYS × u32   sampled window starts (absolute output offset mod 2^32), newest first
//   OPS   opsCap × 3 × u32       the copies found by the last process() call: (literals before, length, distance)
//   BUF   window + 64 MiB bytes  history (at least the newest `window` bytes) followed by the record being matched
// BUF ends the map; the memory is grown only as far as BUF is used, so an instance holds at most
// TABLE + OPS + window + largest record + slack bytes, whatever the stream length.
//
// Matching (process): a gear hash over hw bytes (h = (h << 32/hw) + GEAR[byte]: the bytes older than hw have
// shifted out of the u32) rolls over every byte. A window start is *sampled* when the
// hash's top `sampleBits` bits are zero (content-defined, so two copies of the same text sample the same places).
// Sampled starts are looked up (WAYS candidates) and then inserted. A candidate is verified by comparing bytes,
// extended forwards (8 bytes at a time) and backwards (down to the end of the previous copy); the longest wins if it
// reaches minMatch. Besides, at every uncovered byte the distance of the previous copy is tried (one 8-byte compare):
// versions of a file drift by small edits, after which the same distance resumes; such repeat copies need only
// repMin bytes. Copies may overlap their source (distance < length). All arithmetic is integer: deterministic.

// @ts-ignore: decorator
@inline const ALIGN: usize = 65536;
// @ts-ignore: decorator
@inline const WAYS: u32 = 4;
// @ts-ignore: decorator
// @ts-ignore: decorator
@inline const MIX: u32 = 0x9e3779b1; // bucket index: (h · MIX) >> (32 − tableBits)
// @ts-ignore: decorator
@inline const SLACK: usize = 64;

const BASE: usize = (__heap_base + ALIGN - 1) & ~(ALIGN - 1);
const GEAR: usize = BASE;
const TABLE: usize = BASE + 1024 + 64;

let hw: u32 = 32;
let gshift: u32 = 1; // 32 / hw
let sampleShift: u32 = 29;
let tableBits: u32 = 12;
let opsPtr: usize = 0;
let opsCap: u32 = 0;
let bufPtr: usize = 0;
let bufCap: usize = 0;
let bufUsed: usize = 0;
let window: u32 = 0;
let abs0: u32 = 0; // absolute output offset of BUF[0], mod 2^32
let consumed: u32 = 0;
let covered: u32 = 0;

function ensureMemory(end: usize): bool {
  const needPages = <i32>((end + ALIGN - 1) / ALIGN);
  const have = memory.size();
  if (have < needPages) return memory.grow(needPages - have) >= 0;
  return true;
}

/**
 * Lays out the memory for a matcher: `win` bytes of history, hash windows of `hashWin` bytes, 1 in 2^`sBits`
 * window starts sampled, 2^`tBits` buckets of WAYS entries, room for `nOps` copies per call and `maxRecord` bytes
 * per record. Returns 0, or 1 when the memory cannot grow.
 */
export function init(win: u32, hashWin: u32, sBits: u32, tBits: u32, nOps: u32, maxRecord: u32): i32 {
  if ((hashWin != 8 && hashWin != 16 && hashWin != 32) || sBits > 16 || tBits < 4 || tBits > 26) return 2;
  window = win;
  hw = hashWin;
  gshift = 32 / hashWin;
  sampleShift = 32 - sBits;
  tableBits = tBits;
  opsCap = nOps;
  opsPtr = (TABLE + ((<usize>WAYS << tBits) << 2) + 63) & ~<usize>63;
  bufPtr = (opsPtr + <usize>nOps * 12 + 63) & ~<usize>63;
  bufCap = <usize>win + <usize>maxRecord;
  bufUsed = 0;
  abs0 = 0;
  if (!ensureMemory(bufPtr + SLACK)) return 1;
  // GEAR[v]: mulberry32 from a fixed seed (part of the encoder's determinism, not of the format)
  let a: u32 = 0x243f6a88;
  for (let v: u32 = 0; v < 256; v++) {
    a += 0x6d2b79f5;
    let t = a;
    t = (t ^ (t >>> 15)) * (t | 1);
    t ^= t + (t ^ (t >>> 7)) * (t | 61);
    store<u32>(GEAR + (<usize>v << 2), t ^ (t >>> 14));
  }
  return 0;
}

/** Forgets the history; the next record starts at absolute output offset `start` (mod 2^32). */
export function reset(start: u32): void {
  memory.fill(TABLE, 0, (<usize>WAYS << tableBits) << 2);
  bufUsed = 0;
  abs0 = start;
}

/**
 * Makes room for a record of `len` bytes after the history (dropping history older than the window when BUF is
 * full) and returns the address where the host writes it, or 0 when the memory cannot grow.
 */
export function prepare(len: u32): usize {
  if (bufUsed + <usize>len > bufCap) {
    const keep: usize = bufUsed < <usize>window ? bufUsed : <usize>window;
    const drop = bufUsed - keep;
    memory.copy(bufPtr, bufPtr + drop, keep);
    bufUsed = keep;
    abs0 += <u32>drop;
  }
  if (!ensureMemory(bufPtr + bufUsed + <usize>len + SLACK)) return 0;
  memory.fill(bufPtr + bufUsed + <usize>len, 0, SLACK);
  return bufPtr + bufUsed;
}

export function opsAddress(): usize { return opsPtr; }
/** bytes of the record the last process() call took into the history (less than its length when cut) */
export function consumedLength(): u32 { return consumed; }
/** bytes of the record the last process() call covered by copies */
export function coveredLength(): u32 { return covered; }
/** bytes of wasm memory in use (grown) */
export function memoryBytes(): usize { return <usize>memory.size() * ALIGN; }

// @ts-ignore: decorator
@inline function hashAt(p: usize): u32 {
  let h: u32 = 0;
  for (let i: u32 = 0; i < hw; i++) h = (h << gshift) + load<u32>(GEAR + (<usize>load<u8>(p + i) << 2));
  return h;
}

/** End of the run where [p, …) equals [s, …) (s < p), not past `end`. */
// @ts-ignore: decorator
@inline function extendForward(p: usize, s: usize, end: usize): usize {
  while (p + 8 <= end) {
    const x = load<u64>(p) ^ load<u64>(s);
    if (x != 0) return p + <usize>(ctz<u64>(x) >> 3);
    p += 8;
    s += 8;
  }
  while (p < end && load<u8>(p) == load<u8>(s)) {
    p++;
    s++;
  }
  return p;
}

/** Start of the run ending at p that equals the one ending at s, not before `limit` (target) or BUF (source). */
// @ts-ignore: decorator
@inline function extendBackward(p: usize, s: usize, limit: usize): usize {
  while (p > limit && s > bufPtr && load<u8>(p - 1) == load<u8>(s - 1)) {
    p--;
    s--;
  }
  return p;
}

/**
 * Matches (doMatch ≠ 0) or only indexes (doMatch = 0) the `len`-byte record written at prepare()'s address, then
 * takes it into the history. Copies need `minMatch` bytes (`repMin` for the previous copy's distance) and a distance
 * ≥ `minDist` (nearer repeats are left to the coder). Stops before
 * the literal residue would exceed `maxLit` bytes (the record is then cut: consumedLength() < len). Returns the
 * number of copies written to OPS, or −1 when OPS is too small (never with opsCap ≥ len / min(minMatch, repMin) + 1).
 */
export function process(len: u32, minMatch: u32, repMin: u32, maxLit: u32, doMatch: u32, minDist: u32): i32 {
  const B = bufPtr;
  const rs: usize = B + bufUsed;
  const re: usize = rs + <usize>len;
  const hwz = <usize>hw;
  const gs = gshift;
  const sh = sampleShift;
  const tShift = 32 - tableBits;
  const absB: u32 = abs0 - <u32>B; // abs(p) = absB + p (mod 2^32)
  const win = <usize>window;
  const cap = opsCap;
  let p: usize = rs - B >= hwz - 1 ? rs - (hwz - 1) : B;
  let h: u32 = p + hwz <= re ? hashAt(p) : 0;
  let cursor: usize = rs;
  let lastDist: usize = 0;
  let litTotal: usize = 0;
  let repSkip: usize = 0;
  let nOps: u32 = 0;
  let cov: usize = 0;
  let end: usize = re;
  const match = doMatch != 0;
  for (; p < re; p++) {
    const hasWin = p + hwz <= re;
    const sampled = hasWin && (h >>> sh) == 0;
    if (match && p >= cursor) {
      let ms: usize = 0;
      let me: usize = 0;
      let md: usize = 0;
      // the previous copy's distance
      if (lastDist != 0 && p >= repSkip && p + 8 <= re) {
        const s = p - lastDist;
        if (load<u64>(p) == load<u64>(s)) {
          const f = extendForward(p + 8, s + 8, re);
          const b = extendBackward(p, s, cursor);
          if (f - b >= <usize>repMin) {
            ms = b;
            me = f;
            md = lastDist;
          } else {
            repSkip = f;
          }
        }
      }
      // the sampled candidates
      if (me == 0 && sampled) {
        const bucket = TABLE + (<usize>((h * MIX) >>> tShift) << 4);
        for (let w: u32 = 0; w < WAYS; w++) {
          const c = <usize>(load<u32>(bucket + (<usize>w << 2)) - absB);
          if (c < B || c >= p || p - c > win || p - c < <usize>minDist) continue;
          if (load<u64>(c) != load<u64>(p)) continue;
          const f = extendForward(p + 8, c + 8, re);
          const b = extendBackward(p, c, cursor);
          if (f - b > me - ms) {
            ms = b;
            me = f;
            md = p - c;
          }
        }
        if (me - ms < <usize>minMatch) me = 0;
      }
      if (me != 0) {
        if (nOps >= cap) return -1;
        const o = opsPtr + <usize>nOps * 12;
        store<u32>(o, <u32>(ms - cursor));
        store<u32>(o, <u32>(me - ms), 4);
        store<u32>(o, <u32>md, 8);
        nOps++;
        litTotal += ms - cursor;
        cov += me - ms;
        cursor = me;
        lastDist = md;
      } else if (litTotal + (p - cursor) >= <usize>maxLit) {
        end = p; // byte p would be one literal too many: cut the record here
        break;
      }
    }
    if (hasWin) {
      if (sampled) {
        const bucket = TABLE + (<usize>((h * MIX) >>> tShift) << 4);
        const a: u32 = absB + <u32>p;
        const e0 = load<u32>(bucket);
        if (e0 != a) {
          store<u32>(bucket, a);
          const e1 = load<u32>(bucket, 4);
          store<u32>(bucket, e0, 4);
          const e2 = load<u32>(bucket, 8);
          store<u32>(bucket, e1, 8);
          store<u32>(bucket, e2, 12);
        }
      }
      if (p + hwz < re) h = (h << gs) + load<u32>(GEAR + (<usize>load<u8>(p + hwz) << 2));
    }
  }
  consumed = <u32>(end - rs);
  covered = <u32>cov;
  bufUsed = end - B;
  return <i32>nOps;
}
