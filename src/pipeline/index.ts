// The asynchronous pipeline's public surface.
export * from './types.js';
export { SqliteQueue, type SqliteQueueOptions } from './queue-sqlite.js';
export { RedisQueue, type RedisQueueOptions } from './queue-redis.js';
export { openQueue, type OpenQueueOptions } from './queue.js';
