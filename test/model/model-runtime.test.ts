// The ONNX runtime layer: models written by src/model/onnx.ts run in onnxruntime-node and onnxruntime-web and give
// what the plain-JavaScript evaluation of the same weights gives; device selection tries each device alone and
// falls back to the CPU, reporting which device ran.
import { describe, expect, it } from 'vitest';
import { mlpForward, writeMlp, type DenseLayer } from '../../src/model/onnx.js';
import { createSession, deviceOrder } from '../../src/model/runtime.js';
import { PaniniError } from '../../src/errors.js';

function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function layer(r: () => number, i: number, o: number): DenseLayer {
  return { in: i, out: o, weights: Float32Array.from({ length: i * o }, () => r() * 2 - 1), bias: Float32Array.from({ length: o }, () => r() - 0.5) };
}

function softmaxRows(z: Float32Array, n: number, k: number): Float64Array {
  const p = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, z[r * k + j]!);
    let s = 0;
    for (let j = 0; j < k; j++) s += (p[r * k + j] = Math.exp(z[r * k + j]! - m));
    for (let j = 0; j < k; j++) p[r * k + j]! /= s;
  }
  return p;
}

const r = rand(7);
const layers = [layer(r, 20, 16), layer(r, 16, 8), layer(r, 8, 5)];
const model = writeMlp({ name: 'test', layers, metadata: { kind: 'test' } });
const n = 33;
const x = Float32Array.from({ length: n * 20 }, () => r() * 4 - 2);
const want = softmaxRows(mlpForward(layers, x, n), n, 5);

describe('ONNX runtime', () => {
  for (const backend of ['onnxruntime-node', 'onnxruntime-web'] as const) {
    it(`${backend} on the CPU gives the JavaScript evaluation's probabilities`, async () => {
      const s = await createSession(model, { backend, device: 'cpu' });
      expect(s.backend).toBe(backend);
      expect(s.device).toBe('cpu');
      expect(s.notices).toEqual([]);
      const got = await s.run(x, n, 20);
      expect(got.length).toBe(n * 5);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      expect(worst).toBeLessThan(1e-5);
      await s.release();
    });
  }

  it('the written model is the same bytes for the same weights', () => {
    expect(Buffer.from(writeMlp({ name: 'test', layers, metadata: { kind: 'test' } })).equals(Buffer.from(model))).toBe(true);
  });

  it('device order: the CPU is always the last resort', () => {
    expect(deviceOrder('auto', 'onnxruntime-node')).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(deviceOrder('cuda', 'onnxruntime-node')).toEqual(['cuda', 'cpu']);
    expect(deviceOrder('webgpu', 'onnxruntime-web')).toEqual(['webgpu', 'cpu']);
    expect(deviceOrder('cpu', 'onnxruntime-web')).toEqual(['cpu']);
  });

  // The device actually used is whatever this machine offers: each answer is checked against what the runtime says
  // it can do, and a GPU device that was not used must come with the runtime's reason.
  for (const backend of ['onnxruntime-node', 'onnxruntime-web'] as const) {
    for (const device of ['cuda', 'webgpu', 'auto'] as const) {
      it(`${backend}, device ${device}: runs on the first device that works and reports the others`, async () => {
        const s = await createSession(model, { backend, device });
        const order = deviceOrder(device, backend);
        const at = order.indexOf(s.device);
        expect(at).toBeGreaterThanOrEqual(0);
        // every device before the one that ran has a notice naming it
        expect(s.notices.length).toBe(at);
        order.slice(0, at).forEach((d, i) => expect(s.notices[i]).toContain(`${backend}: ${d} is not available (`));
        if (s.device !== 'cpu') console.log(`${backend}: ${device} ran on ${s.device}`);
        else console.log(`${backend}: ${device} fell back to the CPU: ${s.notices.join(' | ')}`);
        const got = await s.run(x, n, 20);
        for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-4);
        await s.release();
      });
    }
  }

  it('a model no runtime accepts is a MODEL error naming each attempt', async () => {
    const bad = model.slice(0, 40);
    const e = await createSession(bad, { backend: 'onnxruntime-web', device: 'cpu' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PaniniError);
    expect((e as PaniniError).code).toBe('MODEL');
    expect((e as PaniniError).message).toContain('onnxruntime-web: cpu is not available (');
  });

  it('an unknown device is an OPTION error', async () => {
    const e = await createSession(model, { device: 'tpu' as never }).catch((x: unknown) => x);
    expect((e as PaniniError).code).toBe('OPTION');
  });
});
