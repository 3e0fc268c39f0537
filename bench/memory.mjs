// Peak memory of the whole CLI per level (npm run bench:memory): a generated stream (bench/stream.mjs's mixed data,
// never held whole) is piped through `panini-fs compress - -o -` into a file, and that file through
// `panini-fs decompress - -o -` into SHA-256, each a separate process, as a user runs them. For each process the peak
// resident set (VmHWM from /proc/PID/status, read every 20 ms until it exits; Linux), wall time and the container size.
//
//   node bench/memory.mjs [--size 256M] [--levels 1,2,3,6,9] [--sizes 9=32M,...] [--workers N] [--memory M]
//                         [--input FILE] [--json FILE]
//
// --sizes sets a smaller stream for slow levels (default 7=64M, 8=32M, 9=32M): the peak is reached after a few blocks
// per worker, so it does not depend on the stream's length past that. --input FILE streams that file instead of the
// generated data (whole, at every level): e.g. the corpus's single files concatenated, real text, JSON, JS, ELF, wasm,
// PNG and JAR.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MixedData, parseSize } from './stream.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const MiB = 1 << 20;
const MB = 1e6;

function parseArgs(argv) {
  const o = { size: parseSize('256M'), levels: [1, 2, 3, 6, 9], sizes: { 7: 64 * MiB, 8: 32 * MiB, 9: 32 * MiB }, workers: undefined, memory: undefined, input: null, json: null };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].includes('=') && argv[i].startsWith('--') && !argv[i].startsWith('--sizes') ? argv[i].split(/=(.*)/s) : [argv[i], undefined];
    const value = () => inline ?? argv[++i];
    switch (name) {
      case '--size': o.size = parseSize(value()); break;
      case '--levels': o.levels = value().split(',').map(Number); break;
      case '--sizes':
        for (const kv of value().split(',')) {
          const [l, s] = kv.split('=');
          o.sizes[Number(l)] = parseSize(s);
        }
        break;
      case '--workers': o.workers = value(); break;
      case '--memory': o.memory = value(); break;
      case '--input': o.input = value(); break;
      case '--json': o.json = value(); break;
      case '-h':
      case '--help':
        console.log('node bench/memory.mjs [--size 256M] [--levels 1,2,3,6,9] [--sizes 9=32M] [--workers N] [--memory M] [--input FILE] [--json FILE]');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${name}`);
    }
  }
  return o;
}

/** Peak RSS of a running child, polled from /proc (VmHWM only grows, so the last reading is the peak so far). */
function watchPeak(pid) {
  let peak = 0;
  const read = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch {
      // exited
    }
  };
  const t = setInterval(read, 20);
  return () => {
    clearInterval(t);
    return peak;
  };
}

/** Runs the CLI with `args`, feeding it from `input` (an async iterable of chunks) and handing stdout to `output`. */
function runCli(args, input, output) {
  return new Promise((resolveRun, reject) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    const stop = watchPeak(p.pid);
    p.stdout.on('data', output);
    p.on('error', reject);
    p.stdin.on('error', () => {}); // the exit status says what went wrong
    (async () => {
      for await (const b of input) if (!p.stdin.write(b)) await new Promise((r) => p.stdin.once('drain', r));
      p.stdin.end();
    })().catch(reject);
    p.on('close', (code, signal) => {
      const peak = stop();
      if (code !== 0) return reject(new Error(`panini-fs ${args.join(' ')}: status ${code} ${signal ?? ''}`));
      resolveRun({ seconds: (performance.now() - t0) / 1000, peakRss: peak });
    });
  });
}

async function* fromFile(file, hash) {
  for await (const b of createReadStream(file, { highWaterMark: MiB })) {
    hash.update(b);
    yield b;
  }
}

async function* generated(size, hash) {
  const g = new MixedData(1, size);
  for (let b; (b = g.next()) !== null; ) {
    hash.update(b);
    yield b;
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!statSync(CLI, { throwIfNoEntry: false })) throw new Error('dist/cli.js is missing: npm run build');
  const cpus = os.cpus();
  console.log(`panini-fs memory benchmark — ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, Node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const extra = [...(o.workers ? ['--workers', o.workers] : []), ...(o.memory ? ['--memory', o.memory] : [])];
  const dir = mkdtempSync(join(os.tmpdir(), 'panini-memory-'));
  const rows = [];
  try {
    for (const level of o.levels) {
      const size = o.input ? statSync(o.input).size : Math.min(o.size, o.sizes[level] ?? o.size);
      const file = join(dir, `l${level}.pnz`);
      const inHash = createHash('sha256');
      const out = createWriteStream(file);
      const c = await runCli(['compress', '-', '-o', '-', '-q', '--level', String(level), ...extra], o.input ? fromFile(o.input, inHash) : generated(size, inHash), (b) => out.write(b));
      await new Promise((r) => out.end(r));
      const containerSize = statSync(file).size;
      const outHash = createHash('sha256');
      const d = await runCli(['decompress', '-', '-o', '-', '-q', ...(o.workers ? ['--workers', o.workers] : [])], createReadStream(file), (b) => outHash.update(b));
      const identical = inHash.digest('hex') === outHash.digest('hex');
      rmSync(file);
      const row = { level, size, containerSize, identical, compress: c, decompress: d };
      rows.push(row);
      console.log(
        `level ${level}: ${(size / MiB).toFixed(0)} MiB → ${(containerSize / MB).toFixed(1)} MB, ${identical ? 'bit-perfect' : 'DIFFERENT'}; ` +
          `compress peak ${(c.peakRss / MiB).toFixed(0)} MiB (${(size / MB / c.seconds).toFixed(1)} MB/s), ` +
          `decompress peak ${(d.peakRss / MiB).toFixed(0)} MiB (${(size / MB / d.seconds).toFixed(1)} MB/s)`,
      );
      if (!identical) process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (o.json) writeFileSync(o.json, JSON.stringify({ machine: { cpus: cpus.length, model: cpus[0]?.model, node: process.version }, options: o, rows }, null, 2));
}

await main();
