// openStore for Node: local paths and file:// URLs open a LocalStore; everything else as in open.ts.
import { LocalStore } from './local.js';
import { openStore as openStoreAnywhere, type OpenStoreOptions } from './open.js';
import type { Store } from './types.js';

export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (typeof location === 'string' && location !== '' && !location.startsWith('memory:')) {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):\/\//.exec(location)?.[1]?.toLowerCase();
    if (scheme === undefined) return new LocalStore(location);
    if (scheme === 'file') return new LocalStore(decodeURIComponent(new URL(location).pathname));
  }
  return openStoreAnywhere(location, options);
}
