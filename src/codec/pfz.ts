// pfz: the panini-fs fast codec (assembly/fast/, docs/CODEC.md "fast codec"): LZ77 with a 16 MiB window, three
// repeat offsets and canonical Huffman coding (table-driven, four interleaved literal streams), built to decode
// fast. One call codes one block of at most 16 MiB; the payload carries no length, the caller keeps it.
import { PaniniError } from '../errors.js';
import { decodeBase64 } from '../wasm/base64.js';
import { FAST_BASE64, FAST_SIMD_BASE64 } from '../wasm/fast.generated.js';

/** Largest block one call codes (original bytes). */
export const FAST_MAX_BLOCK = 1 << 24;
export const FAST_MIN_LEVEL = 1;
export const FAST_MAX_LEVEL = 9;
/** The default level: the one that compresses at ≥ 10 MB/s on the corpus (docs/CODEC.md). */
export const FAST_DEFAULT_LEVEL = 2;

interface FastExports {
  memory: WebAssembly.Memory;
  initDecoder(): number;
  initEncoder(): number;
  inPtr(): number;
  outPtr(): number;
  encode(len: number, level: number): number;
  decode(inLen: number, outLen: number): number;
  litPtr(): number;
  tablesPtr(): number;
  tokenExpand(tLen: number, dLen: number, nS: number, nP: number, sep: number, max: number): number;
}

interface Fast {
  x: FastExports;
  inPtr: number;
  outPtr: number;
  encoderReady: boolean;
  view: Uint8Array;
  simd: boolean;
}

let fast: Fast | undefined;

const DECODE_ERRORS: Record<number, string> = {
  [-1]: 'bad header (mode byte, or a Huffman table)',
  [-2]: 'corrupt data (a length, table, distance or bit stream out of range)',
  [-3]: 'truncated (a field or stream runs past the payload)',
  [-4]: 'raw payload of the wrong length',
  [-5]: 'sizes out of range',
  [-6]: 'bytes left after the last sub-block (wrong length or trailing garbage)',
};

/** The module's bytes: the SIMD build where the engine validates it, else the scalar one. */
function moduleBytes(): { bytes: ReturnType<typeof decodeBase64>; simd: boolean } {
  const simd = decodeBase64(FAST_SIMD_BASE64);
  if (WebAssembly.validate(simd)) return { bytes: simd, simd: true };
  return { bytes: decodeBase64(FAST_BASE64), simd: false };
}

function setUp(instance: WebAssembly.Instance, simd: boolean): Fast {
  const x = instance.exports as unknown as FastExports;
  if (x.initDecoder() !== 0) throw new PaniniError('WASM', 'the fast codec module could not reserve its memory');
  return { x, inPtr: x.inPtr(), outPtr: x.outPtr(), encoderReady: false, view: new Uint8Array(x.memory.buffer), simd };
}

const wasmError = (e: unknown): PaniniError =>
  e instanceof PaniniError ? e : new PaniniError('WASM', `cannot instantiate the fast codec module: ${String(e)}`, undefined, { cause: e });

let loading: Promise<void> | undefined;
/** Loads the module asynchronously (browsers' main thread needs this); later calls return the same promise. */
export function initFast(): Promise<void> {
  if (!loading) {
    const { bytes, simd } = moduleBytes();
    loading = WebAssembly.instantiate(bytes, {}).then(
      (r: WebAssembly.WebAssemblyInstantiatedSource) => {
        fast ??= setUp(r.instance, simd);
      },
      (e) => {
        loading = undefined;
        throw wasmError(e);
      },
    );
  }
  return loading;
}

function getFast(): Fast {
  if (!fast) {
    try {
      const { bytes, simd } = moduleBytes();
      fast = setUp(new WebAssembly.Instance(new WebAssembly.Module(bytes), {}), simd);
    } catch (e) {
      throw wasmError(e);
    }
    loading = Promise.resolve();
  }
  return fast;
}

function mem(f: Fast): Uint8Array {
  if (f.view.buffer !== f.x.memory.buffer) f.view = new Uint8Array(f.x.memory.buffer);
  return f.view;
}

/** Whether the loaded module is the SIMD build (loads it). */
export function fastUsesSimd(): boolean {
  return getFast().simd;
}

/**
 * Compresses `data` (at most 16 MiB) at `level` 1–9 (default 2): 1–4 lazy matching over hash chains (deeper per
 * level), 5–9 optimal parsing. The result is at most data.length + 1 bytes (incompressible data is stored raw).
 * Deterministic: same bytes and level → same payload, on every platform.
 */
export function encode(data: Uint8Array, level: number = FAST_DEFAULT_LEVEL): Uint8Array {
  if (!Number.isInteger(level) || level < FAST_MIN_LEVEL || level > FAST_MAX_LEVEL) {
    throw new PaniniError('OPTION', `fast codec level must be an integer from ${FAST_MIN_LEVEL} to ${FAST_MAX_LEVEL}, got ${String(level)}`, { option: 'level' });
  }
  if (data.length > FAST_MAX_BLOCK) {
    throw new PaniniError('LIMIT', `the fast codec codes blocks of at most ${FAST_MAX_BLOCK} bytes, got ${data.length}`);
  }
  const f = getFast();
  if (!f.encoderReady) {
    if (f.x.initEncoder() !== 0) throw new PaniniError('WASM', 'the fast codec module could not reserve the encoder memory');
    f.encoderReady = true;
  }
  mem(f).set(data, f.inPtr);
  const len = f.x.encode(data.length, level);
  if (len < 0) throw new PaniniError('WASM', `fast codec encoder failed (${len})`);
  return mem(f).slice(f.outPtr, f.outPtr + len);
}

/**
 * Decompresses a payload made by encode() into exactly `originalLength` bytes. Throws PaniniError FORMAT when the
 * payload is not valid for that length (corrupt, truncated, too long). Never reads or writes outside its buffers
 * and always ends: the work is bounded by originalLength and the payload's length.
 */
export function decode(payload: Uint8Array, originalLength: number): Uint8Array {
  if (!Number.isInteger(originalLength) || originalLength < 0 || originalLength > FAST_MAX_BLOCK) {
    throw new PaniniError('FORMAT', `fast codec payload declares ${String(originalLength)} bytes, outside 0–${FAST_MAX_BLOCK}`);
  }
  if (payload.length > originalLength + 1) {
    throw new PaniniError('FORMAT', `fast codec payload of ${payload.length} bytes is longer than its ${originalLength} bytes + 1`);
  }
  const f = getFast();
  mem(f).set(payload, f.inPtr);
  const r = f.x.decode(payload.length, originalLength);
  if (r !== originalLength) {
    throw new PaniniError('FORMAT', `fast codec payload is invalid: ${DECODE_ERRORS[r] ?? `error ${r}`}`);
  }
  return mem(f).slice(f.outPtr, f.outPtr + originalLength);
}

/**
 * The TOKEN "words" inverse's expansion loop in wasm (assembly/fast/token.ts): `text` through `dict` (words each
 * ended by `sep`), with `role` (256 entries: −1 literal, j ≥ 0 the single-byte code of word j, −2 − p prefix p).
 * Returns the output, or undefined when the input is invalid or outside the module's limits (16 MiB in, 16 MiB out): the
 * caller's own loop then gives the error with its message, or handles the large case.
 */
export function tokenExpand(text: Uint8Array, dict: Uint8Array, role: Int32Array, nS: number, nP: number, sep: number, max: number): Uint8Array | undefined {
  if (text.length > FAST_MAX_BLOCK || dict.length > FAST_MAX_BLOCK || role.length !== 256) return undefined;
  const f = getFast();
  const m = mem(f);
  m.set(text, f.inPtr);
  m.set(dict, f.x.litPtr());
  new Int32Array(f.x.memory.buffer, f.x.tablesPtr(), 256).set(role);
  // an output over 16 MiB (allowed up to `max`) also declines: the caller's loop expands it
  const n = f.x.tokenExpand(text.length, dict.length, nS, nP, sep, Math.min(max, FAST_MAX_BLOCK));
  return n < 0 ? undefined : mem(f).slice(f.outPtr, f.outPtr + n);
}
