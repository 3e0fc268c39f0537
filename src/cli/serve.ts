// `panini-fs serve`: the job server and its dashboard (docs/SERVER.md).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PaniniError } from '../errors.js';
import { openQueue } from '../pipeline/queue.js';
import { isStoreInput } from '../pipeline/chunker.js';
import { createServer, type WorkerDevice } from '../server/server.js';
import { argError, numberValue } from './args.js';


const DEVICES: readonly WorkerDevice[] = ['auto', 'cpu', 'gpu'];

function parse(args: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>['options']) {
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
    if (r.positionals.length) throw new PaniniError('OPTION', `unexpected argument "${r.positionals[0]}"`, { option: 'argv' });
    return r.values as Record<string, string | boolean | string[] | undefined>;
  } catch (e) {
    if (e instanceof PaniniError) throw e;
    throw argError(e as Error, 'serve');
  }
}

const num = (values: Record<string, unknown>, flag: string, o: { min?: number; max?: number; sizes?: boolean }): number | undefined => numberValue(values[flag], flag, o);

function device(v: unknown): WorkerDevice {
  if (v === undefined) return 'auto';
  if (!DEVICES.includes(v as WorkerDevice)) throw new PaniniError('OPTION', `--device must be one of ${DEVICES.join(', ')}, got "${String(v)}"`, { option: 'device' });
  return v as WorkerDevice;
}

/** The data directory: --data, else $PANINI_DATA, else ~/.local/share/panini-fs. */
export function dataDir(flag: unknown): string {
  if (typeof flag === 'string' && flag) return resolve(flag);
  if (process.env.PANINI_DATA) return resolve(process.env.PANINI_DATA);
  return join(homedir(), '.local', 'share', 'panini-fs');
}

/** Resolves once SIGINT or SIGTERM arrives (a second one exits at once). */
function untilSignal(): Promise<string> {
  return new Promise((resolveSignal) => {
    let seen = false;
    const on = (sig: NodeJS.Signals) => {
      if (seen) process.exit(130);
      seen = true;
      resolveSignal(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export async function runServe(argv: string[]): Promise<number> {
  const v = parse(argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string' },
    queue: { type: 'string' },
    root: { type: 'string', multiple: true },
    workers: { type: 'string' },
    device: { type: 'string' },
    'max-upload': { type: 'string' },
    lease: { type: 'string' },
  });
  const data = dataDir(v.data);
  try {
    mkdirSync(join(data, 'uploads'), { recursive: true });
  } catch (e) {
    throw new PaniniError('IO', `cannot create the data directory ${data}: ${(e as Error).message}`, { path: data }, { cause: e });
  }
  const location = typeof v.queue === 'string' ? v.queue : (process.env.PANINI_QUEUE ?? `sqlite:${join(data, 'queue.sqlite')}`);
  const roots = ((v.root as string[] | undefined) ?? [process.cwd()]).map((r) => (isStoreInput(r) ? r.replace(/\/+$/, '') : resolve(r)));
  const port = num(v, 'port', { min: 0, max: 65535 });
  const workers = num(v, 'workers', { min: 0, max: 256 });
  const maxUpload = num(v, 'max-upload', { min: 1, sizes: true });
  const lease = num(v, 'lease', { min: 1, max: 86_400 });
  const queue = await openQueue(location);
  let server;
  try {
    server = await createServer({
      pipeline: { queue, data, roots, store: join(data, 'store') },
      ...(typeof v.host === 'string' ? { host: v.host } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(workers !== undefined ? { workers } : {}),
      ...(maxUpload !== undefined ? { maxUpload } : {}),
      ...(lease !== undefined ? { leaseMs: lease * 1000 } : {}),
      device: device(v.device),
    });
  } catch (e) {
    await queue.close();
    throw e;
  }
  process.stdout.write(`panini-fs serve: ${server.url} (queue ${queue.location}, data ${data}, roots ${roots.join(', ')})\n`);
  const sig = await untilSignal();
  process.stdout.write(`panini-fs serve: ${sig}, stopping (running tasks finish or go back to the queue)\n`);
  await server.close();
  await queue.close();
  return 0;
}
