// Builds the context-mixing coder's WebAssembly module (assembly/cm/, "pcm") and embeds it in the sources: compiles
// assembly/cm/index.ts with asc into build/cm.wasm and writes src/wasm/cm.generated.ts (not committed). A module of
// its own so that its static memory map (up to ~450 MiB with the largest models) stays apart from the others.
import { buildModule, writeEmbedded } from './lib/asc-module.mjs';

const bytes = await buildModule({ dir: 'cm', maximumMemory: 16384, name: 'context-mixing coder', outFile: 'build/cm.wasm' });
writeEmbedded('wasm/cm.generated.ts', 'scripts/build-cm-wasm.mjs', 'cm', { CM: bytes });
console.log(`wasm context-mixing coder: ${bytes.length} B -> src/wasm/cm.generated.ts`);
