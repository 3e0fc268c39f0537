// JPEG: cuts at every marker segment (APPn, DQT, DHT, SOFn, SOS, ...), after EOI (trailing data or a following
// image), then at the restart markers inside entropy-coded data, then by size. Segment lengths are checked against
// the file; parsing stops at the first inconsistency (the rest is cut by size).
import { listGrammar } from '../cut.js';
import type { Grammar } from '../types.js';

export const isJpeg = (d: Uint8Array): boolean => d.length >= 3 && d[0] === 0xff && d[1] === 0xd8 && d[2] === 0xff;

/** Marker offsets (level 0) and restart marker offsets (level 1). */
export function jpegMarkers(data: Uint8Array): { markers: number[]; restarts: number[] } {
  const markers: number[] = [];
  const restarts: number[] = [];
  const n = data.length;
  let i = 0;
  outer: while (i + 1 < n) {
    // at an image start: SOI
    if (data[i] !== 0xff || data[i + 1] !== 0xd8) break;
    if (i > 0) markers.push(i);
    i += 2;
    for (;;) {
      if (i >= n || data[i] !== 0xff) break outer;
      const start = i;
      while (i < n && data[i] === 0xff) i++; // fill bytes
      if (i >= n) break outer;
      const m = data[i]!;
      i++;
      if (m === 0x00) break outer;
      markers.push(start);
      if (m === 0xd9) {
        if (i < n) markers.push(i);
        continue outer; // another image may follow
      }
      if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) continue; // no length
      if (i + 2 > n) break outer;
      const len = (data[i]! << 8) | data[i + 1]!;
      if (len < 2 || i + len > n) break outer;
      i += len;
      if (m === 0xda) {
        // entropy-coded data: up to the next marker that is not a stuffed 0xff00 or a restart marker
        for (;;) {
          const f = data.indexOf(0xff, i);
          if (f < 0 || f + 1 >= n) break outer;
          const x = data[f + 1]!;
          if (x === 0x00 || x === 0xff) {
            i = f + 1;
            if (x === 0x00) i++;
            continue;
          }
          if (x >= 0xd0 && x <= 0xd7) {
            restarts.push(f);
            i = f + 2;
            continue;
          }
          i = f;
          break;
        }
      }
    }
  }
  return { markers, restarts };
}

export function jpegGrammar(data: Uint8Array): Grammar {
  const { markers, restarts } = jpegMarkers(data);
  const pos = markers.concat(restarts);
  const lvl: number[] = new Array<number>(markers.length).fill(0).concat(new Array<number>(restarts.length).fill(1));
  return listGrammar(data.length, pos, lvl, 2);
}
