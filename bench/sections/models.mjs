// Section "models": the content classifier's and the plan selector's throughput (chunks/s, MB/s) and latency per
// batch on every device of every ONNX runtime, in one run. A device the runtime cannot start (no CUDA libraries, no
// WebGPU adapter) gets a row with status 'unavailable' and the runtime's reason, never a number. Chunks: 64 KiB pieces
// of the corpus's single files, taken in turn from each file (the same chunks for every device). The feature
// extraction (JavaScript, the same for every device) is timed apart from the model; so is the selector's embedded
// evaluation (what compress runs). Then end to end: compress (in this process, one thread) of each single file at
// levels 2 and 6 with the planner's trials and with the selector, size and time side by side, and the ratios.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRow } from '../lib/rows.mjs';
import { errorMessage, median } from '../lib/util.mjs';

const DIST = new URL('../../dist/node.js', import.meta.url);
const BATCHES = [1, 16, 64, 256];
const CHUNK = 65536;

function corpusChunks(ctx, max) {
  const dir = join(ctx.corpus?.dir ?? '', 'single');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => !f.startsWith('.')).sort() : [];
  const data = files.map((f) => readFileSync(join(dir, f)));
  const out = [];
  for (let k = 0; out.length < max && data.length; k++) {
    let added = false;
    for (const d of data) {
      const a = k * CHUNK * 7;
      if (a + CHUNK <= d.length && out.length < max) {
        out.push(new Uint8Array(d.subarray(a, a + CHUNK)));
        added = true;
      }
    }
    if (!added) break;
  }
  return out;
}

function singleFiles(ctx) {
  const dir = join(ctx.corpus?.dir ?? '', 'single');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => !f.startsWith('.')).sort() : [];
  return files.map((f) => ({ name: f, data: new Uint8Array(readFileSync(join(dir, f))) }));
}

export default {
  name: 'models',
  title: 'Models: classifier and plan selector throughput per device and batch size; compress with the selector vs trials',
  async run(ctx) {
    const P = await import(DIST.href);
    const reg = new P.ModelRegistry();
    const chunks = corpusChunks(ctx, ctx.quick ? 256 : 1024);
    if (!chunks.length) throw new Error('models: no corpus single files to cut chunks from');
    const mb = (chunks.length * CHUNK) / 1e6;
    const rows = [];
    // features once per run, timed
    const ft = [];
    let feats;
    for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
      const t0 = performance.now();
      feats = P.batchFeatures(chunks);
      ft.push((performance.now() - t0) / 1000);
    }
    const fs = median(ft);
    rows.push(makeRow({ section: 'models', item: `features ${chunks.length}×64 KiB`, itemKind: 'core', tool: 'panini-fs', variant: 'javascript', originalBytes: chunks.length * CHUNK, compressTimes: ft, throughputMBps: mb / fs, chunksPerSecond: chunks.length / fs }));
    ctx.report(rows.at(-1));
    // the selector's input rows for the same chunks (level 6: every candidate), where the planner has a choice
    const st0 = performance.now();
    const selRows = [];
    for (const c of chunks) {
      const p = P.planProbe(c, { level: 6 });
      if (p.names.length > 1) selRows.push(P.selectorFeatures(c, p.format, 6, p.names, p.sizes));
    }
    const sft = (performance.now() - st0) / 1000;
    const selFeats = new Float32Array(selRows.length * P.SELECTOR_WIDTH);
    selRows.forEach((r, i) => selFeats.set(r, i * P.SELECTOR_WIDTH));
    rows.push(makeRow({ section: 'models', item: `selector features ${selRows.length}×64 KiB (probe trials included)`, itemKind: 'core', tool: 'panini-fs', variant: 'javascript', originalBytes: selRows.length * CHUNK, compressTimes: [sft], throughputMBps: (selRows.length * CHUNK) / 1e6 / sft, chunksPerSecond: selRows.length / sft }));
    ctx.report(rows.at(-1));
    {
      const L = P.selectorLayers();
      const times = [];
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        for (let i = 0; i < selRows.length; i++) P.selectorLogits(L, selFeats, i * P.SELECTOR_WIDTH);
        times.push((performance.now() - t0) / 1000);
      }
      const sec = median(times);
      rows.push(makeRow({ section: 'models', item: 'plan-selector (embedded)', itemKind: 'core', tool: 'panini-fs', variant: 'javascript float64, one row at a time', originalBytes: selRows.length * CHUNK, compressTimes: times, throughputMBps: (selRows.length * CHUNK) / 1e6 / sec, chunksPerSecond: selRows.length / sec, threads: 1 }));
      ctx.report(rows.at(-1));
    }
    const models = [
      { spec: 'content-classifier', feats, width: P.FEATURE_WIDTH, n: chunks.length },
      { spec: 'plan-selector', feats: selFeats, width: P.SELECTOR_WIDTH, n: selRows.length },
    ];
    for (const m of models) {
      const { entry, bytes } = reg.read(m.spec);
      const W = m.width;
      const feats = m.feats;
      const nChunks = m.n;
      const mbm = (nChunks * CHUNK) / 1e6;
      for (const backend of ['onnxruntime-node', 'onnxruntime-web']) {
        for (const device of ['cpu', 'cuda', 'webgpu']) {
          const base = { section: 'models', item: `${entry.name}@${entry.version}`, itemKind: 'core', tool: backend };
          let s;
          try {
            s = await P.createSession(bytes, { backend, device, threads: 1 });
          } catch (e) {
            rows.push(makeRow({ ...base, variant: device, status: 'unavailable', error: errorMessage(e) }));
            ctx.report(rows.at(-1));
            continue;
          }
          if (s.device !== device) {
            rows.push(makeRow({ ...base, variant: device, status: 'unavailable', error: s.notices.join('; ') }));
            ctx.report(rows.at(-1));
            await s.release();
            continue;
          }
          for (const b of BATCHES) {
            if (!ctx.want(`models/${base.item}/${backend}/${device} batch ${b}`)) continue;
            try {
              const times = [];
              const lat = [];
              await s.run(feats.subarray(0, Math.min(b, nChunks) * W), Math.min(b, nChunks), W); // warm-up
              for (let r = 0; r < Math.max(1, ctx.quick ? 1 : Math.min(3, ctx.runs)); r++) {
                const t0 = performance.now();
                for (let a = 0; a < nChunks; a += b) {
                  const n = Math.min(b, nChunks - a);
                  const t1 = performance.now();
                  await s.run(feats.subarray(a * W, (a + n) * W), n, W);
                  lat.push(performance.now() - t1);
                }
                times.push((performance.now() - t0) / 1000);
              }
              const sec = median(times);
              rows.push(makeRow({ ...base, variant: `${device} batch ${b}`, originalBytes: nChunks * CHUNK, compressTimes: times, throughputMBps: mbm / sec, chunksPerSecond: nChunks / sec, batchLatencyMs: median(lat), threads: 1 }));
            } catch (e) {
              rows.push(makeRow({ ...base, variant: `${device} batch ${b}`, error: errorMessage(e) }));
            }
            ctx.report(rows.at(-1));
          }
          await s.release();
        }
      }
    }
    // end to end: the planner's trials against the selector, same files, same run
    for (const level of [2, 6]) {
      for (const f of singleFiles(ctx)) {
        const data = ctx.quick ? f.data.subarray(0, 8 << 20) : f.data;
        const res = {};
        for (const planner of ['trial', 'model']) {
          const key = `models/${f.name}/panini-fs/L${level} planner ${planner}`;
          if (!ctx.want(key)) continue;
          try {
            const times = [];
            let out;
            for (let r = 0; r < (ctx.quick ? 1 : 2); r++) {
              const t0 = performance.now();
              out = await P.compress(data, { level, planner });
              times.push((performance.now() - t0) / 1000);
            }
            const back = await P.decompress(out);
            const ok = Buffer.from(back).equals(Buffer.from(data));
            res[planner] = { bytes: out.length, sec: median(times) };
            rows.push(makeRow({ section: 'models', item: f.name, itemKind: 'file', tool: 'panini-fs', variant: `L${level} planner ${planner}`, originalBytes: data.length, compressedBytes: out.length, compressTimes: times, verified: ok, verifiedScope: 'file', threads: 1 }));
          } catch (e) {
            rows.push(makeRow({ section: 'models', item: f.name, itemKind: 'file', tool: 'panini-fs', variant: `L${level} planner ${planner}`, error: errorMessage(e) }));
          }
          ctx.report(rows.at(-1));
        }
        if (res.trial && res.model) ctx.note(`models: ${f.name} L${level}: selector/trials size ${(res.model.bytes / res.trial.bytes).toFixed(4)}, time ${(res.model.sec / res.trial.sec).toFixed(3)}`);
      }
    }
    return rows;
  },
};
