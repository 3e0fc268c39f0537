/**
 * The real storage servers the cloud-store tests talk to, each started in a child process on a free port of
 * 127.0.0.1 with its data in a fresh temporary directory: s3rver 3.7 (S3) and azurite 3.35 (Azure Blob).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface TestServer {
  /** http://127.0.0.1:PORT */
  url: string;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** Starts `args` and resolves with the first match of `listening` in its output (group 1 is the URL). */
async function start(prefix: string, args: string[], listening: RegExp, toUrl: (m: RegExpExecArray) => string, cwdInDir = false): Promise<TestServer & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const child: ChildProcess = spawn(process.execPath, args.map((a) => a.replace('$DIR', dir)), { cwd: cwdInDir ? dir : undefined, stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const seen = (d: Buffer) => {
      out += d.toString();
      const m = listening.exec(out);
      if (m) resolve(toUrl(m));
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.on('exit', (c) => reject(new Error(`${args[args.length - 1]?.slice(0, 40)} exited with ${c} before listening: ${out}`)));
  }).catch(async (e) => {
    await stop();
    throw e;
  });
  return { url, dir, stop };
}

/** s3rver with one bucket. Its list continuation tokens use DES: Node's OpenSSL 3 needs --openssl-legacy-provider. */
export async function startS3rver(bucket: string): Promise<TestServer> {
  const script = `
    const S3rver = require(${JSON.stringify(require.resolve('s3rver'))});
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[1],
      configureBuckets: [{ name: ${JSON.stringify(bucket)}, configs: [] }] });
    server.run().then((a) => process.stdout.write(JSON.stringify({ port: a.port }) + '\\n'),
      (e) => { console.error(e); process.exit(1); });
  `;
  return start('panini-s3rver-', ['--openssl-legacy-provider', '-e', script, '$DIR'], /^\{"port":(\d+)\}\n/m, (m) => `http://127.0.0.1:${m[1]}`);
}

/**
 * azurite's Blob service, in-memory, telemetry off. azurite 3.35 knows service versions up to one older than the one
 * @azure/storage-blob 12.32 sends, hence --skipApiVersionCheck.
 */
export async function startAzurite(): Promise<TestServer> {
  const main = join(dirname(require.resolve('azurite/package.json')), 'dist/src/blob/main.js');
  return start(
    'panini-azurite-',
    [main, '--blobHost', '127.0.0.1', '--blobPort', '0', '--inMemoryPersistence', '--disableTelemetry', '--silent', '--skipApiVersionCheck'],
    /successfully listens on (http:\/\/[\d.]+:\d+)/,
    (m) => m[1]!,
    true,
  );
}

export { errorCode } from '../helpers/errors.js';
