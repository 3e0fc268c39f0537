/**
 * A store from a location string, as the CLI and the SDK take it:
 *   memory:NAME                       → a new MemoryStore (everywhere)
 *   /path, ./path, file:///path       → LocalStore            (Node entry)
 *   s3://bucket/prefix                → S3Store                (Node entry; optional peer @aws-sdk/client-s3)
 *   azure://container/prefix          → AzureStore             (Node entry; optional peer @azure/storage-blob)
 *   opfs://NAME, idb://NAME           → OpfsStore, IndexedDbStore (browsers; browser://NAME: OPFS, else IndexedDB)
 *   other://…                         → the opener registered with `registerStoreScheme`
 * The Node-only backends are resolved by src/store/open-node.ts, which the Node entry installs (as it installs
 * node:crypto's SHA-256), and which loads each backend's module, and its SDK, only when a location asks for it. This
 * module itself imports no backend, so the browser build carries no Node built-in and no cloud SDK.
 */
import { ErrorCode, PaniniError } from '../errors.js';
import { MemoryStore } from './memory.js';
import { IndexedDbStore, OpfsStore, openBrowserStore } from './browser.js';
import type { Store } from './types.js';

export interface OpenStoreOptions {
  /** Backend options, read by the scheme's opener (credentials, endpoint, retries …). */
  [name: string]: unknown;
}

export type StoreOpener = (url: URL, options: OpenStoreOptions) => Promise<Store>;

/** Opens the locations of the built-in Node backends; undefined when the location is not one of theirs. */
export type BuiltinStoreOpener = (
  location: string,
  scheme: string | undefined,
  options: OpenStoreOptions,
) => Promise<Store | undefined>;

const schemes = new Map<string, StoreOpener>();
let builtin: BuiltinStoreOpener | undefined;

/** Make `scheme://…` locations open with `opener` (scheme without the colon, lower case). */
export function registerStoreScheme(scheme: string, opener: StoreOpener): void {
  schemes.set(scheme.toLowerCase(), opener);
}

/** Set by the Node entry: the resolver of paths, file://, s3:// and azure:// (src/store/open-node.ts). */
export function installBuiltinStores(opener: BuiltinStoreOpener | undefined): void {
  builtin = opener;
}

const NODE_ONLY = new Set(['file', 's3', 'azure']);

/** The scheme of a `scheme://…` store location, lower case; undefined for a path (or `memory:`, `local:PATH`). */
export function locationScheme(location: string): string | undefined {
  return /^([A-Za-z][A-Za-z0-9+.-]+):\/\//.exec(location)?.[1]?.toLowerCase();
}

export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (typeof location !== 'string' || location === '') {
    throw new PaniniError(ErrorCode.OPTION, 'store location must be a non-empty string', { option: 'location' });
  }
  if (location.startsWith('memory:')) return new MemoryStore(location.slice('memory:'.length));
  const scheme = locationScheme(location);
  const opener = scheme === undefined ? undefined : schemes.get(scheme);
  if (opener) return opener(new URL(location), options);
  if (scheme === 'opfs' || scheme === 'idb' || scheme === 'browser') {
    const name = location.slice(scheme.length + 3);
    return scheme === 'opfs' ? new OpfsStore(name) : scheme === 'idb' ? new IndexedDbStore(name) : openBrowserStore(name);
  }
  if (scheme === undefined || NODE_ONLY.has(scheme)) {
    if (builtin) {
      const store = await builtin(location, scheme, options);
      if (store) return store;
    } else {
      throw new PaniniError(
        ErrorCode.UNSUPPORTED,
        `store location ${JSON.stringify(location)}: ${
          scheme === undefined || scheme === 'file' ? 'a local directory store' : `the ${scheme}:// store`
        } is part of the Node entry (import panini-fs in Node)`,
        { option: 'location' },
      );
    }
  }
  throw new PaniniError(
    ErrorCode.OPTION,
    `store location ${JSON.stringify(location)}: unknown scheme ${scheme}:// (known: a path, file://, memory:, s3://, azure://, opfs://, idb://, browser://${
      schemes.size ? `, ${[...schemes.keys()].map((s) => `${s}://`).join(', ')}` : ''
    })`,
    { option: 'location' },
  );
}
