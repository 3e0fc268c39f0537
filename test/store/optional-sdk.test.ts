/**
 * The cloud SDKs are optional peers: the built Node entry loads and works without them, and opening an s3:// or
 * azure:// store then fails with UNSUPPORTED naming what to install. A child process runs dist/node.js with a
 * resolve hook under which @aws-sdk/* and @azure/* cannot be found, as in an installation without them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dist = new URL('../../dist/node.js', import.meta.url);

describe('cloud SDKs are optional', () => {
  it('without them, the package loads, local and memory stores work, s3:// and azure:// are UNSUPPORTED', () => {
    expect(existsSync(dist), 'dist/node.js is missing: run npm run build first').toBe(true);
    const hook = `export async function resolve(spec, ctx, next) {
      if (/^@(aws-sdk|azure)\\//.test(spec)) {
        const e = new Error("Cannot find package '" + spec + "'"); e.code = 'ERR_MODULE_NOT_FOUND'; throw e;
      }
      return next(spec, ctx);
    }`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
    const script = `
      const { openStore } = await import(${JSON.stringify(dist.href)});
      const out = {};
      const m = await openStore('memory:x'); await m.put('a', new Uint8Array([1])); out.memory = (await m.get('a'))[0];
      for (const loc of ['s3://bucket/p', 'azure://container/p']) {
        try { await openStore(loc, { connectionString: 'UseDevelopmentStorage=true' }); out[loc] = 'opened'; }
        catch (e) { out[loc] = e.code + ': ' + e.message; }
      }
      process.stdout.write(JSON.stringify(out));
    `;
    const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, AWS_REGION: 'us-east-1' },
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, string | number>;
    expect(out.memory).toBe(1);
    expect(out['s3://bucket/p']).toMatch(/^UNSUPPORTED: .*npm install @aws-sdk\/client-s3 @aws-sdk\/lib-storage/);
    expect(out['azure://container/p']).toMatch(/^UNSUPPORTED: .*npm install @azure\/storage-blob/);
  });
});
