// Builds the fast codec WebAssembly module (assembly/fast/, "pfz": LZ77 + Huffman) and embeds it in the sources:
//   1. compiles assembly/fast/index.ts with asc into build/fast.wasm (scalar) and build/fast-simd.wasm (SIMD enabled;
//      the sources have no v128 code yet, so today both builds are the same bytes)
//   2. writes src/wasm/fast.generated.ts with both modules as base64 (not committed); src/codec/pfz.ts picks the
//      SIMD one when WebAssembly.validate() accepts it
// Separate from plz (scripts/build-codec-wasm.mjs) so that each module keeps its own static memory map.
import { buildModule, writeEmbedded } from './lib/asc-module.mjs';

// the encoder's static map ends below 256 MiB (assembly/fast/layout.ts)
const opts = { dir: 'fast', maximumMemory: 4096, name: 'fast codec' };
const scalar = await buildModule({ ...opts, outFile: 'build/fast.wasm' });
const simd = await buildModule({ ...opts, outFile: 'build/fast-simd.wasm', simd: true });
writeEmbedded('wasm/fast.generated.ts', 'scripts/build-fast-wasm.mjs', 'fast', { FAST: scalar, FAST_SIMD: simd });
console.log(`wasm fast codec: ${scalar.length} B scalar, ${simd.length} B simd -> src/wasm/fast.generated.ts`);
