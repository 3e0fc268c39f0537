// Format detection from a bounded head (≤ 64 KiB): magic numbers first, then structure. Deterministic and linear in
// the head; never throws on any bytes.
import { PaniniError } from '../errors.js';
import { sniffDelimited } from './formats/csv.js';
import { parseElfHeader } from './formats/elf.js';
import { isJpeg } from './formats/jpeg.js';
import { checkJsonValue } from './formats/json.js';
import { sniffMailHeader } from './formats/mail.js';
import { sniffTar } from './formats/tar.js';
import { isWasm } from './formats/wasm.js';
import type { Detection, DetectionInfo } from './types.js';
import { isPdf } from '../deflate/pdf.js';
import { isPng } from '../deflate/png.js';

/** Detection never looks past this many bytes of the head. */
export const HEAD_LIMIT = 64 * 1024;

function startsAt(h: Uint8Array, off: number, s: string): boolean {
  if (off + s.length > h.length) return false;
  for (let k = 0; k < s.length; k++) if (h[off + k] !== s.charCodeAt(k)) return false;
  return true;
}

/** Case-insensitive search of an ASCII lowercase pattern in h[from, end); -1 when absent. */
export function indexOfCI(h: Uint8Array, pat: string, from = 0, end = h.length): number {
  const n = pat.length;
  const c0 = pat.charCodeAt(0);
  for (let i = from; i + n <= end; i++) {
    if ((h[i]! | 32) !== c0) continue;
    let k = 1;
    while (k < n && (h[i + k]! | (pat.charCodeAt(k) >= 97 ? 32 : 0)) === pat.charCodeAt(k)) k++;
    if (k === n) return i;
  }
  return -1;
}

function indexOfStr(h: Uint8Array, s: string, from: number, end = h.length): number {
  for (let i = from; i + s.length <= end; i++) if (startsAt(h, i, s)) return i;
  return -1;
}

export interface TextStats {
  /** bytes that are not part of a well-formed UTF-8 sequence */
  invalid: number;
  /** C0 controls other than TAB, LF, FF, CR, and DEL */
  control: number;
  nul: number;
  /** offset after a UTF-8 byte order mark (0 when none) */
  bom: number;
}

/** UTF-8 well-formedness (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF) and control-byte counts. */
export function textStats(h: Uint8Array, truncated: boolean): TextStats {
  let invalid = 0;
  let control = 0;
  let nul = 0;
  const n = h.length;
  const bom = n >= 3 && h[0] === 0xef && h[1] === 0xbb && h[2] === 0xbf ? 3 : 0;
  let i = bom;
  while (i < n) {
    const c = h[i]!;
    if (c < 0x80) {
      if (c < 32) {
        if (c === 0) nul++;
        if (c !== 9 && c !== 10 && c !== 12 && c !== 13) control++;
      } else if (c === 127) control++;
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else {
      invalid++;
      i++;
      continue;
    }
    let ok = true;
    for (let k = 1; k <= need; k++) {
      const d = h[i + k];
      if (d === undefined) {
        ok = truncated; // a sequence cut by the end of the head is fine when more data follows
        break;
      }
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) {
        ok = false;
        break;
      }
    }
    if (ok) i += need + 1;
    else {
      invalid++;
      i++;
    }
  }
  return { invalid, control, nul, bom };
}

function zipInfo(h: Uint8Array): DetectionInfo {
  // local file headers in the head: names tell jar / docx / xlsx / pptx / epub / odf
  let subtype = 'zip';
  let off = 0;
  for (let k = 0; k < 64 && off + 30 <= h.length; k++) {
    if (!(h[off] === 0x50 && h[off + 1] === 0x4b && h[off + 2] === 3 && h[off + 3] === 4)) break;
    const flags = h[off + 6]! | (h[off + 7]! << 8);
    const csize = (h[off + 18]! | (h[off + 19]! << 8) | (h[off + 20]! << 16) | (h[off + 21]! << 24)) >>> 0;
    const nlen = h[off + 26]! | (h[off + 27]! << 8);
    const xlen = h[off + 28]! | (h[off + 29]! << 8);
    const ns = off + 30;
    const name = (s: string): boolean => startsAt(h, ns, s);
    if (name('META-INF/') || (nlen > 6 && startsAt(h, ns + nlen - 6, '.class'))) subtype = 'jar';
    else if (name('word/')) subtype = 'docx';
    else if (name('xl/')) subtype = 'xlsx';
    else if (name('ppt/')) subtype = 'pptx';
    else if (name('mimetype') && indexOfStr(h, 'application/epub+zip', ns + nlen + xlen, Math.min(h.length, ns + nlen + xlen + 64)) >= 0) subtype = 'epub';
    else if (name('mimetype') && indexOfStr(h, 'application/vnd.oasis.opendocument', ns + nlen + xlen, Math.min(h.length, ns + nlen + xlen + 80)) >= 0) subtype = 'odf';
    if (subtype !== 'zip' && subtype !== 'jar') break;
    if (subtype === 'jar') break;
    if (flags & 8) break; // sizes follow the data: cannot walk on
    off = ns + nlen + xlen + csize;
  }
  return { subtype };
}

/** Line-level JavaScript/TypeScript evidence in the head: share of lines that look like code, and strong signals. */
function jsScore(h: Uint8Array, start: number): { lines: number; codeLike: number; strong: number } {
  const STRONG = [
    'import ', 'export ', 'const ', 'let ', 'var ', 'function ', 'function*', 'async function', 'class ', '"use strict"',
    "'use strict'", 'module.exports', 'exports.', 'require(', 'declare ', 'interface ', 'namespace ', '(function', '!function',
    '#!/usr/bin/env node', 'define(', 'if (', 'for (', 'return ', '});', 'type ', 'enum ',
  ];
  let lines = 0;
  let codeLike = 0;
  let strong = 0;
  let s = start;
  const n = h.length;
  while (s < n && lines < 400) {
    let e = h.indexOf(10, s);
    if (e < 0) e = n;
    let a = s;
    while (a < e && (h[a] === 32 || h[a] === 9)) a++;
    let z = e;
    while (z > a && (h[z - 1] === 13 || h[z - 1] === 32 || h[z - 1] === 9)) z--;
    if (z > a) {
      lines++;
      let isStrong = false;
      for (const k of STRONG) {
        if (startsAt(h, a, k)) {
          isStrong = true;
          break;
        }
      }
      if (isStrong) strong++;
      const first = h[a]!;
      const last = h[z - 1]!;
      if (
        isStrong ||
        last === 59 || last === 123 || last === 125 || last === 44 || last === 40 || last === 41 || last === 91 || last === 93 ||
        first === 125 || first === 41 || first === 93 || startsAt(h, a, '//') || startsAt(h, a, '/*') || startsAt(h, a, '*') ||
        first === 46
      ) {
        codeLike++;
      }
    }
    s = e + 1;
  }
  return { lines, codeLike, strong };
}

const HTML_TAGS = ['<html', '<head', '<body', '<div', '<p>', '<p ', '<span', '<a ', '<script', '<meta', '<title', '<table', '<ul', '<br'];

/**
 * The magic-number part of detect: ELF, wasm, PNG, JPEG, ZIP, gzip, PDF (within the first KiB) and tar, from the
 * first bytes alone; undefined for anything else. The compress path's one set of format rules: detect starts with
 * this, the container's assembler asks it whether an input is a deflate container to keep whole, and the planner's
 * fallback is detect. (REFLATE's stream discovery asks another question — can a stream be parsed here — with
 * src/deflate/'s predicates, PNG's and PDF's shared with this.)
 */
export function detectMagic(h: Uint8Array): Detection | undefined {
  const n = h.length;
  const elf = parseElfHeader(h);
  if (elf) return { format: 'elf', confidence: 0.99, info: { bits: elf.bits, endian: elf.littleEndian ? 'little' : 'big' } };
  if (isWasm(h)) return { format: 'wasm', confidence: 0.99, info: { version: 1 } };
  if (isPng(h)) return { format: 'png', confidence: 0.99 };
  if (isJpeg(h)) return { format: 'jpeg', confidence: 0.95 };
  // the start of a ZIP (local header, empty archive, split-archive marker) or gzip file, from its first 4 bytes;
  // src/deflate/'s isZip and isGzipAt ask more (whether a structure can be parsed there)
  if (n >= 4 && h[0] === 0x50 && h[1] === 0x4b && ((h[2] === 3 && h[3] === 4) || (h[2] === 5 && h[3] === 6) || (h[2] === 7 && h[3] === 8))) {
    return { format: 'zip', confidence: 0.99, info: zipInfo(h) };
  }
  if (n >= 4 && h[0] === 0x1f && h[1] === 0x8b && h[2] === 8 && (h[3]! & 0xe0) === 0) return { format: 'gzip', confidence: 0.99 };
  if (isPdf(h)) {
    const pdfAt = indexOfStr(h, '%PDF-', 0, Math.min(n, 1024));
    const info: DetectionInfo = {};
    if (pdfAt + 8 <= n) info.version = String.fromCharCode(h[pdfAt + 5]!, h[pdfAt + 6]!, h[pdfAt + 7]!);
    return { format: 'pdf', confidence: pdfAt === 0 ? 0.99 : 0.9, info };
  }
  const tar = sniffTar(h);
  if (tar) return { format: 'tar', confidence: tar.ustar ? 0.97 : 0.8, info: { ustar: tar.ustar } };

  return undefined;
}

/** Formats whose deflate streams REFLATE re-creates, read best as one whole record. */
export const DEFLATE_CONTAINERS: ReadonlySet<string> = new Set(['zip', 'gzip', 'png', 'pdf']);

/**
 * Detects the format of data from its head (at most the first 64 KiB are looked at). `totalSize`, when larger than
 * the head, tells that the head is a prefix (a value or sequence cut at its end is then not an error).
 */
export function detect(head: Uint8Array, totalSize?: number): Detection {
  if (!(head instanceof Uint8Array)) throw new PaniniError('OPTION', 'detect: head must be a Uint8Array', { option: 'head' });
  if (totalSize !== undefined && (typeof totalSize !== 'number' || !(totalSize >= 0))) {
    throw new PaniniError('OPTION', `detect: totalSize must be a non-negative number, got ${String(totalSize)}`, { option: 'totalSize' });
  }
  const h = head.length > HEAD_LIMIT ? head.subarray(0, HEAD_LIMIT) : head;
  const truncated = (totalSize ?? head.length) > h.length;
  const n = h.length;
  if (n === 0) return { format: 'generic', confidence: 0.1, info: { empty: true } };

  const m = detectMagic(h);
  if (m) return m;

  // ---- text?
  const st = textStats(h, truncated);
  const body = n - st.bom;
  // compressed or binary data has ~12% bytes below 0x20 (NUL among them); legacy 8-bit text (latin-1 mail) has
  // invalid UTF-8 but no controls: it stays text-like, with encoding 'not-utf8'
  if (st.nul > 0 || st.control > body * 0.01 || st.invalid > body * 0.3) {
    return { format: 'generic', confidence: 0.5, info: { binary: true } };
  }
  const textInfo: DetectionInfo = st.invalid > 0 ? { encoding: 'not-utf8' } : { encoding: 'utf8' };
  let i = st.bom;
  while (i < n && (h[i] === 32 || h[i] === 9 || h[i] === 10 || h[i] === 13)) i++;
  if (i >= n) return { format: 'text', confidence: 0.5, info: textInfo };
  const c = h[i]!;

  // ---- JSON family
  if (c === 123 || c === 91) {
    const r = checkJsonValue(h, i);
    const isMap = (keys: string[]): boolean =>
      keys.includes('mappings') || (keys.includes('version') && (keys.includes('sources') || keys.includes('sections')));
    if (r.status === 'complete') {
      let j = r.end;
      while (j < n && (h[j] === 32 || h[j] === 9 || h[j] === 13)) j++;
      if (j >= n) {
        if (c === 123 && isMap(r.topKeys)) return { format: 'sourcemap', confidence: 0.95 };
        return { format: 'json', confidence: truncated ? 0.8 : 0.95 };
      }
      if (h[j] === 10) {
        // more values, one per line?
        let values = 1;
        let ok = true;
        for (;;) {
          while (j < n && (h[j] === 32 || h[j] === 9 || h[j] === 13 || h[j] === 10)) j++;
          if (j >= n) break;
          const r2 = checkJsonValue(h, j);
          if (r2.status === 'invalid') {
            ok = false;
            break;
          }
          values++;
          if (r2.status === 'truncated') {
            ok = truncated;
            break;
          }
          j = r2.end;
          while (j < n && (h[j] === 32 || h[j] === 9 || h[j] === 13)) j++;
          if (j < n && h[j] !== 10) {
            ok = false;
            break;
          }
        }
        if (ok && values >= 2) return { format: 'ndjson', confidence: 0.9, info: { records: values } };
        if (ok) {
          if (c === 123 && isMap(r.topKeys)) return { format: 'sourcemap', confidence: 0.95 };
          return { format: 'json', confidence: 0.95 };
        }
      }
    } else if (r.status === 'truncated') {
      if (c === 123 && isMap(r.topKeys)) return { format: 'sourcemap', confidence: truncated ? 0.9 : 0.6 };
      // the head ends inside the first value: JSON if more data follows, a cut-short JSON file otherwise
      return { format: 'json', confidence: truncated ? 0.85 : 0.5 };
    }
  }

  // ---- markup
  if (c === 60) {
    const lim = Math.min(n, 4096);
    if (indexOfCI(h, '<!doctype html', i, lim) >= 0 || indexOfCI(h, '<html', i, lim) >= 0) {
      return { format: 'html', confidence: 0.95 };
    }
    if (startsAt(h, i, '<?xml')) return { format: 'xml', confidence: 0.95 };
    const n1 = h[i + 1] ?? 0;
    if (n1 === 33 || n1 === 63 || ((n1 | 32) >= 97 && (n1 | 32) <= 122)) {
      let htmlTags = 0;
      for (const t of HTML_TAGS) if (indexOfCI(h, t, i, lim) >= 0) htmlTags++;
      if (htmlTags >= 2) return { format: 'html', confidence: 0.7 };
      return { format: 'xml', confidence: 0.75 };
    }
  }

  // ---- mail / mbox
  const mh = sniffMailHeader(h.subarray(i));
  if (mh && (mh.known >= 2 || (mh.known >= 1 && mh.fromLine))) {
    if (mh.fromLine) {
      // another message after a blank line: an mbox
      const next = indexOfStr(h, '\nFrom ', i + 5);
      if (next >= 0 && (h[next - 1] === 10 || (h[next - 1] === 13 && h[next - 2] === 10))) {
        return { format: 'mbox', confidence: 0.9 };
      }
    }
    return { format: 'mail', confidence: mh.known >= 3 ? 0.9 : 0.75, info: { fromLine: mh.fromLine } };
  }

  // ---- JavaScript / TypeScript
  const js = jsScore(h, i);
  if (js.lines > 0 && js.strong >= 1 && js.codeLike >= js.lines * 0.5) {
    return { format: 'js', confidence: js.codeLike >= js.lines * 0.75 && js.strong >= 3 ? 0.85 : 0.65 };
  }

  // ---- delimited
  const dEnd = Math.min(n, i + 16384); // 200 records or 16 KiB are plenty to judge delimiter consistency
  const d = sniffDelimited(h.subarray(i, dEnd), truncated || dEnd < n);
  if (d && d.fields >= 2 && (d.records >= 3 ? d.consistency >= 0.9 : d.consistency === 1)) {
    const conf = d.records >= 10 ? 0.85 : 0.6;
    if (d.delimiter === 9) return { format: 'tsv', confidence: conf, info: { fields: d.fields } };
    return { format: 'csv', confidence: conf, info: { delimiter: String.fromCharCode(d.delimiter), fields: d.fields } };
  }

  return { format: 'text', confidence: st.invalid > 0 ? 0.6 : 0.8, info: textInfo };
}
