#!/usr/bin/env node
// `npm run bench:core` (builds first): core throughput table, see bench/core-lib.mjs.
//   node bench/core.mjs [--size MiB] [--runs N] [--json FILE] [--markdown]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatCoreMarkdown, formatCoreTable, runCoreBench } from './core-lib.mjs';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '64' },
    runs: { type: 'string', default: '7' },
    json: { type: 'string' },
    markdown: { type: 'boolean', default: false },
  },
});
const sizeMiB = Number(values.size);
const runs = Number(values.runs);
if (!(sizeMiB > 0) || !Number.isInteger(runs) || runs < 1) {
  console.error('usage: node bench/core.mjs [--size MiB] [--runs N>=1] [--json FILE] [--markdown]');
  process.exit(2);
}
const { rows, meta } = await runCoreBench({ sizeMiB, runs, log: (l) => process.stderr.write(`${l}\n`) });
console.log(`panini-fs core benchmark: ${sizeMiB} MiB of random bytes, median of ${runs} interleaved runs`);
console.log(`${meta.cpu} (${meta.cores} cores), Node ${meta.node}, SIMD build validated: ${meta.simdValidated}\n`);
console.log(values.markdown ? formatCoreMarkdown(rows) : formatCoreTable(rows));
if (values.json) {
  writeFileSync(values.json, JSON.stringify({ meta, rows }, null, 2) + '\n');
  console.log(`\nwrote ${values.json}`);
}
