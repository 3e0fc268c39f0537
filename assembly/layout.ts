// Fixed memory map of the panini-fs core. Every region is static: nothing is allocated per call, and the
// memory never grows after init(), whatever the size of the input (large inputs stream through WINDOW).
// The host reads the addresses through the exported getters in index.ts.

// @ts-ignore: decorator
@inline export const WINDOW_SIZE: u32 = 4 << 20; // 4 MiB input window
// @ts-ignore: decorator
@inline export const CDC_MIN_FLOOR: u32 = 64; // smallest minSize accepted by the host
// one chunk end per CDC_MIN_FLOOR bytes of window at most, plus one carried over from the previous window
// @ts-ignore: decorator
@inline export const CUTS_CAPACITY: u32 = WINDOW_SIZE / CDC_MIN_FLOOR + 2;

// @ts-ignore: decorator
@inline const ALIGN: u32 = 65536;

// Region offsets from the base (all multiples of 64, so SIMD and u64 loads are aligned).
// @ts-ignore: decorator
@inline const OFF_CRC_TABLE: u32 = 0;                        // 16 x 256 x u32 = 16 KiB
// @ts-ignore: decorator
@inline const OFF_GEAR: u32 = OFF_CRC_TABLE + 16 * 256 * 4;   // 256 x u64 = 2 KiB
// @ts-ignore: decorator
@inline const OFF_GEAR_LS: u32 = OFF_GEAR + 256 * 8;          // 256 x u64 = 2 KiB (GEAR << 1)
// @ts-ignore: decorator
@inline const OFF_SHA_CTX: u32 = OFF_GEAR_LS + 256 * 8;       // 128 bytes: see sha256.ts
// @ts-ignore: decorator
@inline const OFF_CDC_CTX: u32 = OFF_SHA_CTX + 128;           // 64 bytes: see cdc.ts
// @ts-ignore: decorator
@inline const OFF_DIGEST: u32 = OFF_CDC_CTX + 64;             // 64 bytes: digest output
// @ts-ignore: decorator
@inline const OFF_CUTS: u32 = OFF_DIGEST + 64;                // CUTS_CAPACITY x u32
// @ts-ignore: decorator
@inline const OFF_WINDOW: u32 = (OFF_CUTS + CUTS_CAPACITY * 4 + 63) & ~63;
// @ts-ignore: decorator
@inline const REGIONS_END: u32 = OFF_WINDOW + WINDOW_SIZE;

export const BASE: usize = (__heap_base + ALIGN - 1) & ~(ALIGN - 1);
export const CRC_TABLE: usize = BASE + OFF_CRC_TABLE;
export const GEAR: usize = BASE + OFF_GEAR;
export const GEAR_LS: usize = BASE + OFF_GEAR_LS;
export const SHA_CTX: usize = BASE + OFF_SHA_CTX;
export const CDC_CTX: usize = BASE + OFF_CDC_CTX;
export const DIGEST: usize = BASE + OFF_DIGEST;
export const CUTS: usize = BASE + OFF_CUTS;
export const WINDOW: usize = BASE + OFF_WINDOW;
export const END: usize = BASE + REGIONS_END;

/** Grows the memory once so that every region fits. Returns false if the host refused to grow it. */
export function ensureMemory(): bool {
  const needPages = <i32>((END + ALIGN - 1) / ALIGN);
  const have = memory.size();
  if (have < needPages) return memory.grow(needPages - have) >= 0;
  return true;
}
