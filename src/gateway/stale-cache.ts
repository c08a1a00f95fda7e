import { LRUCache } from 'lru-cache';
import type { Clock } from '../shared/clock.js';
import { CircuitOpenError, NavanNetworkError } from '../shared/errors.js';
import { buildUrl, type Middleware, type NavanResponse } from '../shared/http.js';

/**
 * Stale-if-error: remembers recent good GET responses (bounded, in memory) and hands one back,
 * marked stale with its age, when Navan is failing and the caller said it can live with that.
 * Only the proxy sets `allowStale`; sync never does, its data must be fresh or fail.
 */
export function staleCacheMiddleware(o: { entries: number; maxAgeMs: number; clock: Clock }): Middleware {
  if (o.entries === 0) return (req, next) => next(req);
  const cache = new LRUCache<string, { res: NavanResponse; at: number }>({ max: o.entries });
  return async (req, next) => {
    // Only callers that may be served stale fill the cache: sync traffic would only churn it.
    if (req.method !== 'GET' || !req.allowStale) return next(req);
    const key = `${req.tenant} ${buildUrl(req)}`;
    const fromCache = () => {
      const hit = cache.get(key);
      if (!hit) return undefined;
      const ageMs = o.clock.now() - hit.at;
      return ageMs <= o.maxAgeMs ? { ...hit.res, stale: { ageMs } } : undefined;
    };
    let res: NavanResponse;
    try {
      res = await next(req);
    } catch (err) {
      if (err instanceof CircuitOpenError || err instanceof NavanNetworkError) {
        const stale = fromCache();
        if (stale) return stale;
      }
      throw err;
    }
    if (res.status >= 200 && res.status < 300) cache.set(key, { res, at: o.clock.now() });
    else if (res.status >= 500) return fromCache() ?? res;
    return res;
  };
}
