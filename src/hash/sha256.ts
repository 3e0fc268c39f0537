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

class Sha256Hasher implements Hasher {
  private state: Uint8Array | undefined = new Uint8Array(CTX_BYTES);
  private fresh = true;

  save(c: Core): void {
    if (this.state) this.state.set(c.mem.subarray(c.shaCtx, c.shaCtx + CTX_BYTES));
  }

  private acquire(): Core {
    if (!this.state) throw new PaniniError('STATE', 'this SHA-256 hasher has already returned its digest');
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

/** SHA-256 (FIPS 180-4) of `data`: 32 bytes. Needs `await init()` first. */
export function sha256(data: Uint8Array): Uint8Array {
  assertBytes('data', data);
  const c = getCore();
  release(c);
  c.x.sha256Init();
  feed(c, data);
  return finish(c);
}

/** A streaming SHA-256: feeding the same bytes in pieces of any size gives the one-shot digest. */
export function createSha256(): Hasher {
  getCore();
  return new Sha256Hasher();
}
