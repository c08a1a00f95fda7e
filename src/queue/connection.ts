import { Redis } from 'ioredis';
import { ConfigError } from '../shared/errors.js';
import type { QueueRuntime } from './types.js';

/**
 * A Redis connection for BullMQ. BullMQ needs commands to wait through a reconnect (a worker
 * blocks on Redis), unlike the runtime's fail-fast connection, so the queue gets its own.
 */
export function queueConnection(runtime: Pick<QueueRuntime, 'config' | 'redis' | 'logger'>, role: string): Redis {
  const options = { maxRetriesPerRequest: null, enableOfflineQueue: true } as const;
  let conn: Redis;
  if (runtime.redis) conn = runtime.redis.duplicate(options);
  else if (runtime.config.storage.redisUrl) conn = new Redis(runtime.config.storage.redisUrl, options);
  else throw new ConfigError(`--role ${role}: the job queue needs Redis; set REDIS_URL (for example redis://127.0.0.1:6379).`);
  conn.on('error', (err) => runtime.logger.warn({ err: err.message, role }, 'queue redis connection error'));
  return conn;
}
