#!/usr/bin/env node
// The benchmark harness: panini-fs against the anchors on a real corpus, in one run on one machine.
//   npm run bench -- [--corpus DIR] [--out DIR] [--quick] [--filter REGEX] [--sections single,trees,core]
// Writes results.json, report.md and report.html into --out (default .bench/latest). See bench/README.md.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, USAGE } from './lib/args.mjs';
import { runNodeWorker } from './lib/child.mjs';
import { findTools, gitState, machine, toolVersions, versions } from './lib/meta.mjs';
import { renderHtml } from './lib/report-html.mjs';
import { renderMarkdown } from './lib/report-md.mjs';
import { ROW_FIELDS } from './lib/rows.mjs';
import { fmtBytes, fmtRow } from './lib/format.mjs';
import { defaultCorpusDir, errorMessage, naturalCompare, rmrf, sha256File, tempDir, walkTree } from './lib/util.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const SHARED = join(ROOT, '..', 'shared');
const SECTION_ORDER = ['single', 'trees', 'core'];
export const SCHEMA = 1;

const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);

/** The default corpus is built on first use from ../shared/corpus/dev.tsv (needs the npm registry once). */
function ensureCorpus(dir, explicit) {
  const ready = existsSync(join(dir, 'SHA256SUMS')) || (explicit && existsSync(dir));
  if (ready) return;
  if (explicit) throw new Error(`--corpus ${dir}: no such folder`);
  const script = join(SHARED, 'corpus', 'build-corpus.sh');
  const spec = join(SHARED, 'corpus', 'dev.tsv');
  if (!existsSync(script)) throw new Error(`no corpus in ${dir}, and ${script} is missing to build one (pass --corpus DIR)`);
  log(`building the corpus into ${dir} (once; ${spec})`);
  const r = spawnSync('bash', [script, spec, dir], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`building the corpus failed (exit ${r.status})`);
}

const visible = (d) => readdirSync(d, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));

async function scanTree(path) {
  const files = await walkTree(path);
  return { bytes: files.reduce((n, f) => n + f.size, 0), files: files.length };
}

async function scanCorpus(dir) {
  const corpus = { dir, single: [], trees: [], versions: [], versionsDir: join(dir, 'versions') };
  const sub = (name) => (existsSync(join(dir, name)) && statSync(join(dir, name)).isDirectory() ? join(dir, name) : null);
  const single = sub('single');
  if (single) {
    for (const e of visible(single).filter((e) => e.isFile()).sort((a, b) => naturalCompare(a.name, b.name))) {
      const path = join(single, e.name);
      const { sha256, size } = await sha256File(path);
      corpus.single.push({ name: e.name, path, size, sha256 });
    }
  }
  const tree = sub('tree');
  if (tree) {
    for (const e of visible(tree).filter((e) => e.isDirectory()).sort((a, b) => naturalCompare(a.name, b.name))) {
      const path = join(tree, e.name);
      corpus.trees.push({ name: e.name, path, ...(await scanTree(path)) });
    }
  }
  const vers = sub('versions');
  if (vers) {
    for (const e of visible(vers).filter((e) => e.isDirectory()).sort((a, b) => naturalCompare(a.name, b.name))) {
      const path = join(vers, e.name);
      corpus.versions.push({ name: e.name, path, ...(await scanTree(path)) });
    }
  }
  const sums = join(dir, 'SHA256SUMS');
  corpus.sha256sums = existsSync(sums) ? createHash('sha256').update(readFileSync(sums)).digest('hex') : null;
  return corpus;
}

/** Sections are plug-ins: every bench/sections/*.mjs whose default export is { name, title, run(ctx) }. */
async function loadSections() {
  const dir = join(BENCH, 'sections');
  const found = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort()) {
    const m = await import(pathToFileURL(join(dir, f)).href);
    const s = m.default;
    if (s && typeof s.name === 'string' && typeof s.run === 'function') found.push(s);
  }
  const rank = (s) => (SECTION_ORDER.includes(s.name) ? SECTION_ORDER.indexOf(s.name) : SECTION_ORDER.length);
  return found.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

function nodeBaselineRss() {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS*1024))'], { encoding: 'utf8' });
  return Number(r.stdout) || null;
}

export async function main(argv) {
  const opts = parseArgs(argv);
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  if (opts.render) {
    const dir = resolve(opts.render);
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    await writeFile(join(dir, 'report.md'), renderMarkdown(results));
    await writeFile(join(dir, 'report.html'), renderHtml(results));
    log(`re-rendered ${dir}/report.md and report.html from results.json`);
    return 0;
  }
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const corpusDir = resolve(opts.corpus ?? defaultCorpusDir());
  const outDir = resolve(opts.out ?? join(ROOT, '.bench', 'latest'));
  ensureCorpus(corpusDir, opts.corpus != null);
  const corpus = await scanCorpus(corpusDir);
  const tools = findTools();
  const machineStart = machine();
  // the state of the code being measured: taken before anything runs (dist/ was built from it just before)
  const gitAtStart = gitState(ROOT);
  const baselineRss = nodeBaselineRss();
  const notes = [];
  const skippedTools = Object.entries(tools)
    .filter(([, p]) => !p)
    .map(([name]) => name);
  for (const name of skippedTools) notes.push(`${name} is not installed here: its measurements were skipped`);
  const tarV = tools.tar ? spawnSync(tools.tar, ['--version'], { encoding: 'utf8' }).stdout ?? '' : '';

  const tmp = await tempDir();
  // Measure one build from start to end: a snapshot of dist/ (others may rebuild dist/ during a long run). It lives
  // under .bench/ so that its bare imports (fflate, msgpackr) still resolve from the project's node_modules.
  const distSnapshot = join(ROOT, '.bench', `.dist-${process.pid}`);
  let distDigest = null;
  if (existsSync(join(ROOT, 'dist', 'node.js'))) {
    await rmrf(distSnapshot);
    await cp(join(ROOT, 'dist'), distSnapshot, { recursive: true });
    process.env.PANINI_BENCH_DIST = join(distSnapshot, 'node.js');
    distDigest = createHash('sha256').update(readFileSync(join(distSnapshot, 'node.js'))).digest('hex');
  }
  let paniniProbe;
  const ctx = {
    opts,
    quick: opts.quick,
    runs: opts.runs,
    budgetS: opts.budget,
    threads: opts.threads,
    frontier: opts.frontier,
    corpus,
    tools,
    gnuTar: /GNU tar/.test(tarV),
    tmp,
    root: ROOT,
    want: (key) => !opts.filter || opts.filter.test(key),
    note: (s) => {
      if (!notes.includes(s)) notes.push(s);
      log(`note: ${s}`);
    },
    report: (row) => log(fmtRow(row)),
    log,
    async panini() {
      if (!paniniProbe) {
        paniniProbe = await runNodeWorker(join(BENCH, 'worker-panini.mjs'), { op: 'probe' });
        if (!paniniProbe.ok) paniniProbe = { available: false, single: false, tree: false, why: paniniProbe.error };
        if (!paniniProbe.single || !paniniProbe.tree) {
          const what = paniniProbe.why ?? `dist/node.js does not export ${(paniniProbe.missing ?? []).join(', ')}`;
          ctx.note(`panini-fs: ${what} (run npm run build?); those panini-fs measurements are missing from this run`);
        }
      }
      return paniniProbe;
    },
  };

  log(`corpus ${corpusDir}: ${corpus.single.length} files, ${corpus.trees.length} trees, ${corpus.versions.length} versions`);
  log(`out ${outDir}${opts.quick ? ' (quick)' : ''}; runs ${opts.runs}, budget ${opts.budget}s, threads ${opts.threads}`);
  const sections = await loadSections();
  const unknown = (opts.sections ?? []).filter((n) => !sections.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown section(s) ${unknown.join(', ')}; have ${sections.map((s) => s.name).join(', ')}`);
  const rows = [];
  const sectionsRun = [];
  try {
    for (const s of sections) {
      if (opts.sections && !opts.sections.includes(s.name)) continue;
      log(`== ${s.name}`);
      const st = performance.now();
      try {
        const got = await s.run(ctx);
        rows.push(...got);
        sectionsRun.push({ name: s.name, title: s.title ?? s.name, rows: got.length, seconds: (performance.now() - st) / 1000 });
        // a long run that is stopped later still leaves the sections it finished
        await mkdir(outDir, { recursive: true });
        await writeFile(join(outDir, 'results.partial.json'), `${JSON.stringify({ meta: { partial: true, startedAt, options: { ...opts, filter: opts.filter?.source ?? null }, sections: sectionsRun }, rows }, null, 2)}\n`);
      } catch (e) {
        ctx.note(`section ${s.name} failed: ${errorMessage(e)}`);
        sectionsRun.push({ name: s.name, title: s.title ?? s.name, rows: 0, seconds: (performance.now() - st) / 1000, error: errorMessage(e) });
      }
    }
  } finally {
    await rmrf(tmp);
    await rmrf(distSnapshot);
  }

  const toolsMeta = {};
  const tv = toolVersions(tools);
  for (const name of Object.keys(tools)) toolsMeta[name] = { path: tools[name], version: tv[name] };
  toolsMeta.time = { path: tv.time ? '/usr/bin/time' : null, version: tv.time };
  const meta = {
    schema: SCHEMA,
    startedAt,
    finishedAt: new Date().toISOString(),
    wallSeconds: (performance.now() - t0) / 1000,
    argv,
    options: {
      corpus: corpusDir,
      out: outDir,
      quick: opts.quick,
      filter: opts.filter ? opts.filter.source : null,
      sections: opts.sections,
      runs: opts.runs,
      budgetS: opts.budget,
      threads: opts.threads,
      frontier: opts.frontier,
    },
    machine: { ...machineStart, loadAverageStart: machineStart.loadAverage, loadAverageEnd: os.loadavg() },
    versions: versions(ROOT),
    tools: toolsMeta,
    skippedTools,
    peakRssMethod: {
      nodeWorkers: 'getrusage maxRSS of the child node process, read right after the timed runs (includes node itself)',
      cli: tv.time ? 'GNU time %M of the child (a pipeline: its largest process)' : 'not measured (no GNU time): null',
    },
    nodeBaselineRssBytes: baselineRss,
    git: gitAtStart,
    panini: paniniProbe ? { ...paniniProbe, distNodeJsSha256: distDigest } : null,
    corpus: {
      dir: corpusDir,
      sha256sumsDigest: corpus.sha256sums,
      single: corpus.single.map(({ name, size, sha256 }) => ({ name, size, sha256 })),
      trees: corpus.trees.map(({ name, bytes, files }) => ({ name, bytes, files })),
      versions: corpus.versions.map(({ name, bytes, files }) => ({ name, bytes, files })),
    },
    sections: sectionsRun,
    rowFields: ROW_FIELDS,
    notes,
  };
  delete meta.machine.loadAverage;
  const results = { meta, rows };
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(outDir, 'report.md'), renderMarkdown(results));
  await writeFile(join(outDir, 'report.html'), renderHtml(results));
  await rmrf(join(outDir, 'results.partial.json'));
  const failed = rows.filter((r) => r.status !== 'ok' || r.verified === false);
  log(`\n${rows.length} rows (${failed.length} failed or not verified) in ${meta.wallSeconds.toFixed(1)} s -> ${outDir}/{results.json,report.md,report.html}`);
  log(`corpus ${fmtBytes(corpus.single.reduce((n, f) => n + f.size, 0))} in single files`);
  return failed.some((r) => r.isPanini) ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      log(`bench: ${errorMessage(e)}`);
      process.exitCode = 2;
    },
  );
}
