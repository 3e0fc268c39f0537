// The panini-fs codecs implemented in WebAssembly (assembly/codec/).
export { decode as plzDecode, encode as plzEncode, PLZ_MAX_BLOCK, PLZ_MAX_LEVEL, PLZ_MIN_LEVEL } from './plz.js';
export { initCodec, initCodecSync } from '../wasm/codec.js';
