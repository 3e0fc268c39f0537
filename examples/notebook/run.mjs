#!/usr/bin/env node
// Executes examples/notebook/panini-fs.ipynb headless, against panini-fs as packed (`npm pack` of this checkout's
// dist/), in Deno's Jupyter kernel. `npm run notebook` builds first, then runs this.
//   node examples/notebook/run.mjs [--out FILE.ipynb]
// Steps: Debian's Jupyter (jupyter-nbconvert, jupyter-client, python3-ipykernel) is installed with apt-get when it is
// missing and we are root (otherwise: a message saying what to install); Deno (npm package `deno`, pinned) is installed
// once under $PANINI_NOTEBOOK_CACHE (default ~/.cache/panini-fs/notebook) with a kernel spec in a private Jupyter
// path; the package tarball is installed into a fresh work folder there; then `jupyter nbconvert --to notebook
// --execute` runs the notebook in that folder. A failing cell fails the run (exit 1) with nbconvert's report.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const DENO_VERSION = '2.9.6';
const here = import.meta.dirname;
const root = resolve(here, '..', '..');
const cache = process.env.PANINI_NOTEBOOK_CACHE || join(homedir(), '.cache', 'panini-fs', 'notebook');
const argOut = process.argv.indexOf('--out');
const out = resolve(argOut > 0 ? process.argv[argOut + 1] : join(cache, 'work', 'panini-fs.executed.ipynb'));
const PY = '/usr/bin/python3'; // Debian's python, where its jupyter modules live (not a pyenv/venv python on PATH)
const log = (s) => console.log(`[notebook] ${s}`);
const fail = (s) => {
  console.error(`[notebook] ${s}`);
  process.exit(1);
};
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  return r.status ?? 1;
};

// 1. Jupyter from Debian
const jupyterOk = () => existsSync('/usr/bin/jupyter-nbconvert') && spawnSync(PY, ['-c', 'import jupyter_client, ipykernel, nbconvert, nbclient'], { stdio: 'ignore' }).status === 0;
if (!jupyterOk()) {
  const pkgs = ['jupyter-nbconvert', 'jupyter-client', 'python3-ipykernel'];
  if (process.getuid?.() !== 0) fail(`Jupyter is missing: install the Debian packages ${pkgs.join(' ')} (sudo apt-get install -y --no-install-recommends ${pkgs.join(' ')}), then run again`);
  log(`installing ${pkgs.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env }) !== 0) {
    run('apt-get', ['update', '-qq'], { env });
    if (run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env }) !== 0) fail(`apt-get could not install ${pkgs.join(' ')}`);
  }
  if (!jupyterOk()) fail(`installed ${pkgs.join(' ')}, but ${PY} still cannot import jupyter_client / ipykernel / nbconvert`);
}

// 2. Deno and its kernel spec, cached
const denoDir = join(cache, `deno-${DENO_VERSION}`);
const deno = join(denoDir, 'node_modules', '.bin', 'deno');
const denoOk = () => existsSync(deno) && spawnSync(deno, ['--version'], { encoding: 'utf8' }).stdout?.startsWith(`deno ${DENO_VERSION}`);
if (!denoOk()) {
  log(`installing deno ${DENO_VERSION} (npm) into ${denoDir}`);
  rmSync(denoDir, { recursive: true, force: true });
  mkdirSync(denoDir, { recursive: true });
  writeFileSync(join(denoDir, 'package.json'), JSON.stringify({ name: 'panini-fs-notebook-kernel', private: true }));
  // the binary comes from the platform package (@deno/<platform>, an optional dependency); no install script is needed
  if (run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', `deno@${DENO_VERSION}`], { cwd: denoDir }) !== 0 || !denoOk()) fail(`could not install deno ${DENO_VERSION} from the npm registry into ${denoDir}`);
}
const jupyterPath = join(cache, 'jupyter');
const spec = join(jupyterPath, 'kernels', 'deno');
mkdirSync(spec, { recursive: true });
writeFileSync(join(spec, 'kernel.json'), JSON.stringify({ argv: [deno, 'jupyter', '--kernel', '--conn', '{connection_file}'], display_name: 'Deno', language: 'typescript', env: { DENO_NO_UPDATE_CHECK: '1' } }, null, 1));

// 3. the package as packed, installed into a fresh work folder
if (!existsSync(join(root, 'dist', 'index.js')) || !existsSync(join(root, 'dist', 'node.js'))) fail('dist/ is missing: run `npm run build` first (`npm run notebook` does)');
const work = join(cache, 'work');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }))[0].filename;
writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'panini-fs-notebook', private: true, type: 'module' }));
log(`installing ${packed} into ${work}`);
if (run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', join(work, packed)], { cwd: work }) !== 0) fail(`npm could not install ${packed}`);
// better-sqlite3 (the job server's embedded queue) is a native addon that --ignore-scripts leaves unbuilt: take the
// binary this checkout built for the same version and Node, or build it (node-gyp, offline)
const sqliteIn = (dir) => join(dir, 'node_modules', 'better-sqlite3');
const sqliteVersion = (dir) => { try { return JSON.parse(readFileSync(join(sqliteIn(dir), 'package.json'), 'utf8')).version; } catch { return undefined; } };
if (sqliteVersion(work) !== undefined) {
  const built = join('build', 'Release', 'better_sqlite3.node');
  if (sqliteVersion(root) === sqliteVersion(work) && existsSync(join(sqliteIn(root), built))) {
    mkdirSync(dirname(join(sqliteIn(work), built)), { recursive: true });
    copyFileSync(join(sqliteIn(root), built), join(sqliteIn(work), built));
  } else if (run('npm', ['rebuild', '--no-audit', '--no-fund', 'better-sqlite3'], { cwd: work }) !== 0) fail('could not build better-sqlite3 for the notebook');
}
copyFileSync(join(here, 'panini-fs.ipynb'), join(work, 'panini-fs.ipynb'));

// 4. execute
const corpus = process.env.PANINI_CORPUS_DIR || join(homedir(), '.cache', 'panini-fs', 'corpus', 'dev');
log(`executing panini-fs.ipynb (corpus ${corpus})`);
mkdirSync(dirname(out), { recursive: true });
const resultsFile = out.replace(/\.ipynb$/, '') + '.results.json';
rmSync(resultsFile, { force: true });
const env = { ...process.env, PANINI_CORPUS_DIR: corpus, PANINI_NOTEBOOK_RESULTS: resultsFile, JUPYTER_PATH: [jupyterPath, process.env.JUPYTER_PATH].filter(Boolean).join(':'), DENO_NO_UPDATE_CHECK: '1' };
const status = run('/usr/bin/jupyter-nbconvert', ['--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=300', '--ExecutePreprocessor.kernel_name=deno', '--output', out, join(work, 'panini-fs.ipynb')], { cwd: work, env });
if (status !== 0) fail(`a cell failed (nbconvert exit ${status}); see the report above`);

// 5. a summary of the executed notebook's outputs
const nb = JSON.parse(readFileSync(out, 'utf8'));
let n = 0;
for (const c of nb.cells) {
  if (c.cell_type !== 'code') continue;
  n++;
  const kinds = c.outputs.map((o) => o.output_type === 'stream' ? 'text' : Object.keys(o.data ?? {}).join('+') || o.output_type);
  const text = c.outputs.filter((o) => o.output_type === 'stream').map((o) => [].concat(o.text).join('')).join('').trim();
  log(`cell ${n}: ${kinds.join(', ') || 'no output'}${text ? `\n    ${text.split('\n').join('\n    ')}` : ''}`);
}
if (!existsSync(resultsFile)) fail(`the notebook did not write its results (${resultsFile})`);
log(`done: ${out} (checked results: ${resultsFile})`);

