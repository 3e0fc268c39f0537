// Fixed memory map of the panini-fs codec module (separate from the core, assembly/layout.ts).
//
// Every region is static and sized for the largest block, MAX_BLOCK (16 MiB). The memory is grown at most twice in
// the life of an instance: once to the end of the decoder's regions (first decode or encode), once more to the end
// of the encoder's (first encode). It never grows per call and never depends on the input beyond MAX_BLOCK: the host
// rejects larger blocks. A module that only decodes never reserves the encoder's match-finder tables.
//
//   decoder tier (≈ 32.6 MiB): PROBS · IN · OUT
//   encoder tier (≈ 145 MiB more): PRICES · OPT · MATCHES · HASH2 · HASH3 · HASH4 · SON
//
// The host reads the addresses through the exported getters in index.ts.

// @ts-ignore: decorator
@inline export const MAX_BLOCK_LOG: u32 = 24;
// @ts-ignore: decorator
@inline export const MAX_BLOCK: u32 = 1 << MAX_BLOCK_LOG; // 16 MiB: largest block (original bytes) per call
// Slack after IN and OUT: the decoder copies matches 8 bytes at a time and may write up to 7 bytes past the
// block's end; the match finder reads up to 8 bytes past the last position it compares (zeroed by the encoder).
// @ts-ignore: decorator
@inline export const SLACK: u32 = 64;
// IN holds the input block (encode) or the payload (decode: a valid payload is never longer than the block + 1),
// followed by IN_SLACK bytes the decoder zeroes and may read past a truncated payload.
// @ts-ignore: decorator
@inline export const IN_CAPACITY: u32 = MAX_BLOCK + 64;
// @ts-ignore: decorator
@inline export const IN_SLACK: u32 = 128;
// OUT holds the payload (encode: stops once it would exceed the block + 1, then the raw form is used) or the block.
// @ts-ignore: decorator
@inline export const OUT_CAPACITY: u32 = MAX_BLOCK + 64;

// Probability models: u32 each (two u16 estimates, or one u16 in the LZMA-style variant). Fixed part (see model.ts) then the literal coders, 0x300 << (lc + lp), lc + lp ≤ 8.
// @ts-ignore: decorator
@inline export const PROBS_FIXED: u32 = 2048;
// @ts-ignore: decorator
@inline export const PROBS_COUNT: u32 = PROBS_FIXED + (0x300 << 8);

// Match finder sizes.
// @ts-ignore: decorator
@inline export const HASH2_SIZE: u32 = 1 << 16; // exact: indexed by the two bytes
// @ts-ignore: decorator
@inline export const HASH3_BITS: u32 = 18;
// @ts-ignore: decorator
@inline export const HASH4_MAX_BITS: u32 = 22;
// Optimal parser: nodes per step and the longest match.
// @ts-ignore: decorator
@inline export const OPT_NODES: u32 = 4096;
// @ts-ignore: decorator
@inline export const MATCH_LEN_MAX: u32 = 273;

// @ts-ignore: decorator
@inline const ALIGN: u32 = 65536;
// @ts-ignore: decorator
@inline const OFF_PROBS: u32 = 0;
// @ts-ignore: decorator
@inline const OFF_IN: u32 = (OFF_PROBS + PROBS_COUNT * 4 + 63) & ~63;
// @ts-ignore: decorator
@inline const OFF_OUT: u32 = (OFF_IN + IN_CAPACITY + IN_SLACK + 63) & ~63;
// @ts-ignore: decorator
@inline const DECODER_END: u32 = (OFF_OUT + OUT_CAPACITY + SLACK + 63) & ~63;
// encoder tier
// @ts-ignore: decorator
@inline const PRICES_SIZE: u32 = 256 * 1024; // price tables, see price.ts
// @ts-ignore: decorator
@inline const OFF_PRICES: u32 = DECODER_END;
// @ts-ignore: decorator
@inline export const OPT_NODE_SIZE: u32 = 48;
// @ts-ignore: decorator
@inline const OFF_OPT: u32 = OFF_PRICES + PRICES_SIZE;
// @ts-ignore: decorator
@inline const OFF_MATCHES: u32 = (OFF_OPT + (OPT_NODES + MATCH_LEN_MAX + 8) * OPT_NODE_SIZE + 63) & ~63;
// @ts-ignore: decorator
@inline const OFF_HASH2: u32 = (OFF_MATCHES + (MATCH_LEN_MAX + 8) * 2 * 4 * 2 + 63) & ~63;
// @ts-ignore: decorator
@inline const OFF_HASH3: u32 = OFF_HASH2 + HASH2_SIZE * 4;
// @ts-ignore: decorator
@inline const OFF_HASH4: u32 = OFF_HASH3 + (1 << HASH3_BITS) * 4;
// @ts-ignore: decorator
@inline const OFF_SON: u32 = OFF_HASH4 + (1 << HASH4_MAX_BITS) * 4;
// @ts-ignore: decorator
@inline const ENCODER_END: u32 = OFF_SON + MAX_BLOCK * 2 * 4;

export const BASE: usize = (__heap_base + ALIGN - 1) & ~(ALIGN - 1);
export const PROBS: usize = BASE + OFF_PROBS;
export const IN: usize = BASE + OFF_IN;
export const OUT: usize = BASE + OFF_OUT;
export const PRICES: usize = BASE + OFF_PRICES;
export const OPT: usize = BASE + OFF_OPT;
export const MATCHES: usize = BASE + OFF_MATCHES;
export const HASH2: usize = BASE + OFF_HASH2;
export const HASH3: usize = BASE + OFF_HASH3;
export const HASH4: usize = BASE + OFF_HASH4;
export const SON: usize = BASE + OFF_SON;
export const DEC_END: usize = BASE + DECODER_END;
export const ENC_END: usize = BASE + ENCODER_END;

/** Grows the memory (once) so that everything below `end` fits. Returns false if the host refused. */
export function ensureMemory(end: usize): bool {
  const needPages = <i32>((end + ALIGN - 1) / ALIGN);
  const have = memory.size();
  if (have < needPages) return memory.grow(needPages - have) >= 0;
  return true;
}
