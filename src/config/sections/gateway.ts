import { z } from 'zod';

/** Layer 1 settings: rate limiter, 429 queue, breaker, retries, timeouts. Owned by src/gateway. */
export const gatewaySection = z
  .object({
    /** Starting estimate of Navan's limit per credential, requests per second. */
    observedLimitRps: z.number().positive().default(20),
    /** Fraction of the observed limit we allow ourselves (the reference says 80%). */
    budgetFraction: z.number().gt(0).max(1).default(0.8),
    /** Bucket capacity in seconds of budget (a small burst). */
    burstSeconds: z.number().positive().default(1),
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
  })
  .prefault({});
export type GatewaySection = z.infer<typeof gatewaySection>;
