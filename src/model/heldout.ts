// The held-back measuring set: real files the classifier never saw in training (it trains on generated data only),
// cut into fixed-size chunks, each labelled by its file's name (src/model/labels.ts). Deterministic: files in sorted
// order, at most `perFile` chunks each, evenly spaced.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ContentClass } from './features.js';
import { classOfName } from './labels.js';

export interface LabelledChunk {
  file: string;
  offset: number;
  bytes: Uint8Array;
  label: ContentClass;
}

export interface HeldOutOptions {
  chunkSize?: number;
  perFile?: number;
  /** at most this many files per class (the first in sorted order) */
  filesPerClass?: number;
  /** the label of a file (default classOfName); undefined leaves the file out */
  label?: (path: string) => ContentClass | undefined;
  /** at most this many files per root (the first in sorted order) */
  files?: number;
}

/** The shared corpus: $PANINI_CORPUS_DIR, else ~/.cache/panini-fs/corpus/dev (where `npm test` and the bench build it). */
export function defaultCorpusDir(): string {
  return process.env.PANINI_CORPUS_DIR || join(homedir(), '.cache', 'panini-fs', 'corpus', 'dev');
}

/** The files under `dir` in path order, hidden ones (and hidden folders) left out: the models' inputs. */
export function filesUnder(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Labelled chunks of the files under `roots` (files whose name implies no class are left out). */
export function heldOutChunks(roots: string[], o: HeldOutOptions = {}): LabelledChunk[] {
  const size = o.chunkSize ?? 32768;
  const perFile = o.perFile ?? 8;
  const fpc = o.filesPerClass ?? Infinity;
  const used = new Map<ContentClass, number>();
  const out: LabelledChunk[] = [];
  for (const root of roots) {
    const files: string[] = [];
    if (statSync(root).isDirectory()) filesUnder(root, files);
    else files.push(root);
    let taken = 0;
    for (const f of files) {
      if (taken >= (o.files ?? Infinity)) break;
      const label = (o.label ?? classOfName)(f);
      if (!label) continue;
      if ((used.get(label) ?? 0) >= fpc) continue;
      const st = statSync(f);
      if (st.size < 512) continue;
      used.set(label, (used.get(label) ?? 0) + 1);
      taken++;
      const data = readFileSync(f);
      const n = Math.max(1, Math.min(perFile, Math.floor(data.length / size)));
      for (let k = 0; k < n; k++) {
        const off = n === 1 ? 0 : Math.floor(((data.length - size) * k) / (n - 1));
        const bytes = new Uint8Array(data.subarray(off, off + size));
        out.push({ file: f, offset: off, bytes, label });
      }
    }
  }
  return out;
}
