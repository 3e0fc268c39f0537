// The shipped content classifier through both runtimes: on generated chunks from a seed training never used it must
// be right at least 90 % of the time, both runtimes and every batch size must give the same classes, and the
// features of a chunk must not depend on the batch it is in.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadClassifier } from '../../src/model/classifier.js';
import { CLASSES, FEATURE_WIDTH, batchFeatures, chunkFeatures } from '../../src/model/features.js';
import { generateChunk, seeded } from '../../src/model/generate.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const reg = JSON.parse(readFileSync(join(ROOT, 'models/registry.json'), 'utf8')) as { models: Array<{ name: string; version: string; file: string }> };
const r = seeded(424242);
const chunks: Uint8Array[] = [];
const labels: string[] = [];
for (let k = 0; k < 12; k++) {
  for (const c of CLASSES) {
    chunks.push(generateChunk(c, seeded(Math.floor(r() * 2 ** 32)), 4096 + Math.floor(r() * 60000), r() < 0.3));
    labels.push(c);
  }
}

describe('content classifier', () => {
  it('features: one row per chunk, the same alone or in a batch', () => {
    const b = batchFeatures(chunks.slice(0, 5));
    expect(b.length).toBe(5 * FEATURE_WIDTH);
    for (let i = 0; i < 5; i++) expect(Array.from(b.subarray(i * FEATURE_WIDTH, (i + 1) * FEATURE_WIDTH))).toEqual(Array.from(chunkFeatures(chunks[i]!)));
  });

  for (const m of reg.models.filter((x) => x.name === 'content-classifier')) {
    it(`${m.version}: ≥ 90 % on generated chunks of an unused seed, same classes on both runtimes and every batch size`, async () => {
      const onnx = new Uint8Array(readFileSync(join(ROOT, 'models', m.file)));
      const a = await loadClassifier(onnx, { backend: 'onnxruntime-node', device: 'cpu' });
      const w = await loadClassifier(onnx, { backend: 'onnxruntime-web', device: 'cpu' });
      const ga = await a.classify(chunks, 64);
      const ok = ga.filter((g, i) => g.class === labels[i]).length / chunks.length;
      console.log(`content-classifier@${m.version}: ${(ok * 100).toFixed(1)} % of ${chunks.length} generated chunks`);
      expect(ok).toBeGreaterThanOrEqual(0.9);
      expect((await w.classify(chunks, 7)).map((g) => g.class)).toEqual(ga.map((g) => g.class));
      expect((await a.classify(chunks, 1)).map((g) => g.class)).toEqual(ga.map((g) => g.class));
      for (const g of ga) expect(g.confidence).toBeGreaterThan(1 / CLASSES.length);
      await a.release();
      await w.release();
    }, 120_000);
  }
});
