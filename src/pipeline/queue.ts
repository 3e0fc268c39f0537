/**
 * Opens a job queue from its location: `sqlite:PATH` or a path ending in .sqlite / .db → SqliteQueue (parent folders
 * created), `redis://host:port/db[?prefix=NAME]` or `rediss://…` → RedisQueue (bullmq and ioredis, optional peers,
 * loaded on first use). Anything else fails with OPTION naming the location.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ErrorCode, PaniniError } from '../errors.js';
import { RedisQueue, type RedisQueueOptions } from './queue-redis.js';
import { SqliteQueue, sqlitePath, type SqliteQueueOptions } from './queue-sqlite.js';
import type { JobQueue } from './types.js';

export type OpenQueueOptions = SqliteQueueOptions & RedisQueueOptions;

const SQLITE_OPTIONS = ['retry', 'leaseMs', 'now', 'busyTimeoutMs'];
const ALL_OPTIONS = [...SQLITE_OPTIONS, 'prefix', 'stalledIntervalMs', 'lockMarginMs', 'connectTimeoutMs'];

export async function openQueue(location: string, options: OpenQueueOptions = {}): Promise<JobQueue> {
  if (typeof location !== 'string' || location === '') {
    throw new PaniniError(ErrorCode.OPTION, `queue location must be a non-empty string, got ${JSON.stringify(location)}`, { option: 'location' });
  }
  for (const k of Object.keys(options ?? {})) {
    if (!ALL_OPTIONS.includes(k)) throw new PaniniError(ErrorCode.OPTION, `queue ${location}: option ${k} is unknown (allowed: ${ALL_OPTIONS.join(', ')})`, { option: k });
  }
  if (/^rediss?:\/\//i.test(location)) return RedisQueue.open(location, options);
  if (location.startsWith('sqlite:') || /\.(sqlite|db)$/i.test(location)) {
    const path = resolve(sqlitePath(location));
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (cause) {
      throw new PaniniError(ErrorCode.IO, `SQLite queue ${path}: cannot create its folder: ${(cause as Error).message}`, { path }, { cause });
    }
    const sqliteOptions = Object.fromEntries(Object.entries(options).filter(([k]) => SQLITE_OPTIONS.includes(k))) as SqliteQueueOptions;
    return new SqliteQueue(path, sqliteOptions);
  }
  throw new PaniniError(
    ErrorCode.OPTION,
    `queue location ${JSON.stringify(location)} is neither sqlite:PATH (or a path ending in .sqlite or .db) nor redis://host:port/db`,
    { option: 'location' },
  );
}
