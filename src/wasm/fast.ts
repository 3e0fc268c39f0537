// The pfz codec's WebAssembly module (assembly/fast/, embedded as base64 by scripts/build-fast-wasm.mjs), loaded once
// through src/wasm/loader.ts: the SIMD build where the engine validates it, else the scalar one.
import { FAST_BASE64, FAST_SIMD_BASE64 } from './fast.generated.js';
import { type BlockCodec, blockCodec, type BlockCodecExports, SharedInstance, WasmModule } from './loader.js';

export interface FastExports extends BlockCodecExports {
  encode(len: number, level: number): number;
  decode(inLen: number, outLen: number): number;
  litPtr(): number;
  tablesPtr(): number;
  tokenExpand(tLen: number, dLen: number, nS: number, nP: number, sep: number, max: number): number;
}

export interface Fast extends BlockCodec<FastExports> {
  readonly simd: boolean;
}

const FAST = new SharedInstance(new WasmModule('the fast codec module', FAST_BASE64, FAST_SIMD_BASE64), setUp);

function setUp(instance: WebAssembly.Instance, simd: boolean): Fast {
  return { ...blockCodec<FastExports>(instance, 'the fast codec module'), simd };
}

/** Loads the module asynchronously (browsers' main thread needs this); later calls return the same promise. */
export function initFast(): Promise<void> {
  return FAST.load().then(() => undefined);
}

/** The loaded module, loading it synchronously on first use. */
export function getFast(): Fast {
  return FAST.get();
}
