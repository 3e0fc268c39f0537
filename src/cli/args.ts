import { PaniniError } from '../errors.js';

// What the CLI's commands receive from the argument parser (src/cli/main.ts parses; commands.ts and container.ts read).
export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * The one number parser of the command line: `--flag N`, where N is a decimal integer, optionally with a binary size
 * suffix (`64K`, `1M`, `2G`, `16KiB`, `1MB`: powers of 1024) when `sizes` is set. Range-checked against [min, max];
 * anything else (negative, fractional, hex, empty, a suffix where none is allowed) is OPTION naming the flag.
 */
export function numberFlag(p: Parsed, flag: string, o: { min?: number; max?: number; sizes?: boolean } = {}): number | undefined {
  return numberValue(p.values[flag], flag, o);
}

/** numberFlag for a value parsed elsewhere (a command's own option table): the same rules and messages. */
export function numberValue(v: unknown, flag: string, o: { min?: number; max?: number; sizes?: boolean } = {}): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  const min = o.min ?? 0;
  const max = o.max ?? Number.MAX_SAFE_INTEGER;
  const m = (o.sizes ? /^(\d+)(?:([kKmMgG])(?:i?[bB])?)?$/ : /^(\d+)()$/).exec(s);
  const shape = o.sizes ? 'a size like 65536, 64K or 1M' : 'an integer';
  const range = o.min !== undefined || o.max !== undefined ? ` in [${min}, ${max}]` : '';
  if (!m) throw new PaniniError('OPTION', `--${flag} must be ${shape}${range}, got "${s}"`, { option: flag });
  const mult = m[2] ? 1024 ** ('kmg'.indexOf(m[2].toLowerCase()) + 1) : 1;
  const n = Number(m[1]) * mult;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new PaniniError('OPTION', `--${flag} must be in [${min}, ${max}], got ${s}`, { option: flag });
  }
  return n;
}

/** A byte count as the CLI prints it: B, KiB, MiB or GiB. */
export const human = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : n < 1 << 30 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 2 ** 30).toFixed(2)} GiB`;

/**
 * node:util parseArgs's error as our own one-line OPTION error (unknown options, missing values, values starting
 * with "-", values given to switches); `command` names the command for the --help hint.
 */
export function argError(e: Error, command: string): PaniniError {
  const msg = e.message.split('\n')[0]!;
  const current = command;
  const cmd = current ? `panini-fs ${current}` : 'panini-fs';
  let m = /^Unknown option '([^']+)'/.exec(msg);
  if (m) return new PaniniError('OPTION', `unknown option ${m[1]} for ${current || 'this command'} (${cmd} --help lists them)`, { option: m[1]!.replace(/^-+/, '') });
  m = /^Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(msg);
  if (m) return new PaniniError('OPTION', `${m[1]} needs a value (${cmd} --help)`, { option: m[1]!.slice(2) });
  m = /^Option '(?:-\w, )?(--[\w-]+)[^']*' argument is ambiguous/.exec(msg);
  if (m) return new PaniniError('OPTION', `${m[1]}: its value may not start with "-" (negative numbers are not accepted; a path starting with "-" is written ./-name)`, { option: m[1]!.slice(2) });
  m = /^Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(msg);
  if (m) return new PaniniError('OPTION', `${m[1]} is a switch and takes no value`, { option: m[1]!.slice(2) });
  return new PaniniError('OPTION', msg, { option: 'argv' });
}
