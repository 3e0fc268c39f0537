// Streaming benchmark (npm run bench:stream): a generated stream of --size bytes (default 4G) goes through
// compressStream → decompressStream in one pipeline, never held whole: the container is piped straight into the
// decompressor and both ends are hashed on the fly (node:crypto SHA-256) and compared. Reports peak RSS (sampled
// process.memoryUsage.rss() and process.resourceUsage().maxRSS; goal ≤ 256 MB) and throughput.
// Second part: the speedup of compress() with 2 workers over 1 on a --speedup-size in-memory input of the same data
// (goal ≥ 1.8×), interleaved runs, median of --runs; decompress() with 2 workers over 1 is reported too.
// Each part runs in its own child process, so peak RSS is the stream's alone.
//
//   node bench/stream.mjs [--size 4G] [--speedup-size 256M] [--runs 3] [--workers 2] [--codec C] [--level N] (default: the library's)
//                         [--only stream|speedup] [--json FILE]
//
// The data (deterministic, seeded PRNG, generated 1 MiB block by block): 60% text-like blocks (spliced from a pool of
// Zipf-ish words from a generated vocabulary), 15% random blocks, 25% repeats of one of the last 48 blocks (so dedup
// finds them inside the default 64 MiB window).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = fileURLToPath(import.meta.url);
const MiB = 1 << 20;
const MB = 1e6;

// ------------------------------------------------------------------------------------------ options
export function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)([kmgt]?)i?b?$/i.exec(String(s).trim());
  if (!m) throw new Error(`bad size ${s} (examples: 4G, 256M, 1048576)`);
  const mult = { '': 1, k: 1024, m: MiB, g: 1024 * MiB, t: 1024 * 1024 * MiB }[m[2].toLowerCase()];
  return Math.round(Number(m[1]) * mult);
}

function parseArgs(argv) {
  const o = { size: parseSize('4G'), speedupSize: parseSize('256M'), runs: 3, workers: 2, level: undefined, codec: undefined, only: null, part: null, json: null, seed: 1, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s) : [argv[i], undefined];
    const value = () => inline ?? argv[++i];
    switch (name) {
      case '--size': o.size = parseSize(value()); break;
      case '--speedup-size': o.speedupSize = parseSize(value()); break;
      case '--runs': o.runs = Math.max(1, Number(value())); break;
      case '--workers': o.workers = Number(value()); break;
      case '--level': o.level = Number(value()); break;
      case '--codec': o.codec = value(); break;
      case '--seed': o.seed = Number(value()); break;
      case '--only': o.only = value(); break;
      case '--part': o.part = value(); break;
      case '--json': o.json = value(); break;
      case '--verbose': o.verbose = true; break;
      case '-h':
      case '--help':
        console.log('node bench/stream.mjs [--size 4G] [--speedup-size 256M] [--runs 3] [--workers 2] [--codec C] [--level N] [--only stream|speedup] [--json FILE]');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${name}`);
    }
  }
  return o;
}

// ------------------------------------------------------------------------------------------ data
/** The codec and level given on the command line; the library's defaults for those not given. */
function codecOpts(o) {
  return { ...(o.codec ? { codec: o.codec } : {}), ...(o.level !== undefined ? { level: o.level } : {}) };
}

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function makeVocabulary(seed) {
  const rnd = mulberry32(seed);
  const letters = 'etaoinshrdlucmfwypvbgkjqxz';
  const words = [];
  for (let i = 0; i < 8192; i++) {
    const len = 1 + (rnd() % 4) + (rnd() % 6);
    let w = '';
    for (let j = 0; j < len; j++) w += letters[Math.floor(letters.length * (rnd() / 2 ** 32) ** 2)];
    words.push(new TextEncoder().encode(w));
  }
  return words;
}

/**
 * Deterministic mixed data, produced one block at a time. Text blocks are spliced from an 8 MiB pool of generated
 * text (segments of 0.5–4.5 KiB at random offsets: word statistics like text, no chunk-level repeats), which keeps
 * the generator at memcpy speed: it must not be what the benchmark measures.
 */
export class MixedData {
  constructor(seed, total, block = MiB) {
    this.rnd = mulberry32(seed);
    this.pool = wordSalad(seed ^ 0x9e3779b9, 8 * MiB, makeVocabulary(seed ^ 0x85ebca6b));
    this.total = total;
    this.block = block;
    this.produced = 0;
    this.recent = []; // { kind, seed } of the last 48 generated blocks
  }

  /** The next block (a fresh array), or null at the end. */
  next() {
    if (this.produced >= this.total) return null;
    const len = Math.min(this.block, this.total - this.produced);
    const r = this.rnd() / 2 ** 32;
    let kind;
    let seed;
    if (r < 0.25 && this.recent.length > 0) {
      ({ kind, seed } = this.recent[this.rnd() % this.recent.length]);
    } else {
      kind = r < 0.4 ? 'random' : 'text';
      seed = this.rnd();
      this.recent.push({ kind, seed });
      if (this.recent.length > 48) this.recent.shift();
    }
    const out = kind === 'random' ? randomBlock(seed, this.block) : textBlock(seed, this.block, this.pool);
    this.produced += len;
    return len === out.length ? out : out.subarray(0, len);
  }
}

function randomBlock(seed, n) {
  const rnd = mulberry32(seed);
  const words = new Uint32Array(n >>> 2);
  for (let i = 0; i < words.length; i++) words[i] = rnd();
  return new Uint8Array(words.buffer);
}

function textBlock(seed, n, pool) {
  const rnd = mulberry32(seed);
  const out = new Uint8Array(n);
  for (let k = 0; k < n; ) {
    const len = Math.min(n - k, 512 + (rnd() & 4095));
    const from = rnd() % (pool.length - len);
    out.set(pool.subarray(from, from + len), k);
    k += len;
  }
  return out;
}

const PUNCT = [0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x2c, 0x2e, 0x0a];
/** n bytes of words drawn Zipf-like from the vocabulary, with spaces, punctuation and line breaks. */
function wordSalad(seed, n, vocab) {
  const rnd = mulberry32(seed);
  const out = new Uint8Array(n);
  let k = 0;
  while (k < n) {
    const r = rnd();
    const w = vocab[Math.floor(vocab.length * ((r & 0xffff) / 65536) ** 3)];
    const m = Math.min(w.length, n - k);
    for (let j = 0; j < m; j++) out[k + j] = w[j];
    k += m;
    if (k < n) out[k++] = PUNCT[(r >>> 16) % PUNCT.length];
  }
  return out;
}

// ------------------------------------------------------------------------------------------ parts
/** CPU seconds of the whole process (every thread, exited ones included) and of the main thread alone (Linux). */
function cpuNow() {
  const c = process.cpuUsage();
  let main = null;
  try {
    const st = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    main = (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100 on Linux)
  } catch {
    // not Linux: no per-thread figure
  }
  return { total: (c.user + c.system) / 1e6, main };
}
function cpuSince(a) {
  const b = cpuNow();
  return { total: b.total - a.total, main: a.main === null || b.main === null ? null : b.main - a.main };
}

const fmt = (b) => `${(b / MB).toFixed(1)} MB`;
const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

async function loadPanini() {
  const p = await import('../dist/node.js');
  await p.init();
  return p;
}

async function partStream(o) {
  const p = await loadPanini();
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);
  const gen = new MixedData(o.seed, o.size);
  const hashIn = createHash('sha256');
  const hashOut = createHash('sha256');
  let inBytes = 0;
  let containerBytes = 0;
  let outBytes = 0;
  let lastReport = 0;
  const t0 = performance.now();
  const cpu0 = cpuNow();
  const source = new ReadableStream(
    {
      pull(c) {
        const b = gen.next();
        if (b === null) return c.close();
        hashIn.update(b);
        inBytes += b.length;
        c.enqueue(b);
      },
    },
    { highWaterMark: 0 },
  );
  const count = new TransformStream({
    transform(b, c) {
      containerBytes += b.length;
      c.enqueue(b);
    },
  });
  const sink = new WritableStream({
    write(b) {
      hashOut.update(b);
      outBytes += b.length;
      if (outBytes - lastReport >= (o.verbose ? 32 : 256) * MiB) {
        lastReport = outBytes;
        const s = (performance.now() - t0) / 1000;
        const m = process.memoryUsage();
        const line = `${fmt(outBytes)} in ${s.toFixed(0)} s, rss ${fmt(m.rss)} (heap ${fmt(m.heapUsed)}, array buffers ${fmt(m.arrayBuffers)})`;
        if (process.stderr.isTTY) process.stderr.write(`\r  ${line}   `);
        else if (o.verbose) process.stderr.write(`  ${line}\n`);
      }
    },
  });
  await source
    .pipeThrough(p.compressStream({ workers: o.workers, ...codecOpts(o) }))
    .pipeThrough(count)
    .pipeThrough(p.decompressStream())
    .pipeTo(sink);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSince(cpu0);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  if (process.stderr.isTTY) process.stderr.write('\n');
  const inHex = hashIn.digest('hex');
  const outHex = hashOut.digest('hex');
  return {
    size: inBytes,
    containerSize: containerBytes,
    ratio: containerBytes / inBytes,
    outSize: outBytes,
    sha256In: inHex,
    sha256Out: outHex,
    identical: inHex === outHex && inBytes === outBytes,
    seconds,
    mbps: inBytes / MB / seconds,
    cpuSeconds: cpu.total,
    mainCpuSeconds: cpu.main,
    peakRssSampled: peakRss,
    maxRss: process.resourceUsage().maxRSS * 1024,
    workers: o.workers,
    ...codecOpts(o),
  };
}

async function partSpeedup(o) {
  const p = await loadPanini();
  const gen = new MixedData(o.seed + 1, o.speedupSize);
  const data = new Uint8Array(o.speedupSize);
  for (let at = 0, b; (b = gen.next()) !== null; at += b.length) data.set(b, at);
  const times = { 1: [], 2: [] };
  const dtimes = { 1: [], 2: [] };
  const cpus = { 1: [], 2: [] };
  const dcpus = { 1: [], 2: [] };
  let reference;
  let container;
  for (let r = 0; r < o.runs; r++) {
    // interleaved, alternating which goes first
    for (const w of r % 2 ? [2, 1] : [1, 2]) {
      const c0 = cpuNow();
      const t = performance.now();
      const c = await p.compress(data, { workers: w, ...codecOpts(o) });
      times[w].push((performance.now() - t) / 1000);
      cpus[w].push(cpuSince(c0));
      const h = createHash('sha256').update(c).digest('hex');
      if (reference === undefined) {
        reference = h;
        container = c;
      } else if (h !== reference) throw new Error(`compress with ${w} workers gave different bytes`);
    }
    for (const w of r % 2 ? [2, 1] : [1, 2]) {
      const c0 = cpuNow();
      const t = performance.now();
      const d = await p.decompress(container, { workers: w });
      dtimes[w].push((performance.now() - t) / 1000);
      dcpus[w].push(cpuSince(c0));
      if (d.length !== data.length) throw new Error('decompress size differs');
    }
  }
  const back = await p.decompress(container);
  if (Buffer.compare(back, data) !== 0) throw new Error('round trip differs');
  const m = (xs) => median(xs);
  // What the run would take on an otherwise idle machine with `cores` cores, from the CPU it used: the main thread
  // cannot go faster than its own CPU time, and all threads together not faster than their CPU spread over the
  // cores. Measured wall times on a busy machine say little; this estimate does not depend on the load.
  const cores = os.cpus().length;
  const estimate = (c) => {
    const total = m(c[1].map((x) => x.total));
    const main2 = c[2].every((x) => x.main !== null) ? m(c[2].map((x) => x.main)) : null;
    const total2 = m(c[2].map((x) => x.total));
    return { cpu1: total, cpu2: total2, main2, cores, speedup: total / Math.max(main2 ?? 0, total2 / Math.min(cores, 2)) };
  };
  return {
    size: data.length,
    containerSize: container.length,
    runs: o.runs,
    compressSeconds: times,
    decompressSeconds: dtimes,
    compress1: { seconds: m(times[1]), mbps: data.length / MB / m(times[1]) },
    compress2: { seconds: m(times[2]), mbps: data.length / MB / m(times[2]) },
    compressSpeedup: m(times[1]) / m(times[2]),
    decompress1: { seconds: m(dtimes[1]), mbps: data.length / MB / m(dtimes[1]) },
    decompress2: { seconds: m(dtimes[2]), mbps: data.length / MB / m(dtimes[2]) },
    decompressSpeedup: m(dtimes[1]) / m(dtimes[2]),
    compressCpu: cpus,
    decompressCpu: dcpus,
    compressEstimate: estimate(cpus),
    decompressEstimate: estimate(dcpus),
  };
}

// ------------------------------------------------------------------------------------------ main
function child(part, argv) {
  const r = spawnSync(process.execPath, [HERE, ...argv, '--part', part], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`part ${part} failed (status ${r.status}, signal ${r.signal})`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function main() {
  const argv = process.argv.slice(2);
  const o = parseArgs(argv);
  if (o.part === 'stream') return console.log(JSON.stringify(await partStream(o)));
  if (o.part === 'speedup') return console.log(JSON.stringify(await partSpeedup(o)));

  const cpus = os.cpus();
  console.log(`panini-fs streaming benchmark — ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, Node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const result = { machine: { cpus: cpus.length, model: cpus[0]?.model, node: process.version, loadStart: os.loadavg() }, options: o };
  if (o.only !== 'speedup') {
    console.log(`stream: ${fmt(o.size)} generated → compressStream(${JSON.stringify({ workers: o.workers, ...codecOpts(o) })}) → decompressStream() → SHA-256 …`);
    const s = child('stream', argv);
    result.stream = s;
    console.log(`  bit-perfect: ${s.identical ? 'yes' : 'NO'} (sha256 ${s.sha256Out.slice(0, 16)}…, ${fmt(s.outSize)})`);
    console.log(`  container: ${fmt(s.containerSize)} (${(100 * s.ratio).toFixed(1)}% of the input)`);
    console.log(`  time: ${s.seconds.toFixed(1)} s → ${s.mbps.toFixed(1)} MB/s through compress+decompress (CPU ${s.cpuSeconds.toFixed(1)} s, main thread ${s.mainCpuSeconds?.toFixed(1) ?? '?'} s)`);
    const mib = (b) => `${(b / MiB).toFixed(1)} MiB`;
    const peak = Math.max(s.peakRssSampled, s.maxRss);
    console.log(`  peak RSS: ${mib(s.peakRssSampled)} sampled, ${mib(s.maxRss)} maxRSS (goal ≤ 256 MiB: ${peak <= 256 * MiB ? 'met' : 'NOT met'})`);
    if (!s.identical) process.exitCode = 1;
  }
  if (o.only !== 'stream') {
    console.log(`speedup: compress() of ${fmt(o.speedupSize)} in memory, workers 1 vs 2, ${o.runs} interleaved runs, median …`);
    const s = child('speedup', argv);
    result.speedup = s;
    const list = (xs) => xs.map((x) => x.toFixed(2)).join(', ');
    console.log(`  compress   1 worker ${s.compress1.mbps.toFixed(1)} MB/s [${list(s.compressSeconds[1])} s], 2 workers ${s.compress2.mbps.toFixed(1)} MB/s [${list(s.compressSeconds[2])} s] → ${s.compressSpeedup.toFixed(2)}× (goal ≥ 1.8×: ${s.compressSpeedup >= 1.8 ? 'met' : 'NOT met'})`);
    console.log(`  decompress 1 worker ${s.decompress1.mbps.toFixed(1)} MB/s [${list(s.decompressSeconds[1])} s], 2 workers ${s.decompress2.mbps.toFixed(1)} MB/s [${list(s.decompressSeconds[2])} s] → ${s.decompressSpeedup.toFixed(2)}×`);
    console.log(`  container: ${fmt(s.containerSize)} (${((100 * s.containerSize) / s.size).toFixed(1)}%)`);
    for (const [what, e] of [['compress', s.compressEstimate], ['decompress', s.decompressEstimate]]) {
      console.log(
        `  ${what} CPU: 1 worker ${e.cpu1.toFixed(2)} s; 2 workers ${e.cpu2.toFixed(2)} s (main thread ${e.main2 === null ? '?' : e.main2.toFixed(2)} s) → ${e.speedup.toFixed(2)}× on an idle ${e.cores}-core machine (CPU-bound estimate)`,
      );
    }
  }
  result.machine.loadEnd = os.loadavg();
  console.log(`load at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  if (o.json) writeFileSync(o.json, JSON.stringify(result, null, 2));
}

// run when started as a script (the generator can be imported)
if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) await main();
