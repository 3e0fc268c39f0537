// The grammar layer: format detection and semantic boundaries ("bytes → grammar → chunks → ...").
//
//   detect(head, totalSize?)            → { format, confidence, info? }
//   boundaries(format, data, opts)      → strictly increasing cut offsets in (0, data.length)
//   semanticChunks(data, opts)          → detect, then cut (for the container's `semantic` chunking strategy)
//
// Malformed data never throws: each format's parser stops at the first inconsistency and the part it could not parse
// is cut by size. Only invalid arguments throw (PaniniError OPTION).
import { PaniniError } from '../errors.js';
import { groupBoundaries, listGrammar, resolveBoundaryOptions, sizeGrammar } from './cut.js';
import { HEAD_LIMIT, detect } from './detect.js';
import { csvGrammar, tsvGrammar } from './formats/csv.js';
import { elfGrammar } from './formats/elf.js';
import { genericGrammar } from './formats/generic.js';
import { jpegGrammar } from './formats/jpeg.js';
import { jsGrammar } from './formats/js.js';
import { jsonGrammar, ndjsonGrammar, sourcemapGrammar } from './formats/json.js';
import { mailGrammar, mboxGrammar } from './formats/mail.js';
import { tarGrammar } from './formats/tar.js';
import { textGrammar } from './formats/text.js';
import { wasmGrammar } from './formats/wasm.js';
import { htmlGrammar, xmlGrammar } from './formats/xml.js';
import { FORMATS, type BoundaryOptions, type Detection, type FormatId, type Grammar } from './types.js';

import { zipBoundaries } from '../deflate/zip.js';
import { gzipBoundaries } from '../deflate/gzip.js';
import { pngBoundaries } from '../deflate/png.js';
import { pdfBoundaries } from '../deflate/pdf.js';
export type { BoundaryOptions, Detection, DetectionInfo, FormatId, Grammar, Sink } from './types.js';
export { FORMATS } from './types.js';
export { detect, HEAD_LIMIT } from './detect.js';
export { resolveBoundaryOptions, type ResolvedBoundaryOptions } from './cut.js';

/** A boundary function of the shape the deflate-aware format modules export: any offsets, any order. */
export type BoundaryList = (data: Uint8Array) => number[];

// The deflate-aware formats (src/grammar/formats/{zip,gzip,png,pdf}.ts, written with REFLATE) give their boundaries as
// plain offset lists: ZIP entries, gzip members, PNG chunks, PDF objects. They become level-0 boundaries (sanitised:
// sorted, deduplicated, kept only inside (0, length)); pieces longer than maxSize between them are cut by size, and a
// throwing function falls back to size cuts.
const EXTERNAL_BOUNDARIES: Partial<Record<'zip' | 'gzip' | 'png' | 'pdf', BoundaryList>> = { zip: zipBoundaries, gzip: gzipBoundaries, png: pngBoundaries, pdf: pdfBoundaries };

function externalGrammar(format: 'zip' | 'gzip' | 'png' | 'pdf'): (data: Uint8Array) => Grammar {
  return (data) => {
    const fn = EXTERNAL_BOUNDARIES[format];
    if (!fn) return sizeGrammar;
    let list: number[];
    try {
      list = fn(data);
    } catch {
      return sizeGrammar;
    }
    if (!Array.isArray(list)) return sizeGrammar;
    return listGrammar(data.length, list, new Array<number>(list.length).fill(0), 1);
  };
}

const GRAMMARS: Record<FormatId, (data: Uint8Array) => Grammar> = {
  text: textGrammar,
  json: jsonGrammar,
  ndjson: ndjsonGrammar,
  csv: csvGrammar,
  tsv: tsvGrammar,
  xml: xmlGrammar,
  html: htmlGrammar,
  js: jsGrammar,
  sourcemap: sourcemapGrammar,
  mail: mailGrammar,
  mbox: mboxGrammar,
  elf: elfGrammar,
  wasm: wasmGrammar,
  jpeg: jpegGrammar,
  tar: tarGrammar,
  zip: externalGrammar('zip'),
  gzip: externalGrammar('gzip'),
  png: externalGrammar('png'),
  pdf: externalGrammar('pdf'),
  generic: genericGrammar,
};

function assertData(data: unknown, what: string): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) throw new PaniniError('OPTION', `${what}: data must be a Uint8Array`, { option: 'data' });
}

function assertFormat(format: unknown): asserts format is FormatId {
  if (typeof format !== 'string' || !(FORMATS as readonly string[]).includes(format)) {
    throw new PaniniError('OPTION', `grammar boundaries: unknown format "${String(format)}" (known: ${FORMATS.join(', ')})`, {
      option: 'format',
    });
  }
}

/** The scanner of `format` over `data` (for callers that group boundaries themselves). */
export function grammarFor(format: FormatId, data: Uint8Array): Grammar {
  assertFormat(format);
  assertData(data, 'grammarFor');
  return GRAMMARS[format](data);
}

/**
 * Cut offsets for `data` read as `format`: strictly increasing, each in (0, data.length), no piece longer than
 * maxSize. Pieces end at the format's semantic boundaries where it has them (shallowest first), are closed at the
 * first boundary at or after avgSize, and are cut by size where the data has no usable boundary or does not parse.
 * Never throws on malformed data; throws PaniniError OPTION for a bad format or options.
 */
export function boundaries(format: FormatId, data: Uint8Array, opts: BoundaryOptions): number[] {
  assertFormat(format);
  assertData(data, 'grammar boundaries');
  const o = resolveBoundaryOptions(opts);
  if (data.length <= 1) return [];
  return groupBoundaries(GRAMMARS[format](data), data.length, o);
}

export interface SemanticChunkOptions extends BoundaryOptions {
  /** skip detection and cut as this format */
  format?: FormatId;
}

export interface SemanticChunks {
  detection: Detection;
  /** cut offsets, as `boundaries` returns them */
  cuts: number[];
  /** the pieces the cuts make (offset, length), covering the data exactly */
  chunks: Array<{ offset: number; length: number }>;
}

/** Detects the format from the first 64 KiB of `data`, then cuts it at that format's boundaries. */
export function semanticChunks(data: Uint8Array, opts: SemanticChunkOptions): SemanticChunks {
  assertData(data, 'semanticChunks');
  let detection: Detection;
  if (opts && opts.format !== undefined) {
    assertFormat(opts.format);
    detection = { format: opts.format, confidence: 1 };
  } else detection = detect(data.subarray(0, HEAD_LIMIT), data.length);
  const cuts = boundaries(detection.format, data, { minSize: opts?.minSize, maxSize: opts?.maxSize, avgSize: opts?.avgSize } as BoundaryOptions);
  const chunks: Array<{ offset: number; length: number }> = [];
  let prev = 0;
  for (const c of cuts) {
    chunks.push({ offset: prev, length: c - prev });
    prev = c;
  }
  if (data.length > 0) chunks.push({ offset: prev, length: data.length - prev });
  return { detection, cuts, chunks };
}
