// REFLATE on the real corpus: the JAR (every deflated entry, made by Java's zlib, the independent oracle for the
// classic zlib mode) through a full forward + inverse round trip, and a slice of the PNG (a foreign encoder: its
// stream is kept, or handed to the foreign codec). Skipped when the corpus is absent.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { reflateForward, reflateStage } from '../../src/dhatu/reflate/index.js';
import { zipEntries } from '../../src/deflate/zip.js';
import { corpusBytes } from '../helpers/corpus.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('corpus jar', () => {
  test('every deflated entry is reproduced; the inverse rebuilds the exact file', () => {
    const data = corpusBytes('single/zip-closure.jar');
    const entries = zipEntries(data);
    const deflated = entries.filter((e) => e.method === 8);
    expect(entries.length).toBe(7227);
    expect(deflated.length).toBe(7053);
    // oracle for the raw sizes: node:zlib inflates every entry
    let rawTotal = 0;
    for (const e of deflated) rawTotal += zlib.inflateRawSync(data.subarray(e.dataOffset, e.dataOffset + e.compSize)).length;
    const { result, report } = reflateForward(data, { budgetMs: 600000 });
    const top = report.streams.filter((s) => s.depth === 0);
    expect(top.length).toBe(7053);
    expect(report.kept).toBe(0);
    expect(report.reproduced).toBe(report.found);
    expect(report.rawBytes).toBe(rawTotal);
    expect(top.every((s) => s.params === 'zlib level 6 mem 8 wbits 15 default')).toBe(true);
    const back = reflateStage.inverse(result!.params, result!.streams, { where: 'jar', maxBytes: 1 << 30, recordLength: data.length, recordOffset: 0 });
    expect(sha(back[0]!)).toBe(sha(data));
    // the recipe stays small: a few bytes per stream
    expect(result!.params.length).toBeLessThan(6 * report.found);
  }, 180000);
});

describe('corpus png', () => {
  test('a 300 KB slice: the foreign zlib stream (truncated) is found and kept; round trip exact', () => {
    const data = corpusBytes('single/png-emoji-apple-32.png', 300000);
    const { result, report } = reflateForward(data, { maxTries: 8 });
    expect(report.found).toBeLessThanOrEqual(1);
    expect(report.reproduced).toBe(0);
    expect(result).toBe(null);
  });
});
