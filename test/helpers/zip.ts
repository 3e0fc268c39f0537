// A ZIP writer for tests, independent of src/deflate/zip.ts (PKWARE APPNOTE: local headers, optional data
// descriptors and zip64 extra fields, the central directory, the end record).
import { concatBytes } from '../../src/bytes.js';
import { crc32Of } from '../../src/deflate/zlib.js';

export function u16(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff];
}
export function u32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
export function cat(parts: (Uint8Array | number[])[]): Uint8Array {
  return concatBytes(parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p))));
}
export const ascii = (s: string) => new TextEncoder().encode(s);

export interface ZipIn {
  name: string;
  data: Uint8Array;
  /** compressed bytes for method 8 (else stored) */
  comp?: Uint8Array;
  /** sizes deferred to a data descriptor after the data (with its signature; 'nosig': without) */
  descriptor?: boolean | 'nosig';
  zip64?: boolean;
}

/** A ZIP writer for tests (independent of src/deflate/zip.ts). */
export function makeZip(entries: ZipIn[], prefix: Uint8Array = new Uint8Array(0)): Uint8Array {
  const parts: Uint8Array[] = [prefix];
  const cd: Uint8Array[] = [];
  let off = 0; // offsets relative to the archive start (a prefix is not counted, like a self-extractor)
  for (const e of entries) {
    const method = e.comp ? 8 : 0;
    const body = e.comp ?? e.data;
    const crc = crc32Of(e.data);
    const name = ascii(e.name);
    const flags = e.descriptor ? 8 : 0;
    const z64 = e.zip64 ? [...u16(1), ...u16(16), ...u32(e.data.length), ...u32(0), ...u32(body.length), ...u32(0)] : [];
    const lfh = cat([
      u32(0x04034b50), u16(45), u16(flags), u16(method), u16(0), u16(0),
      u32(e.descriptor ? 0 : crc), u32(e.descriptor ? 0 : e.zip64 ? 0xffffffff : body.length), u32(e.descriptor ? 0 : e.zip64 ? 0xffffffff : e.data.length),
      u16(name.length), u16(z64.length), name, z64,
    ]);
    parts.push(lfh, body);
    const dd = e.descriptor === 'nosig' ? cat([u32(crc), u32(body.length), u32(e.data.length)]) : e.descriptor ? cat([u32(0x08074b50), u32(crc), u32(body.length), u32(e.data.length)]) : new Uint8Array(0);
    if (dd.length) parts.push(dd);
    const cz64 = e.zip64 ? [...u16(1), ...u16(24), ...u32(e.data.length), ...u32(0), ...u32(body.length), ...u32(0), ...u32(off), ...u32(0)] : [];
    cd.push(cat([
      u32(0x02014b50), u16(45), u16(45), u16(flags), u16(method), u16(0), u16(0), u32(crc),
      u32(e.zip64 ? 0xffffffff : body.length), u32(e.zip64 ? 0xffffffff : e.data.length),
      u16(name.length), u16(cz64.length), u16(0), u16(0), u16(0), u32(0), u32(e.zip64 ? 0xffffffff : off), name, cz64,
    ]));
    off += lfh.length + body.length + dd.length;
  }
  const cdBytes = cat(cd);
  parts.push(cdBytes, cat([u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(cdBytes.length), u32(off), u16(0)]));
  return cat(parts);
}

