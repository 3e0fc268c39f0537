#!/usr/bin/env node
// Repository size and speed on the corpus versions/ series: each version backed up as one snapshot, 7 in all, into
// a panini-fs repository and, for comparison, restic (--compression max), borg (-C zstd,19), zpaq (method 2 and 4,
// one archive with 7 versions) and tar | zstd -19 --long=27 (one file per snapshot). Sizes are the bytes on disk
// (sum of file sizes) after the 7 backups; times are wall clock. Needs `npm run build` and PANINI_CORPUS_DIR.
// Usage: node bench/repo.mjs [--tier fast|default|max] [--only panini,restic,borg,zpaq2,zpaq4,tarzstd]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore, initRepository, openRepository, backup, restore } from '../dist/node.js';

const args = process.argv.slice(2);
const opt = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
const tier = opt('--tier', 'default');
const only = opt('--only', 'panini,restic,borg,zpaq2,zpaq4,tarzstd').split(',');
const corpus = process.env.PANINI_CORPUS_DIR;
if (!corpus) throw new Error('set PANINI_CORPUS_DIR (the corpus folder with versions/)');
const vdir = join(corpus, 'versions');
const versions = readdirSync(vdir).sort().map((n) => join(vdir, n));
const tmp = mkdtempSync(join(tmpdir(), 'panini-bench-repo-'));
const PASS = 'bench-password';

function du(p) {
  let n = 0;
  const st = lstatSync(p);
  if (st.isDirectory()) for (const x of readdirSync(p)) n += du(join(p, x));
  else if (st.isFile()) n += st.size;
  return n;
}
const input = versions.map(du);
const totalIn = input.reduce((a, b) => a + b, 0);
const MB = 1e6;
const results = [];
function sh(cmd, argv, env = {}) {
  const r = spawnSync(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr}`);
}
function timed(f) {
  const t = performance.now();
  f();
  return (performance.now() - t) / 1000;
}
async function timedAsync(f) {
  const t = performance.now();
  await f();
  return (performance.now() - t) / 1000;
}
function record(name, command, size, backupS, restoreS, restoreBytes) {
  const r = { name, command, size, ratio: totalIn / size, backupMBs: totalIn / MB / backupS, restoreMBs: restoreS ? restoreBytes / MB / restoreS : undefined, backupS, restoreS };
  results.push(r);
  console.log(JSON.stringify(r));
}

console.log(JSON.stringify({ versions: versions.map((v, i) => [v.split('/').pop(), input[i]]), totalIn, tier }));

if (only.includes('panini')) {
  const dir = join(tmp, 'panini');
  const store = new LocalStore(dir);
  const repo = await initRepository(store, { password: PASS, tier });
  let b = 0;
  for (const v of versions) b += await timedAsync(() => backup(repo, [v], { host: 'bench' }));
  const again = await openRepository(store, { password: PASS });
  const last = (await again.snapshots()).pop();
  const rs = await timedAsync(() => restore(again, last, join(tmp, 'panini-out')));
  rmSync(join(tmp, 'panini-out'), { recursive: true, force: true });
  record(`panini-fs (dhātu, tier ${tier})`, `backup(repo, [version]) × 7, repository tier ${tier}`, du(dir), b, rs, input[input.length - 1]);
}
if (only.includes('restic')) {
  const dir = join(tmp, 'restic');
  const env = { RESTIC_PASSWORD: PASS, RESTIC_REPOSITORY: dir, RESTIC_CACHE_DIR: join(tmp, 'restic-cache') };
  sh('restic', ['init'], env);
  let b = 0;
  for (const v of versions) b += timed(() => sh('restic', ['backup', '--compression', 'max', v], env));
  const rs = timed(() => sh('restic', ['restore', 'latest', '--target', join(tmp, 'restic-out')], env));
  rmSync(join(tmp, 'restic-out'), { recursive: true, force: true });
  record('restic --compression max', 'restic backup --compression max VERSION × 7', du(dir), b, rs, input[input.length - 1]);
}
if (only.includes('borg')) {
  const dir = join(tmp, 'borg');
  const env = { BORG_PASSPHRASE: PASS, BORG_BASE_DIR: join(tmp, 'borg-base'), BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' };
  sh('borg', ['init', '-e', 'repokey', dir], env);
  let b = 0;
  versions.forEach((v, i) => (b += timed(() => sh('borg', ['create', '-C', 'zstd,19', `${dir}::v${i}`, v], env))));
  const out = join(tmp, 'borg-out');
  execFileSync('mkdir', ['-p', out]);
  const rs = timed(() => spawnSync('borg', ['extract', `${dir}::v${versions.length - 1}`], { cwd: out, env: { ...process.env, ...env }, stdio: 'ignore' }));
  rmSync(out, { recursive: true, force: true });
  record('borg -C zstd,19', 'borg create -C zstd,19 REPO::vN VERSION × 7 (repokey)', du(dir), b, rs, input[input.length - 1]);
}
for (const m of ['2', '4']) {
  if (!only.includes(`zpaq${m}`)) continue;
  const arc = join(tmp, `z${m}.zpaq`);
  let b = 0;
  for (const v of versions) b += timed(() => sh('zpaq', ['add', arc, v, '-method', m, '-threads', '1']));
  const out = join(tmp, `z${m}-out`);
  const rs = timed(() => sh('zpaq', ['extract', arc, versions[versions.length - 1], '-to', out, '-threads', '1']));
  rmSync(out, { recursive: true, force: true });
  record(`zpaq -method ${m}`, `zpaq add ARCHIVE VERSION -method ${m} -threads 1 × 7`, statSync(arc).size, b, rs, input[input.length - 1]);
}
if (only.includes('tarzstd')) {
  let size = 0;
  let b = 0;
  versions.forEach((v, i) => {
    const f = join(tmp, `v${i}.tar.zst`);
    b += timed(() => sh('sh', ['-c', `tar -cf - -C "${vdir}" "${v.split('/').pop()}" | zstd -q -19 --long=27 -T1 -o "${f}"`]));
    size += statSync(f).size;
  });
  const out = join(tmp, 'tz-out');
  execFileSync('mkdir', ['-p', out]);
  const rs = timed(() => sh('sh', ['-c', `zstd -q -d --long=27 -c "${join(tmp, `v${versions.length - 1}.tar.zst`)}" | tar -xf - -C "${out}"`]));
  rmSync(out, { recursive: true, force: true });
  record('tar | zstd -19 --long=27', 'tar -cf - VERSION | zstd -19 --long=27 -T1, one file per snapshot', size, b, rs, input[input.length - 1]);
}
rmSync(tmp, { recursive: true, force: true });
console.log('\n| tool | repository bytes | ratio | backup MB/s | restore MB/s (last snapshot) |\n|---|--:|--:|--:|--:|');
for (const r of results) console.log(`| ${r.name} | ${r.size} | ${r.ratio.toFixed(2)} | ${r.backupMBs.toFixed(2)} | ${r.restoreMBs?.toFixed(2) ?? '-'} |`);
