// Small assertion helpers: each names the option (or argument) it checks, so every message says what and where.
import { PaniniError } from './errors.js';

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `${typeof v} ${String(v).slice(0, 40)}`;

export function optionError(name: string, message: string): PaniniError {
  return new PaniniError('OPTION', `option "${name}" ${message}`, { option: name });
}

export function assertBytes(name: string, v: unknown): asserts v is Uint8Array {
  if (!(v instanceof Uint8Array)) {
    throw new PaniniError('OPTION', `${name} must be a Uint8Array, got ${describe(v)}`, { option: name });
  }
}

/** Rejects what is not a plain object and any key not in `allowed`. `undefined` is accepted as {}. */
export function assertOptions<T extends object>(
  what: string,
  v: unknown,
  allowed: readonly string[],
): Partial<T> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new PaniniError('OPTION', `${what} options must be an object, got ${describe(v)}`, { option: what });
  }
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) {
      throw new PaniniError(
        'OPTION',
        `unknown ${what} option "${k}" (allowed: ${allowed.join(', ')})`,
        { option: k },
      );
    }
  }
  return v as Partial<T>;
}

/**
 * Options read through a recorder (esbuild's way): every key the code reads is recorded, and done() rejects the keys
 * nobody read, naming the ones that were, so the list of accepted keys is the code that reads them and cannot drift.
 */
export class OptionReader<T extends object> {
  private readonly read = new Set<string>();
  constructor(
    private readonly what: string,
    private readonly v: Partial<T>,
  ) {}

  get<K extends keyof T & string>(k: K): T[K] | undefined {
    this.read.add(k);
    return this.v[k];
  }

  /** The options not read yet, as given (for a caller that hands them on to another reader). */
  rest(): Partial<T> {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(this.v)) if (!this.read.has(k)) out[k] = x;
    return out as Partial<T>;
  }

  done(): void {
    for (const k of Object.keys(this.v)) {
      if (!this.read.has(k)) throw new PaniniError('OPTION', `unknown ${this.what} option "${k}" (allowed: ${[...this.read].join(', ')})`, { option: k });
    }
  }
}

/** A recorder over `v` (undefined: no options), which must be a plain object (OPTION otherwise). */
export function readOptions<T extends object>(what: string, v: unknown): OptionReader<T> {
  if (v === undefined) return new OptionReader<T>(what, {});
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new PaniniError('OPTION', `${what} options must be an object, got ${describe(v)}`, { option: what });
  }
  return new OptionReader<T>(what, v as Partial<T>);
}

export function assertInt(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw optionError(name, `must be an integer, got ${describe(v)}`);
  if (v < min || v > max) throw optionError(name, `must be in [${min}, ${max}], got ${v}`);
  return v;
}

export function assertOneOf<T extends string>(name: string, v: unknown, values: readonly T[]): T {
  if (typeof v !== 'string' || !values.includes(v as T)) {
    throw optionError(name, `must be one of ${values.map((x) => `"${x}"`).join(', ')}, got ${describe(v)}`);
  }
  return v as T;
}

export function assertBool(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw optionError(name, `must be a boolean, got ${describe(v)}`);
  return v;
}

export function assertFunction<F>(name: string, v: unknown): F {
  if (typeof v !== 'function') throw optionError(name, `must be a function, got ${describe(v)}`);
  return v as F;
}
