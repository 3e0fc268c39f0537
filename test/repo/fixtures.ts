import { CORPUS_DIR } from '../helpers/corpus.js';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** path → sha256 (files), 'dir', or 'link:TARGET', for every entry under root; computed with node:crypto. */
export function treeDigest(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (abs: string, rel: string) => {
    const st = lstatSync(abs);
    if (st.isDirectory()) {
      if (rel) out.set(rel, `dir ${(st.mode & 0o7777).toString(8)}`);
      for (const n of readdirSync(abs).sort()) walk(join(abs, n), rel ? `${rel}/${n}` : n);
    } else if (st.isSymbolicLink()) out.set(rel, `link:${readlinkSync(abs)}`);
    else out.set(rel, `${createHash('sha256').update(readFileSync(abs)).digest('hex')} ${(st.mode & 0o7777).toString(8)} ${Math.floor(st.mtimeMs)}`);
  };
  walk(root, '');
  return out;
}

export const CORPUS: string = CORPUS_DIR;
export function corpusVersions(): string[] {
  if (!CORPUS) throw new Error('PANINI_CORPUS_DIR is not set: these tests need the corpus (its versions/ folder)');
  const dir = join(CORPUS, 'versions');
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    throw new Error(`corpus folder ${dir} is missing: these tests need the corpus versions/ series`);
  }
  if (names.length === 0) throw new Error(`corpus folder ${dir} is empty`);
  return names.map((n) => join(dir, n));
}
