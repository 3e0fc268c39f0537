/**
 * The Node entry's resolver of built-in store locations (installed into openStore by src/node.ts): paths, local:PATH
 * (a LocalStore's own `location`) and file:// open a LocalStore, s3:// an S3Store, azure:// an AzureStore. Each backend's module is imported only when a
 * location names it, and the cloud backends load their SDK then, failing with UNSUPPORTED when it is not installed.
 */
import type { BuiltinStoreOpener, OpenStoreOptions } from './open.js';
import type { Store } from './types.js';

export const openBuiltinStore: BuiltinStoreOpener = async (
  location: string,
  scheme: string | undefined,
  options: OpenStoreOptions,
): Promise<Store | undefined> => {
  if (scheme === undefined || scheme === 'file') {
    const { LocalStore } = await import('./local.js');
    // `local:/abs/path` is what a LocalStore's `location` says: it opens the same store again
    const path = scheme === 'file' ? decodeURIComponent(new URL(location).pathname) : location.startsWith('local:') ? location.slice('local:'.length) : location;
    return new LocalStore(path);
  }
  if (scheme === 's3') {
    const { openS3Store } = await import('./s3.js');
    return openS3Store({ ...options, location });
  }
  if (scheme === 'azure') {
    const { openAzureStore } = await import('./azure.js');
    return openAzureStore({ ...options, location });
  }
  return undefined;
};
