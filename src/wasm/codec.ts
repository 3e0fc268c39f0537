// The plz codec's WebAssembly module (assembly/codec/, embedded as base64 by scripts/build-codec-wasm.mjs), loaded once
// through src/wasm/loader.ts.
// Separate from the core (src/wasm/core.ts): its own instance and memory. The memory is grown at most twice for the
// life of the instance — to the decoder's static map on load, to the encoder's on the first encode — so the views
// are re-made only then (`mem()` checks the buffer).
import { CODEC_BASE64 } from './codec.generated.js';
import { type BlockCodec, blockCodec, type BlockCodecExports, SharedInstance, WasmModule } from './loader.js';

export interface CodecExports extends BlockCodecExports {
  maxBlock(): number;
  encode(len: number, level: number): number;
  decode(inLen: number, outLen: number): number;
  /** the x86 filter on the first `len` bytes of IN, in place (1 = forward, 0 = inverse): for tests and tools */
  x86(len: number, encoding: number): void;
}

export interface Codec extends BlockCodec<CodecExports> {
  /** largest block (original bytes) one call codes: 16 MiB */
  readonly maxBlock: number;
}

const CODEC = new SharedInstance(new WasmModule('the codec module', CODEC_BASE64), setUp);

function setUp(instance: WebAssembly.Instance): Codec {
  const c = blockCodec<CodecExports>(instance, 'the codec module');
  return { ...c, maxBlock: c.x.maxBlock() };
}

/** Loads the codec module (once; later calls return the same promise). */
export function initCodec(): Promise<void> {
  return CODEC.load().then(() => undefined);
}

/**
 * Synchronous load, for Node, workers and CommonJS. (Browsers may refuse to compile a module of this size
 * synchronously on the main thread: await initCodec() there.)
 */
export function initCodecSync(): void {
  CODEC.get();
}

/** The loaded codec module, loading it synchronously on first use. */
export function getCodec(): Codec {
  return CODEC.get();
}
