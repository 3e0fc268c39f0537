// Fixed memory map of the panini-fs fast codec module ("pfz", assembly/fast/), separate from plz (assembly/codec/).
//
// Every region is static and sized for the largest block, MAX_BLOCK (16 MiB). The memory grows at most twice in the
// life of an instance: to the end of the decoder's regions (load), then to the end of the encoder's (first encode).
// Nothing is allocated per call.
//
//   decoder tier (≈ 34 MiB): TABLES · IN · OUT · LIT
//   encoder tier (≈ 190 MiB more): SEQ_LL · SEQ_ML · SEQ_OF · HEAD · CHAIN · OPT
//
// The host reads the addresses through the exported getters in index.ts.

// @ts-ignore: decorator
@inline export const MAX_BLOCK: u32 = 1 << 24;
// IN holds the block (encode) or the payload (decode), followed by IN_SLACK zeroed bytes the decoder's bit readers
// may load past the payload (every read is at most 8 bytes at a bit position it has checked, plus one step).
// @ts-ignore: decorator
@inline export const IN_SLACK: u32 = 256;
// @ts-ignore: decorator
@inline export const IN_CAPACITY: u32 = MAX_BLOCK + 64;
// OUT holds the payload (encode: the encoder stops and stores raw once a sub-block ends past the block's size, so a
// sub-block's worst case, < 2 MiB, is the margin) or the decoded block (the decoder's wild copies write up to 32
// bytes past the end).
// @ts-ignore: decorator
@inline export const OUT_CAPACITY: u32 = MAX_BLOCK + (2 << 20);
// @ts-ignore: decorator
@inline export const SLACK: u32 = 64;
// Decoded literals of one sub-block (≤ its output size ≤ MAX_BLOCK), with slack for 16-byte wild copies.
// @ts-ignore: decorator
@inline export const LIT_CAPACITY: u32 = MAX_BLOCK + 64;
// Four Huffman decode tables (literals, literal lengths, match lengths, offsets) of 2^11 u16 entries each, plus the
// scratch the table builders use.
// @ts-ignore: decorator
@inline export const TABLE_LOG_MAX: u32 = 11;
// @ts-ignore: decorator
@inline const TABLES_SIZE: u32 = 4 * (1 << TABLE_LOG_MAX) * 2 + 8192;

// encoder: sequences (at most one per 3 bytes of block), hash heads, chain links, parser state
// @ts-ignore: decorator
@inline export const MAX_SEQ: u32 = MAX_BLOCK / 3 + 16;
// @ts-ignore: decorator
@inline export const HASH_BITS_MAX: u32 = 22;
// optimal parser: nodes per window (each OPT_NODE_SIZE bytes) and the matches found at one position
// @ts-ignore: decorator
@inline export const OPT_WINDOW: u32 = 4096;
// @ts-ignore: decorator
@inline export const OPT_NODE_SIZE: u32 = 32;
// @ts-ignore: decorator
@inline export const NICE_MAX: u32 = 4096;

// @ts-ignore: decorator
@inline const ALIGN: u32 = 65536;
// @ts-ignore: decorator
@inline const OFF_TABLES: u32 = 0;
// @ts-ignore: decorator
@inline const OFF_IN: u32 = (OFF_TABLES + TABLES_SIZE + 63) & ~63;
// @ts-ignore: decorator
@inline const OFF_OUT: u32 = (OFF_IN + IN_CAPACITY + IN_SLACK + 63) & ~63;
// @ts-ignore: decorator
@inline const OFF_LIT: u32 = (OFF_OUT + OUT_CAPACITY + SLACK + 63) & ~63;
// @ts-ignore: decorator
@inline const DECODER_END: u32 = (OFF_LIT + LIT_CAPACITY + 63) & ~63;
// @ts-ignore: decorator
@inline const OFF_SEQ_LL: u32 = DECODER_END;
// @ts-ignore: decorator
@inline const OFF_SEQ_ML: u32 = OFF_SEQ_LL + MAX_SEQ * 4;
// @ts-ignore: decorator
@inline const OFF_SEQ_OF: u32 = OFF_SEQ_ML + MAX_SEQ * 4;
// @ts-ignore: decorator
@inline const OFF_HEAD: u32 = (OFF_SEQ_OF + MAX_SEQ * 4 + 63) & ~63;
// @ts-ignore: decorator
@inline const OFF_CHAIN: u32 = OFF_HEAD + (1 << HASH_BITS_MAX) * 4;
// @ts-ignore: decorator
@inline const OFF_OPT: u32 = OFF_CHAIN + MAX_BLOCK * 4;
// @ts-ignore: decorator
@inline const ENCODER_END: u32 = OFF_OPT + (OPT_WINDOW + NICE_MAX + 64) * OPT_NODE_SIZE;

export const BASE: usize = (__heap_base + ALIGN - 1) & ~(ALIGN - 1);
export const TABLES: usize = BASE + OFF_TABLES;
export const IN: usize = BASE + OFF_IN;
export const OUT: usize = BASE + OFF_OUT;
export const LIT: usize = BASE + OFF_LIT;
export const SEQ_LL: usize = BASE + OFF_SEQ_LL;
export const SEQ_ML: usize = BASE + OFF_SEQ_ML;
export const SEQ_OF: usize = BASE + OFF_SEQ_OF;
export const HEAD: usize = BASE + OFF_HEAD;
export const CHAIN: usize = BASE + OFF_CHAIN;
export const OPT: usize = BASE + OFF_OPT;
export const DEC_END: usize = BASE + DECODER_END;
export const ENC_END: usize = BASE + ENCODER_END;

/** Grows the memory (once) so that everything below `end` fits. Returns false if the host refused. */
export function ensureMemory(end: usize): bool {
  const needPages = <i32>((end + ALIGN - 1) / ALIGN);
  const have = memory.size();
  if (have < needPages) return memory.grow(needPages - have) >= 0;
  return true;
}
