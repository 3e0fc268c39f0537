// Every async API starts the wasm core it needs itself: in a fresh process that never called init(), each of them
// works on its first call (init() is only needed before the synchronous hash/chunk calls). Each case runs in its own
// Node process (the built package, dist/node.js), so nothing earlier has started the core.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compress, init } from '../../src/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = pathToFileURL(join(ROOT, 'dist/node.js')).href;
const dir = mkdtempSync(join(tmpdir(), 'panini-noinit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = new TextEncoder().encode('no init before this call\n'.repeat(5000));
const dataFile = join(dir, 'data.txt');
writeFileSync(dataFile, data);

function fresh(body: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const P = await import(${JSON.stringify(DIST)});\n${body}`], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

describe('async APIs without init()', () => {
  it('listRecords, containerKind, hashFile and chunkFile work as the first call of a process', async () => {
    await init();
    const pnz = join(dir, 'data.pnz');
    writeFileSync(pnz, await compress(data, { codec: 'deflate' }));
    const cases: [string, string, string][] = [
      ['listRecords', `const r = await P.listRecords(new Uint8Array((await import('node:fs')).readFileSync(${JSON.stringify(pnz)}))); console.log(r.reduce((a, x) => a + x.length, 0));`, String(data.length)],
      ['containerKind', `console.log(await P.containerKind(${JSON.stringify(pnz)}));`, 'stream'],
      ['hashFile', `const h = await P.hashFile(${JSON.stringify(dataFile)}); console.log(Buffer.from(h.sha256).toString('hex'));`, createHash('sha256').update(data).digest('hex')],
      ['chunkFile', `let n = 0; const r = await P.chunkFile(${JSON.stringify(dataFile)}, undefined, (c) => { n += c.length; }); console.log(n, r.size);`, `${data.length} ${data.length}`],
    ];
    for (const [name, body, want] of cases) {
      const r = fresh(body);
      expect(r.stderr, name).toBe('');
      expect(r.status, name).toBe(0);
      expect(r.stdout, name).toBe(want);
    }
  });

  it('the synchronous calls still say what to do', () => {
    const r = fresh(`try { P.crc32(new Uint8Array(1)); console.log('no error'); } catch (e) { console.log(e.code, /init\\(\\)/.test(e.message)); }`);
    expect(r.stdout).toBe('STATE true');
  });
});
