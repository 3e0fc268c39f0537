// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF): the value of zlib's crc32().
// Slicing-by-16: sixteen 256-entry tables, 16 input bytes per step with four little-endian u32 loads.
import { CRC_TABLE } from "../layout";

export function crc32Init(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    store<u32>(CRC_TABLE + (n << 2), c);
  }
  for (let n: u32 = 0; n < 256; n++) {
    let c = load<u32>(CRC_TABLE + (n << 2));
    for (let t: u32 = 1; t < 16; t++) {
      c = load<u32>(CRC_TABLE + ((c & 0xff) << 2)) ^ (c >>> 8);
      store<u32>(CRC_TABLE + (t << 10) + (n << 2), c);
    }
  }
}

/** Continues a CRC over [ptr, ptr+len). `crc` is the running (already finalized) value, 0 for a new CRC. */
export function crc32Update(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  const t = CRC_TABLE; // table k at t + k*1024: the table index goes in the load's immediate offset
  const end16 = ptr + (len & ~(<usize>15));
  const end = ptr + len;
  while (ptr < end16) {
    const a = load<u32>(ptr) ^ c;
    const b = load<u32>(ptr, 4);
    const d = load<u32>(ptr, 8);
    const e = load<u32>(ptr, 12);
    c =
      load<u32>(t + ((a & 0xff) << 2), 15 << 10) ^ load<u32>(t + ((a >>> 6) & 0x3fc), 14 << 10) ^
      load<u32>(t + ((a >>> 14) & 0x3fc), 13 << 10) ^ load<u32>(t + ((a >>> 22) & 0x3fc), 12 << 10) ^
      load<u32>(t + ((b & 0xff) << 2), 11 << 10) ^ load<u32>(t + ((b >>> 6) & 0x3fc), 10 << 10) ^
      load<u32>(t + ((b >>> 14) & 0x3fc), 9 << 10) ^ load<u32>(t + ((b >>> 22) & 0x3fc), 8 << 10) ^
      load<u32>(t + ((d & 0xff) << 2), 7 << 10) ^ load<u32>(t + ((d >>> 6) & 0x3fc), 6 << 10) ^
      load<u32>(t + ((d >>> 14) & 0x3fc), 5 << 10) ^ load<u32>(t + ((d >>> 22) & 0x3fc), 4 << 10) ^
      load<u32>(t + ((e & 0xff) << 2), 3 << 10) ^ load<u32>(t + ((e >>> 6) & 0x3fc), 2 << 10) ^
      load<u32>(t + ((e >>> 14) & 0x3fc), 1 << 10) ^ load<u32>(t + ((e >>> 22) & 0x3fc));
    ptr += 16;
  }
  while (ptr < end) {
    c = load<u32>(t + (((c ^ <u32>load<u8>(ptr)) & 0xff) << 2)) ^ (c >>> 8);
    ptr++;
  }
  return ~c;
}
