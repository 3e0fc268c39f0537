// SHA-256 over the wasm core. Input streams through the core's fixed window, so memory use does not depend on the
// input size. Streaming hashers keep their own copy of the 112-byte context and swap it into the core lazily: the
// context is saved only when another hasher (or a one-shot call) needs the core.
import { PaniniError } from '../errors.js';
import { assertBytes } from '../validate.js';
import { type Core, getCore } from '../wasm/core.js';

const CTX_BYTES = 112;

export interface Hasher {
  /** Feeds more bytes; returns the hasher for chaining. */
  update(data: Uint8Array): Hasher;
  /** Finishes and returns the 32-byte digest. The hasher cannot be used after. */
  digest(): Uint8Array;
}

let activeCore: Core | undefined;
let active: Sha256Hasher | undefined; // whose context is in the core now (undefined: nobody's)

function release(c: Core): void {
  if (active && activeCore) active.save(activeCore); // the active context lives in the core it was last swapped into
  active = undefined;
  activeCore = c;
}

function feed(c: Core, data: Uint8Array): void {
  const { mem, window, windowSize, x } = c;
  for (let off = 0; off < data.length; off += windowSize) {
    const n = Math.min(windowSize, data.length - off);
    mem.set(n === data.length ? data : data.subarray(off, off + n), window);
    x.sha256Update(window, n);
  }
}

function finish(c: Core): Uint8Array {
  c.x.sha256Final(c.digest);
  return c.mem.slice(c.digest, c.digest + 32);
}

/** The error of a hasher used after its digest (both backends). */
const spent = (): PaniniError => new PaniniError('STATE', 'this SHA-256 hasher has already returned its digest');

class Sha256Hasher implements Hasher {
  private state: Uint8Array | undefined = new Uint8Array(CTX_BYTES);
  private fresh = true;

  save(c: Core): void {
    if (this.state) this.state.set(c.mem.subarray(c.shaCtx, c.shaCtx + CTX_BYTES));
  }

  private acquire(): Core {
    if (!this.state) throw spent();
    const c = getCore();
    if (active !== this || activeCore !== c) {
      release(c);
      if (this.fresh) c.x.sha256Init();
      else c.mem.set(this.state, c.shaCtx);
      active = this;
      this.fresh = false;
    }
    return c;
  }

  update(data: Uint8Array): Hasher {
    assertBytes('data', data);
    feed(this.acquire(), data);
    return this;
  }

  digest(): Uint8Array {
    const c = this.acquire();
    const d = finish(c);
    this.state = undefined;
    active = undefined;
    return d;
  }
}

// A native SHA-256 the platform offers (Node's node:crypto, installed by the Node entry and the Node worker): same
// digests, 5-7x the speed of the wasm core where the CPU has SHA instructions (bench/core.mjs). The browser entry
// installs none: there the wasm core streams (crypto.subtle.digest is one-shot and async, so it cannot stream), and
// WebCrypto hashes the whole buffers given to sha256Async (the decoder's record checks, decompress()'s output).
export interface NativeSha256 {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
}
/**
 * 'native': node:crypto for everything (Node). 'webcrypto': the wasm core streams, crypto.subtle hashes whole
 * buffers given to sha256Async (browsers in a secure context). 'wasm': the wasm core for everything.
 */
export type Sha256Backend = 'wasm' | 'native' | 'webcrypto';
/** Below this, sha256Async hashes in the wasm core: a WebCrypto call costs more than the hashing it saves. */
export const WEBCRYPTO_MIN = 64 << 10;
/** Above this, sha256Async hashes in the wasm core too: WebCrypto copies its input, and that copy should stay small
 *  next to the buffer (decompress() hashes its whole output in one call). */
export const WEBCRYPTO_MAX = 256 << 20;
type Subtle = { digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer> };
let nativeFactory: (() => NativeSha256) | undefined;

function webCrypto(): Subtle | undefined {
  const s = (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle;
  return s && typeof s.digest === 'function' ? s : undefined;
}
const defaultBackend = (): Sha256Backend => (nativeFactory ? 'native' : webCrypto() ? 'webcrypto' : 'wasm');
let backend: Sha256Backend = defaultBackend();

/** Installs (or, with undefined, removes) a native SHA-256; it is used from then on. Entry points call this. */
export function installNativeSha256(factory: (() => NativeSha256) | undefined): void {
  nativeFactory = factory;
  backend = defaultBackend();
}

/** Which implementation hashes now: 'native' (installed by the Node entry), 'webcrypto' (wasm core + WebCrypto for
 *  whole buffers: the default where crypto.subtle exists and nothing native is installed) or 'wasm'. */
export function sha256Backend(): Sha256Backend {
  return backend;
}

/**
 * Picks the SHA-256 implementation: 'wasm' (the core alone), 'webcrypto' (throws OPTION where crypto.subtle is
 * missing, e.g. a page not served over https) or 'native' (throws OPTION where none is installed, i.e. outside Node).
 * Digests are the same; benchmarks use this to measure the browser's paths in Node.
 */
export function setSha256Backend(b: Sha256Backend): void {
  if (b === 'wasm') backend = b;
  else if (b === 'native') {
    if (!nativeFactory) throw new PaniniError('OPTION', 'setSha256Backend: no native SHA-256 is installed here (the Node entry installs node:crypto\'s)');
    backend = b;
  } else if (b === 'webcrypto') {
    if (!webCrypto()) throw new PaniniError('OPTION', 'setSha256Backend: crypto.subtle is not available here (browsers offer it only in secure contexts: https or localhost)');
    backend = b;
  } else throw new PaniniError('OPTION', `setSha256Backend: backend must be 'wasm', 'webcrypto' or 'native', got ${JSON.stringify(b)}`);
}

const asBytes = (d: Uint8Array): Uint8Array => (d.constructor === Uint8Array ? d : new Uint8Array(d.buffer, d.byteOffset, d.byteLength));

class NativeHasher implements Hasher {
  private h: NativeSha256 | undefined;
  constructor(h: NativeSha256) {
    this.h = h;
  }
  private live(): NativeSha256 {
    if (!this.h) throw spent();
    return this.h;
  }
  update(data: Uint8Array): Hasher {
    assertBytes('data', data);
    this.live().update(data);
    return this;
  }
  digest(): Uint8Array {
    const d = asBytes(this.live().digest());
    this.h = undefined;
    return d;
  }
}

/** SHA-256 (FIPS 180-4) of `data`: 32 bytes. Needs `await init()` first. */
export function sha256(data: Uint8Array): Uint8Array {
  assertBytes('data', data);
  if (backend === 'native') {
    const h = nativeFactory!();
    h.update(data);
    return asBytes(h.digest());
  }
  const c = getCore();
  release(c);
  c.x.sha256Init();
  feed(c, data);
  return finish(c);
}

/** A streaming SHA-256: feeding the same bytes in pieces of any size gives the one-shot digest. */
export function createSha256(): Hasher {
  getCore();
  return backend === 'native' ? new NativeHasher(nativeFactory!()) : new Sha256Hasher();
}

/**
 * SHA-256 of a whole buffer, possibly in native code: with the 'webcrypto' backend, buffers of WEBCRYPTO_MIN to
 * WEBCRYPTO_MAX bytes go to crypto.subtle (browsers hash in native code, at about twice the wasm core's speed in
 * Chromium); otherwise the same as sha256(). `data` must not change until the promise settles.
 */
export async function sha256Async(data: Uint8Array): Promise<Uint8Array> {
  assertBytes('data', data);
  const s = backend === 'webcrypto' && data.length >= WEBCRYPTO_MIN && data.length <= WEBCRYPTO_MAX ? webCrypto() : undefined;
  if (!s) return sha256(data);
  try {
    return new Uint8Array(await s.digest('SHA-256', data));
  } catch {
    return sha256(data); // e.g. a view of a SharedArrayBuffer, which WebCrypto refuses: the core gives the same digest
  }
}
