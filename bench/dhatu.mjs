// Dhātu plans vs plz alone, xz -9e and zstd -19, on whole corpus files cut into records of at most 16 MiB (every
// tool codes the same records). Bundles src/dhatu/index.ts with esbuild (no build step needed).
//   node bench/dhatu.mjs [--files a,b] [--fast 3] [--no-anchors] [--no-plz] [--markdown]
// Speeds are MB/s (10^6 bytes of original): CPU time of this process (user + system) for plz and the plans
// (encode includes every trial the planner makes; decode is decodePlan + compare), wall time for the xz / zstd CLIs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defaultCorpusDir } from './lib/util.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const arg = (k, d) => {
  const i = argv.indexOf(k);
  return i >= 0 ? argv[i + 1] : d;
};
const CORPUS = defaultCorpusDir();
const FILES = (arg('--files', 'text-brown-all.txt,json-bcd.json,js-typescript.js,wasm-ort.wasm,elf-esbuild')).split(',');
const FAST = Number(arg('--fast', '3'));
const anchors = !argv.includes('--no-anchors');
const plzAlone = !argv.includes('--no-plz');
const REC = 1 << 24;

const tmp = mkdtempSync(join(tmpdir(), 'dhatu-bench-'));
const out = join(tmp, 'dhatu.mjs');
const esb = spawnSync(join(root, 'node_modules/.bin/esbuild'), [join(root, 'src/dhatu/index.ts'), '--bundle', '--format=esm', '--platform=neutral', `--outfile=${out}`, '--log-level=warning'], { stdio: 'inherit' });
if (esb.status !== 0) process.exit(1);
const D = await import(pathToFileURL(out).href);
rmSync(tmp, { recursive: true, force: true });

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const hintOf = (f) => (f.startsWith('text') ? 'text' : f.startsWith('json') ? 'json' : f.startsWith('js') ? 'js' : f.startsWith('wasm') ? 'wasm' : f.startsWith('elf') ? 'elf' : undefined);
const records = (d) => {
  const r = [];
  for (let o = 0; o < d.length; o += REC) r.push(d.subarray(o, Math.min(d.length, o + REC)));
  return r;
};
function cli(cmd, args, recs) {
  let size = 0;
  const t = performance.now();
  for (const r of recs) {
    const p = spawnSync(cmd, args, { input: r, maxBuffer: 1 << 30 });
    if (p.status !== 0) throw new Error(`${cmd} failed`);
    size += p.stdout.length;
  }
  return { size, s: (performance.now() - t) / 1000 };
}
function plan(recs, level, hint) {
  let size = 0;
  const payloads = [];
  const chosen = [];
  let t = cpu();
  for (const r of recs) {
    const { payload, stats } = D.encodePlan(r, { level, hint });
    size += payload.length;
    payloads.push(payload);
    chosen.push(stats.chosen);
  }
  const enc = cpu() - t;
  t = cpu();
  let off = 0;
  payloads.forEach((p, i) => {
    const back = D.decodePlan(p, { recordOffset: off, recordLength: recs[i].length, maxBytes: REC * 2, where: `record ${i}` });
    if (Buffer.compare(Buffer.from(back), Buffer.from(recs[i])) !== 0) throw new Error(`plan L${level} round trip failed`);
    off += recs[i].length;
  });
  const dec = cpu() - t;
  return { size, enc, dec, chosen: chosen.join('+') };
}

const rows = [];
const fmt = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
for (const f of FILES) {
  const data = readFileSync(join(CORPUS, 'single', f));
  const recs = records(data);
  const mb = data.length / 1e6;
  const row = { file: f, bytes: data.length };
  if (anchors) {
    const x = cli('xz', ['-9e', '-T1', '-c'], recs);
    row.xz = x.size;
    row.xzMBs = mb / x.s;
    const z = cli('zstd', ['-19', '-c', '-q'], recs);
    row.zstd = z.size;
    row.zstdMBs = mb / z.s;
  }
  if (plzAlone) {
    const t = cpu();
    let s = 0;
    const coded = recs.map((r) => D.coderForward([r], { level: 9 }));
    for (const c of coded) s += c.streams[0].length;
    row.plz9 = s;
    row.plz9MBs = mb / (cpu() - t);
    const t2 = cpu();
    for (const c of coded) D.stageKind(1).inverse(c.params, c.streams, { recordOffset: 0, recordLength: 0, maxBytes: REC * 2, where: 'plz' });
    row.plz9Dec = mb / (cpu() - t2);
  }
  const p9 = plan(recs, 9, hintOf(f));
  row.plan9 = p9.size;
  row.plan9Enc = mb / p9.enc;
  row.plan9Dec = mb / p9.dec;
  row.plan9Chosen = p9.chosen;
  const pf = plan(recs, FAST, hintOf(f));
  row.planF = pf.size;
  row.planFEnc = mb / pf.enc;
  row.planFDec = mb / pf.dec;
  row.planFChosen = pf.chosen;
  rows.push(row);
  console.error(JSON.stringify(row));
}
const pct = (a, b) => (b ? `${a < b ? '' : '+'}${(((a - b) / b) * 100).toFixed(2)} %` : '—');
console.log(`| file | xz -9e | zstd -19 | plz L9 (dec MB/s) | plan L9 (vs xz) | chosen | enc / dec MB/s | plan L${FAST} (vs xz) | chosen | enc / dec MB/s |`);
console.log('|---|---:|---:|---:|---:|---|---:|---:|---|---:|');
for (const r of rows) {
  console.log(
    `| ${r.file} | ${fmt(r.xz ?? '—')} | ${fmt(r.zstd ?? '—')} | ${fmt(r.plz9 ?? '—')} (${r.plz9Dec?.toFixed(1) ?? '—'}) | ${fmt(r.plan9)} (${pct(r.plan9, r.xz)}) | ${r.plan9Chosen} | ${r.plan9Enc.toFixed(2)} / ${r.plan9Dec.toFixed(1)} | ${fmt(r.planF)} (${pct(r.planF, r.xz)}) | ${r.planFChosen} | ${r.planFEnc.toFixed(2)} / ${r.planFDec.toFixed(1)} |`,
  );
}
