// The pfz codec's WebAssembly module (assembly/fast/, embedded as base64 by scripts/build-fast-wasm.mjs), loaded once
// through src/wasm/loader.ts: the SIMD build where the engine validates it, else the scalar one.
import { PaniniError } from '../errors.js';
import { FAST_BASE64, FAST_SIMD_BASE64 } from './fast.generated.js';
import { MemoryView, SharedInstance, WasmModule } from './loader.js';

export interface FastExports {
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

export interface Fast {
  readonly x: FastExports;
  readonly inPtr: number;
  readonly outPtr: number;
  readonly simd: boolean;
  /** a view of the whole memory, re-made after the memory grew */
  mem(): Uint8Array;
  /** reserves the encoder's tables (once); throws PaniniError WASM if the memory cannot grow */
  ensureEncoder(): void;
}

const FAST = new SharedInstance(new WasmModule('the fast codec module', FAST_BASE64, FAST_SIMD_BASE64), setUp);

function setUp(instance: WebAssembly.Instance, simd: boolean): Fast {
  const x = instance.exports as unknown as FastExports;
  if (x.initDecoder() !== 0) throw new PaniniError('WASM', 'the fast codec module could not reserve its memory');
  const view = new MemoryView(x.memory);
  let encoderReady = false;
  return {
    x,
    inPtr: x.inPtr(),
    outPtr: x.outPtr(),
    simd,
    mem: () => view.bytes,
    ensureEncoder() {
      if (encoderReady) return;
      if (x.initEncoder() !== 0) throw new PaniniError('WASM', 'the fast codec module could not reserve the encoder memory');
      encoderReady = true;
    },
  };
}

/** Loads the module asynchronously (browsers' main thread needs this); later calls return the same promise. */
export function initFast(): Promise<void> {
  return FAST.load().then(() => undefined);
}

/** The loaded module, loading it synchronously on first use. */
export function getFast(): Fast {
  return FAST.get();
}
