// A small backup round trip with the Node API: compress a directory tree, inspect it, prove the reconstruction and
// restore it elsewhere. Run after `npm run build`:
//   node examples/node/backup.mjs SOURCE_DIR [WORK_DIR]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressTree, EXIT_STATUS, extractTree, init, inspectFile, PaniniError, validateReconstruction } from '../../dist/node.js';

const [source, work = mkdtempSync(join(tmpdir(), 'panini-example-'))] = process.argv.slice(2);
if (!source) {
  console.error('usage: node examples/node/backup.mjs SOURCE_DIR [WORK_DIR]');
  process.exit(2);
}
try {
  await init();
  const pnz = join(work, 'backup.pnz');
  const r = await compressTree(source, pnz, { force: true });
  console.log(`${r.files} files, ${r.inputBytes} bytes -> ${r.outputBytes} bytes (${((100 * r.outputBytes) / Math.max(1, r.inputBytes)).toFixed(2)}%), ${r.dedupBytes} bytes deduplicated`);
  const info = await inspectFile(pnz);
  console.log(`${info.records} chunks (${info.refRecords} references), codecs: ${info.codecs.map((c) => `${c.name} x${c.records}`).join(', ')}`);
  const proof = await validateReconstruction(source, pnz);
  console.log(`validate-reconstruction: ${proof.ok ? 'bit-perfect' : 'NOT bit-perfect'} (${proof.chunksMatching}/${proof.chunks} chunks, ${proof.filesMatching}/${proof.files} files)`);
  const restored = join(work, 'restored');
  await extractTree(pnz, restored, { force: true });
  console.log(`restored into ${restored}`);
  process.exitCode = proof.ok ? 0 : 1;
} catch (e) {
  // every failure of the library is a PaniniError with a code and a message that says what and where
  if (!(e instanceof PaniniError)) throw e;
  console.error(`backup: ${e.code}: ${e.message}`);
  process.exitCode = EXIT_STATUS[e.code] ?? 1;
}
