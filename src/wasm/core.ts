// The WebAssembly core (assembly/index.ts), loaded once through src/wasm/loader.ts. Both builds are embedded (base64,
// see scripts/build-wasm.mjs); the SIMD one is used where WebAssembly.validate accepts it. Memory is grown once in
// init() and never again, so the views made here stay valid for the life of the instance.
import { PaniniError } from '../errors.js';
import { CORE_SCALAR_BASE64, CORE_SIMD_BASE64 } from './core.generated.js';
import { SharedInstance, WasmModule } from './loader.js';

export interface CoreExports {
  memory: WebAssembly.Memory;
  init(): number;
  windowPtr(): number;
  windowSize(): number;
  cutsPtr(): number;
  cutsCapacity(): number;
  shaCtxPtr(): number;
  cdcCtxPtr(): number;
  digestPtr(): number;
  crc32Update(crc: number, ptr: number, len: number): number;
  sha256Init(): void;
  sha256Update(ptr: number, len: number): void;
  sha256Final(out: number): void;
  cdcReset(): void;
  cdcScan(ptr: number, len: number, minSize: bigint, avgSize: bigint, maxSize: bigint, bits: number): number;
}

export interface Core {
  readonly x: CoreExports;
  readonly simd: boolean;
  /** view of the whole memory (stable: memory does not grow after init) */
  readonly mem: Uint8Array;
  readonly window: number;
  readonly windowSize: number;
  readonly cuts: Uint32Array;
  readonly shaCtx: number;
  readonly cdcCtx: number;
  readonly digest: number;
}

const CORE = new SharedInstance(new WasmModule('the WebAssembly core', CORE_SCALAR_BASE64, CORE_SIMD_BASE64), setUp);

function setUp(instance: WebAssembly.Instance, simd: boolean): Core {
  const x = instance.exports as unknown as CoreExports;
  if (x.init() !== 0) throw new PaniniError('WASM', 'the WebAssembly core could not reserve its memory');
  const buf = x.memory.buffer;
  return {
    x,
    simd,
    mem: new Uint8Array(buf),
    window: x.windowPtr(),
    windowSize: x.windowSize(),
    cuts: new Uint32Array(buf, x.cutsPtr(), x.cutsCapacity()),
    shaCtx: x.shaCtxPtr(),
    cdcCtx: x.cdcCtxPtr(),
    digest: x.digestPtr(),
  };
}

/**
 * Loads the WebAssembly core (once; later calls return the same promise). Needed before the synchronous calls
 * (sha256, crc32, chunk, createSha256, createChunker). `variant` forces a build, for tests and benchmarks.
 */
export function init(options?: { variant?: 'simd' | 'scalar' }): Promise<void> {
  return CORE.load(options?.variant).then(() => undefined);
}

/** Synchronous initialization, for contexts where await is not possible (CommonJS scripts, workers). */
export function initSync(): void {
  CORE.get();
}

export function getCore(): Core {
  const core = CORE.peek();
  if (!core) throw new PaniniError('STATE', 'the WebAssembly core is not loaded: call `await init()` first');
  return core;
}

export function coreInfo(): { loaded: boolean; simd: boolean } {
  const core = CORE.peek();
  return { loaded: core !== undefined, simd: core?.simd ?? false };
}
