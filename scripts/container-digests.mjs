#!/usr/bin/env node
// Prints the SHA-256 of the container that dist/ makes for each file at each level, one line each, so two builds of
// the encoder can be compared byte for byte (a refactor must leave every line unchanged):
//   node scripts/container-digests.mjs [--dist DIR] [--levels 1,6,9] [--codecs dhatu,deflate] [--workers N] FILE...
// Default files: the single files of the corpus (PANINI_CORPUS_DIR, else ~/.cache/panini-fs/corpus/dev).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const dist = resolve(opt('--dist', 'dist'));
const levels = opt('--levels', '1,6,9').split(',').map(Number);
const codecs = opt('--codecs', 'dhatu').split(',');
const workers = Number(opt('--workers', '2'));
let files = args;
if (files.length === 0) {
  const corpus = process.env.PANINI_CORPUS_DIR || join(homedir(), '.cache', 'panini-fs', 'corpus', 'dev');
  const dir = join(corpus, 'single');
  files = readdirSync(dir).sort().map((f) => join(dir, f));
}
const api = await import(pathToFileURL(join(dist, 'node.js')).href);
await api.init();
const sha = (b) => createHash('sha256').update(b).digest('hex');
for (const f of files) {
  const bytes = readFileSync(f);
  for (const codec of codecs) {
    for (const level of levels) {
      const t = performance.now();
      const pnz = await api.compress(bytes, { codec, level, workers });
      const s = ((performance.now() - t) / 1000).toFixed(1);
      console.log(`${sha(pnz)}  ${codec} L${level} ${pnz.length} ${f.split('/').pop()}`);
      console.error(`  ${f.split('/').pop()} ${codec} L${level}: ${s} s`);
    }
  }
}
