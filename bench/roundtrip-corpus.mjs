// Round-trips every entry of a corpus through the built CLI: compress, verify, decompress, then
// validate-reconstruction (the full proof) and an independent comparison (node:crypto SHA-256 of every file).
//   node bench/roundtrip-corpus.mjs [--corpus DIR] [--level N] [--strategy S]
// Exits 1 if any entry is not bit-perfect. Prints one line per entry and a summary.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultCorpusDir } from './lib/util.mjs';

const { values } = parseArgs({ options: { corpus: { type: 'string' }, level: { type: 'string' }, strategy: { type: 'string' } } });
const corpus = values.corpus ?? defaultCorpusDir();
const cli = join(import.meta.dirname, '..', 'dist', 'cli.js');
const extra = [...(values.level ? ['--level', values.level] : []), ...(values.strategy ? ['--strategy', values.strategy] : [])];
const work = mkdtempSync(join(tmpdir(), 'panini-roundtrip-'));
const run = (...a) => execFileSync(process.execPath, [cli, ...a], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 }).toString();

function digestTree(p) {
  const out = [];
  const walk = (d, rel) => {
    for (const n of readdirSync(d).sort()) {
      const a = join(d, n);
      const st = statSync(a);
      if (st.isDirectory()) walk(a, `${rel}${n}/`);
      else out.push(`${rel}${n} ${createHash('sha256').update(readFileSync(a)).digest('hex')}`);
    }
  };
  if (statSync(p).isDirectory()) walk(p, '');
  else out.push(createHash('sha256').update(readFileSync(p)).digest('hex'));
  return createHash('sha256').update(out.join('\n')).digest('hex');
}

const entries = [];
for (const kind of ['single', 'tree', 'versions']) {
  let names = [];
  try {
    names = readdirSync(join(corpus, kind)).sort();
  } catch {}
  for (const n of names) entries.push({ kind, name: n, path: join(corpus, kind, n) });
}
// the version series as one tree too
entries.push({ kind: 'versions-all', name: 'versions', path: join(corpus, 'versions') });

let failed = 0;
let totalIn = 0;
let totalOut = 0;
for (const e of entries) {
  const pnz = join(work, `${e.kind}-${e.name}.pnz`);
  const back = join(work, `${e.kind}-${e.name}.out`);
  const t0 = performance.now();
  const c = JSON.parse(run('compress', e.path, '-o', pnz, '--json', ...extra));
  const t1 = performance.now();
  run('verify', pnz);
  run('decompress', pnz, '-o', back);
  const t2 = performance.now();
  let proof;
  try {
    proof = JSON.parse(run('validate-reconstruction', '--original', e.path, '--compressed', pnz, '--json'));
  } catch (err) {
    proof = { ok: false, error: String(err.stdout ?? err) };
  }
  const same = digestTree(e.path) === digestTree(back);
  const ok = proof.ok && same;
  if (!ok) failed++;
  totalIn += c.inputBytes;
  totalOut += c.outputBytes;
  console.log(
    `${ok ? 'OK  ' : 'FAIL'} ${`${e.kind}/${e.name}`.padEnd(40)} ${String(c.inputBytes).padStart(11)} → ${String(c.outputBytes).padStart(10)} ` +
      `(${(c.ratio * 100).toFixed(2).padStart(6)}%)  files ${String(c.files).padStart(5)}  compress ${((t1 - t0) / 1000).toFixed(1)} s, verify+decompress ${((t2 - t1) / 1000).toFixed(1)} s`,
  );
  rmSync(pnz, { force: true });
  rmSync(back, { recursive: true, force: true });
}
rmSync(work, { recursive: true, force: true });
console.log(`${entries.length - failed} passed, ${failed} failed  (${totalIn} → ${totalOut} bytes)`);
process.exit(failed ? 1 : 0);
