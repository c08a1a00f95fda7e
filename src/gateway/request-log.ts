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
  const names = Object.keys(req.query ?? {}).filter((k) => req.query![k] !== undefined).sort();
  return (req.endpoint || req.path) + (names.length ? `?${names.join('&')}` : '');
}

/**
 * One JSON line per request that goes on the wire. It sits next to the transport so 429 re-sends
 * and the auth layer's retry after a 401 each get their own line. Only chosen fields are logged:
 * headers (with the bearer token) never are.
 */
export function requestLogMiddleware(o: { logger: Logger; events: EventBus; clock: Clock; breakerState: (req: NavanRequest) => string }): Middleware {
  const logger = requestLogger(o.logger);
  return async (req, next) => {
    const started = performance.now();
    const line = {
      correlationId: req.correlationId,
      tenant: req.tenant,
      method: req.method,
      endpoint: endpointOf(req),
      attempt: req.meta?.attempt ?? 1,
      waitMs: Math.round(req.meta?.waitMs ?? 0),
      breaker: req.meta?.breaker ?? o.breakerState(req),
    };
    try {
      const res = await next(req);
      const latencyMs = Math.round((performance.now() - started) * 100) / 100;
      const entry = { ...line, status: res.status, latencyMs, bytes: res.body.length };
      logger.info(entry, 'navan.request');
      o.events.emit('navan.request', entry);
      return res;
    } catch (err) {
      const latencyMs = Math.round((performance.now() - started) * 100) / 100;
      const error = err instanceof Error ? err.name : 'Error';
      const entry = { ...line, status: 0, latencyMs, bytes: 0, error };
      logger.warn(entry, 'navan.request');
      o.events.emit('navan.request', entry);
      throw err;
    }
  };
}
