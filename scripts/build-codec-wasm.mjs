// Builds the codec WebAssembly module (assembly/codec/, the plz coder) and embeds it in the TypeScript sources:
//   1. compiles assembly/codec/index.ts with asc into build/codec.wasm (no imports, no runtime, no SIMD)
//   2. writes src/wasm/codec.generated.ts with the module as base64 and its SHA-256 (not committed)
// Separate from the core (scripts/build-wasm.mjs) so that each module keeps its own static memory map.
import { buildModule, writeEmbedded } from './lib/asc-module.mjs';

// 4 GiB address space is not needed: the encoder's static map ends below 192 MiB (assembly/codec/layout.ts)
const bytes = await buildModule({ dir: 'codec', outFile: 'build/codec.wasm', maximumMemory: 3072, name: 'codec' });
writeEmbedded('wasm/codec.generated.ts', 'scripts/build-codec-wasm.mjs', 'codec', { CODEC: bytes });
console.log(`wasm codec: ${bytes.length} B -> src/wasm/codec.generated.ts`);
