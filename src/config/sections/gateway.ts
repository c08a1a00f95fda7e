import { z } from 'zod';

/** Layer 1 settings: rate limiter, 429 queue, breaker, retries, timeouts. Owned by src/gateway. */
export const gatewaySection = z
  .object({
    /** Starting estimate of Navan's limit per credential, requests per second. */
    observedLimitRps: z.number().positive().default(20),
    /** Fraction of the observed limit we allow ourselves (the reference says 80%). */
    budgetFraction: z.number().gt(0).max(1).default(0.8),
    /** Bucket capacity in seconds of budget (a small burst). */
    burstSeconds: z.number().positive().default(0.2),
    /** Processes sharing the budget when Redis is unreachable (each takes budget / processes). */
    processCount: z.number().int().positive().default(1),
    /** A request that waits longer than this for budget fails with RateLimitedError. */
    maxQueueWaitMs: z.number().int().positive().default(120_000),
    breakerThreshold: z.number().int().positive().default(5),
    breakerHalfOpenAfterMs: z.number().int().positive().default(60_000),
    requestTimeoutMs: z.number().int().positive().default(30_000),
    retryMaxAttempts: z.number().int().min(1).default(4),
    retryMaxTotalMs: z.number().int().positive().default(60_000),
    staleCacheEntries: z.number().int().min(0).default(1000),
    staleCacheMaxAgeMs: z.number().int().positive().default(24 * 3600_000),
    /** Where the stale-if-error cache lives: this process (memory), or Redis shared by all processes (needs storage.redisUrl). */
    staleCacheStore: z.enum(['memory', 'redis']).default('memory'),
    /** Additive increase: the limit estimate rises by this many rps ... */
    aimdIncreaseRps: z.number().positive().default(1),
    /** ... after this long without a 429. */
    aimdIncreaseEveryMs: z.number().int().positive().default(10_000),
    /** The estimate never falls below this. */
    minLimitRps: z.number().positive().default(1),
    /** Prefix of the gateway's Redis keys (bucket, pause, estimate). */
    redisKeyPrefix: z.string().min(1).default('navan-bridge:gw'),
    /** A Redis call slower than this counts as Redis unreachable (the limiter falls back). */
    redisTimeoutMs: z.number().int().positive().default(500),
    /**
     * How long the limiter stays in fallback before trying Redis again. Short, because a process
     * back on Redis shrinks everyone's share for twice this long (others may still be in fallback),
     * and a refused connection fails at once (no offline queue), so retrying costs nothing.
     */
    redisRetryAfterMs: z.number().int().positive().default(2_000),
  })
  .prefault({});
export type GatewaySection = z.infer<typeof gatewaySection>;
