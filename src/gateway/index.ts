import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Config, TenantConfig } from '../config/index.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { events as processEvents, type EventBus } from '../shared/events.js';
import { baseOf, compose, type Handler, type Middleware } from '../shared/http.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import { createTransport } from '../shared/transport.js';
import { Breakers, type BreakerState } from './breaker.js';
import { Limiter, type LimiterState } from './limiter.js';
import { requestLogMiddleware } from './request-log.js';
import { retryMiddleware } from './retry.js';
import { staleCacheMiddleware } from './stale-cache.js';

export { RateLimitedError, CircuitOpenError } from '../shared/errors.js';
export { endpointOf } from './request-log.js';
export type { BreakerState, LimiterState };

export interface GatewayOptions {
  config: Config;
  tenant: TenantConfig;
  auth?: Middleware;
  transport?: Handler;
  redis?: Redis;
  clock?: Clock;
  logger?: Logger;
  events?: EventBus;
}

export interface Gateway {
  handler: Handler;
  breaker(): BreakerState;
  limiter(): LimiterState;
  close(): Promise<void>;
}

/**
 * Every Navan call of one tenant goes through this pipeline, outermost first:
 *   correlation id → stale-if-error cache → retry → breaker → limiter/429 queue → auth → request log → transport
 * - the cache is outside retry so it answers only once retries are exhausted or the breaker is open;
 * - retry is outside the breaker so every attempt counts towards it, and an open breaker stops retries at once;
 * - the breaker is outside the limiter so failing fast never waits for (or spends) rate budget;
 * - the limiter is outside auth so a token refresh after 401 does not jump the queue twice, and 429s
 *   are absorbed here and never reach the breaker as failures;
 * - the request log is next to the transport so each request on the wire (429 re-sends and the
 *   retry after a 401 included) gets exactly one line, with the limiter wait and breaker state.
 */
export function createGateway(options: GatewayOptions): Gateway {
  const { config, tenant } = options;
  const s = config.gateway;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const events = options.events ?? processEvents;
  let ownRedis: Redis | undefined;
  let redis = options.redis;
  if (!redis && config.storage.redisUrl) {
    // Fail fast when Redis is down so the limiter falls back instead of queueing commands forever.
    ownRedis = redis = new Redis(config.storage.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
    ownRedis.on('error', () => undefined);
  }
  let ownTransport: (Handler & { close(): Promise<void> }) | undefined;
  const transport = options.transport ?? (ownTransport = createTransport({ timeoutMs: s.requestTimeoutMs }));

  const breakers = new Breakers(tenant.id, s.breakerThreshold, s.breakerHalfOpenAfterMs, events);
  const limiter = new Limiter({ tenant: tenant.id, settings: s, clock, logger, events, redis, dataDir: config.storage.dataDir });
  const host = baseOf(tenant.baseUrl).host;

  const correlation: Middleware = (req, next) => (req.correlationId ? next(req) : next({ ...req, correlationId: randomUUID() }));
  const middlewares: Middleware[] = [
    correlation,
    staleCacheMiddleware({
      entries: s.staleCacheEntries, maxAgeMs: s.staleCacheMaxAgeMs, clock,
      ...(s.staleCacheStore === 'redis' && redis ? { redis, redisKeyPrefix: s.redisKeyPrefix } : {}),
    }),
    retryMiddleware({ maxAttempts: s.retryMaxAttempts, maxTotalMs: s.retryMaxTotalMs, clock }),
    breakers.middleware(),
    limiter.middleware(),
    ...(options.auth ? [options.auth] : []),
    requestLogMiddleware({ logger, events, clock, breakerState: (req) => breakers.state(baseOf(req.baseUrl).host).state }),
  ];
  return {
    handler: compose(middlewares, transport),
    breaker: () => breakers.state(host),
    limiter: () => limiter.state(),
    close: async () => {
      limiter.close();
      await ownTransport?.close();
      ownRedis?.disconnect();
    },
  };
}
