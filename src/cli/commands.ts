import { PaniniError } from '../errors.js';
import { hex } from '../container/format.js';
import type { ChunkOptions } from '../chunk/options.js';
import { chunkFile, hashFile } from '../node/files.js';
import { numberFlag, type Parsed } from './args.js';

const intFlag = (p: Parsed, flag: string) => numberFlag(p, flag, { sizes: true });


function onePath(p: Parsed, command: string): string {
  if (p.positionals.length !== 1) {
    throw new PaniniError('OPTION', `${command} takes exactly one FILE (or - for stdin), got ${p.positionals.length}`, { option: 'FILE' });
  }
  return p.positionals[0]!;
}

export async function runHash(p: Parsed): Promise<number> {
  const path = onePath(p, 'hash');
  const r = await hashFile(path);
  if (p.values.json === true) process.stdout.write(`${JSON.stringify({ path, sha256: hex(r.sha256), crc32: r.crc32.toString(16).padStart(8, '0'), size: r.size })}\n`);
  else process.stdout.write(`sha256 ${hex(r.sha256)}\ncrc32  ${r.crc32.toString(16).padStart(8, '0')}\nsize   ${r.size}\n`);
  return 0;
}

export async function runChunk(p: Parsed): Promise<number> {
  const path = onePath(p, 'chunk');
  const strategy = (p.values.strategy as string | undefined) ?? 'cdc';
  let options: ChunkOptions;
  if (strategy === 'fixed') {
    for (const f of ['min-size', 'avg-size', 'max-size']) {
      if (p.values[f] !== undefined) throw new PaniniError('OPTION', `--${f} applies to --strategy cdc, not fixed`, { option: f });
    }
    options = { strategy: 'fixed', size: intFlag(p, 'size') };
  } else if (strategy === 'cdc') {
    if (p.values.size !== undefined) throw new PaniniError('OPTION', '--size applies to --strategy fixed, not cdc', { option: 'size' });
    options = { strategy: 'cdc', minSize: intFlag(p, 'min-size'), avgSize: intFlag(p, 'avg-size'), maxSize: intFlag(p, 'max-size') };
  } else {
    throw new PaniniError('OPTION', `--strategy must be cdc or fixed, got "${strategy}"`, { option: 'strategy' });
  }
  for (const k of Object.keys(options) as (keyof ChunkOptions)[]) if (options[k] === undefined) delete (options as Partial<ChunkOptions>)[k];
  const json = p.values.json === true;
  if (json) process.stdout.write('[');
  let first = true;
  const r = await chunkFile(path, options, (c) => {
    if (json) {
      process.stdout.write(`${first ? '\n' : ',\n'}  {"offset":${c.offset},"length":${c.length},"sha256":"${hex(c.sha256)}"}`);
    } else {
      process.stdout.write(`${c.offset}\t${c.length}\t${hex(c.sha256)}\n`);
    }
    first = false;
  });
  if (json) process.stdout.write(first ? ']\n' : '\n]\n');
  else process.stderr.write(`${r.chunks} chunks, ${r.size} bytes, mean ${r.chunks ? Math.round(r.size / r.chunks) : 0}\n`);
  return 0;
}
