// POST /api/uploads?name=FILE: the request body streamed to <data>/uploads/<random>/<name>, never more than
// maxUpload bytes (the partial file is removed when a body is larger), so that the file can be a job's input.
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PaniniError } from '../errors.js';

/** Checks an upload's file name: 1..255 bytes, no path separator, no `..`, no control characters. */
export function checkUploadName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new PaniniError('OPTION', 'an upload needs ?name=FILE (the file name to store it under)', { option: 'name' });
  }
  if (Buffer.byteLength(name) > 255) throw new PaniniError('PATH', `upload name is longer than 255 bytes`, { option: 'name', path: name.slice(0, 64) });
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new PaniniError('PATH', `upload name ${JSON.stringify(name)} holds a control character`, { option: 'name', path: name });
  if (name.includes('/') || name.includes('\\')) throw new PaniniError('PATH', `upload name ${JSON.stringify(name)} holds a path separator`, { option: 'name', path: name });
  if (name.includes('..') || name === '.') throw new PaniniError('PATH', `upload name ${JSON.stringify(name)} holds "." or ".."`, { option: 'name', path: name });
  return name;
}

export interface UploadResult {
  path: string;
  size: number;
}

/** Writes `body` under `dir` (the uploads root); throws LIMIT once more than `max` bytes arrived. */
export async function receiveUpload(body: Readable, dir: string, name: string, max: number, declared?: number): Promise<UploadResult> {
  checkUploadName(name);
  if (declared !== undefined && declared > max) {
    throw new PaniniError('LIMIT', `upload of ${declared} bytes exceeds the limit of ${max} bytes`, { option: 'maxUpload', limit: max, size: declared });
  }
  const sub = join(dir, randomBytes(12).toString('hex'));
  await fsp.mkdir(sub, { recursive: true });
  const path = join(sub, name);
  let size = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > max) done(new PaniniError('LIMIT', `upload exceeds the limit of ${max} bytes`, { option: 'maxUpload', limit: max, path: name }));
      else done(null, chunk);
    },
  });
  // the body is piped, not part of the pipeline: on an error it is drained instead of destroyed, so that the
  // request's socket stays open for the error reply
  const aborted = new Promise<never>((_, reject) => {
    body.once('error', reject);
    body.once('aborted', () => reject(new PaniniError('IO', `upload of ${JSON.stringify(name)} was aborted by the client`, { path: name })));
  });
  aborted.catch(() => {});
  body.pipe(limiter);
  try {
    await Promise.race([pipeline(limiter, createWriteStream(path, { flags: 'wx' })), aborted]);
  } catch (e) {
    body.unpipe(limiter);
    body.resume();
    await fsp.rm(sub, { recursive: true, force: true });
    if (e instanceof PaniniError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new PaniniError('IO', `upload of ${JSON.stringify(name)} failed: ${err.message}`, { path: name }, { cause: e });
  }
  return { path, size };
}
