// The plan selector (src/dhatu/selector.ts) and the planner's `planner: 'model'` path: the embedded weights are the
// shipped .onnx file's (rebuilt from them, hashed with node:crypto against the registry), onnxruntime on the CPU gives
// the same probabilities and choices as the embedded float64 evaluation, the planner codes only what the selector
// kept and the plan decodes (the planner's own decoder and the independent reference decoder), compress/decompress
// round trips against node:crypto, a container made with the selector decoded by a process in which no ONNX runtime
// can load, determinism, option validation, and the soft-target trainer against hard labels.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PaniniError } from '../../src/errors.js';
import { compress, decompress, init } from '../../src/index.js';
import { decodePlan } from '../../src/dhatu/plan.js';
import { encodePlan, planCandidates, planProbe } from '../../src/dhatu/planner.js';
import { CODER_PLZ } from '../../src/dhatu/stages/coder.js';
import { CANDIDATE_NAMES, FORMAT_GROUPS, SELECTOR_WIDTH, rankCandidates, selectCandidates, selectorFeatures, selectorLayers, selectorLogits } from '../../src/dhatu/selector.js';
import { SELECTOR_MODEL } from '../../src/dhatu/selector-model.js';
import { FORMATS } from '../../src/grammar/index.js';
import { CLASSES } from '../../src/model/features.js';
import { generateChunk, seeded } from '../../src/model/generate.js';
import { createSession } from '../../src/model/runtime.js';
import { SELECTOR_NAME, selectorOnnx, selectorTarget } from '../../src/model/selector-train.js';
import { trainMlp } from '../../src/model/train.js';
import { decodePnz } from '../reference/pnz-decode.js';
import { corpusBytes } from '../helpers/corpus.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const registry = JSON.parse(readFileSync(join(ROOT, 'models/registry.json'), 'utf8')) as { models: Array<{ name: string; version: string; sha256: string; file: string }> };
const ctxFor = (n: number) => ({ recordOffset: 0, recordLength: n, maxBytes: 1 << 27, where: 'record 0 at byte 0' });

/** Inputs the planner has a choice for: generated chunks of every class, and slices of real corpus files. */
function inputs(): { data: Uint8Array; format: string }[] {
  const out: { data: Uint8Array; format: string }[] = [];
  const r = seeded(99);
  for (const cls of CLASSES) out.push({ data: generateChunk(cls, seeded(Math.floor(r() * 2 ** 32)), 96 << 10, true), format: cls === 'source' ? 'js' : cls === 'json' ? 'json' : cls === 'table' ? 'csv' : cls === 'wasm' ? 'wasm' : 'text' });
  out.push({ data: corpusBytes('single/text-brown-all.txt', 300 << 10, 1 << 20), format: 'text' });
  out.push({ data: corpusBytes('single/js-typescript.js', 300 << 10, 2 << 20), format: 'js' });
  out.push({ data: corpusBytes('single/json-bcd.json', 300 << 10, 3 << 20), format: 'json' });
  out.push({ data: corpusBytes('single/wasm-ort.wasm', 300 << 10), format: 'wasm' });
  out.push({ data: corpusBytes('single/elf-esbuild', 300 << 10, 1 << 20), format: 'elf' });
  return out;
}

describe('plan selector', () => {
  it('its output columns are the planner candidates, every format group has its list', () => {
    const seen = new Set<string>();
    for (const f of [...FORMATS, 'generic', 'anything']) for (const l of [2, 9]) for (const n of planCandidates(f, l)) seen.add(n);
    expect([...seen].sort()).toEqual([...CANDIDATE_NAMES].sort());
    expect(FORMAT_GROUPS.length).toBe(8);
  });

  it('the embedded weights are the shipped .onnx file (rebuilt from them, node:crypto against the registry)', () => {
    const entry = registry.models.find((m) => m.name === SELECTOR_NAME && m.version === SELECTOR_MODEL.version);
    expect(entry, `registry has ${SELECTOR_NAME}@${SELECTOR_MODEL.version}`).toBeDefined();
    const file = readFileSync(join(ROOT, 'models', entry!.file));
    expect(sha(file)).toBe(entry!.sha256);
    expect(SELECTOR_MODEL.onnxSha256).toBe(entry!.sha256);
    const L = selectorLayers();
    expect(L[0]!.in).toBe(SELECTOR_WIDTH);
    expect(L[L.length - 1]!.out).toBe(CANDIDATE_NAMES.length);
    expect(sha(selectorOnnx(SELECTOR_MODEL.version, L))).toBe(entry!.sha256);
  });

  it('onnxruntime on the CPU gives the embedded evaluation\'s probabilities and the same choices', { timeout: 60_000 }, async () => {
    const entry = registry.models.find((m) => m.name === SELECTOR_NAME && m.version === SELECTOR_MODEL.version)!;
    const s = await createSession(readFileSync(join(ROOT, 'models', entry.file)), { device: 'cpu' });
    const rows: { f: Float32Array; allowed: string[] }[] = [];
    for (const { data, format } of inputs()) {
      for (const level of [2, 6]) {
        const p = planProbe(data, { level, hint: format });
        if (p.names.length < 2) continue;
        rows.push({ f: selectorFeatures(data, format, level, p.names, p.sizes), allowed: p.names });
      }
    }
    expect(rows.length).toBeGreaterThan(20);
    const x = new Float32Array(rows.length * SELECTOR_WIDTH);
    rows.forEach((r, i) => x.set(r.f, i * SELECTOR_WIDTH));
    const probs = await s.run(x, rows.length, SELECTOR_WIDTH);
    await s.release();
    const k = CANDIDATE_NAMES.length;
    let worst = 0;
    rows.forEach((r, i) => {
      const z = selectorLogits(selectorLayers(), r.f);
      const m = Math.max(...z);
      const e = Array.from(z, (v) => Math.exp(v - m));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < k; j++) worst = Math.max(worst, Math.abs(probs[i * k + j]! - e[j]! / sum));
      const fromOrt = rankCandidates(Float64Array.from(probs.subarray(i * k, (i + 1) * k), (v) => Math.log(v)), r.allowed, 0).names[0];
      expect(fromOrt).toBe(rankCandidates(z, r.allowed, 0).names[0]);
    });
    expect(worst).toBeLessThan(1e-4);
  });

  it('rankCandidates: renormalised over the allowed, the second kept within the margin, ties to the earlier', () => {
    const z = new Float64Array(CANDIDATE_NAMES.length);
    const at = (n: string): number => (CANDIDATE_NAMES as readonly string[]).indexOf(n);
    z[at('words')] = 2;
    z[at('plain')] = 2 - Math.log(4); // a quarter of words
    z[at('json')] = 9; // not allowed: no weight
    expect(rankCandidates(z, ['plain', 'words'], 0.5)).toEqual({ names: ['words'], confidence: 0.8 });
    expect(rankCandidates(z, ['plain', 'words'], 0.2).names).toEqual(['words', 'plain']);
    const tie = new Float64Array(CANDIDATE_NAMES.length);
    expect(rankCandidates(tie, ['runs', 'plain'], 2).names).toEqual(['runs']);
    expect(() => rankCandidates(tie, ['nonsense'], 2)).toThrow(PaniniError);
  });

  it("planner 'model' codes only what the selector kept; the plan decodes to the input; deterministic", () => {
    for (const { data, format } of inputs()) {
      for (const level of [2, 6]) {
        const a = encodePlan(data, { level, hint: format, planner: 'model' });
        const b = encodePlan(data, { level, hint: format, planner: 'model' });
        expect(Buffer.from(a.payload).equals(Buffer.from(b.payload))).toBe(true);
        const sel = a.stats.selected!;
        expect(sel, `${format} L${level}`).toBeDefined();
        expect(sel.names.length === 1 || sel.names.length === 2).toBe(true);
        expect(sel.names).toContain(a.stats.chosen === 'plain' && !sel.names.includes('plain') ? sel.names[0] : a.stats.chosen);
        // one kept: no trial at all; two kept: a trial of those two only
        expect(a.stats.tried.map((t) => t.name)).toEqual(sel.names.length === 1 ? [] : sel.names);
        expect(sel).toEqual({ ...selectCandidates(data, format, level, planCandidates(format, level), planProbe(data, { level, hint: format, coder: CODER_PLZ }).sizes), model: SELECTOR_MODEL.version });
        expect(Buffer.from(decodePlan(a.payload, ctxFor(data.length))).equals(Buffer.from(data))).toBe(true);
        const t = encodePlan(data, { level, hint: format });
        expect(t.stats.selected).toBeUndefined();
        expect(t.stats.tried.length).toBe(planCandidates(format, level).length);
      }
    }
  });

  it("compress with planner 'model' round-trips (node:crypto, the reference decoder) and is deterministic", async () => {
    await init();
    const data = new Uint8Array([...corpusBytes('single/text-brown-all.txt', 1 << 20, 3 << 20), ...corpusBytes('single/json-bcd.json', 1 << 20, 5 << 20)]);
    for (const level of [1, 2, 5]) {
      const c = await compress(data, { level, planner: 'model', blockSize: 1 << 20 });
      expect(Buffer.from(await compress(data, { level, planner: 'model', blockSize: 1 << 20 })).equals(Buffer.from(c))).toBe(true);
      expect(sha(await decompress(c))).toBe(sha(data));
      expect(sha(decodePnz(c).output)).toBe(sha(data));
    }
  });

  it('a container made with the selector decodes in a process where no ONNX runtime can load', { timeout: 60_000 }, async () => {
    await init();
    const data = corpusBytes('single/js-typescript.js', 3 << 20, 1 << 20);
    const c = await compress(data, { level: 2, planner: 'model', blockSize: 1 << 20 });
    const dir = mkdtempSync(join(tmpdir(), 'panini-noort-'));
    try {
      writeFileSync(join(dir, 'x.pnz'), c);
      // a resolve hook that refuses both runtime packages: the process has no onnxruntime at all
      writeFileSync(join(dir, 'block.mjs'), "export async function resolve(s, c, next) { if (s.startsWith('onnxruntime')) throw new Error('no ' + s + ' here'); return next(s, c); }\n");
      writeFileSync(join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./block.mjs', import.meta.url);\n");
      const script = `const P = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/node.js')).href)});
        const out = await P.decompress(new Uint8Array((await import('node:fs')).readFileSync(${JSON.stringify(join(dir, 'x.pnz'))})));
        let ort = 'loaded';
        try { await (await P.createSession(new Uint8Array((await import('node:fs')).readFileSync(${JSON.stringify(join(ROOT, 'models', 'plan-selector-1.0.0.onnx'))})), { device: 'cpu' })).release(); } catch (e) { ort = e.code; }
        console.log((await import('node:crypto')).createHash('sha256').update(out).digest('hex'), ort);`;
      const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, '--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe(`${sha(data)} MODEL`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the planner option is validated', async () => {
    await init();
    const d = new Uint8Array(1000);
    await expect(compress(d, { planner: 'guess' as 'model' })).rejects.toMatchObject({ code: 'OPTION', where: { option: 'planner' } });
    await expect(compress(d, { codec: 'deflate', planner: 'model' })).rejects.toMatchObject({ code: 'OPTION', where: { option: 'planner' } });
    expect(() => encodePlan(d, { level: 0, planner: 'model' })).toThrow(PaniniError);
  });
});

describe('trainer', () => {
  it('soft targets that are one-hot train the same weights as hard labels', () => {
    const r = seeded(5);
    const n = 60;
    const x = Float32Array.from({ length: n * 6 }, () => r());
    const y = Int32Array.from({ length: n }, (_, i) => i % 3);
    const soft = new Float32Array(n * 3);
    y.forEach((c, i) => (soft[i * 3 + c] = 1));
    const a = trainMlp(x, y, 6, 3, { hidden: [4], epochs: 3, seed: 1 });
    const b = trainMlp(x, soft, 6, 3, { hidden: [4], epochs: 3, seed: 1 });
    a.forEach((l, i) => {
      expect(Buffer.from(l.weights.buffer).equals(Buffer.from(b[i]!.weights.buffer))).toBe(true);
      expect(Buffer.from(l.bias.buffer).equals(Buffer.from(b[i]!.bias.buffer))).toBe(true);
    });
  });

  it('the target: the best candidate most, one 1 % larger e^-1 of it, the inapplicable none', () => {
    const t = selectorTarget([{ name: 'plain', size: 1010 }, { name: 'words', size: 1000 }, { name: 'runs', size: Infinity }], 100);
    const at = (n: string): number => t[(CANDIDATE_NAMES as readonly string[]).indexOf(n)]!;
    expect(at('plain') / at('words')).toBeCloseTo(Math.exp(-1), 5);
    expect(at('runs')).toBe(0);
    expect(t.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });
});
