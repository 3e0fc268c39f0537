// The model registry: the shipped models (models/registry.json next to the package: tier public) and the user's own
// (tiers personal and community, in a user directory that never ships), the version in use of each model, and the
// history that `rollback` walks back. A model file is used only when its SHA-256 matches its entry.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PaniniError } from '../errors.js';

export type Tier = 'public' | 'community' | 'personal';
export const TIERS: readonly Tier[] = ['public', 'community', 'personal'];

export interface ModelEntry {
  name: string;
  /** semver */
  version: string;
  tier: Tier;
  /** the .onnx file, relative to the registry's folder */
  file: string;
  sha256: string;
  bytes: number;
  /** the version this one was derived from (null for a first version) */
  parent: string | null;
  /** what it was trained on */
  corpus: string;
  /** measured figures (accuracy tables and so on) */
  metrics: Record<string, unknown>;
  /** the model card, relative to the registry's folder */
  card?: string;
}

export interface RegistryFile {
  models: ModelEntry[];
}

export interface ResolvedModel extends ModelEntry {
  /** absolute path of the .onnx file */
  path: string;
  /** the version in use for this name */
  active: boolean;
}

interface State {
  active: Record<string, string>;
  history: Record<string, string[]>;
}

const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;
export function compareVersions(a: string, b: string): number {
  const x = SEMVER.exec(a);
  const y = SEMVER.exec(b);
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0;
  for (let i = 1; i <= 3; i++) if (Number(x[i]) !== Number(y[i])) return Number(x[i]) - Number(y[i]);
  return 0;
}

/** The shipped models' folder: $PANINI_MODELS_DIR, else the package's models/ (found from this module upwards). */
export function shippedDir(): string {
  const env = process.env.PANINI_MODELS_DIR;
  if (env) return resolve(env);
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(d, 'models', 'registry.json'))) return join(d, 'models');
    d = dirname(d);
  }
  throw new PaniniError('MODEL', `models/registry.json not found above ${dirname(fileURLToPath(import.meta.url))} (set PANINI_MODELS_DIR)`, { path: 'models/registry.json' });
}

/** The user's folder (personal and community models, and which versions are in use): $PANINI_MODELS_HOME, else
 *  $XDG_DATA_HOME/panini-fs/models, else ~/.local/share/panini-fs/models. */
export function userDir(): string {
  const env = process.env.PANINI_MODELS_HOME;
  if (env) return resolve(env);
  const xdg = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(xdg, 'panini-fs', 'models');
}

function readJson<T>(path: string, fallback: T): T {
  if (!existsSync(path)) return fallback;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new PaniniError('MODEL', `${path}: not valid JSON (${(e as Error).message})`, { path });
  }
}

function writeJson(path: string, v: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(v, null, 2) + '\n');
  renameSync(tmp, path);
}

export function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export class ModelRegistry {
  constructor(
    readonly shipped: string = shippedDir(),
    readonly user: string = userDir(),
  ) {}

  private state(): State {
    const s = readJson<Partial<State>>(join(this.user, 'state.json'), {});
    return { active: s.active ?? {}, history: s.history ?? {} };
  }

  /** Every model of both folders, sorted by name then version, each with its path and whether it is in use. */
  list(): ResolvedModel[] {
    const pub = readJson<RegistryFile>(join(this.shipped, 'registry.json'), { models: [] }).models.map((m) => ({ ...m, tier: 'public' as Tier, path: join(this.shipped, m.file) }));
    const own = readJson<RegistryFile>(join(this.user, 'registry.json'), { models: [] }).models.map((m) => ({ ...m, path: join(this.user, m.file) }));
    const all = [...pub, ...own].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : compareVersions(a.version, b.version)));
    const st = this.state();
    // default: the newest public version; `use` overrides
    const def = new Map<string, string>();
    for (const m of all) if (m.tier === 'public') def.set(m.name, m.version);
    return all.map((m) => ({ ...m, active: (st.active[m.name] ?? def.get(m.name) ?? all.filter((x) => x.name === m.name).at(-1)!.version) === m.version }));
  }

  /** `NAME` (the version in use) or `NAME@VERSION`. Throws MODEL when there is no such model. */
  get(spec: string): ResolvedModel {
    const [name, version] = spec.split('@') as [string, string | undefined];
    const all = this.list().filter((m) => m.name === name);
    if (!all.length) throw new PaniniError('MODEL', `no model named "${name}" (panini-fs models list shows them)`, { option: 'model' });
    const m = version === undefined ? all.find((x) => x.active) : all.find((x) => x.version === version);
    if (!m) throw new PaniniError('MODEL', `model ${name} has no version ${version} (it has ${all.map((x) => x.version).join(', ')})`, { option: 'model' });
    return m;
  }

  /** The model's bytes, checked against its SHA-256. */
  read(spec: string | ResolvedModel): { entry: ResolvedModel; bytes: Uint8Array } {
    const entry = typeof spec === 'string' ? this.get(spec) : spec;
    if (!existsSync(entry.path)) throw new PaniniError('MODEL', `${entry.name}@${entry.version}: file ${entry.path} is missing`, { path: entry.path });
    const bytes = new Uint8Array(readFileSync(entry.path));
    const h = sha256Hex(bytes);
    if (h !== entry.sha256) throw new PaniniError('MODEL', `${entry.name}@${entry.version}: ${entry.path} has SHA-256 ${h}, the registry says ${entry.sha256}`, { path: entry.path });
    return { entry, bytes };
  }

  /** Makes NAME@VERSION the version in use; the one it replaces goes on the rollback history. */
  use(spec: string): ResolvedModel {
    const m = this.get(spec);
    const st = this.state();
    const cur = this.get(m.name);
    if (cur.version !== m.version) (st.history[m.name] ??= []).push(cur.version);
    st.active[m.name] = m.version;
    writeJson(join(this.user, 'state.json'), st);
    return this.get(m.name);
  }

  /** Returns NAME to the version used before the last `use` (else to the current version's parent). */
  rollback(name: string): ResolvedModel {
    const cur = this.get(name);
    const st = this.state();
    const hist = st.history[name] ?? [];
    const prev = hist.pop() ?? cur.parent ?? undefined;
    if (!prev) throw new PaniniError('MODEL', `${name}@${cur.version} has no earlier version to return to`, { option: 'model' });
    this.get(`${name}@${prev}`);
    st.active[name] = prev;
    st.history[name] = hist;
    writeJson(join(this.user, 'state.json'), st);
    return this.get(name);
  }

  /** Copies `file` into the user folder as NAME@VERSION of `tier` (personal or community). */
  add(file: string, o: { name: string; version: string; tier: Tier; parent?: string | null; corpus?: string }): ResolvedModel {
    if (o.tier === 'public') throw new PaniniError('OPTION', 'public models ship with panini-fs (models train); add takes --tier personal or community', { option: 'tier' });
    if (!TIERS.includes(o.tier)) throw new PaniniError('OPTION', `--tier must be personal or community, got "${String(o.tier)}"`, { option: 'tier' });
    if (!SEMVER.test(o.version)) throw new PaniniError('OPTION', `--version must be a semantic version like 1.2.0, got "${o.version}"`, { option: 'version' });
    if (!/^[a-z0-9][a-z0-9-]*$/.test(o.name)) throw new PaniniError('OPTION', `--name must be lower-case letters, digits and dashes, got "${o.name}"`, { option: 'name' });
    if (this.list().some((m) => m.name === o.name && m.version === o.version)) throw new PaniniError('EXISTS', `${o.name}@${o.version} is already registered`, { option: 'version' });
    if (!existsSync(file)) throw new PaniniError('IO', `${file}: no such file`, { path: file });
    const bytes = new Uint8Array(readFileSync(file));
    const target = `${o.name}-${o.version}.onnx`;
    mkdirSync(this.user, { recursive: true });
    copyFileSync(file, join(this.user, target));
    const reg = readJson<RegistryFile>(join(this.user, 'registry.json'), { models: [] });
    reg.models.push({
      name: o.name,
      version: o.version,
      tier: o.tier,
      file: target,
      sha256: sha256Hex(bytes),
      bytes: bytes.length,
      parent: o.parent ?? null,
      corpus: o.corpus ?? `added from ${basename(file)}`,
      metrics: {},
    });
    writeJson(join(this.user, 'registry.json'), reg);
    return this.get(`${o.name}@${o.version}`);
  }
}
