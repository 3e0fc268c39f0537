// SHA-256 (FIPS 180-4), streaming over one context at SHA_CTX. The host keeps a copy of the context per hasher and
// swaps it in when another hasher was active, so any number of hashers can be open at once.
// Context layout (128 bytes): [0,32) state H0..H7 (u32) · [32,96) pending block · [96,100) pending length (u32)
//                             · [104,112) total length in bytes (u64)
import { SHA_CTX } from "../layout";
import { sha256Blocks } from "./sha256_compress";

// @ts-ignore: decorator
@inline const BUF: usize = 32;
// @ts-ignore: decorator
@inline const BUFLEN: usize = 96;
// @ts-ignore: decorator
@inline const TOTAL: usize = 104;

export function sha256Init(): void {
  store<u32>(SHA_CTX, 0x6a09e667, 0);
  store<u32>(SHA_CTX, 0xbb67ae85, 4);
  store<u32>(SHA_CTX, 0x3c6ef372, 8);
  store<u32>(SHA_CTX, 0xa54ff53a, 12);
  store<u32>(SHA_CTX, 0x510e527f, 16);
  store<u32>(SHA_CTX, 0x9b05688c, 20);
  store<u32>(SHA_CTX, 0x1f83d9ab, 24);
  store<u32>(SHA_CTX, 0x5be0cd19, 28);
  store<u32>(SHA_CTX + BUFLEN, 0);
  store<u64>(SHA_CTX + TOTAL, 0);
}

export function sha256Update(ptr: usize, len: usize): void {
  store<u64>(SHA_CTX + TOTAL, load<u64>(SHA_CTX + TOTAL) + <u64>len);
  let have = <usize>load<u32>(SHA_CTX + BUFLEN);
  if (have > 0) {
    const take = min<usize>(64 - have, len);
    memory.copy(SHA_CTX + BUF + have, ptr, take);
    have += take;
    ptr += take;
    len -= take;
    if (have < 64) {
      store<u32>(SHA_CTX + BUFLEN, <u32>have);
      return;
    }
    sha256Blocks(SHA_CTX, SHA_CTX + BUF, 1);
    have = 0;
  }
  const blocks = len >>> 6;
  if (blocks > 0) {
    sha256Blocks(SHA_CTX, ptr, blocks);
    ptr += blocks << 6;
    len -= blocks << 6;
  }
  if (len > 0) memory.copy(SHA_CTX + BUF, ptr, len);
  store<u32>(SHA_CTX + BUFLEN, <u32>len);
}

/** Pads, finishes and writes the 32-byte big-endian digest at `out`. The context must be re-initialized after. */
export function sha256Final(out: usize): void {
  const have = <usize>load<u32>(SHA_CTX + BUFLEN);
  const bits = load<u64>(SHA_CTX + TOTAL) << 3;
  store<u8>(SHA_CTX + BUF + have, 0x80);
  if (have + 1 > 56) {
    memory.fill(SHA_CTX + BUF + have + 1, 0, 64 - have - 1);
    sha256Blocks(SHA_CTX, SHA_CTX + BUF, 1);
    memory.fill(SHA_CTX + BUF, 0, 56);
  } else {
    memory.fill(SHA_CTX + BUF + have + 1, 0, 56 - have - 1);
  }
  store<u64>(SHA_CTX + BUF + 56, bswap<u64>(bits));
  sha256Blocks(SHA_CTX, SHA_CTX + BUF, 1);
  for (let i: usize = 0; i < 8; i++) store<u32>(out + (i << 2), bswap<u32>(load<u32>(SHA_CTX + (i << 2))));
}
