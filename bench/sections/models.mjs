// Section "models": the content classifier's throughput (chunks/s, MB/s) and latency per batch on every device of
// every ONNX runtime, in one run. A device the runtime cannot start (no CUDA libraries, no WebGPU adapter) gets a row
// with status 'unavailable' and the runtime's reason, never a number. Chunks: 64 KiB pieces of the corpus's single
// files, taken in turn from each file (the same chunks for every device). The feature extraction (JavaScript, the
// same for every device) is timed apart from the model.
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

export default {
  name: 'models',
  title: 'Models: content classifier throughput per device and batch size',
  async run(ctx) {
    const P = await import(DIST.href);
    const reg = new P.ModelRegistry();
    const { entry, bytes } = reg.read('content-classifier');
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
    const W = P.FEATURE_WIDTH;
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
            await s.run(feats.subarray(0, Math.min(b, chunks.length) * W), Math.min(b, chunks.length), W); // warm-up
            for (let r = 0; r < Math.max(1, ctx.quick ? 1 : Math.min(3, ctx.runs)); r++) {
              const t0 = performance.now();
              for (let a = 0; a < chunks.length; a += b) {
                const n = Math.min(b, chunks.length - a);
                const t1 = performance.now();
                await s.run(feats.subarray(a * W, (a + n) * W), n, W);
                lat.push(performance.now() - t1);
              }
              times.push((performance.now() - t0) / 1000);
            }
            const sec = median(times);
            rows.push(makeRow({ ...base, variant: `${device} batch ${b}`, originalBytes: chunks.length * CHUNK, compressTimes: times, throughputMBps: mb / sec, chunksPerSecond: chunks.length / sec, batchLatencyMs: median(lat), threads: 1 }));
          } catch (e) {
            rows.push(makeRow({ ...base, variant: `${device} batch ${b}`, error: errorMessage(e) }));
          }
          ctx.report(rows.at(-1));
        }
        await s.release();
      }
    }
    ctx.note('models: the plan selector is not built yet, so there are no model-chosen-plan rows (compress with model plans vs exhaustive trials vs no model)');
    return rows;
  },
};
