// Deterministic pseudo-random bytes, shared verbatim by the Node tests and the browser page (served as a module),
// so both sides build the same input. mulberry32 (Tommy Ettinger): 32-bit state, one u32 per step, little-endian.
// Plain JavaScript on purpose: it must run unchanged in Chromium.

/** A function returning the next u32 of the mulberry32 sequence for `seed`. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** `n` bytes from mulberry32(seed). */
export function prngBytes(seed, n) {
  const next = mulberry32(seed);
  const out = new Uint8Array(n);
  const whole = n & ~3;
  const view = new DataView(out.buffer);
  for (let i = 0; i < whole; i += 4) view.setUint32(i, next(), true);
  if (whole < n) {
    const last = next();
    for (let i = whole; i < n; i++) out[i] = (last >>> (8 * (i - whole))) & 0xff;
  }
  return out;
}
