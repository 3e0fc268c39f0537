#!/usr/bin/env node
// Regenerates the committed test vectors (test/vectors/*.pnz and vectors.json) from dist/: run `npm run build` first.
//   node test/vectors/generate.mjs          writes the vectors
//   node test/vectors/generate.mjs --check  only compares (exit 1 on any difference)
// A vector changes only when the format or the encoder's output changes on purpose: test/vectors.test.ts rebuilds every
// vector from src/ and requires the committed bytes, so a change here must come with a reason in the commit message.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildVector, VECTORS } from './spec.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', '..', 'dist', 'node.js');
if (!existsSync(dist)) {
  console.error('dist/node.js is missing: run `npm run build` first');
  process.exit(2);
}
const api = await import(dist);
await api.init();
const check = process.argv.includes('--check');
const sha = (b) => createHash('sha256').update(b).digest('hex');

const list = [];
let differ = 0;
for (const v of VECTORS) {
  const work = mkdtempSync(join(tmpdir(), 'pnz-vec-'));
  let built;
  try {
    built = await buildVector(api, v, work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const { output } = built;
  // a frozen vector was written by an earlier encoder: its committed bytes are kept
  const container = v.frozen ? new Uint8Array(readFileSync(join(here, v.file))) : built.container;
  const info = await api.inspect(container);
  if (container.length > 10 * 1024) throw new Error(`${v.file}: ${container.length} bytes, vectors must stay under 10 KiB`);
  const entry = {
    ...v,
    containerSize: container.length,
    containerSha256: sha(container),
    outputSize: output.length,
    outputSha256: sha(output),
    records: info.records,
    dataRecords: info.dataRecords,
    refRecords: info.refRecords,
    codecs: info.codecs.map((c) => `${c.name}:${c.records}`),
  };
  if (info.sha256 !== entry.outputSha256) throw new Error(`${v.file}: the container's SHA-256 is not the output's`);
  list.push(entry);
  const path = join(here, v.file);
  const same = existsSync(path) && Buffer.compare(readFileSync(path), container) === 0;
  if (!same) differ++;
  if (!check) writeFileSync(path, container);
  console.log(`${same ? 'same   ' : check ? 'DIFFERS' : 'written'} ${v.file.padEnd(18)} ${String(container.length).padStart(5)} B  records ${info.records} (REF ${info.refRecords})  ${v.about}`);
}
const json = JSON.stringify({ format: 'pnz v1', generatedBy: 'test/vectors/generate.mjs', vectors: list }, null, 2) + '\n';
const jsonPath = join(here, 'vectors.json');
const jsonSame = existsSync(jsonPath) && readFileSync(jsonPath, 'utf8') === json;
if (!check) writeFileSync(jsonPath, json);
if (check && (differ || !jsonSame)) {
  console.error(`${differ} vector(s) differ${jsonSame ? '' : ', vectors.json differs'}`);
  process.exit(1);
}
