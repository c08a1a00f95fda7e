import type { Clock } from '../shared/clock.js';
import type { EventBus } from '../shared/events.js';
import type { Middleware, NavanRequest } from '../shared/http.js';
import { REDACT_PATHS, type Logger } from '../shared/logger.js';

/**
 * The request line is flat and built from chosen fields only (no headers, no query values), so
 * pino's wildcard paths ("*.token") can never match in it, yet they made redaction the largest
 * cost of a gateway call (see bench/gateway-overhead.ts). The line's logger keeps every top-level
 * path as a second line of defence and drops only the wildcards; request-log.test.ts checks that
 * no token or secret reaches the output.
 */
const FLAT_REDACT_PATHS = REDACT_PATHS.filter((p) => !p.includes('*'));

function requestLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: FLAT_REDACT_PATHS, censor: '[redacted]' } });
}

/** "/v1/bookings?createdFrom&createdTo&page&size": the template and the NAMES of the query, never values. */
export function endpointOf(req: Pick<NavanRequest, 'endpoint' | 'path' | 'query'>): string {
  const names: string[] = [];
  for (const k in req.query) if (req.query[k] !== undefined) names.push(k);
  return (req.endpoint || req.path) + (names.length ? `?${names.sort().join('&')}` : '');
}

/**
 * One JSON line per request that goes on the wire. It sits next to the transport so 429 re-sends
 * and the auth layer's retry after a 401 each get their own line. Only chosen fields are logged:
 * headers (with the bearer token) never are. Every Navan call pays for this line, so it is one
 * object of one shape, built once the outcome is known (bench/gateway-overhead.ts).
 */
export function requestLogMiddleware(o: { logger: Logger; events: EventBus; clock: Clock; breakerState: (req: NavanRequest) => string }): Middleware {
  const logger = requestLogger(o.logger);
  const write = (req: NavanRequest, breaker: string, started: number, status: number, bytes: number, error?: string) => {
    const entry = {
      correlationId: req.correlationId,
      tenant: req.tenant,
      method: req.method,
      endpoint: endpointOf(req),
      status,
      latencyMs: Math.round((performance.now() - started) * 100) / 100,
      attempt: req.meta?.attempt ?? 1,
      waitMs: Math.round(req.meta?.waitMs ?? 0),
      breaker,
      bytes,
      error,
    };
    if (error) logger.warn(entry, 'navan.request');
    else logger.info(entry, 'navan.request');
    o.events.emit('navan.request', entry);
  };
  return async (req, next) => {
    const started = performance.now();
    // Read before the call: the state the request went out under.
    const breaker = req.meta?.breaker ?? o.breakerState(req);
    let res;
    try {
      res = await next(req);
    } catch (err) {
      write(req, breaker, started, 0, 0, err instanceof Error ? err.name : 'Error');
      throw err;
    }
    write(req, breaker, started, res.status, res.body.length);
    return res;
  };
}
