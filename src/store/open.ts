/**
 * A store from a location string, as the CLI and the SDK take it:
 *   memory:NAME                  → a new MemoryStore
 *   SCHEME://…                   → the opener registered for SCHEME with `registerStoreScheme`
 *   /path, ./path, file:///path  → LocalStore, in Node only (src/store/open-node.ts; the Node entry's openStore)
 */
import { ErrorCode, PaniniError } from '../errors.js';
import { MemoryStore } from './memory.js';
import type { Store } from './types.js';

export interface OpenStoreOptions {
  /** Backend options, read by the scheme's opener (credentials, endpoint, retries …). */
  [name: string]: unknown;
}

export type StoreOpener = (url: URL, options: OpenStoreOptions) => Promise<Store>;

const schemes = new Map<string, StoreOpener>();

/** Make `scheme://…` locations open with `opener` (scheme without the colon, lower case). */
export function registerStoreScheme(scheme: string, opener: StoreOpener): void {
  schemes.set(scheme.toLowerCase(), opener);
}

export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (typeof location !== 'string' || location === '') {
    throw new PaniniError(ErrorCode.OPTION, 'store location must be a non-empty string', { option: 'location' });
  }
  if (location.startsWith('memory:')) return new MemoryStore(location.slice('memory:'.length));
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):\/\//.exec(location)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'file') {
    throw new PaniniError(
      ErrorCode.UNSUPPORTED,
      `store location ${JSON.stringify(location)}: a local directory store needs Node's file system (the Node entry of panini-fs opens it)`,
      { option: 'location' },
    );
  }
  const opener = schemes.get(scheme);
  if (!opener) {
    throw new PaniniError(
      ErrorCode.OPTION,
      `store location ${JSON.stringify(location)}: unknown scheme ${scheme}:// (known: a path, file://, memory:${
        schemes.size ? `, ${[...schemes.keys()].map((s) => `${s}://`).join(', ')}` : ''
      })`,
      { option: 'location' },
    );
  }
  return opener(new URL(location), options);
}
