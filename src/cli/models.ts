// `panini-fs models …`: the model registry (list, show, compare, use, rollback, add) and the training command that
// rebuilds the shipped .onnx files.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PaniniError } from '../errors.js';
import { ModelRegistry, compareVersions, sha256Hex, type ModelEntry, type RegistryFile, type ResolvedModel, type Tier } from '../model/registry.js';
import { loadClassifier } from '../model/classifier.js';
import { defaultCorpusDir, filesUnder, heldOutChunks } from '../model/heldout.js';
import { CLASSIFIER_NAME, CLASSIFIER_RECIPES, trainClassifier } from '../model/classifier-train.js';
import { SELECTOR_NAME, SELECTOR_RECIPES, streamRows, trainSelector, type SelectorRow } from '../model/selector-train.js';
import { caseOf, summarize, type SelectorCase } from '../model/selector-eval.js';
import { CANDIDATE_NAMES, SELECTOR_WIDTH, rankCandidates } from '../dhatu/selector.js';
import { createSession } from '../model/runtime.js';
import type { Device } from '../model/runtime.js';
import type { Parsed } from './args.js';

const out = (s: string): void => void process.stdout.write(s + '\n');

function args(p: Parsed, n: number, usage: string): string[] {
  if (p.positionals.length !== n) throw new PaniniError('OPTION', `usage: panini-fs models ${usage}`, { option: 'argv' });
  return p.positionals;
}

function row(m: ResolvedModel): Record<string, unknown> {
  return { name: m.name, version: m.version, tier: m.tier, path: m.path, sha256: m.sha256, bytes: m.bytes, active: m.active, parent: m.parent };
}

export interface ModelRun {
  spec: string;
  version: string;
  bytes: number;
  device: string;
  backend: string;
  chunks: number;
  ms: number;
  accuracy: number;
  perClass: Record<string, { n: number; correct: number }>;
}

/** Runs the classifier NAME@V on labelled chunks: accuracy and time (features + model, load excluded). */
export async function runClassifierOn(reg: ModelRegistry, spec: string, chunks: ReturnType<typeof heldOutChunks>, device: Device): Promise<ModelRun> {
  const { entry, bytes } = reg.read(spec);
  const c = await loadClassifier(bytes, { device });
  const t0 = performance.now();
  const got = await c.classify(chunks.map((x) => x.bytes));
  const ms = performance.now() - t0;
  await c.release();
  const perClass: ModelRun['perClass'] = {};
  let ok = 0;
  chunks.forEach((x, i) => {
    const pc = (perClass[x.label] ??= { n: 0, correct: 0 });
    pc.n++;
    if (got[i]!.class === x.label) {
      pc.correct++;
      ok++;
    }
  });
  return { spec: `${entry.name}@${entry.version}`, version: entry.version, bytes: bytes.length, device: c.session.device, backend: c.session.backend, chunks: chunks.length, ms, accuracy: chunks.length ? ok / chunks.length : 0, perClass };
}

export interface SelectorRun {
  spec: string;
  version: string;
  bytes: number;
  device: string;
  backend: string;
  records: number;
  ms: number;
  /** per level: the share of the exhaustive planner's gain kept, and how often the first choice was its choice */
  levels: Record<string, { records: number; gainShare: number; agree: number; two: number }>;
}

/** Runs the plan selector NAME@V through the ONNX runtime on labelled records (the exhaustive trials' sizes). */
export async function runSelectorOn(reg: ModelRegistry, spec: string, rows: SelectorRow[], device: Device): Promise<SelectorRun> {
  const { entry, bytes } = reg.read(spec);
  const s = await createSession(bytes, { device });
  const x = new Float32Array(rows.length * SELECTOR_WIDTH);
  rows.forEach((r, i) => x.set(r.features, i * SELECTOR_WIDTH));
  const t0 = performance.now();
  const probs = rows.length ? await s.run(x, rows.length, SELECTOR_WIDTH) : new Float32Array(0);
  const ms = performance.now() - t0;
  await s.release();
  const k = CANDIDATE_NAMES.length;
  if (probs.length !== rows.length * k) throw new PaniniError('MODEL', `${entry.name}@${entry.version} returned ${probs.length} values for ${rows.length} records of ${k} candidates: not a plan selector for these features`);
  const byLevel = new Map<number, SelectorCase[]>();
  rows.forEach((r, i) => {
    const logits = Float64Array.from(probs.subarray(i * k, (i + 1) * k), (v) => Math.log(Math.max(v, 1e-30)));
    const c = caseOf(r, rankCandidates(logits, r.tried.map((t) => t.name)).names, 0);
    if (c) (byLevel.get(r.level) ?? byLevel.set(r.level, []).get(r.level)!).push(c);
  });
  const levels: SelectorRun['levels'] = {};
  for (const [l, cs] of [...byLevel].sort((a, b) => a[0] - b[0])) {
    const m = summarize(cs);
    levels[String(l)] = { records: m.cases, gainShare: m.gainShare, agree: m.agree, two: m.two };
  }
  return { spec: `${entry.name}@${entry.version}`, version: entry.version, bytes: bytes.length, device: s.device, backend: s.backend, records: rows.length, ms, levels };
}

export async function runModels(sub: string | undefined, p: Parsed): Promise<number> {
  const reg = new ModelRegistry();
  const json = p.values.json === true;
  switch (sub) {
    case 'list': {
      const all = reg.list();
      if (json) out(JSON.stringify(all.map(row), null, 2));
      else for (const m of all) out(`${m.active ? '*' : ' '} ${m.name}@${m.version}\t${m.tier}\t${m.bytes} B\t${m.sha256.slice(0, 16)}…\t${m.path}`);
      return 0;
    }
    case 'show': {
      const [spec] = args(p, 1, 'show NAME[@VERSION]');
      const m = reg.get(spec!);
      if (json) out(JSON.stringify({ ...row(m), corpus: m.corpus, metrics: m.metrics, card: m.card }, null, 2));
      else {
        out(`${m.name}@${m.version} (${m.tier}${m.active ? ', in use' : ''})`);
        out(`file     ${m.path} (${m.bytes} bytes)\nsha256   ${m.sha256}\nparent   ${m.parent ?? '-'}\ncorpus   ${m.corpus}`);
        out(`metrics  ${JSON.stringify(m.metrics)}`);
        if (m.card) out(`card     ${join(reg.shipped, m.card)}`);
      }
      return 0;
    }
    case 'compare': {
      const [a, b] = args(p, 2, 'compare NAME@A NAME@B --corpus DIR');
      const corpus = p.values.corpus as string | undefined;
      if (!corpus) throw new PaniniError('OPTION', 'models compare needs --corpus DIR (classifier: files labelled by their names; plan selector: any files)', { option: 'corpus' });
      const device = ((p.values.device as string | undefined) ?? 'auto') as Device;
      const [na, nb] = [reg.get(a!).name, reg.get(b!).name];
      if (na === SELECTOR_NAME || nb === SELECTOR_NAME) {
        if (na !== nb) throw new PaniniError('OPTION', `models compare: ${a} and ${b} are different models`, { option: 'model' });
        // every file of DIR is an input: its records' exhaustive trials at levels 2 and 6 are the labels
        const rows = filesUnder(corpus).flatMap((f) => [2, 6].flatMap((l) => streamRows(f, [readFileSync(f)], l)));
        if (!rows.some((r) => r.tried.filter((t) => Number.isFinite(t.size)).length > 1)) throw new PaniniError('OPTION', `--corpus ${corpus}: no record the planner has a choice for`, { option: 'corpus' });
        const ra = await runSelectorOn(reg, a!, rows, device);
        const rb = await runSelectorOn(reg, b!, rows, device);
        if (json) out(JSON.stringify([ra, rb], null, 2));
        else {
          out(`${rows.length} records of ${corpus}`);
          const line = (k: string, x: string, y: string): void => out(`${k.padEnd(22)}${x.padStart(26)}${y.padStart(26)}`);
          line('', ra.spec, rb.spec);
          line('size (bytes)', String(ra.bytes), String(rb.bytes));
          line('time (ms)', ra.ms.toFixed(1), rb.ms.toFixed(1));
          line('device', `${ra.backend}/${ra.device}`, `${rb.backend}/${rb.device}`);
          for (const l of Object.keys(ra.levels)) {
            const x = ra.levels[l]!;
            const y = rb.levels[l]!;
            line(`level ${l} gain kept`, `${(x.gainShare * 100).toFixed(1)}%`, `${(y.gainShare * 100).toFixed(1)}%`);
            line(`level ${l} agree`, `${x.agree}/${x.records}`, `${y.agree}/${y.records}`);
          }
        }
        return 0;
      }
      const chunks = heldOutChunks([corpus]);
      if (!chunks.length) throw new PaniniError('OPTION', `--corpus ${corpus}: no file whose name gives its class (see src/model/labels.ts)`, { option: 'corpus' });
      const ra = await runClassifierOn(reg, a!, chunks, device);
      const rb = await runClassifierOn(reg, b!, chunks, device);
      if (json) out(JSON.stringify([ra, rb], null, 2));
      else {
        out(`${chunks.length} chunks of ${corpus}`);
        out(`${''.padEnd(14)}${ra.spec.padStart(26)}${rb.spec.padStart(26)}`);
        out(`${'size (bytes)'.padEnd(14)}${String(ra.bytes).padStart(26)}${String(rb.bytes).padStart(26)}`);
        out(`${'time (ms)'.padEnd(14)}${ra.ms.toFixed(1).padStart(26)}${rb.ms.toFixed(1).padStart(26)}`);
        out(`${'device'.padEnd(14)}${`${ra.backend}/${ra.device}`.padStart(26)}${`${rb.backend}/${rb.device}`.padStart(26)}`);
        out(`${'accuracy'.padEnd(14)}${(ra.accuracy * 100).toFixed(1).padStart(25)}%${(rb.accuracy * 100).toFixed(1).padStart(25)}%`);
        for (const k of Object.keys(ra.perClass).sort()) {
          const x = ra.perClass[k]!;
          const y = rb.perClass[k]!;
          out(`${('  ' + k).padEnd(14)}${`${x.correct}/${x.n}`.padStart(26)}${`${y.correct}/${y.n}`.padStart(26)}`);
        }
      }
      return 0;
    }
    case 'use': {
      const [spec] = args(p, 1, 'use NAME@VERSION');
      if (!spec!.includes('@')) throw new PaniniError('OPTION', `models use takes NAME@VERSION, got "${spec}"`, { option: 'model' });
      const m = reg.use(spec!);
      out(`${m.name}: using ${m.version} (${m.tier})`);
      return 0;
    }
    case 'rollback': {
      const [name] = args(p, 1, 'rollback NAME');
      const m = reg.rollback(name!);
      out(`${m.name}: back to ${m.version} (${m.tier})`);
      return 0;
    }
    case 'add': {
      const [file] = args(p, 1, 'add FILE --tier personal|community --name NAME --version X.Y.Z');
      const tier = ((p.values.tier as string | undefined) ?? 'personal') as Tier;
      const name = p.values.name as string | undefined;
      const version = p.values.version as string | undefined;
      if (!name || !version) throw new PaniniError('OPTION', 'models add needs --name NAME and --version X.Y.Z', { option: name ? 'version' : 'name' });
      const m = reg.add(file!, { name, version, tier, parent: (p.values.parent as string | undefined) ?? null });
      out(`added ${m.name}@${m.version} (${m.tier}) ${m.sha256} → ${m.path}`);
      return 0;
    }
    case 'train': {
      // rebuilds every shipped version from its recipe; --check compares with the registry instead of writing
      const dir = (p.values.out as string | undefined) ?? reg.shipped;
      const check = p.values.check === true;
      const only = p.values.name as string | undefined;
      if (only !== undefined && only !== CLASSIFIER_NAME && only !== SELECTOR_NAME) throw new PaniniError('OPTION', `models train --name: ${CLASSIFIER_NAME} or ${SELECTOR_NAME}, got "${only}"`, { option: 'name' });
      const regPath = join(dir, 'registry.json');
      const regFile: RegistryFile = existsSync(regPath) ? (JSON.parse(readFileSync(regPath, 'utf8')) as RegistryFile) : { models: [] };
      const shipped = reg.list().filter((m) => m.tier === 'public');
      let bad = 0;
      const jobs: { name: string; version: string; parent: string | null; corpus: string; card: string; train(): { onnx: Uint8Array; module?: string } }[] = [];
      const cv = Object.keys(CLASSIFIER_RECIPES);
      for (const v of cv) {
        const R = CLASSIFIER_RECIPES[v]!;
        jobs.push({ name: CLASSIFIER_NAME, version: v, parent: cv[cv.indexOf(v) - 1] ?? null, card: `${CLASSIFIER_NAME}.md`, corpus: `generated (src/model/generate.ts): ${R.perClass} chunks per class, ${R.minSize}-${R.maxSize} bytes, seed ${R.seed}; no file read`, train: () => trainClassifier(v) });
      }
      const sv = Object.keys(SELECTOR_RECIPES);
      const corpusDir = (p.values.corpus as string | undefined) ?? defaultCorpusDir();
      for (const v of sv) {
        const R = SELECTOR_RECIPES[v]!;
        jobs.push({
          name: SELECTOR_NAME,
          version: v,
          parent: sv[sv.indexOf(v) - 1] ?? null,
          card: `${SELECTOR_NAME}.md`,
          corpus: `the shared corpus (../shared/corpus/dev.tsv): ${[...R.files, ...R.trees].join(', ')}; and generated (src/model/generate.ts): ${R.perClass} chunks per class and level, ${R.minSize}-${R.maxSize} bytes, seed ${R.seed}; labels: the exhaustive planner's trials at levels ${R.levels.join(', ')}`,
          train: () => trainSelector(v, corpusDir),
        });
      }
      // the plan selector trains on the corpus: without it, a run for every model leaves the selector out (saying so)
      // and a run for the selector alone stops before anything is written
      const haveCorpus = existsSync(corpusDir);
      if (!haveCorpus && only === SELECTOR_NAME) throw new PaniniError('NOT_FOUND', `${corpusDir}: the corpus the plan selector trains on is not there (--corpus DIR, or PANINI_CORPUS_DIR; build it with ../shared/corpus/build-corpus.sh)`, { path: corpusDir });
      for (const j of jobs) {
        if (only !== undefined && j.name !== only) continue;
        if (j.name === SELECTOR_NAME && !haveCorpus) {
          out(`${j.name}@${j.version}\tskipped: no corpus at ${corpusDir} (--corpus DIR)`);
          continue;
        }
        const t0 = performance.now();
        const { onnx, module } = j.train();
        const h = sha256Hex(onnx);
        const file = `${j.name}-${j.version}.onnx`;
        const reg1 = shipped.find((m) => m.name === j.name && m.version === j.version);
        const same = reg1 ? reg1.sha256 === h : undefined;
        if (same === false) bad++;
        // the newest selector version is the one compress embeds (src/dhatu/selector-model.ts, beside models/ in a checkout)
        const moduleFile = module && j.version === sv[sv.length - 1] ? join(dir, '..', 'src', 'dhatu', 'selector-model.ts') : undefined;
        const moduleSame = moduleFile && existsSync(moduleFile) ? readFileSync(moduleFile, 'utf8') === module : undefined;
        if (moduleSame === false && check) bad++;
        if (!check) {
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, file), onnx);
          if (moduleFile && existsSync(join(dir, '..', 'src', 'dhatu'))) writeFileSync(moduleFile, module!);
          const old = regFile.models.find((m) => m.name === j.name && m.version === j.version);
          const entry: ModelEntry = { name: j.name, version: j.version, tier: 'public', file, sha256: h, bytes: onnx.length, parent: j.parent, corpus: j.corpus, metrics: old?.metrics ?? {}, card: j.card };
          regFile.models = [...regFile.models.filter((m) => m !== old), entry].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : compareVersions(a.version, b.version)));
        }
        const note = same === undefined ? 'not in the registry' : same ? 'matches the registry' : 'DIFFERS from the registry';
        const mnote = moduleSame === undefined ? '' : moduleSame ? '; embedded weights match' : '; embedded weights DIFFER';
        out(`${j.name}@${j.version}\t${onnx.length} B\tsha256 ${h}\t${note}${mnote}\t${((performance.now() - t0) / 1000).toFixed(1)} s${check ? '' : `\t→ ${join(dir, file)}`}`);
      }
      if (!check) writeFileSync(regPath, JSON.stringify(regFile, null, 2) + '\n');
      return check && bad ? 1 : 0;
    }
    default:
      throw new PaniniError('OPTION', `models: unknown subcommand "${String(sub)}" (list, show, compare, use, rollback, add, train)`, { option: 'command' });
  }
}
