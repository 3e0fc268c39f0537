// Repository cryptography (docs/REPOSITORY.md "Encryption"): AES-256-GCM per object through WebCrypto
// (globalThis.crypto.subtle, in browsers and Node 20), chunk ids by HMAC-SHA-256, key wrapping with scrypt
// (@noble/hashes, pure JS, the same in every runtime).
import { scryptAsync } from '@noble/hashes/scrypt';
import { ErrorCode, PaniniError } from '../errors.js';

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const KDF_DEFAULTS = { N: 1 << 15, r: 8, p: 1 } as const;
/** The largest scrypt cost an opener accepts from a key object (a hostile repository cannot make it hang). */
export const KDF_MAX = { N: 1 << 20, r: 32, p: 16 } as const;

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new PaniniError(ErrorCode.STATE, 'WebCrypto (globalThis.crypto.subtle) is not available: repositories need a secure context');
  return s;
}

export function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  globalThis.crypto.getRandomValues(b);
  return b;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });
export const utf8 = (s: string): Uint8Array => enc.encode(s);
export function fromUtf8(b: Uint8Array, what: string): string {
  try {
    return dec.decode(b);
  } catch {
    throw new PaniniError(ErrorCode.FORMAT, `${what}: not valid UTF-8`);
  }
}

export function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
export function unhex(s: string, what: string): Uint8Array {
  if (typeof s !== 'string' || !/^([0-9a-f]{2})*$/.test(s)) throw new PaniniError(ErrorCode.FORMAT, `${what}: not lowercase hex`);
  const b = new Uint8Array(s.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return b;
}
export function b64(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}
export function unb64(s: unknown, what: string): Uint8Array {
  if (typeof s !== 'string') throw new PaniniError(ErrorCode.FORMAT, `${what}: not a base64 string`);
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    throw new PaniniError(ErrorCode.FORMAT, `${what}: not valid base64`);
  }
  const b = new Uint8Array(bin.length);
  for (let i = 0; i < b.length; i++) b[i] = bin.charCodeAt(i);
  return b;
}

const buf = (b: Uint8Array): ArrayBuffer =>
  (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer ? b.buffer : b.slice().buffer) as ArrayBuffer;

/** SHA-256 through WebCrypto. */
export async function sha256hex(data: Uint8Array): Promise<string> {
  return hex(new Uint8Array(await subtle().digest('SHA-256', buf(data))));
}

export async function importAesKey(raw: Uint8Array): Promise<CryptoKey> {
  return subtle().importKey('raw', buf(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}
export async function importHmacKey(raw: Uint8Array): Promise<CryptoKey> {
  return subtle().importKey('raw', buf(raw), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}
export async function hmacHex(key: CryptoKey, data: Uint8Array): Promise<string> {
  return hex(new Uint8Array(await subtle().sign('HMAC', key, buf(data))));
}

/** nonce (12) ‖ AES-256-GCM ciphertext ‖ tag (16); the additional data names the object's kind. */
export async function seal(key: CryptoKey, plain: Uint8Array, kind: string): Promise<Uint8Array> {
  const nonce = randomBytes(NONCE_BYTES);
  const ct = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: buf(nonce), additionalData: buf(utf8(kind)), tagLength: 128 }, key, buf(plain)));
  const out = new Uint8Array(NONCE_BYTES + ct.length);
  out.set(nonce);
  out.set(ct, NONCE_BYTES);
  return out;
}

/** Decrypts a sealed object; a wrong key or an altered byte is `onFail()`'s error (CHECKSUM for objects, AUTH for keys). */
export async function open(key: CryptoKey, sealed: Uint8Array, kind: string, onFail: () => PaniniError): Promise<Uint8Array> {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw onFail();
  try {
    return new Uint8Array(
      await subtle().decrypt(
        { name: 'AES-GCM', iv: buf(sealed.subarray(0, NONCE_BYTES)), additionalData: buf(utf8(kind)), tagLength: 128 },
        key,
        buf(sealed.subarray(NONCE_BYTES)),
      ),
    );
  } catch {
    throw onFail();
  }
}

export interface KdfParams {
  N: number;
  r: number;
  p: number;
}

export function checkKdf(k: KdfParams, what: string): void {
  const pow2 = (n: number) => Number.isInteger(n) && n >= 2 && (n & (n - 1)) === 0;
  if (!pow2(k.N) || k.N > KDF_MAX.N || !Number.isInteger(k.r) || k.r < 1 || k.r > KDF_MAX.r || !Number.isInteger(k.p) || k.p < 1 || k.p > KDF_MAX.p) {
    throw new PaniniError(ErrorCode.FORMAT, `${what}: scrypt parameters N=${k.N} r=${k.r} p=${k.p} are outside N=2..2^20 (power of two), r=1..32, p=1..16`);
  }
}

/** The 32-byte key-wrapping key: scrypt(secret, salt, N, r, p, dkLen 32). */
export async function deriveWrapKey(secret: Uint8Array, salt: Uint8Array, k: KdfParams): Promise<CryptoKey> {
  const raw = await scryptAsync(secret, salt, { N: k.N, r: k.r, p: k.p, dkLen: 32, maxmem: 128 * k.N * k.r * (k.p + 1) + 1024 });
  return importAesKey(raw);
}
