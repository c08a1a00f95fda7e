import { ExponentialBackoff, decorrelatedJitterGenerator, type IBackoff } from 'cockatiel';
import type { Clock } from '../shared/clock.js';
import { NavanNetworkError } from '../shared/errors.js';
import { copyRequest, type Middleware } from '../shared/http.js';

export interface RetryOptions {
  maxAttempts: number;
  maxTotalMs: number;
  clock: Clock;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Retries idempotent requests on 5xx, timeouts and connection resets with decorrelated jitter.
 * cockatiel gives the delays; the sleeping is ours so an injected clock controls it (its own
 * RetryPolicy sleeps on setTimeout). POSTs go through once: Navan may have acted on them.
 */
export function retryMiddleware(o: RetryOptions): Middleware {
  return async (req, next) => {
    const started = o.clock.now();
    // One copy of the request per call; the layers below write this attempt's number, limiter wait
    // and breaker state into its meta before each line of the request log.
    const meta = req.meta ? { ...req.meta, attempt: 1 } : { attempt: 1 };
    const sent = copyRequest(req);
    sent.meta = meta;
    let backoff: IBackoff<unknown> | undefined;
    for (;;) {
      const last = !req.idempotent || meta.attempt >= o.maxAttempts;
      let failure: unknown;
      try {
        const res = await next(sent);
        if (res.status < 500 || last) return res;
      } catch (err) {
        if (!(err instanceof NavanNetworkError) || last) throw err;
        failure = err;
      }
      backoff = (backoff ?? new ExponentialBackoff({ generator: decorrelatedJitterGenerator, initialDelay: o.initialDelayMs ?? 200, maxDelay: o.maxDelayMs ?? 10_000 })).next(undefined);
      const delay = backoff.duration;
      meta.attempt++;
      if (o.clock.now() - started + delay > o.maxTotalMs) {
        // Out of time: one more attempt would overrun the total; give the last outcome.
        if (failure) throw failure;
        return next(sent);
      }
      await o.clock.sleep(delay, req.signal);
    }
  };
}
