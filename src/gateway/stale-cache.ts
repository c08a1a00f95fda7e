import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../shared/clock.js';
import { CircuitOpenError, NavanNetworkError } from '../shared/errors.js';
import { buildUrl, type Handler, type Middleware, type NavanRequest, type NavanResponse } from '../shared/http.js';

interface Cached {
  res: NavanResponse;
  at: number;
}

/** Where good responses are kept: this process's memory, or Redis shared by every process. */
interface StaleStore {
  get(tenant: string, key: string): Promise<Cached | undefined>;
  set(tenant: string, key: string, value: Cached): Promise<void>;
}

function memoryStore(entries: number): StaleStore {
  const cache = new LRUCache<string, Cached>({ max: entries });
  return {
    get: async (tenant, key) => cache.get(`${tenant} ${key}`),
    set: async (tenant, key, value) => void cache.set(`${tenant} ${key}`, value),
  };
}

/**
 * Shared by every process, so a proxy replica that never saw a response can still serve it stale.
 * Each entry expires after maxAge; a per-tenant sorted set (by time) keeps at most `entries` of
 * them, dropping the oldest. Redis trouble only means no stale copy: it never fails a request.
 */
function redisStore(redis: Redis, prefix: string, entries: number, maxAgeMs: number): StaleStore {
  const keyOf = (tenant: string, key: string) => `${prefix}:${tenant}:stale:${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
  const indexOf = (tenant: string) => `${prefix}:${tenant}:stale-index`;
  return {
    async get(tenant, key) {
      const raw = await redis.get(keyOf(tenant, key)).catch(() => null);
      if (!raw) return undefined;
      const v = JSON.parse(raw) as { status: number; headers: NavanResponse['headers']; body: string; at: number };
      return { res: { status: v.status, headers: v.headers, body: Buffer.from(v.body, 'base64') }, at: v.at };
    },
    async set(tenant, key, value) {
      const k = keyOf(tenant, key);
      const index = indexOf(tenant);
      const body = JSON.stringify({ status: value.res.status, headers: value.res.headers, body: value.res.body.toString('base64'), at: value.at });
      try {
        await redis.multi().set(k, body, 'PX', maxAgeMs).zadd(index, value.at, k).pexpire(index, maxAgeMs).exec();
        const evicted = await redis.zrange(index, 0, -entries - 1);
        if (evicted.length > 0) await redis.multi().del(...evicted).zrem(index, ...evicted).exec();
      } catch {
        // A missed write only means no stale copy of this response later.
      }
    },
  };
}

/**
 * Stale-if-error: remembers recent good GET responses (bounded; in memory, or in Redis when the
 * gateway has one and `store` says so) and hands one back, marked stale with its age, when Navan
 * is failing and the caller said it can live with that. Only the proxy sets `allowStale`; sync
 * never does, its data must be fresh or fail.
 */
export function staleCacheMiddleware(o: { entries: number; maxAgeMs: number; clock: Clock; redis?: Redis; redisKeyPrefix?: string }): Middleware {
  if (o.entries === 0) return (req, next) => next(req);
  const store = o.redis ? redisStore(o.redis, o.redisKeyPrefix ?? 'navan-bridge:gw', o.entries, o.maxAgeMs) : memoryStore(o.entries);
  // Only callers that may be served stale fill the cache: sync traffic would only churn it. That
  // path stays a plain call (no async wrapper), as it is every sync request.
  return (req, next) => (req.method !== 'GET' || !req.allowStale ? next(req) : withCache(req, next));
  async function withCache(req: NavanRequest, next: Handler): Promise<NavanResponse> {
    const key = buildUrl(req);
    const fromCache = async () => {
      const hit = await store.get(req.tenant, key).catch(() => undefined);
      if (!hit) return undefined;
      const ageMs = o.clock.now() - hit.at;
      return ageMs <= o.maxAgeMs ? { ...hit.res, stale: { ageMs } } : undefined;
    };
    let res: NavanResponse;
    try {
      res = await next(req);
    } catch (err) {
      if (err instanceof CircuitOpenError || err instanceof NavanNetworkError) {
        const stale = await fromCache();
        if (stale) return stale;
      }
      throw err;
    }
    if (res.status >= 200 && res.status < 300) await store.set(req.tenant, key, { res, at: o.clock.now() });
    else if (res.status >= 500) return (await fromCache()) ?? res;
    return res;
  }
}
