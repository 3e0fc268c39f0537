// The CLI's `-`: stdin and stdout for the commands that read or write bytes.
import { createWriteStream, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PaniniError } from '../errors.js';
import { StreamDecoder } from '../container/stream-decoder.js';
import { resolveDecompressOptions } from '../container/options.js';
import { decodeManifest } from '../container/manifest.js';
import { init } from '../wasm/core.js';
import { AtomicFile, ioError, writeStdout } from '../node/io.js';

/**
 * Runs `fn` on a file: `input` itself, or for `-` a temporary copy of stdin (on disk, so memory stays bounded) that is
 * removed afterwards. For the readers that need random access (verify, inspect).
 */
export async function withStdinFile<T>(input: string, fn: (path: string) => Promise<T>): Promise<T> {
  if (input !== '-') return fn(input);
  const dir = await fsp.mkdtemp(join(tmpdir(), 'panini-stdin-'));
  const path = join(dir, 'stdin.pnz');
  try {
    await pipeline(process.stdin, createWriteStream(path)).catch((e) => {
      throw ioError(e, 'read', 'stdin');
    });
    return await fn(path);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

/**
 * `decompress - [-o OUT|-]`: the container read from stdin by the streaming decoder (every record checked as it
 * arrives, the whole SHA-256 at the end), its bytes written as they are decoded. A container that turns out to be
 * damaged fails with its error code (exit 3) after what was good before it was written — as zstd does; into a file,
 * nothing is left behind. A tree is not restored from a stream (OPTION at its end; a file output is not kept).
 */
export async function decompressStdin(out: string | undefined, force: boolean, json: boolean): Promise<number> {
  if (out === undefined) throw new PaniniError('OPTION', 'decompressing stdin needs -o OUT (or -o - for stdout)', { option: 'output' });
  const file = out === '-' ? undefined : await AtomicFile.create(out, force);
  let bytes = 0;
  try {
    await init();
    let pending: Uint8Array[] = [];
    const dec = new StreamDecoder(resolveDecompressOptions(undefined, 'decompress', Number.MAX_SAFE_INTEGER), (b) => pending.push(b));
    const flush = async () => {
      const ready = pending;
      pending = [];
      for (const b of ready) {
        bytes += b.length;
        if (file) await file.write(b);
        else await writeStdout(b);
      }
    };
    for await (const piece of process.stdin as AsyncIterable<Uint8Array>) {
      dec.push(piece);
      await flush();
    }
    dec.finish();
    await flush();
    const manifest = dec.manifest ? decodeManifest(dec.manifest, dec.bytesOut) : undefined;
    if (manifest?.root === 'tree') {
      const files = manifest.entries.filter((e) => e.type === 'file').length;
      throw new PaniniError('OPTION', `the container on stdin holds a tree of ${files} files: a tree is restored from a file (decompress FILE.pnz -o DIR)${file ? '; nothing was written' : '; its files went to stdout one after the other'}`, { option: 'output' });
    }
    await file?.commit();
  } catch (e) {
    await file?.discard();
    throw e;
  }
  if (file && json) process.stdout.write(`${JSON.stringify({ path: out, outputBytes: bytes })}\n`);
  else if (file) process.stdout.write(`- → ${out}: ${bytes} bytes, verified\n`);
  return 0;
}

let interrupt: AbortController | undefined;
/**
 * An AbortSignal that SIGINT or SIGTERM fires: the running operation stops at its next check, removes what it had
 * started to write (temporary files, a half-built tree) and the command exits 130 (ABORTED). A second signal exits at once.
 */
export function interruptSignal(): AbortSignal {
  if (!interrupt) {
    const ac = new AbortController();
    interrupt = ac;
    const on = (sig: NodeJS.Signals) => {
      if (ac.signal.aborted) process.exit(130);
      ac.abort(new PaniniError('ABORTED', `interrupted by ${sig}`));
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  }
  return interrupt.signal;
}
