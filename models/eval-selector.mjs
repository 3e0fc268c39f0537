// Measures the plan selector on held-back inputs (never read in training: the selector trains on generated chunks
// and the shared corpus) against the exhaustive planner, at levels 2 and 6: the share of the exhaustive planner's size
// gain over the plain coding it keeps, how often its first choice is the planner's, how often it keeps two, and the
// planner time (the exhaustive trials; the selector's probe, features, model and any trial between two). Prints a
// Markdown table; --json prints the cases.
//   npm run build && node models/eval-selector.mjs [--json]
// Inputs: Debian system files of this machine and files of the package's own dependencies (paths below), each group
// concatenated in path order up to 24 MiB and cut into compress's records.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { init, selectorCases, summarizeSelector, filesUnder } from '../dist/node.js';

await init();
const json = process.argv.includes('--json');
const CAP = 24 << 20;
function* cat(files) {
  let n = 0;
  for (const f of files) {
    if (n >= CAP) return;
    const b = readFileSync(f);
    n += b.length;
    yield b.subarray(0, Math.max(0, Math.min(b.length, CAP - n + b.length)));
  }
}
const files = (dir, re, keep = () => true) => (existsSync(dir) ? filesUnder(dir).filter((p) => re.test(p) && keep(p)) : []);
const nm = join(import.meta.dirname, '..', 'node_modules');
const groups = [
  ['Python 3.11 library (*.py)', files('/usr/lib/python3.11', /\.py$/)],
  ['Debian dist-packages (*.py)', files('/usr/lib/python3/dist-packages', /\.py$/)],
  ['/usr/share/doc (*.html)', files('/usr/share/doc', /\.html$/)],
  ['freedesktop MIME database (XML)', files('/usr/share/mime/packages', /freedesktop\.org\.xml$/)],
  ['/usr/include (*.h)', files('/usr/include', /\.h$/)],
  ['glibc locales', files('/usr/share/i18n/locales', /./)],
  ['Perl modules (*.pm)', files('/usr/share/perl', /\.pm$/)],
  ['X keyboard data', files('/usr/share/X11/xkb', /./)],
  ['libLLVM-15 (ELF)', files('/usr/lib/x86_64-linux-gnu', /libLLVM-15\.so\.1$/)],
  ['ICU data (ELF)', files('/usr/lib/x86_64-linux-gnu', /libicudata\.so\.72\.1$/)],
  ['/usr/bin (ELF > 100 KB)', files('/usr/bin', /./, (p) => { try { return statSync(p).size > 100000; } catch { return false; } })],
  ['npm: moment-timezone data (JSON)', files(join(nm, 'moment-timezone/data/packed'), /latest\.json$/)],
  ['npm: @aws-sdk (*.js)', files(join(nm, '@aws-sdk'), /\.js$/)],
  ['npm: source maps (*.map)', files(nm, /\.map$/)],
  ['npm: type declarations (*.d.ts, not TypeScript\'s)', files(nm, /\.d\.ts$/, (p) => !p.includes('/typescript/'))],
  ['npm: *.wasm (not onnxruntime-web)', files(nm, /\.wasm$/, (p) => !p.includes('onnxruntime-web'))],
  ['npm: *.csv', files(nm, /\.csv$/)],
].filter(([, f]) => f.length);

const all = [];
for (const level of [2, 6]) for (const [name, f] of groups) all.push(...selectorCases(name, cat(f), level));
if (json) {
  process.stdout.write(JSON.stringify(all, null, 2) + '\n');
} else {
  const pct = (x) => `${(x * 100).toFixed(1)} %`;
  console.log('| level | inputs | records | gain kept | first choice = planner\'s | two tried | planner ms: trials | planner ms: selector | less time |');
  console.log('|---|---|--:|--:|--:|--:|--:|--:|--:|');
  for (const level of [2, 6]) {
    const row = (label, cs) => {
      const s = summarizeSelector(cs);
      console.log(`| ${level} | ${label} | ${s.cases} | ${pct(s.gainShare)} | ${s.agree}/${s.cases} | ${s.two} | ${s.trialMs.toFixed(0)} | ${s.selectorMs.toFixed(0)} | ${(s.trialMs / s.selectorMs).toFixed(1)}× |`);
    };
    for (const [name] of groups) {
      const cs = all.filter((c) => c.level === level && c.source.startsWith(name + '@'));
      if (cs.length) row(name, cs);
    }
    row('**all**', all.filter((c) => c.level === level));
  }
}
