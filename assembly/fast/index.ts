// The panini-fs fast codec module ("pfz": LZ77 + Huffman, built to decode fast), separate from plz (assembly/codec/)
// so that each keeps its own static memory map (layout.ts). The host copies a block into IN, calls encode()/decode(),
// and reads the result from OUT. docs/CODEC.md, section "fast codec", describes the bitstream.
import { DEC_END, ENC_END, IN, LIT, MAX_BLOCK, OUT, TABLES, ensureMemory } from "./layout";
import { decodeBlock } from "./decode";
import { encodeBlock } from "./encode";
export { tokenExpand } from "./token";

/** Reserves the decoder's memory (0 on success, 1 if the host refused to grow the memory). */
export function initDecoder(): i32 {
  return ensureMemory(DEC_END) ? 0 : 1;
}
/** Reserves the encoder's memory as well (0 on success, 1 if the host refused to grow the memory). */
export function initEncoder(): i32 {
  return ensureMemory(ENC_END) ? 0 : 1;
}
export function inPtr(): usize { return IN; }
export function outPtr(): usize { return OUT; }
export function litPtr(): usize { return LIT; }
export function tablesPtr(): usize { return TABLES; }
export function maxBlock(): u32 { return MAX_BLOCK; }

/** Codes the `len`-byte block in IN at `level` (1–9) into OUT; returns the payload length (≤ len + 1). */
export function encode(len: u32, level: u32): i32 {
  if (len > MAX_BLOCK || level < 1 || level > 9 || memory.size() < <i32>((ENC_END + 65535) >> 16)) return -1;
  return encodeBlock(len, level);
}

/** Decodes the `inLen`-byte payload in IN into exactly `outLen` bytes in OUT; returns outLen or a negative code. */
export function decode(inLen: u32, outLen: u32): i32 {
  if (outLen > MAX_BLOCK || inLen > MAX_BLOCK + 1 || memory.size() < <i32>((DEC_END + 65535) >> 16)) return -5;
  return decodeBlock(inLen, outLen);
}
