// Where the tests find the dev corpus (../shared/corpus/build-corpus.sh builds it; `npm test` builds it when missing
// and ../shared/corpus exists: scripts/ensure-corpus.mjs). A test that needs a corpus file fails, with a message that
// says how to get it, when the file is missing: never a silent skip.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** $PANINI_CORPUS_DIR, else ~/.cache/panini-fs/corpus/dev (as the benchmark harness: bench/lib/util.mjs). */
export const CORPUS_DIR = process.env.PANINI_CORPUS_DIR || join(homedir(), '.cache', 'panini-fs', 'corpus', 'dev');

/** The path of a corpus file or folder (relative to CORPUS_DIR); throws, saying how to get the corpus, when it is missing. */
export function corpusPath(rel: string): string {
  const p = join(CORPUS_DIR, rel);
  if (!existsSync(p)) {
    throw new Error(`corpus path ${p} is missing: build the dev corpus (bash ../shared/corpus/build-corpus.sh ../shared/corpus/dev.tsv ${CORPUS_DIR}, which \`npm test\` runs when ../shared/corpus exists) or set PANINI_CORPUS_DIR to it`);
  }
  return p;
}

/** `n` bytes of a corpus file from `offset` (all of it without n); throws when the file is missing. */
export function corpusBytes(rel: string, n?: number, offset = 0): Uint8Array {
  const b = readFileSync(corpusPath(rel));
  return new Uint8Array(b.subarray(offset, n === undefined ? undefined : offset + n));
}
