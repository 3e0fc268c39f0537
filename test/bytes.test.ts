// src/bytes.ts: ByteQueue against a plain array of the same bytes (fast-check: random pushes, takes, peeks, put-backs,
// drains), and concatBytes/equalBytes on edge cases.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteQueue, concatBytes, equalBytes } from '../src/bytes.js';
import { PaniniError } from '../src/errors.js';

type Op = { push: number[] } | { take: number } | { peek: number } | { unshift: number[] } | { drain: true } | { all: true };

describe('ByteQueue', () => {
  it('behaves like one array of its bytes, whatever the pieces', () => {
    const bytes = fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      bytes.map((b) => ({ push: b })),
      fc.nat(120).map((n) => ({ take: n })),
      fc.nat(120).map((n) => ({ peek: n })),
      bytes.map((b) => ({ unshift: b })),
      fc.constant({ drain: true as const }),
      fc.constant({ all: true as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const q = new ByteQueue();
        let model: number[] = [];
        for (const o of ops) {
          if ('push' in o) {
            q.push(Uint8Array.from(o.push));
            model.push(...o.push);
          } else if ('unshift' in o) {
            q.unshift(Uint8Array.from(o.unshift));
            model = [...o.unshift, ...model];
          } else if ('take' in o || 'peek' in o) {
            const n = 'take' in o ? o.take : o.peek;
            if (n > model.length) {
              expect(() => ('take' in o ? q.take(n) : q.peek(n))).toThrow(PaniniError);
              continue;
            }
            const got = 'take' in o ? q.take(n) : q.peek(n);
            expect(Array.from(got)).toEqual(model.slice(0, n));
            if ('take' in o) model = model.slice(n);
          } else if ('drain' in o) {
            const parts = q.drain();
            expect(parts.every((p) => p.length > 0)).toBe(true);
            expect(Array.from(concatBytes(parts))).toEqual(model);
            model = [];
          } else {
            expect(Array.from(q.takeAll())).toEqual(model);
            model = [];
          }
          expect(q.length).toBe(model.length);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('reads within one piece are views of it; across pieces, copies', () => {
    const a = Uint8Array.of(1, 2, 3, 4);
    const q = new ByteQueue();
    q.push(a);
    q.push(Uint8Array.of(5, 6));
    const v = q.take(2);
    expect(v.buffer).toBe(a.buffer);
    const c = q.take(3);
    expect(Array.from(c)).toEqual([3, 4, 5]);
    expect(c.buffer).not.toBe(a.buffer);
    expect(q.takeAll()).toEqual(Uint8Array.of(6));
  });
});

describe('concatBytes, equalBytes', () => {
  it('edge cases', () => {
    expect(concatBytes([]).length).toBe(0);
    expect(concatBytes([Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)])).toEqual(Uint8Array.of(1, 2, 3));
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1))).toBe(false);
  });
});
