// `panini-fs models …`: the model registry (list, show, compare, use, rollback, add) and the training command that
// rebuilds the shipped .onnx files.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PaniniError } from '../errors.js';
import { ModelRegistry, compareVersions, sha256Hex, type ModelEntry, type RegistryFile, type ResolvedModel, type Tier } from '../model/registry.js';
import { loadClassifier } from '../model/classifier.js';
import { heldOutChunks } from '../model/heldout.js';
import { CLASSIFIER_NAME, CLASSIFIER_RECIPES, trainClassifier } from '../model/classifier-train.js';
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
      if (!corpus) throw new PaniniError('OPTION', 'models compare needs --corpus DIR (labelled by file name)', { option: 'corpus' });
      const device = ((p.values.device as string | undefined) ?? 'auto') as Device;
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
      const shipped = reg.list().filter((m) => m.tier === 'public' && m.name === CLASSIFIER_NAME);
      let bad = 0;
      const regPath = join(dir, 'registry.json');
      const regFile: RegistryFile = existsSync(regPath) ? (JSON.parse(readFileSync(regPath, 'utf8')) as RegistryFile) : { models: [] };
      const versions = Object.keys(CLASSIFIER_RECIPES);
      for (const v of versions) {
        const t0 = performance.now();
        const { onnx } = trainClassifier(v);
        const h = sha256Hex(onnx);
        const file = `${CLASSIFIER_NAME}-${v}.onnx`;
        const reg1 = shipped.find((m) => m.version === v);
        const same = reg1 ? reg1.sha256 === h : undefined;
        if (same === false) bad++;
        if (!check) {
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, file), onnx);
          const R = CLASSIFIER_RECIPES[v]!;
          const old = regFile.models.find((m) => m.name === CLASSIFIER_NAME && m.version === v);
          const entry: ModelEntry = {
            name: CLASSIFIER_NAME,
            version: v,
            tier: 'public',
            file,
            sha256: h,
            bytes: onnx.length,
            parent: versions[versions.indexOf(v) - 1] ?? null,
            corpus: `generated (src/model/generate.ts): ${R.perClass} chunks per class, ${R.minSize}-${R.maxSize} bytes, seed ${R.seed}; no file read`,
            metrics: old?.metrics ?? {},
            card: `${CLASSIFIER_NAME}.md`,
          };
          regFile.models = [...regFile.models.filter((m) => m !== old), entry].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : compareVersions(a.version, b.version)));
        }
        out(`${CLASSIFIER_NAME}@${v}\t${onnx.length} B\tsha256 ${h}\t${same === undefined ? 'not in the registry' : same ? 'matches the registry' : 'DIFFERS from the registry'}\t${((performance.now() - t0) / 1000).toFixed(1)} s${check ? '' : `\t→ ${join(dir, file)}`}`);
      }
      if (!check) writeFileSync(regPath, JSON.stringify(regFile, null, 2) + '\n');
      return check && bad ? 1 : 0;
    }
    default:
      throw new PaniniError('OPTION', `models: unknown subcommand "${String(sub)}" (list, show, compare, use, rollback, add, train)`, { option: 'command' });
  }
}
