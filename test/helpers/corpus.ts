// Where the tests find the dev corpus (../shared/corpus/build-corpus.sh builds it; tests that need it skip without).
import { homedir } from 'node:os';
import { join } from 'node:path';

/** $PANINI_CORPUS_DIR, else ~/.cache/panini-fs/corpus/dev (as the benchmark harness: bench/lib/util.mjs). */
export const CORPUS_DIR = process.env.PANINI_CORPUS_DIR || join(homedir(), '.cache', 'panini-fs', 'corpus', 'dev');
