// preflate for panini-fs: lets a deflate stream made by ANY encoder be stored as its raw (inflated) bytes plus a
// small correction stream. The deflate is re-derived from the raw bytes by a deterministic model (hash-chain match
// finder, src/dhatu/reflate/preflate/matcher.ts); the corrections say, decision by decision, where the original
// encoder chose differently (literal vs match, length, distance rank, block boundaries and types, dynamic Huffman
// headers, padding bits), coded with an adaptive binary range coder. See docs/PREFLATE.md.
import { PaniniError } from '../../errors.js';
import { parseDeflate } from './preflate/inflate.js';
import { BitWriter, runModel, type ModelParams } from './preflate/model.js';
import { RcDecoder, RcEncoder } from './preflate/rc.js';

export { parseDeflate } from './preflate/inflate.js';

const MAGIC = 0x50; // 'P'
const VERSION = 1;
const HEADER = 6;
/** decoder-side bounds on the stored model parameters (they bound reconstruction time) */
const MAX_CHAIN = 1024;
const MAX_WALK = 8192;

export const PREFLATE_DEFAULTS: Readonly<ModelParams> = { chain: 128, walk: 4096 };

export interface AnalyzeOptions {
  /** give up (return null) after about this many milliseconds */
  budgetMs?: number;
  /** return null when the corrections exceed this fraction of the deflate stream's size (default 0.5) */
  maxFraction?: number;
  /** model parameters (stored in the corrections; the defaults suit most encoders) */
  chain?: number;
  walk?: number;
}

class BudgetExceeded extends Error {}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : 0);

/**
 * Computes the corrections that rebuild `deflate` (a raw RFC 1951 stream, no zlib/gzip wrapper) from `raw`, its
 * inflated bytes. Returns null when `deflate` is not a valid stream that inflates to exactly `raw` and ends at its
 * last byte, when the corrections are larger than opts.maxFraction of the stream, or when opts.budgetMs runs out.
 * The result is verified: reconstructForeign(raw, result, deflate.length) returns `deflate` bit for bit.
 */
export function analyzeForeign(deflate: Uint8Array, raw: Uint8Array, opts: AnalyzeOptions = {}): Uint8Array | null {
  const t0 = now();
  const budget = opts.budgetMs ?? Infinity;
  const maxFraction = opts.maxFraction ?? 0.5;
  const prm: ModelParams = { chain: opts.chain ?? PREFLATE_DEFAULTS.chain, walk: opts.walk ?? PREFLATE_DEFAULTS.walk };
  if (!(prm.chain >= 1 && prm.chain <= MAX_CHAIN && prm.walk >= 1 && prm.walk <= MAX_WALK)) {
    throw new PaniniError('OPTION', `preflate chain must be 1–${MAX_CHAIN} and walk 1–${MAX_WALK}`, { option: 'chain' });
  }
  let P;
  try {
    P = parseDeflate(deflate, raw.length);
  } catch (e) {
    if (e instanceof PaniniError) return null;
    throw e;
  }
  if (P.streamBytes !== deflate.length || P.raw.length !== raw.length) return null;
  for (let i = 0; i < raw.length; i++) if (P.raw[i] !== raw[i]) return null;
  const tick = (): void => {
    if (now() - t0 > budget) throw new BudgetExceeded();
  };
  const enc = new RcEncoder();
  try {
    runModel(enc, raw, prm, P, null, tick);
  } catch (e) {
    if (e instanceof BudgetExceeded) return null;
    throw e;
  }
  const body = enc.finish();
  const out = new Uint8Array(HEADER + body.length);
  out[0] = MAGIC;
  out[1] = VERSION;
  out[2] = prm.chain & 0xff;
  out[3] = prm.chain >>> 8;
  out[4] = prm.walk & 0xff;
  out[5] = prm.walk >>> 8;
  out.set(body, HEADER);
  if (out.length > maxFraction * deflate.length + 16) return null;
  if (now() - t0 > budget) return null;
  const back = reconstructForeign(raw, out, deflate.length);
  if (back.length !== deflate.length) throw new PaniniError('FORMAT', 'preflate: internal round-trip failure (length)');
  for (let i = 0; i < back.length; i++) {
    if (back[i] !== deflate[i]) throw new PaniniError('FORMAT', `preflate: internal round-trip failure at byte ${i}`);
  }
  return out;
}

/**
 * Rebuilds the exact deflate stream from its raw bytes and the corrections made by analyzeForeign. The corrections
 * are untrusted: anything inconsistent (or a result other than `expectedLength` bytes) throws PaniniError FORMAT.
 * Memory is bounded by raw.length and expectedLength; time by the tokens the stream can hold.
 */
export function reconstructForeign(raw: Uint8Array, corrections: Uint8Array, expectedLength: number): Uint8Array {
  if (!Number.isInteger(expectedLength) || expectedLength < 1) {
    throw new PaniniError('FORMAT', `preflate: expected deflate length ${String(expectedLength)} is invalid`);
  }
  if (corrections.length < HEADER + 1 || corrections[0] !== MAGIC) throw new PaniniError('FORMAT', 'preflate: corrections have no preflate header');
  if (corrections[1] !== VERSION) throw new PaniniError('FORMAT', `preflate: unknown corrections version ${corrections[1]}`);
  const chain = corrections[2]! | (corrections[3]! << 8);
  const walk = corrections[4]! | (corrections[5]! << 8);
  if (chain < 1 || chain > MAX_CHAIN || walk < 1 || walk > MAX_WALK) throw new PaniniError('FORMAT', `preflate: model parameters out of range (chain ${chain}, walk ${walk})`);
  const dec = new RcDecoder(corrections, HEADER);
  const w = new BitWriter(expectedLength);
  runModel(dec, raw, { chain, walk }, null, w);
  if (w.cnt !== 0 || w.n !== expectedLength) {
    throw new PaniniError('FORMAT', `preflate: rebuilt ${w.n} bytes, expected ${expectedLength}`);
  }
  if (dec.overrun > 4) throw new PaniniError('FORMAT', 'preflate: corrections are truncated');
  return w.buf.slice(0, w.n);
}
