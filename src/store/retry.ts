/**
 * RetryingStore: any Store, with its transient failures retried. Only STORE failures are retried (a server error, a
 * dropped connection, an attempt past its timeout); NOT_FOUND, AUTH, OPTION, TRUNCATED and ABORTED are answers, not
 * accidents, and pass through at once. Attempts are spaced by exponential backoff with full jitter, each one is bounded
 * by `timeoutMs` (its AbortSignal is aborted, and its answer, should it come later, is dropped), the caller's signal
 * stops the whole operation with ABORTED, and the final failure is STORE saying how many attempts were made.
 *
 * A put that timed out may still land later: the retry writes the same bytes, so content-addressed keys are safe; a
 * key whose content changes should not be overwritten through a store whose puts can time out in flight.
 */
import { ErrorCode, PaniniError } from '../errors.js';
import {
  assertRange,
  assertStoreKey,
  assertStorePrefix,
  checkAborted,
  storeFailure,
  type Store,
  type StoreObjectInfo,
  type StoreOpOptions,
} from './types.js';

export interface RetryOptions {
  /** Attempts per operation, the first included (1 to 100). Default 5. */
  attempts?: number;
  /** Delay before the first retry, in ms; it doubles each retry. Default 100. */
  baseDelayMs?: number;
  /** Longest delay between attempts, in ms. Default 10 000. */
  maxDelayMs?: number;
  /** Time one attempt may take, in ms (0: no limit). Default 60 000. */
  timeoutMs?: number;
  /** Random numbers in [0, 1) for the jitter. Default Math.random. */
  random?: () => number;
  /** Told of each failed attempt that will be retried. */
  onRetry?: (info: { op: string; key: string | undefined; attempt: number; delayMs: number; error: PaniniError }) => void;
}

function intOption(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new PaniniError(ErrorCode.OPTION, `retry ${name} must be an integer from ${min} to ${max}`, { option: name });
  }
  return value;
}

/** Whether a failure is worth another attempt: STORE only. */
export function isRetryable(e: unknown): boolean {
  return e instanceof PaniniError && e.code === ErrorCode.STORE;
}

export class RetryingStore implements Store {
  readonly location: string;
  readonly inner: Store;
  readonly #attempts: number;
  readonly #base: number;
  readonly #max: number;
  readonly #timeout: number;
  readonly #random: () => number;
  readonly #onRetry: RetryOptions['onRetry'];

  constructor(inner: Store, options: RetryOptions = {}) {
    this.inner = inner;
    this.location = inner.location;
    this.#attempts = intOption(options.attempts, 'attempts', 5, 1, 100);
    this.#base = intOption(options.baseDelayMs, 'baseDelayMs', 100, 0, 3_600_000);
    this.#max = intOption(options.maxDelayMs, 'maxDelayMs', 10_000, 0, 3_600_000);
    this.#timeout = intOption(options.timeoutMs, 'timeoutMs', 60_000, 0, 86_400_000);
    this.#random = options.random ?? Math.random;
    this.#onRetry = options.onRetry;
  }

  /** One attempt of `fn`, bounded by the timeout and the caller's signal. */
  async #attempt<T>(op: string, key: string | undefined, signal: AbortSignal | undefined, fn: (s: AbortSignal) => Promise<T>): Promise<T> {
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const work = fn(ac.signal);
      const stops: Promise<never>[] = [];
      if (this.#timeout > 0) {
        stops.push(
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              ac.abort();
              reject(
                new PaniniError(
                  ErrorCode.STORE,
                  `${this.location}: ${op}${key ? ` ${key}` : ''}: no answer within ${this.#timeout} ms`,
                  { store: this.location, key, op },
                ),
              );
            }, this.#timeout);
          }),
        );
      }
      if (signal) {
        stops.push(
          new Promise<never>((_, reject) => {
            const stop = () => reject(new PaniniError(ErrorCode.ABORTED, `${this.location}: aborted${key ? ` (${key})` : ''}`, { store: this.location, key }));
            if (signal.aborted) stop();
            else signal.addEventListener('abort', stop, { once: true });
          }),
        );
      }
      if (stops.length === 0) return await work;
      // A late answer of an abandoned attempt is dropped (and its failure silenced).
      work.catch(() => {});
      return await Promise.race([work, ...stops]);
    } catch (e) {
      if (signal?.aborted) checkAborted(signal, this.location, key);
      throw storeFailure(this.location, op, key, e);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #delay(attempt: number): number {
    const cap = Math.min(this.#max, this.#base * 2 ** (attempt - 1));
    return Math.floor(this.#random() * cap);
  }

  async #sleep(ms: number, signal: AbortSignal | undefined, key: string | undefined): Promise<void> {
    if (ms <= 0) return checkAborted(signal, this.location, key);
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        signal?.removeEventListener('abort', stop);
        resolve();
      };
      const timer = setTimeout(done, ms);
      const stop = () => {
        clearTimeout(timer);
        reject(new PaniniError(ErrorCode.ABORTED, `${this.location}: aborted${key ? ` (${key})` : ''}`, { store: this.location, key }));
      };
      if (signal?.aborted) stop();
      else signal?.addEventListener('abort', stop, { once: true });
    });
  }

  async #run<T>(op: string, key: string | undefined, signal: AbortSignal | undefined, fn: (s: AbortSignal) => Promise<T>): Promise<T> {
    checkAborted(signal, this.location, key);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#attempt(op, key, signal, fn);
      } catch (e) {
        const err = storeFailure(this.location, op, key, e);
        if (!isRetryable(err) || signal?.aborted) {
          if (signal?.aborted) checkAborted(signal, this.location, key);
          throw err;
        }
        if (attempt >= this.#attempts) {
          throw new PaniniError(
            ErrorCode.STORE,
            `${this.location}: ${op}${key ? ` ${key}` : ''} failed after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${err.message}`,
            { ...err.where, store: this.location, key, op, attempts: attempt },
            { cause: err },
          );
        }
        const delayMs = this.#delay(attempt);
        this.#onRetry?.({ op, key, attempt, delayMs, error: err });
        await this.#sleep(delayMs, signal, key);
      }
    }
  }

  async get(key: string, options?: StoreOpOptions): Promise<Uint8Array> {
    assertStoreKey(key);
    return this.#run('get', key, options?.signal, (signal) => this.inner.get(key, { ...options, signal }));
  }

  async getRange(key: string, offset: number, length: number, options?: StoreOpOptions): Promise<Uint8Array> {
    assertStoreKey(key);
    assertRange(offset, length);
    return this.#run('get', key, options?.signal, async (signal) => {
      const out = await this.inner.getRange(key, offset, length, { ...options, signal });
      if (out.length !== length) {
        throw new PaniniError(
          ErrorCode.STORE,
          `${this.location}: get ${key} range ${offset}+${length}: the store answered ${out.length} bytes`,
          { store: this.location, key, op: 'get', offset },
        );
      }
      return out;
    });
  }

  async put(key: string, data: Uint8Array, options?: StoreOpOptions): Promise<void> {
    assertStoreKey(key);
    // Every attempt writes these bytes, whatever the caller does with its buffer meanwhile.
    const copy = Uint8Array.from(data);
    return this.#run('put', key, options?.signal, (signal) => this.inner.put(key, copy, { ...options, signal }));
  }

  async stat(key: string, options?: StoreOpOptions): Promise<StoreObjectInfo | undefined> {
    assertStoreKey(key);
    return this.#run('stat', key, options?.signal, (signal) => this.inner.stat(key, { ...options, signal }));
  }

  async delete(key: string, options?: StoreOpOptions): Promise<void> {
    assertStoreKey(key);
    return this.#run('delete', key, options?.signal, (signal) => this.inner.delete(key, { ...options, signal }));
  }

  /**
   * The inner list, each step retried; after a failure the listing starts again and skips the keys already yielded
   * (the contract's ascending order makes "after the last key" a resume point), so every key comes once.
   */
  async *list(prefix: string, options?: StoreOpOptions): AsyncIterable<StoreObjectInfo> {
    assertStorePrefix(prefix);
    const signal = options?.signal;
    let last: string | undefined;
    let failures = 0;
    for (;;) {
      let it: AsyncIterator<StoreObjectInfo> | undefined;
      try {
        for (;;) {
          const step = await this.#attempt('list', prefix || undefined, signal, async (s) => {
            it ??= this.inner.list(prefix, { ...options, signal: s })[Symbol.asyncIterator]();
            return it.next();
          });
          if (step.done) return;
          if (last !== undefined && step.value.key <= last) continue;
          last = step.value.key;
          yield step.value;
        }
      } catch (e) {
        await it?.return?.().catch(() => {});
        const err = storeFailure(this.location, 'list', prefix || undefined, e);
        if (!isRetryable(err) || signal?.aborted) {
          if (signal?.aborted) checkAborted(signal, this.location);
          throw err;
        }
        failures++;
        if (failures >= this.#attempts) {
          throw new PaniniError(
            ErrorCode.STORE,
            `${this.location}: list ${prefix} failed after ${failures} attempts: ${err.message}`,
            { ...err.where, store: this.location, op: 'list', attempts: failures },
            { cause: err },
          );
        }
        const delayMs = this.#delay(failures);
        this.#onRetry?.({ op: 'list', key: undefined, attempt: failures, delayMs, error: err });
        await this.#sleep(delayMs, signal, undefined);
      }
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
