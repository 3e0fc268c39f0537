/**
 * S3Store against a real S3 server: s3rver (an S3 emulator on the file system), started here in a child process on a
 * free port. Every conformance case opens a fresh prefix in one bucket. s3rver's gaps (docs/STORES.md): it lists
 * directories first (the stores here use listOrder 'sort'), writes objects in place (same-key puts are not raced), and
 * its list continuation tokens use DES, which Node's OpenSSL 3 offers only with --openssl-legacy-provider.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store, openStore, isPaniniError, type Store } from '../../src/node.js';
import { storeConformance } from './conformance.js';
import { errorCode as code, startS3rver, type TestServer } from './servers.js';

const BUCKET = 'panini-test';
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
let server: TestServer | undefined;
let endpoint = '';
let n = 0;

beforeAll(async () => {
  server = await startS3rver(BUCKET);
  endpoint = server.url;
});
afterAll(async () => {
  await server?.stop();
});

const fresh = (extra: Partial<ConstructorParameters<typeof S3Store>[0]> = {}): Store =>
  new S3Store({
    location: `s3://${BUCKET}/t${++n}-${randomBytes(4).toString('hex')}`,
    endpoint,
    credentials,
    listOrder: 'sort',
    ...extra,
  });
const GAP = 's3rver writes objects in place';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

storeConformance('S3 (s3rver)', async () => fresh(), { noSameKeyRace: GAP });
// The smallest multipart sizes S3 allows, so multipart uploads are exercised.
storeConformance('S3 (s3rver), multipart above 5 MiB', async () => fresh({ multipartThreshold: 5 << 20, partSize: 5 << 20 }), {
  bigObject: 17 << 20,
  noSameKeyRace: GAP,
});

describe('S3 store', () => {
  it('keeps objects under the location prefix in the bucket, and paginates list in service order', async () => {
    const prefix = `layout-${randomBytes(4).toString('hex')}`;
    // Keys of one folder, which s3rver lists in key order, so the service's own order and pagination are checked.
    const s = new S3Store({ location: `s3://${BUCKET}/${prefix}`, endpoint, credentials, listPageSize: 2 });
    const other = new S3Store({ bucket: BUCKET, endpoint, credentials, listPageSize: 3 });
    try {
      const keys = Array.from({ length: 7 }, (_, i) => `k/${String(i).padStart(2, '0')}`);
      for (const k of keys) await s.put(k, new TextEncoder().encode(k));
      const got: string[] = [];
      for await (const i of s.list('k/')) got.push(i.key);
      expect(got).toEqual(keys);
      // The same objects seen from the bucket root carry the prefix.
      const root: string[] = [];
      for await (const i of other.list(`${prefix}/`)) root.push(i.key);
      expect(root).toEqual(keys.map((k) => `${prefix}/${k}`));
      expect(new TextDecoder().decode(await other.get(`${prefix}/k/03`))).toBe('k/03');
    } finally {
      await s.close();
      await other.close();
    }
  });

  it('a multipart upload stores the exact bytes', async () => {
    const s = fresh({ multipartThreshold: 5 << 20, partSize: 5 << 20 });
    try {
      const data = randomBytes((11 << 20) + 12345);
      await s.put('mp', data);
      expect(await s.stat('mp')).toEqual({ key: 'mp', size: data.length });
      expect(sha(await s.get('mp'))).toBe(sha(data));
      const o = (5 << 20) - 7;
      expect(sha(await s.getRange('mp', o, 100))).toBe(sha(data.subarray(o, o + 100)));
    } finally {
      await s.close();
    }
  });

  it('refused credentials are AUTH, a missing bucket is STORE, both naming the store', async () => {
    const bad = new S3Store({
      location: `s3://${BUCKET}/x`,
      endpoint,
      credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'nope' },
      maxAttempts: 1,
    });
    try {
      await bad.get('a');
      expect.unreachable();
    } catch (e) {
      expect(isPaniniError(e) && e.code).toBe('AUTH');
      expect((e as Error).message).toContain(`s3://${BUCKET}/x`);
    } finally {
      await bad.close();
    }
    const missing = new S3Store({ location: 's3://no-such-bucket/p', endpoint, credentials, maxAttempts: 1 });
    try {
      await missing.put('a', new Uint8Array(1));
      expect.unreachable();
    } catch (e) {
      expect(isPaniniError(e) && e.code).toBe('STORE');
      expect((e as Error).message).toContain('no-such-bucket');
    } finally {
      await missing.close();
    }
  });

  it('a server that is not there is STORE', async () => {
    const s = new S3Store({ location: `s3://${BUCKET}/p`, endpoint: 'http://127.0.0.1:1', credentials, maxAttempts: 1 });
    try {
      expect(await code(s.get('a'))).toBe('STORE');
    } finally {
      await s.close();
    }
  });

  it('openStore resolves s3:// with the endpoint and credentials from the AWS environment variables', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    });
    const prefix = `env-${randomBytes(4).toString('hex')}`;
    let s: Store | undefined;
    try {
      s = await openStore(`s3://${BUCKET}/${prefix}`);
      expect(s.location).toBe(`s3://${BUCKET}/${prefix}`);
      const data = randomBytes(999);
      await s.put('e', data);
      expect(sha(await s.get('e'))).toBe(sha(data));
    } finally {
      await s?.close();
      for (const k of ['AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  it('rejects locations and options that are not an S3 store (OPTION)', async () => {
    expect(() => new S3Store({ location: 'azure://x/y' })).toThrow(/s3:\/\/bucket/);
    expect(() => new S3Store({ bucket: BUCKET, listOrder: 'random' as never })).toThrow(/listOrder/);
    expect(() => new S3Store({ location: 's3://bk1/a/../c' })).toThrow(/prefix/);
    expect(() => new S3Store({ bucket: 'bucket', partSize: 1000 })).toThrow(/partSize/);
    await expect(openStore('s3://')).rejects.toMatchObject({ code: 'OPTION' });
  });
});
