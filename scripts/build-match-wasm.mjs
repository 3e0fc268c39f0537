// Builds the COMM long-range matcher WebAssembly module (assembly/match/) and embeds it in the TypeScript sources:
//   1. compiles assembly/match/index.ts with asc into build/match.wasm (no imports, no runtime, no SIMD)
//   2. writes src/wasm/match.generated.ts with the module as base64 and its SHA-256 (not committed)
// Separate from the core and the codec so that each module keeps its own memory map (assembly/match/index.ts).
import { buildModule, writeEmbedded } from './lib/asc-module.mjs';

// the largest matcher (1 GiB window, 64 MiB record, 2^26 buckets, ops for a 64 MiB record) stays below 2.5 GiB
const bytes = await buildModule({ dir: 'match', outFile: 'build/match.wasm', maximumMemory: 40960, name: 'match' });
writeEmbedded('wasm/match.generated.ts', 'scripts/build-match-wasm.mjs', 'match', { MATCH: bytes });
console.log(`wasm match: ${bytes.length} B -> src/wasm/match.generated.ts`);
