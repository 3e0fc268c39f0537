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
  const v = p.values[flag];
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
