/**
 * A store in an Azure Blob Storage container, under a key prefix: `azure://container/prefix` → block blob
 * `prefix/KEY`.
 *
 * @azure/storage-blob is an optional peer dependency, loaded on first use; without it, opening an Azure store fails
 * with UNSUPPORTED and says what to install. Puts up to `singleShotThreshold` are one Put Blob with its MD5 (checked by the
 * service); larger ones stage blocks and commit the block list, and a blob's content changes only when the list is
 * committed, so no partial object is ever visible (uncommitted blocks are discarded by the service). Credentials and
 * the service URL come from the options, then the environment (docs/STORES.md).
 */
import { createHash } from 'node:crypto';
import { ErrorCode, PaniniError } from '../errors.js';
import {
  assertRange,
  assertStoreKey,
  assertStorePrefix,
  checkAborted,
  checkBodyLength,
  emptyRange,
  wrongRangeLength,
  notFound,
  shortObject,
  type Store,
  type StoreObjectInfo,
  type StoreOpOptions,
} from './types.js';

type AzureSdk = typeof import('@azure/storage-blob');
type ContainerClient = import('@azure/storage-blob').ContainerClient;
type TokenCredential = import('@azure/storage-blob').StorageSharedKeyCredential | { getToken: (...a: never[]) => unknown };

export interface AzureStoreOptions {
  /** `azure://container/prefix`; or give `container` (and `prefix`) instead. */
  location?: string;
  container?: string;
  /** Blob name prefix inside the container, without leading or trailing '/'. Default: none. */
  prefix?: string;
  /** A storage connection string. Default: AZURE_STORAGE_CONNECTION_STRING. Wins over account and key. */
  connectionString?: string;
  /** Storage account name. Default: AZURE_STORAGE_ACCOUNT. */
  account?: string;
  /** Shared key of the account. Default: AZURE_STORAGE_KEY, then AZURE_STORAGE_ACCESS_KEY. */
  accountKey?: string;
  /** A SAS token (with or without the leading '?'). Default: AZURE_STORAGE_SAS_TOKEN. */
  sasToken?: string;
  /** A credential object from @azure/identity (DefaultAzureCredential …), used with `serviceUrl` or `account`. */
  credential?: TokenCredential;
  /** Blob service URL. Default: https://ACCOUNT.blob.core.windows.net (or the connection string's BlobEndpoint). */
  serviceUrl?: string;
  /** Create the container when it does not exist. Default false. */
  createContainer?: boolean;
  /** Puts larger than this many bytes are uploaded in blocks. Default 16 MiB. */
  singleShotThreshold?: number;
  /** Block size of block uploads. Default 8 MiB. */
  blockSize?: number;
  /** Blocks uploaded at once. Default 4. */
  blockConcurrency?: number;
  /** Blobs asked for per list request (1 to 5000). Default 5000. */
  listPageSize?: number;
  /** The SDK's own tries per request (its retry of throttling and 5xx). Default 3. */
  maxTries?: number;
}

const MiB = 1 << 20;

function option(name: string, message: string): PaniniError {
  return new PaniniError(ErrorCode.OPTION, `Azure store: ${name} ${message}`, { option: name });
}

function sizeOption(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw option(name, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** Parse `azure://container/prefix` into container and prefix. */
export function parseAzureLocation(location: string): { container: string; prefix: string } {
  const m = /^azure:\/\/([^/?#]+)\/?([^?#]*)$/i.exec(location);
  if (!m) throw option('location', `${JSON.stringify(location)} is not azure://container/prefix`);
  return { container: m[1]!, prefix: m[2]!.replace(/\/+$/, '') };
}

let sdkPromise: Promise<AzureSdk> | undefined;

function loadSdk(): Promise<AzureSdk> {
  sdkPromise ??= import('@azure/storage-blob').catch((cause: unknown) => {
    sdkPromise = undefined;
    throw new PaniniError(
      ErrorCode.UNSUPPORTED,
      `Azure store: @azure/storage-blob is not installed; install the optional peer dependency: npm install @azure/storage-blob (${
        cause instanceof Error ? cause.message : String(cause)
      })`,
      { option: 'location' },
      { cause },
    );
  });
  return sdkPromise;
}

interface RestErrorLike {
  name?: string;
  code?: string;
  statusCode?: number;
  message?: string;
  details?: { errorCode?: string };
}

const AUTH_CODES = new Set([
  'AuthenticationFailed',
  'AuthorizationFailure',
  'AuthorizationPermissionMismatch',
  'InvalidAuthenticationInfo',
  'NoAuthenticationInformation',
  'AccountIsDisabled',
]);

async function readAll(stream: NodeJS.ReadableStream, signal: AbortSignal | undefined): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const piece of stream as AsyncIterable<Uint8Array | string>) {
    if (signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    const b = typeof piece === 'string' ? new TextEncoder().encode(piece) : piece;
    parts.push(b);
    total += b.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export class AzureStore implements Store {
  readonly location: string;
  readonly container: string;
  readonly prefix: string;
  readonly #options: AzureStoreOptions;
  readonly #threshold: number;
  readonly #blockSize: number;
  readonly #concurrency: number;
  readonly #pageSize: number;
  #ready: Promise<ContainerClient> | undefined;
  #closed = false;

  constructor(options: AzureStoreOptions) {
    if (options === null || typeof options !== 'object') throw option('options', 'must be an object');
    let { container, prefix } = options;
    if (options.location !== undefined) ({ container, prefix } = parseAzureLocation(options.location));
    if (typeof container !== 'string' || !/^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/.test(container)) {
      throw option('container', `${JSON.stringify(container)} is not a container name (3-63 of a-z 0-9 -)`);
    }
    prefix = (prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (prefix !== '') assertStoreKey(prefix, 'Azure store prefix');
    this.container = container;
    this.prefix = prefix;
    this.location = `azure://${container}${prefix ? `/${prefix}` : ''}`;
    this.#options = options;
    this.#threshold = sizeOption(options.singleShotThreshold, 'singleShotThreshold', 16 * MiB, 1, 256 * MiB);
    this.#blockSize = sizeOption(options.blockSize, 'blockSize', 8 * MiB, 64 << 10, 4000 * MiB);
    this.#concurrency = sizeOption(options.blockConcurrency, 'blockConcurrency', 4, 1, 64);
    this.#pageSize = sizeOption(options.listPageSize, 'listPageSize', 5000, 1, 5000);
    sizeOption(options.maxTries, 'maxTries', 3, 1, 20);
  }

  /** Load the SDK, build the client and (with createContainer) create the container; the first operation does it. */
  ready(): Promise<void> {
    return this.#client().then(() => undefined);
  }

  #client(): Promise<ContainerClient> {
    this.#ready ??= (async () => {
      const sdk = await loadSdk();
      const o = this.#options;
      const env = typeof process === 'undefined' ? {} : process.env;
      const pipeline = { retryOptions: { maxTries: o.maxTries ?? 3 } };
      let service: import('@azure/storage-blob').BlobServiceClient;
      const connectionString = o.connectionString ?? (o.account || o.credential ? undefined : env.AZURE_STORAGE_CONNECTION_STRING);
      try {
        if (connectionString) {
          service = sdk.BlobServiceClient.fromConnectionString(connectionString, pipeline);
        } else {
          const account = o.account ?? env.AZURE_STORAGE_ACCOUNT;
          const url = o.serviceUrl ?? (account ? `https://${account}.blob.core.windows.net` : undefined);
          if (!url) {
            throw option(
              'connectionString',
              'is missing: give connectionString, account and accountKey, serviceUrl with a credential or sasToken, or set AZURE_STORAGE_CONNECTION_STRING (or AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY)',
            );
          }
          const key = o.accountKey ?? env.AZURE_STORAGE_KEY ?? env.AZURE_STORAGE_ACCESS_KEY;
          const sas = (o.sasToken ?? env.AZURE_STORAGE_SAS_TOKEN)?.replace(/^\?/, '');
          if (o.credential) {
            service = new sdk.BlobServiceClient(url, o.credential as never, pipeline);
          } else if (account && key) {
            service = new sdk.BlobServiceClient(url, new sdk.StorageSharedKeyCredential(account, key), pipeline);
          } else if (sas) {
            service = new sdk.BlobServiceClient(`${url}${url.includes('?') ? '&' : '?'}${sas}`, undefined, pipeline);
          } else {
            service = new sdk.BlobServiceClient(url, new sdk.AnonymousCredential(), pipeline);
          }
        }
      } catch (e) {
        if (e instanceof PaniniError) throw e;
        throw new PaniniError(
          ErrorCode.OPTION,
          `${this.location}: the Azure credentials or service URL are not usable: ${e instanceof Error ? e.message : String(e)}`,
          { store: this.location, option: 'connectionString' },
          { cause: e },
        );
      }
      const client = service.getContainerClient(this.container);
      if (o.createContainer) {
        try {
          await client.createIfNotExists();
        } catch (e) {
          throw this.#fail('create container', undefined, e);
        }
      }
      return client;
    })();
    this.#ready.catch(() => {
      this.#ready = undefined;
    });
    return this.#ready;
  }

  #name(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  #fail(op: string, key: string | undefined, cause: unknown): PaniniError {
    if (cause instanceof PaniniError) return cause;
    const e = (cause ?? {}) as RestErrorLike;
    const code = e.details?.errorCode ?? e.code ?? '';
    const status = e.statusCode;
    const detail = `${code || e.name || 'error'}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(cause)}`;
    const where = { store: this.location, key, op, status };
    const what = `${op}${key ? ` ${key}` : ''}`;
    if (e.name === 'AbortError') {
      return new PaniniError(ErrorCode.ABORTED, `${this.location}: ${what} aborted`, where, { cause });
    }
    if (AUTH_CODES.has(code) || status === 403 || status === 401) {
      return new PaniniError(ErrorCode.AUTH, `${this.location}: ${what}: credentials refused: ${detail}`, where, { cause });
    }
    if (key !== undefined && (code === 'BlobNotFound' || (status === 404 && code !== 'ContainerNotFound'))) {
      return notFound(this, key);
    }
    const hint = code === 'ContainerNotFound' ? ` (container ${this.container} does not exist)` : '';
    return new PaniniError(ErrorCode.STORE, `${this.location}: ${what} failed${hint}: ${detail}`, where, { cause });
  }

  #live(): void {
    if (this.#closed) throw new PaniniError(ErrorCode.STATE, `${this.location}: the store is closed`, { store: this.location });
  }

  async #download(key: string, offset: number, count: number | undefined, signal: AbortSignal | undefined) {
    const client = await this.#client();
    const res = await client.getBlockBlobClient(this.#name(key)).download(offset, count, { abortSignal: signal });
    const body = res.readableStreamBody ? await readAll(res.readableStreamBody, signal) : new Uint8Array(0);
    return { body, contentLength: res.contentLength, contentRange: res.contentRange };
  }

  async get(key: string, options?: StoreOpOptions): Promise<Uint8Array> {
    assertStoreKey(key);
    this.#live();
    checkAborted(options?.signal, this.location, key);
    try {
      const { body, contentLength } = await this.#download(key, 0, undefined, options?.signal);
      return checkBodyLength(this.location, key, body, contentLength);
    } catch (e) {
      throw this.#fail('get', key, e);
    }
  }

  async getRange(key: string, offset: number, length: number, options?: StoreOpOptions): Promise<Uint8Array> {
    assertStoreKey(key);
    assertRange(offset, length);
    this.#live();
    checkAborted(options?.signal, this.location, key);
    if (length === 0) return emptyRange(this, key, offset, options);
    try {
      const { body, contentRange } = await this.#download(key, offset, length, options?.signal);
      if (body.length !== length) {
        const total = Number(/\/(\d+)$/.exec(contentRange ?? '')?.[1] ?? offset + body.length);
        if (total < offset + length) throw shortObject(this.location, key, total, offset, length);
        throw wrongRangeLength(this.location, key, offset, length, body.length);
      }
      return body;
    } catch (e) {
      const err = e as RestErrorLike;
      if (err.statusCode === 416 || err.code === 'InvalidRange') {
        const info = await this.stat(key, options);
        if (!info) throw notFound(this, key);
        throw shortObject(this.location, key, info.size, offset, length);
      }
      throw this.#fail('get', key, e);
    }
  }

  async put(key: string, data: Uint8Array, options?: StoreOpOptions): Promise<void> {
    assertStoreKey(key);
    this.#live();
    checkAborted(options?.signal, this.location, key);
    const body = Buffer.from(Uint8Array.from(data).buffer);
    try {
      const blob = (await this.#client()).getBlockBlobClient(this.#name(key));
      const headers = { blobContentType: 'application/octet-stream' };
      if (body.length <= this.#threshold) {
        // x-ms-blob-content-md5 on a Put Blob is checked by the service against the body it received.
        await blob.upload(body, body.length, {
          abortSignal: options?.signal,
          blobHTTPHeaders: { ...headers, blobContentMD5: createHash('md5').update(body).digest() },
        });
      } else {
        await blob.uploadData(body, {
          abortSignal: options?.signal,
          blobHTTPHeaders: headers,
          maxSingleShotSize: this.#threshold,
          blockSize: this.#blockSize,
          concurrency: this.#concurrency,
        });
      }
      checkAborted(options?.signal, this.location, key);
    } catch (e) {
      if (options?.signal?.aborted) checkAborted(options.signal, this.location, key);
      throw this.#fail('put', key, e);
    }
  }

  async stat(key: string, options?: StoreOpOptions): Promise<StoreObjectInfo | undefined> {
    assertStoreKey(key);
    this.#live();
    checkAborted(options?.signal, this.location, key);
    try {
      const props = await (await this.#client())
        .getBlockBlobClient(this.#name(key))
        .getProperties({ abortSignal: options?.signal });
      return { key, size: props.contentLength ?? 0 };
    } catch (e) {
      const err = this.#fail('stat', key, e);
      if (err.code === ErrorCode.NOT_FOUND) return undefined;
      throw err;
    }
  }

  async delete(key: string, options?: StoreOpOptions): Promise<void> {
    assertStoreKey(key);
    this.#live();
    checkAborted(options?.signal, this.location, key);
    try {
      await (await this.#client()).getBlockBlobClient(this.#name(key)).deleteIfExists({ abortSignal: options?.signal });
    } catch (e) {
      const err = this.#fail('delete', key, e);
      if (err.code === ErrorCode.NOT_FOUND) return;
      throw err;
    }
  }

  async *list(prefix: string, options?: StoreOpOptions): AsyncIterable<StoreObjectInfo> {
    assertStorePrefix(prefix);
    this.#live();
    checkAborted(options?.signal, this.location);
    const base = this.prefix ? `${this.prefix}/` : '';
    let last: string | undefined;
    let pages;
    try {
      pages = (await this.#client())
        .listBlobsFlat({ prefix: base + prefix, abortSignal: options?.signal })
        .byPage({ maxPageSize: this.#pageSize });
    } catch (e) {
      throw this.#fail('list', prefix || undefined, e);
    }
    const it = pages[Symbol.asyncIterator]();
    for (;;) {
      checkAborted(options?.signal, this.location);
      let step;
      try {
        step = await it.next();
      } catch (e) {
        throw this.#fail('list', prefix || undefined, e);
      }
      if (step.done) return;
      for (const item of step.value.segment.blobItems) {
        if (!item.name.startsWith(base)) continue;
        const key = item.name.slice(base.length);
        try {
          assertStoreKey(key);
        } catch {
          continue;
        }
        if (last !== undefined && key <= last) {
          throw new PaniniError(
            ErrorCode.STORE,
            `${this.location}: list ${prefix}: the service returned ${key} after ${last} (keys out of order)`,
            { store: this.location, op: 'list', key },
          );
        }
        last = key;
        yield { key, size: item.properties.contentLength ?? 0 };
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

/** Open an Azure store, load the SDK and (with createContainer) create the container. */
export async function openAzureStore(options: AzureStoreOptions): Promise<AzureStore> {
  const store = new AzureStore(options);
  await store.ready();
  return store;
}
