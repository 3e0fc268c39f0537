/**
 * A store in an S3 bucket (AWS S3 or an S3-compatible service: MinIO, Ceph, Cloudflare R2, Google Cloud Storage's
 * interoperability endpoint …), under a key prefix: `s3://bucket/prefix` → object `prefix/KEY`.
 *
 * The AWS SDK (@aws-sdk/client-s3 and @aws-sdk/lib-storage) is an optional peer dependency, loaded on first use; without
 * it, opening an S3 store fails with UNSUPPORTED and says which packages to install. Puts up to `multipartThreshold`
 * are one PutObject with Content-MD5 (S3 makes the object visible only when it is whole); larger ones are a multipart
 * upload, which S3 assembles only on completion and which is aborted on failure, so no partial object is ever visible.
 * Settings come from the options, then the usual AWS environment (docs/STORES.md).
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

type S3Sdk = typeof import('@aws-sdk/client-s3');
type S3Client = import('@aws-sdk/client-s3').S3Client;
type UploadClass = typeof import('@aws-sdk/lib-storage').Upload;

export interface S3StoreOptions {
  /** `s3://bucket/prefix`; or give `bucket` (and `prefix`) instead. */
  location?: string;
  bucket?: string;
  /** Key prefix inside the bucket, without leading or trailing '/'. Default: none. */
  prefix?: string;
  /** Service URL for S3-compatible services. Default: AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, then AWS itself. */
  endpoint?: string;
  /** Default: AWS_REGION, then AWS_DEFAULT_REGION, then the SDK's profile; `us-east-1` when an endpoint is set. */
  region?: string;
  /** Address buckets as `endpoint/bucket` rather than `bucket.endpoint`. Default: true when an endpoint is set. */
  forcePathStyle?: boolean;
  /** Default: the SDK's chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, AWS_PROFILE, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Puts larger than this many bytes are multipart uploads. Default 16 MiB; at least 5 MiB. */
  multipartThreshold?: number;
  /** Part size of multipart uploads. Default 8 MiB; at least 5 MiB (S3's minimum). */
  partSize?: number;
  /** Parts uploaded at once. Default 4. */
  partConcurrency?: number;
  /** Keys asked for per list request (1 to 1000). Default 1000. */
  listPageSize?: number;
  /**
   * 'service' (default): yield keys in the order the service lists them, which S3 defines as ascending; a key out of
   * order fails the list with STORE. 'sort': read the whole listing, then yield it sorted (memory grows with the
   * listing), for S3-compatible servers that list in another order (s3rver lists directories first).
   */
  listOrder?: 'service' | 'sort';
  /** The SDK's own attempts per request (its retry of throttling and 5xx). Default 3. */
  maxAttempts?: number;
  /**
   * Checksums the SDK adds to requests: 'when-supported' (CRC headers, as AWS S3 accepts) or 'when-required'. Default:
   * 'when-supported' against AWS, 'when-required' against another endpoint (many S3-compatible servers reject them).
   */
  checksums?: 'when-supported' | 'when-required';
  /** Use this client instead of building one (its settings win; the store does not destroy it on close). */
  client?: S3Client;
}

const MiB = 1 << 20;

function option(name: string, message: string): PaniniError {
  return new PaniniError(ErrorCode.OPTION, `S3 store: ${name} ${message}`, { option: name });
}

function sizeOption(value: unknown, name: string, fallback: number, min: number, max = 5 * 1024 * MiB): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw option(name, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** Parse `s3://bucket/prefix` into bucket and prefix. */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/?#]+)\/?([^?#]*)$/i.exec(location);
  if (!m) throw option('location', `${JSON.stringify(location)} is not s3://bucket/prefix`);
  return { bucket: m[1]!, prefix: m[2]!.replace(/\/+$/, '') };
}

let sdkPromise: Promise<{ sdk: S3Sdk; Upload: UploadClass }> | undefined;

function loadSdk(): Promise<{ sdk: S3Sdk; Upload: UploadClass }> {
  sdkPromise ??= (async () => {
    try {
      const [sdk, storage] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]);
      return { sdk, Upload: storage.Upload };
    } catch (cause) {
      sdkPromise = undefined;
      throw new PaniniError(
        ErrorCode.UNSUPPORTED,
        `S3 store: the AWS SDK is not installed; install the optional peer dependencies: npm install @aws-sdk/client-s3 @aws-sdk/lib-storage (${
          cause instanceof Error ? cause.message : String(cause)
        })`,
        { option: 'location' },
        { cause },
      );
    }
  })();
  return sdkPromise;
}

const AUTH_NAMES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'CredentialsProviderError',
  'AuthorizationHeaderMalformed',
]);

interface SdkError {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number };
}

function statusOf(e: SdkError): number | undefined {
  return e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
}

export class S3Store implements Store {
  readonly location: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly #options: S3StoreOptions;
  readonly #threshold: number;
  readonly #partSize: number;
  readonly #queueSize: number;
  readonly #pageSize: number;
  #ready: Promise<{ client: S3Client; sdk: S3Sdk; Upload: UploadClass }> | undefined;
  #closed = false;

  constructor(options: S3StoreOptions) {
    if (options === null || typeof options !== 'object') throw option('options', 'must be an object');
    let { bucket, prefix } = options;
    if (options.location !== undefined) ({ bucket, prefix } = parseS3Location(options.location));
    if (typeof bucket !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/.test(bucket)) {
      throw option('bucket', `${JSON.stringify(bucket)} is not a bucket name`);
    }
    prefix = (prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (prefix !== '') assertStoreKey(prefix, 'S3 store prefix');
    this.bucket = bucket;
    this.prefix = prefix;
    this.location = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
    this.#options = options;
    this.#threshold = sizeOption(options.multipartThreshold, 'multipartThreshold', 16 * MiB, 5 * MiB);
    this.#partSize = sizeOption(options.partSize, 'partSize', 8 * MiB, 5 * MiB);
    this.#queueSize = sizeOption(options.partConcurrency, 'partConcurrency', 4, 1, 64);
    this.#pageSize = sizeOption(options.listPageSize, 'listPageSize', 1000, 1, 1000);
    sizeOption(options.maxAttempts, 'maxAttempts', 3, 1, 20);
    if (options.listOrder !== undefined && options.listOrder !== 'service' && options.listOrder !== 'sort') {
      throw option('listOrder', "must be 'service' or 'sort'");
    }
    if (options.checksums !== undefined && options.checksums !== 'when-supported' && options.checksums !== 'when-required') {
      throw option('checksums', "must be 'when-supported' or 'when-required'");
    }
  }

  /** Load the SDK and build the client (done by the first operation; call it to learn early that the SDK is there). */
  ready(): Promise<void> {
    return this.#client().then(() => undefined);
  }

  #client(): Promise<{ client: S3Client; sdk: S3Sdk; Upload: UploadClass }> {
    this.#ready ??= loadSdk().then(({ sdk, Upload }) => {
      const o = this.#options;
      if (o.client) return { client: o.client, sdk, Upload };
      const env = typeof process === 'undefined' ? {} : process.env;
      const endpoint = o.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? undefined;
      const region = o.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (endpoint ? 'us-east-1' : undefined);
      const checksums = o.checksums ?? (endpoint ? 'when-required' : 'when-supported');
      const mode = checksums === 'when-required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
      const client = new sdk.S3Client({
        ...(endpoint ? { endpoint } : {}),
        ...(region ? { region } : {}),
        ...(o.credentials ? { credentials: o.credentials } : {}),
        forcePathStyle: o.forcePathStyle ?? endpoint !== undefined,
        maxAttempts: o.maxAttempts ?? 3,
        requestChecksumCalculation: mode,
        responseChecksumValidation: mode,
      });
      return { client, sdk, Upload };
    });
    return this.#ready;
  }

  #key(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  #fail(op: string, key: string | undefined, cause: unknown): PaniniError {
    if (cause instanceof PaniniError) return cause;
    const e = (cause ?? {}) as SdkError;
    const name = e.name ?? e.Code ?? '';
    const status = statusOf(e);
    const detail = `${name}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(cause)}`;
    const where = { store: this.location, key, op, status };
    if (name === 'AbortError') {
      return new PaniniError(ErrorCode.ABORTED, `${this.location}: ${op}${key ? ` ${key}` : ''} aborted`, where, { cause });
    }
    if (AUTH_NAMES.has(name) || status === 403 || status === 401) {
      return new PaniniError(
        ErrorCode.AUTH,
        `${this.location}: ${op}${key ? ` ${key}` : ''}: credentials refused: ${detail}`,
        where,
        { cause },
      );
    }
    if (key !== undefined && (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchBucket'))) {
      return notFound(this, key);
    }
    const hint = name === 'NoSuchBucket' ? ` (bucket ${this.bucket} does not exist)` : '';
    return new PaniniError(
      ErrorCode.STORE,
      `${this.location}: ${op}${key ? ` ${key}` : ''} failed${hint}: ${detail}`,
      where,
      { cause },
    );
  }

  #live(): void {
    if (this.#closed) throw new PaniniError(ErrorCode.STATE, `${this.location}: the store is closed`, { store: this.location });
  }

  async get(key: string, options?: StoreOpOptions): Promise<Uint8Array> {
    assertStoreKey(key);
    this.#live();
    checkAborted(options?.signal, this.location, key);
    const { client, sdk } = await this.#client();
    try {
      const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }), {
        abortSignal: options?.signal,
      });
      const body = out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
      return checkBodyLength(this.location, key, body, out.ContentLength);
    } catch (e) {
      throw this.#fail('get', key, e);
    }
  }

  async getRange(key: string, offset: number, length: number, options?: StoreOpOptions): Promise<Uint8Array> {
    assertStoreKey(key);
    assertRange(offset, length);
    this.#live();
    checkAborted(options?.signal, this.location, key);
    const { client, sdk } = await this.#client();
    if (length === 0) return emptyRange(this, key, offset, options);
    try {
      const out = await client.send(
        new sdk.GetObjectCommand({
          Bucket: this.bucket,
          Key: this.#key(key),
          Range: `bytes=${offset}-${offset + length - 1}`,
        }),
        { abortSignal: options?.signal },
      );
      const body = out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
      if (body.length !== length) {
        // A server may ignore the Range header and answer with more (HTTP allows it: 200 and the whole object); the
        // Content-Range, when present, says where the body starts.
        const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(out.ContentRange ?? '');
        const start = range ? Number(range[1]) : 0;
        const total = range && range[2] !== '*' ? Number(range[2]) : start + body.length;
        if (start <= offset && start + body.length >= offset + length) {
          return body.slice(offset - start, offset - start + length);
        }
        if (total < offset + length) throw shortObject(this.location, key, total, offset, length);
        throw wrongRangeLength(this.location, key, offset, length, body.length);
      }
      return body;
    } catch (e) {
      const err = e as SdkError;
      if (err.name === 'InvalidRange' || statusOf(err) === 416) {
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
    const { client, sdk, Upload } = await this.#client();
    // The SDK may read the body after this returns control (retries), so it gets its own copy.
    const body = Uint8Array.from(data);
    try {
      if (body.length <= this.#threshold) {
        await client.send(
          new sdk.PutObjectCommand({
            Bucket: this.bucket,
            Key: this.#key(key),
            Body: body,
            ContentLength: body.length,
            ContentMD5: createHash('md5').update(body).digest('base64'),
            ContentType: 'application/octet-stream',
          }),
          { abortSignal: options?.signal },
        );
        return;
      }
      const abortController = new AbortController();
      const onAbort = () => abortController.abort();
      options?.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const upload = new Upload({
          client,
          params: {
            Bucket: this.bucket,
            Key: this.#key(key),
            Body: body,
            ContentType: 'application/octet-stream',
          },
          partSize: this.#partSize,
          queueSize: this.#queueSize,
          leavePartsOnError: false,
          abortController,
        });
        await upload.done();
      } finally {
        options?.signal?.removeEventListener('abort', onAbort);
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
    const { client, sdk } = await this.#client();
    try {
      const out = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }), {
        abortSignal: options?.signal,
      });
      return { key, size: out.ContentLength ?? 0 };
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
    const { client, sdk } = await this.#client();
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }), {
        abortSignal: options?.signal,
      });
    } catch (e) {
      const err = this.#fail('delete', key, e);
      if (err.code === ErrorCode.NOT_FOUND) return;
      throw err;
    }
  }

  async *list(prefix: string, options?: StoreOpOptions): AsyncIterable<StoreObjectInfo> {
    assertStorePrefix(prefix);
    this.#live();
    if (this.#options.listOrder === 'sort') {
      const all: StoreObjectInfo[] = [];
      for await (const info of this.#list(prefix, options, false)) all.push(info);
      all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      yield* all;
      return;
    }
    yield* this.#list(prefix, options, true);
  }

  async *#list(prefix: string, options: StoreOpOptions | undefined, ordered: boolean): AsyncIterable<StoreObjectInfo> {
    checkAborted(options?.signal, this.location);
    const { client, sdk } = await this.#client();
    const base = this.prefix ? `${this.prefix}/` : '';
    let token: string | undefined;
    let last: string | undefined;
    do {
      checkAborted(options?.signal, this.location);
      let out;
      try {
        out = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: base + prefix,
            ContinuationToken: token,
            MaxKeys: this.#pageSize,
          }),
          { abortSignal: options?.signal },
        );
      } catch (e) {
        throw this.#fail('list', prefix || undefined, e);
      }
      for (const o of out.Contents ?? []) {
        if (o.Key === undefined || !o.Key.startsWith(base)) continue;
        const key = o.Key.slice(base.length);
        // Objects another program put under the prefix with names that are not store keys are not part of the store.
        try {
          assertStoreKey(key);
        } catch {
          continue;
        }
        if (ordered && last !== undefined && key <= last) {
          throw new PaniniError(
            ErrorCode.STORE,
            `${this.location}: list ${prefix}: the service returned ${key} after ${last} (keys out of order; listOrder: 'sort' reads the whole listing and sorts it)`,
            { store: this.location, op: 'list', key },
          );
        }
        last = key;
        yield { key, size: o.Size ?? 0 };
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ready && !this.#options.client) {
      const ready = await this.#ready.catch(() => undefined);
      ready?.client.destroy();
    }
  }
}

/** Open an S3 store and load the SDK (fails with UNSUPPORTED when it is not installed). */
export async function openS3Store(options: S3StoreOptions): Promise<S3Store> {
  const store = new S3Store(options);
  await store.ready();
  return store;
}
