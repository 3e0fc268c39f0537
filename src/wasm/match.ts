// COMM's long-range matcher module (assembly/match/, embedded as base64 by scripts/build-match-wasm.mjs), through
// src/wasm/loader.ts: compiled once, one instance per matcher (each holds its own window).
import { MATCH_BASE64 } from './match.generated.js';
import { WasmModule } from './loader.js';

export interface MatchExports {
  memory: WebAssembly.Memory;
  init(win: number, hashWin: number, sBits: number, tBits: number, nOps: number, maxRecord: number): number;
  reset(start: number): void;
  prepare(len: number): number;
  opsAddress(): number;
  consumedLength(): number;
  coveredLength(): number;
  memoryBytes(): number;
  process(len: number, minMatch: number, repMin: number, maxLit: number, doMatch: number, minDist: number): number;
}

const MATCH = new WasmModule('the COMM match module', MATCH_BASE64);

/** A new instance of the matcher module (its memory is the matcher's window and tables). */
export function newMatchInstance(): MatchExports {
  return MATCH.instantiate().instance.exports as unknown as MatchExports;
}
