// PDF (ISO 32000): where stream data begins ("stream" + EOL) when it starts with a zlib header (FlateDecode
// streams: content streams, images, object and xref streams, embedded fonts), and where indirect objects begin
// ("12 0 obj"). A byte scan, no object parser: it also works on damaged files and never throws. The stream's end is
// found by inflating (the /Length entry may be indirect or wrong).

export function isPdf(data: Uint8Array): boolean {
  const n = Math.min(data.length, 1024) - 5;
  for (let i = 0; i <= n; i++) {
    if (data[i] === 0x25 && data[i + 1] === 0x50 && data[i + 2] === 0x44 && data[i + 3] === 0x46 && data[i + 4] === 0x2d) return true; // %PDF-
  }
  return false;
}

/** Whether two bytes at `at` are a zlib header: deflate method, window ≤ 32 KiB, valid check bits, no preset dictionary. */
export function isZlibHeader(data: Uint8Array, at: number): boolean {
  if (at + 2 > data.length) return false;
  const cmf = data[at]!;
  const flg = data[at + 1]!;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0 && (flg & 0x20) === 0;
}

const KW = [0x73, 0x74, 0x72, 0x65, 0x61, 0x6d]; // "stream"

/** Offsets where zlib-compressed stream data begins (just after "stream" and its end-of-line), ascending. */
export function pdfZlibStreams(data: Uint8Array, maxStreams = 1 << 20): number[] {
  const out: number[] = [];
  const n = data.length - 8;
  for (let i = 0; i < n && out.length < maxStreams; i++) {
    if (data[i] !== 0x73) continue;
    let k = 1;
    while (k < 6 && data[i + k] === KW[k]) k++;
    if (k < 6) continue;
    // not "endstream"
    if (i >= 3 && data[i - 3] === 0x65 && data[i - 2] === 0x6e && data[i - 1] === 0x64) continue;
    let p = i + 6;
    if (data[p] === 0x0d) p++;
    if (data[p] === 0x0a) p++;
    if (p === i + 6) continue; // no end-of-line: not the keyword
    if (isZlibHeader(data, p)) out.push(p);
    i = p - 1;
  }
  return out;
}

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}
function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09 || b === 0x0c || b === 0x00;
}

/** Cut offsets for the grammar registry: the start of each indirect object ("N G obj"), ascending, > 0. */
export function pdfBoundaries(data: Uint8Array): number[] {
  const cuts: number[] = [];
  const n = data.length - 3;
  for (let i = 4; i < n; i++) {
    if (data[i] !== 0x6f || data[i + 1] !== 0x62 || data[i + 2] !== 0x6a) continue; // "obj"
    // "N G obj": walk back over space, generation digits, space, object digits
    let p = i - 1;
    if (!isSpace(data[p])) continue;
    while (p > 0 && isSpace(data[p])) p--;
    if (!isDigit(data[p])) continue;
    while (p > 0 && isDigit(data[p])) p--;
    if (!isSpace(data[p])) continue;
    while (p > 0 && isSpace(data[p])) p--;
    if (!isDigit(data[p])) continue;
    while (p > 0 && isDigit(data[p - 1])) p--;
    if (p > 0 && !isSpace(data[p - 1])) continue;
    if (p > 0 && (cuts.length === 0 || cuts[cuts.length - 1]! < p)) cuts.push(p);
    i += 2;
  }
  return cuts;
}
