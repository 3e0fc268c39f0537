// The panini-fs WebAssembly core: one module, static memory map (layout.ts), no allocation after init().
import { BASE, CDC_CTX, CUTS, DIGEST, END, SHA_CTX, WINDOW, WINDOW_SIZE, CUTS_CAPACITY, ensureMemory } from "./layout";
import { crc32Init } from "./hash/crc32";
import { gearInit } from "./chunk/cdc";

export { crc32Update } from "./hash/crc32";
export { sha256Init, sha256Update, sha256Final } from "./hash/sha256";
export { sha256Blocks } from "./hash/sha256_compress";
export { cdcReset, cdcScan } from "./chunk/cdc";

/** Sets up memory and tables. Returns 0 on success, 1 if memory could not be grown. */
export function init(): i32 {
  if (!ensureMemory()) return 1;
  crc32Init();
  gearInit();
  return 0;
}

export function windowPtr(): usize { return WINDOW; }
export function windowSize(): u32 { return WINDOW_SIZE; }
export function cutsPtr(): usize { return CUTS; }
export function cutsCapacity(): u32 { return CUTS_CAPACITY; }
export function shaCtxPtr(): usize { return SHA_CTX; }
export function cdcCtxPtr(): usize { return CDC_CTX; }
export function digestPtr(): usize { return DIGEST; }
export function memoryBase(): usize { return BASE; }
export function memoryEnd(): usize { return END; }
