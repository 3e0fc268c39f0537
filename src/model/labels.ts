// Reference labels for measuring the classifier on real files: a class from a file's name (its extension, or the
// corpus's `kind-name` prefix), and the same ten classes read from the grammar's detector and from file(1)'s
// description, so the three can be scored on the same chunks.
import type { ContentClass } from './features.js';

const EXT: Record<string, ContentClass> = {
  txt: 'text', md: 'text', rst: 'text', eml: 'text', mail: 'text', '1': 'text', copyright: 'text', changelog: 'text',
  html: 'markup', htm: 'markup', xml: 'markup', svg: 'markup', xhtml: 'markup',
  json: 'json', ndjson: 'json', map: 'json', geojson: 'json',
  js: 'source', mjs: 'source', cjs: 'source', ts: 'source', py: 'source', c: 'source', h: 'source', rs: 'source', pl: 'source', sh: 'source',
  so: 'executable', elf: 'executable', node: 'executable',
  wasm: 'wasm',
  png: 'image', jpg: 'image', jpeg: 'image', bmp: 'image', gif: 'image',
  gz: 'compressed', xz: 'compressed', bz2: 'compressed', zst: 'compressed', br: 'compressed', deflate: 'compressed',
  tar: 'archive', zip: 'archive', jar: 'archive', a: 'archive', deb: 'archive',
  bin: 'table', dat: 'table', f32: 'table', sqlite: 'table',
};
const PREFIX: Record<string, ContentClass> = {
  text: 'text', json: 'json', js: 'source', wasm: 'wasm', elf: 'executable', png: 'image', zip: 'archive', mail: 'text', html: 'markup', xml: 'markup', tar: 'archive', gz: 'compressed',
};

/** The class a file's name implies, or undefined when it implies none. */
export function classOfName(name: string): ContentClass | undefined {
  const base = name.split('/').pop()!.toLowerCase();
  if (/\.so(\.\d+)*$/.test(base)) return 'executable';
  const dot = base.lastIndexOf('.');
  if (dot > 0) {
    const c = EXT[base.slice(dot + 1)];
    if (c) return c;
  }
  const dash = base.indexOf('-');
  if (dash > 0) return PREFIX[base.slice(0, dash)];
  return undefined;
}

/** The grammar detector's format as one of the classes (undefined for `generic`). */
export function classOfFormat(format: string): ContentClass | undefined {
  switch (format) {
    case 'text': case 'mail': case 'mbox': case 'csv': case 'tsv': return 'text';
    case 'xml': case 'html': return 'markup';
    case 'json': case 'ndjson': case 'sourcemap': return 'json';
    case 'js': return 'source';
    case 'elf': return 'executable';
    case 'wasm': return 'wasm';
    case 'png': case 'jpeg': return 'image';
    case 'gzip': return 'compressed';
    case 'zip': case 'tar': return 'archive';
    default: return undefined;
  }
}

/** file(1)'s one-line description (`file -b`) as one of the classes (undefined for `data` and the unmatched). */
export function classOfFileDescription(d: string): ContentClass | undefined {
  const s = d.toLowerCase();
  if (/webassembly/.test(s)) return 'wasm';
  if (/\belf\b|executable|shared object|relocatable/.test(s)) return 'executable';
  if (/png image|jpeg|gif image|bitmap|image data/.test(s)) return 'image';
  if (/gzip|xz compressed|bzip2|zstandard|zlib|compressed data/.test(s)) return 'compressed';
  if (/zip archive|tar archive|java archive|current ar archive|debian binary package/.test(s)) return 'archive';
  if (/json/.test(s)) return 'json';
  if (/html|xml|svg/.test(s)) return 'markup';
  if (/script|source|program text/.test(s)) return 'source';
  if (/text|mail|news/.test(s)) return 'text';
  return undefined;
}
