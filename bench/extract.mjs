// Time to extract single files from a tree container by random access (extract(): the records holding the file and
// the closure of records they copy from, each decoded once). Needs `npm run build`.
//   node bench/extract.mjs CONTAINER.pnz PATH [PATH ...]
// e.g. a container of the corpus's version series: node dist/cli.js compress ~/.cache/panini-fs/corpus/dev/versions
// -o /tmp/v.pnz --codec dhatu --level 6, then typescript-5.0.4/tsc.js and typescript-5.6.3/tsc.js.
import { readFileSync } from 'node:fs';
const P = await import('../dist/node.js');
await P.init();
const [file, ...paths] = process.argv.slice(2);
if (!file || paths.length === 0) {
  console.error('usage: node bench/extract.mjs CONTAINER.pnz PATH [PATH ...]');
  process.exit(2);
}
const c = readFileSync(file);
for (const p of paths) {
  const t = performance.now();
  const d = await P.extract(c, p);
  console.log(`${p}: ${d.length} bytes in ${((performance.now() - t) / 1e3).toFixed(2)} s`);
}
