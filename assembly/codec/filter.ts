// The x86 branch filter (header flag 1): the 32-bit relative target of every E8 (call) / E9 (jmp) opcode byte
// whose displacement fits in 25 signed bits is replaced by the absolute target, modulo 2^25 and sign-extended, so
// that repeated calls to one function become repeated bytes. Applied in place to the block before coding, undone
// after decoding.
//
//   i = 0
//   while i + 5 <= n:
//     if b[i] is 0xE8 or 0xE9:
//       if b[i + 4] is 0x00 or 0xFF:
//         v = le32(b[i+1 .. i+4]); k = i + 5
//         v = sx25(v + k) when encoding, sx25(v − k) when decoding   (sx25(x) = x mod 2^25, sign-extended from bit 24)
//         write v back
//       i += 5
//     else i += 1
//
// Exactly invertible on any bytes: both directions visit the same positions (after an opcode byte the scan always
// skips its 4 operand bytes, so no byte is both an operand and a visited position, and only the operand bytes
// change), and the test on b[i + 4] gives the same answer before and after the transform (sx25 keeps the top byte
// 0x00 or 0xFF).

// @ts-ignore: decorator
@inline function sx25(x: u32): u32 {
  return <u32>((<i32>(x << 7)) >> 7);
}

export function x86Filter(ptr: usize, n: u32, encoding: bool): void {
  if (n < 5) return;
  const last = n - 5;
  let i: u32 = 0;
  while (i <= last) {
    const op = <u32>load<u8>(ptr + i);
    if ((op & 0xfe) == 0xe8) {
      const top = <u32>load<u8>(ptr + i + 4);
      if (top == 0 || top == 0xff) {
        const v = load<u32>(ptr + i + 1);
        const k = i + 5;
        store<u32>(ptr + i + 1, sx25(encoding ? v + k : v - k));
      }
      i += 5;
    } else {
      i++;
    }
  }
}
