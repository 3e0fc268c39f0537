// Progress while a dhātu record is coded: the planner reports its trials, the coder (inline or in a worker) passes
// them on, and compress's onProgress counts the coded share of the records in flight. The count never goes back,
// ends at the input's size, moves inside records (not only at their ends), and reporting changes no byte.
import { describe, expect, it } from 'vitest';
import { compress, init, listRecords, type Progress } from '../../src/index.js';
import { nodeSha256 } from '../helpers/oracles.js';

/** Text-like lines with JSON records between them: several planner candidates, so several trials per record. */
function textish(n: number): Uint8Array {
  const words = 'the of and panini root dhatu chunk stream grammar verify byte record plan coder share'.split(' ');
  let s = '';
  for (let i = 0; s.length < n; i++) {
    s += i % 7 === 0 ? `{"id":${i},"name":"${words[i % words.length]}","v":${(i * 7919) % 1000}}\n` : `${words[(i * 31) % words.length]} ${words[(i * 17) % words.length]} ${i}\n`;
  }
  return new TextEncoder().encode(s.slice(0, n));
}

describe('compress progress inside records', () => {
  const data = textish(3 * (1 << 20) + 4321);

  for (const workers of [1, 2]) {
    it(`moves while records are coded, never back, and ends at the size (workers ${workers})`, async () => {
      await init();
      const events: Progress[] = [];
      const opts = { codec: 'dhatu', level: 6, blockSize: 1 << 20, workers } as const;
      const c = await compress(data, { ...opts, onProgress: (p) => events.push({ ...p }) });
      const plain = await compress(data, opts);
      expect(nodeSha256(c)).toBe(nodeSha256(plain));
      const records = await listRecords(c);
      expect(records.length).toBeGreaterThanOrEqual(3);
      const ends = new Set(records.map((r) => r.offset + r.length));
      for (let i = 1; i < events.length; i++) expect(events[i]!.bytesIn).toBeGreaterThanOrEqual(events[i - 1]!.bytesIn);
      expect(events.at(-1)!.bytesIn).toBe(data.length);
      const inside = events.filter((e) => e.bytesIn > 0 && !ends.has(e.bytesIn));
      expect(inside.length).toBeGreaterThan(0);
      expect(events.length).toBeGreaterThan(records.length);
    });
  }
});
