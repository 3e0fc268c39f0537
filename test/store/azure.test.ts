/**
 * AzureStore against a real Blob service: azurite, started here in a child process on a free port with in-memory
 * persistence and telemetry off. Every conformance case opens a fresh prefix in one container. azurite 3.35 knows
 * service versions up to one older than the one @azure/storage-blob 12.32 sends, hence --skipApiVersionCheck.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureStore, openStore, isPaniniError, type Store } from '../../src/node.js';
import { storeConformance } from './conformance.js';
import { errorCode as code, startAzurite, type TestServer } from './servers.js';

// azurite's documented development account (the same for every azurite installation).
const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const CONTAINER = 'panini-test';
let server: TestServer | undefined;
let connectionString = '';
let n = 0;

beforeAll(async () => {
  server = await startAzurite();
  connectionString = `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};BlobEndpoint=${server.url}/${ACCOUNT};`;
});
afterAll(async () => {
  await server?.stop();
});

const fresh = (extra: Partial<ConstructorParameters<typeof AzureStore>[0]> = {}): Store =>
  new AzureStore({
    location: `azure://${CONTAINER}/t${++n}-${randomBytes(4).toString('hex')}`,
    connectionString,
    createContainer: true,
    ...extra,
  });

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

storeConformance('Azure Blob (azurite)', async () => fresh());
// Small blocks and 3-blob list pages, so block uploads and list pagination are exercised.
storeConformance(
  'Azure Blob (azurite), blocks above 1 MiB, 3-blob list pages',
  async () => fresh({ singleShotThreshold: 1 << 20, blockSize: 1 << 20, listPageSize: 3 }),
  { bigObject: 9 << 20 },
);

describe('Azure store', () => {
  it('keeps blobs under the location prefix, and account + key from options work', async () => {
    const prefix = `layout-${randomBytes(4).toString('hex')}`;
    const s = fresh({ location: `azure://${CONTAINER}/${prefix}` });
    const root = new AzureStore({
      container: CONTAINER,
      account: ACCOUNT,
      accountKey: KEY,
      serviceUrl: `${server!.url}/${ACCOUNT}`,
      listPageSize: 2,
    });
    try {
      const data = randomBytes(3000);
      await s.put('p/q', data);
      expect(sha(await root.get(`${prefix}/p/q`))).toBe(sha(data));
      const listed: string[] = [];
      for await (const i of root.list(`${prefix}/`)) listed.push(i.key);
      expect(listed).toEqual([`${prefix}/p/q`]);
    } finally {
      await s.close();
      await root.close();
    }
  });

  it('a wrong account key is AUTH, a missing container is STORE, both naming the store', async () => {
    const badKey = Buffer.from(randomBytes(64)).toString('base64');
    const bad = new AzureStore({
      location: `azure://${CONTAINER}/x`,
      connectionString: connectionString.replace(KEY, badKey),
      maxTries: 1,
    });
    try {
      await bad.get('a');
      expect.unreachable();
    } catch (e) {
      expect(isPaniniError(e) && e.code).toBe('AUTH');
      expect((e as Error).message).toContain(`azure://${CONTAINER}/x`);
    }
    const missing = new AzureStore({ location: 'azure://no-such-container/p', connectionString, maxTries: 1 });
    try {
      await missing.put('a', new Uint8Array(1));
      expect.unreachable();
    } catch (e) {
      expect(isPaniniError(e) && e.code).toBe('STORE');
      expect((e as Error).message).toContain('no-such-container');
    }
  });

  it('openStore resolves azure:// with the connection string from AZURE_STORAGE_CONNECTION_STRING', async () => {
    const saved = process.env.AZURE_STORAGE_CONNECTION_STRING;
    process.env.AZURE_STORAGE_CONNECTION_STRING = connectionString;
    let s: Store | undefined;
    try {
      s = await openStore(`azure://${CONTAINER}/env-${randomBytes(4).toString('hex')}`, { createContainer: true });
      const data = randomBytes(777);
      await s.put('e', data);
      expect(sha(await s.get('e'))).toBe(sha(data));
    } finally {
      await s?.close();
      if (saved === undefined) delete process.env.AZURE_STORAGE_CONNECTION_STRING;
      else process.env.AZURE_STORAGE_CONNECTION_STRING = saved;
    }
  });

  it('rejects locations and options that are not an Azure store (OPTION)', async () => {
    expect(() => new AzureStore({ location: 's3://x/y' })).toThrow(/azure:\/\/container/);
    expect(() => new AzureStore({ location: 'azure://Upper/p' })).toThrow(/container/);
    expect(() => new AzureStore({ container: 'abc', listPageSize: 0 })).toThrow(/listPageSize/);
    const names = ['AZURE_STORAGE_CONNECTION_STRING', 'AZURE_STORAGE_ACCOUNT'];
    const saved = names.map((k) => process.env[k]);
    for (const k of names) delete process.env[k];
    try {
      // No credentials anywhere: OPTION, saying what to give.
      await expect(new AzureStore({ container: 'abc' }).get('k')).rejects.toThrow(/AZURE_STORAGE_CONNECTION_STRING/);
      expect(await code(new AzureStore({ container: 'abc' }).get('k'))).toBe('OPTION');
    } finally {
      names.forEach((k, i) => (saved[i] === undefined ? delete process.env[k] : (process.env[k] = saved[i])));
    }
  });
});
