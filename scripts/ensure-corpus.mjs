// Makes sure the dev corpus the tests read is there before `npm test` runs them: when $PANINI_CORPUS_DIR (default
// ~/.cache/panini-fs/corpus/dev) has no single/ folder and ../shared/corpus/build-corpus.sh exists, builds it there
// (cached: later runs find it). Without either, says so; the tests that need the corpus then fail with that message.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = process.env.PANINI_CORPUS_DIR || join(homedir(), '.cache', 'panini-fs', 'corpus', 'dev');
const shared = resolve(root, '..', 'shared', 'corpus');
const script = join(shared, 'build-corpus.sh');
const list = join(shared, 'dev.tsv');

if (existsSync(join(dir, 'single'))) {
  console.log(`corpus: ${dir}`);
} else if (existsSync(script) && existsSync(list)) {
  console.log(`corpus: building ${dir} from ${shared}`);
  const r = spawnSync('bash', [script, list, dir], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`corpus: build-corpus.sh failed (${r.error?.message ?? `exit ${r.status}`})`);
    process.exit(1);
  }
} else {
  console.error(`corpus: ${dir} is missing and ${script} was not found: the tests that read the corpus will fail (set PANINI_CORPUS_DIR to a built corpus)`);
}
