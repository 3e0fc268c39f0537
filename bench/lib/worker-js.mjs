#!/usr/bin/env node
// In-process anchors (fflate, node:zlib gzip and brotli), measured in a child process of their own exactly like
// panini-fs (see worker-common.mjs). options: { codec: 'fflate-gzip'|'zlib-gzip'|'zlib-brotli', level }
import zlib from 'node:zlib';
import * as fflate from 'fflate';
import { runWorker } from './worker-common.mjs';

const codecs = {
  'fflate-gzip': {
    compress: (b, o) => fflate.gzipSync(b, { level: o.level }),
    decompress: (b) => fflate.gunzipSync(b),
  },
  'zlib-gzip': {
    compress: (b, o) => zlib.gzipSync(b, { level: o.level }),
    decompress: (b) => zlib.gunzipSync(b),
  },
  'zlib-brotli': {
    compress: (b, o) =>
      zlib.brotliCompressSync(b, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: o.level,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length,
        },
      }),
    decompress: (b) => zlib.brotliDecompressSync(b),
  },
};

function pick(o) {
  const c = codecs[o.codec];
  if (!c) throw new Error(`unknown codec ${o.codec}`);
  return c;
}

await runWorker({
  probe: async () => ({ available: true, zlib: process.versions.zlib, brotli: process.versions.brotli }),
  compress: async (b, o) => pick(o).compress(b, o),
  decompress: async (b, o) => pick(o).decompress(b, o),
});
