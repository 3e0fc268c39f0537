// Command-line options of bench/run.mjs.
export const USAGE = `usage: npm run bench -- [options]
  --corpus DIR        corpus folder (single/, tree/, versions/). Default: $PANINI_CORPUS_DIR, else
                      ~/.cache/panini-fs/corpus/dev (built with ../shared/corpus/build-corpus.sh when missing)
  --out DIR           where results.json, report.md and report.html go (default .bench/latest)
  --quick             smoke run: one repetition, the fastest setting of each tool
  --filter REGEX      run only measurements whose key "section/item/tool/variant" matches REGEX
  --sections LIST     comma-separated sections to run (default: all: single,trees,core)
  --runs N            repetitions per measurement (default 5; --quick: 1); the median is reported
  --budget S          stop repeating a measurement once its runs took S seconds in all (default 10)
  --threads N         threads given to every tool that has a setting for it (default 1)
  --frontier          section single also measures the levels in between (panini-fs dhatu L2-L5, zstd -9 to -18,
                      xz -1 to -6, brotli -q 5/9): the speed/size frontier each tool draws on this machine
  --render DIR        only re-write report.md and report.html from DIR/results.json (no measuring)
  --no-build          (ignored by run.mjs; the npm script builds first)
  -h, --help          this text`;

export function parseArgs(argv) {
  const o = {
    corpus: null,
    out: null,
    quick: false,
    filter: null,
    sections: null,
    runs: null,
    budget: 10,
    threads: 1,
    frontier: false,
    help: false,
    render: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
    const value = () => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    const int = (min) => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`${name} wants an integer >= ${min}, got ${v}`);
      return n;
    };
    switch (name) {
      case '--corpus':
        o.corpus = value();
        break;
      case '--out':
        o.out = value();
        break;
      case '--quick':
        o.quick = true;
        break;
      case '--filter': {
        const v = value();
        try {
          o.filter = new RegExp(v);
        } catch (e) {
          throw new Error(`--filter: bad regular expression ${v}: ${e.message}`);
        }
        break;
      }
      case '--sections':
        o.sections = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case '--runs':
        o.runs = int(1);
        break;
      case '--budget': {
        const v = Number(value());
        if (!(v >= 0)) throw new Error('--budget wants seconds >= 0');
        o.budget = v;
        break;
      }
      case '--threads':
        o.threads = int(1);
        break;
      case '--frontier':
        o.frontier = true;
        break;
      case '--render':
        o.render = value();
        break;
      case '--no-build':
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  if (o.runs == null) o.runs = o.quick ? 1 : 5;
  return o;
}
