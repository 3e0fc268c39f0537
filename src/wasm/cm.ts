// The context-mixing coder's WebAssembly module (assembly/cm/, embedded as base64 by scripts/build-cm-wasm.mjs),
// loaded once through src/wasm/loader.ts. Its memory grows to the models a call needs (reserve) and never shrinks.
import { CM_BASE64 } from './cm.generated.js';
import { MemoryView, SharedInstance, WasmModule } from './loader.js';

export interface CmExports {
  memory: WebAssembly.Memory;
  reserve(bits: number): number;
  bufPtr(): number;
  payPtr(): number;
  payCap(): number;
  encode(len: number, bits: number): number;
  decode(inLen: number, outLen: number, bits: number): number;
}

export interface Cm {
  readonly x: CmExports;
  readonly bufPtr: number;
  readonly payPtr: number;
  readonly payCap: number;
  mem(): Uint8Array;
}

const CM = new SharedInstance(new WasmModule('the context-mixing coder module', CM_BASE64), (instance) => {
  const x = instance.exports as unknown as CmExports;
  const view = new MemoryView(x.memory);
  return { x, bufPtr: x.bufPtr(), payPtr: x.payPtr(), payCap: x.payCap(), mem: () => view.bytes };
});

/** Loads the module asynchronously; later calls return the same promise. */
export function initCm(): Promise<void> {
  return CM.load().then(() => undefined);
}

/** The loaded module, loading it synchronously on first use. */
export function getCm(): Cm {
  return CM.get();
}
