// The context-mixing coder (assembly/cm/, build/cm.wasm) against `zpaq a -method 5` in the same run, on the first
// --size bytes of each corpus file: sizes (bytes, exact) and speed per core (CPU seconds of this process for the
// coder, user + system CPU seconds of the zpaq process, so that other load on the machine does not count).
// Usage: node bench/cm.mjs [--size 2097152] [--bits 20] [--files a,b] [--json out.json]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultCorpusDir } from './lib/util.mjs';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: defaultCorpusDir() },
    files: { type: 'string', default: 'text-brown-all.txt,json-bcd.json,js-typescript.js,wasm-ort.wasm,elf-esbuild' },
    size: { type: 'string', default: String(2 << 20) },
    bits: { type: 'string', default: '21' },
    json: { type: 'string' },
  },
});
const root = new URL('..', import.meta.url).pathname;
const wasmPath = join(root, 'build/cm.wasm');
if (!existsSync(wasmPath)) {
  console.error(`${wasmPath} is missing: run node scripts/build-cm-wasm.mjs first`);
  process.exit(2);
}
const zp = spawnSync('zpaq', [], { encoding: 'utf8' });
if (zp.error) {
  console.error('zpaq is not installed (apt-get install zpaq): the comparison needs it');
  process.exit(2);
}
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {});
const x = instance.exports;
const bits = Number(values.bits);
if (x.reserve(bits) !== 0) throw new Error('cm memory');
const mem = () => new Uint8Array(x.memory.buffer);
const cpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const size = Number(values.size);
const tmp = mkdtempSync(join(tmpdir(), 'panini-cm-'));
const rows = [];
for (const name of values.files.split(',').filter(Boolean)) {
  const path = join(values.corpus, 'single', name);
  if (!existsSync(path)) throw new Error(`corpus file ${path} is missing`);
  const block = new Uint8Array(readFileSync(path).subarray(0, size));
  mem().set(block, x.bufPtr());
  let t = cpuS();
  const n = x.encode(block.length, bits);
  const encS = cpuS() - t;
  if (n < 0) throw new Error(`encode failed ${n}`);
  const payload = mem().slice(x.payPtr(), x.payPtr() + n);
  mem().fill(0, x.bufPtr(), x.bufPtr() + block.length);
  mem().set(payload, x.payPtr());
  t = cpuS();
  const r = x.decode(n, block.length, bits);
  const decS = cpuS() - t;
  if (r !== block.length || !Buffer.from(mem().subarray(x.bufPtr(), x.bufPtr() + block.length)).equals(Buffer.from(block))) throw new Error(`${name}: round trip failed`);
  const cm = n + 6; // + the payload header of src/codec/cm.ts
  // zpaq in the same run, on the same bytes
  const src = join(tmp, name);
  writeFileSync(src, block);
  const arc = join(tmp, `${name}.zpaq`);
  rmSync(arc, { force: true });
  const z = spawnSync('/usr/bin/time', ['-f', '%U %S', 'zpaq', 'a', arc, name, '-method', '5', '-threads', '1'], { cwd: tmp, encoding: 'utf8' });
  if (z.status !== 0) throw new Error(`zpaq failed: ${z.stderr}`);
  const [u, s] = z.stderr.trim().split('\n').pop().split(' ').map(Number);
  const zS = u + s;
  const zpaq = statSync(arc).size;
  const row = { file: name, bytes: block.length, cm, zpaq, ratio: +(cm / zpaq).toFixed(4), cmEncMBs: +(block.length / encS / 1e6).toFixed(3), cmDecMBs: +(block.length / decS / 1e6).toFixed(3), zpaqMBs: +(block.length / zS / 1e6).toFixed(3) };
  rows.push(row);
  console.log(`${name.padEnd(20)} ${String(block.length).padStart(8)} B  cm ${String(cm).padStart(8)}  zpaq -m5 ${String(zpaq).padStart(8)}  cm/zpaq ${row.ratio.toFixed(3)}  cm enc ${row.cmEncMBs} dec ${row.cmDecMBs} MB/s  zpaq ${row.zpaqMBs} MB/s (CPU)`);
}
rmSync(tmp, { recursive: true, force: true });
if (values.json) writeFileSync(values.json, JSON.stringify({ bits, size, rows }, null, 2));
