import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { CircuitOpenError, NavanNetworkError, RateLimitedError } from '../../shared/errors.js';
import { headerValue } from '../../shared/http.js';
import { tenantOf } from '../auth.js';
import type { ServerContext } from '../context.js';

/**
 * The documented Navan read paths (see docs/reference navan-api.md), each with the template the
 * request log and metrics use. Nothing else is forwarded: the proxy is for reading, and a path
 * Navan does not document is more likely a mistake than a feature.
 */
const EXPENSE_LISTS = ['transactions', 'card-transactions', 'connect-transactions', 'manual-transactions', 'repayments', 'fees', 'adjustments', 'daily-rebates', 'disputes', 'statement-payments', 'custom-fields', 'gl-codes'];
export const PROXY_ALLOW_LIST: { path: RegExp; endpoint: (m: RegExpMatchArray) => string }[] = [
  { path: /^\/v1\/bookings$/, endpoint: () => '/v1/bookings' },
  { path: /^\/v1\/bookings\/[A-Za-z0-9-]{1,64}\/(invoice|itinerary)\.pdf$/, endpoint: (m) => `/v1/bookings/{uuid}/${m[1]}.pdf` },
  { path: /^\/v1\/users$/, endpoint: () => '/v1/users' },
  { path: new RegExp(`^/v1/expense/(${EXPENSE_LISTS.join('|')})$`), endpoint: (m) => `/v1/expense/${m[1]}` },
  { path: /^\/v1\/expense\/transactions\/[A-Za-z0-9_-]{1,100}$/, endpoint: () => '/v1/expense/transactions/{id}' },
];

/** Navan's response headers a consumer may see; anything else (cookies, auth hints) stays here. */
const FORWARDED_HEADERS = ['content-type', 'content-disposition', 'cache-control', 'last-modified', 'etag'];
/** A proxied answer larger than this is refused rather than buffered for a client. */
export const MAX_PROXY_RESPONSE_BYTES = 16 * 1024 * 1024;

function circuitOpen(reply: FastifyReply, err: CircuitOpenError, now: number) {
  const seconds = Math.max(1, Math.ceil(err.retryInMs / 1000));
  const halfOpenAt = new Date(now + err.retryInMs).toISOString();
  return reply.code(503).header('retry-after', String(seconds)).send({
    error: 'NAVAN_UNAVAILABLE',
    message: `Navan is failing and nothing is cached for this request; the breaker half-opens at ${halfOpenAt} (in ${seconds} s), retry after that.`,
    halfOpenAt, retryInMs: err.retryInMs,
  });
}

/**
 * /navan/*: internal apps call documented Navan GET paths with their API key; the tenant's token
 * is added inside the gateway (limiter, breaker, retry, stale-if-error cache, request log), so the
 * app never holds a Navan secret and never sees one.
 */
export function proxyPlugin(ctx: ServerContext): FastifyPluginAsync {
  const { options, config } = ctx;
  return async (app) => {
    app.all('/*', {
      config: { scope: 'proxy' },
      schema: { summary: 'Forwards a documented Navan GET path (e.g. /navan/v1/bookings?createdFrom=…) with the tenant\'s token; stale-if-error when Navan fails', tags: ['proxy'] },
    }, async (req, reply) => {
      if (req.method !== 'GET') {
        return reply.code(405).header('allow', 'GET').send({ error: 'METHOD_NOT_ALLOWED', message: `The Navan proxy forwards GET only, not ${req.method}; it is read-only by design.` });
      }
      const url = new URL(req.url, 'http://proxy.local');
      const path = url.pathname.replace(/^\/navan/, '');
      const allowed = PROXY_ALLOW_LIST.map((a) => ({ a, m: path.match(a.path) })).find((x) => x.m);
      if (!allowed) {
        return reply.code(404).send({ error: 'NOT_PROXIED', message: `The proxy forwards only documented Navan paths (/v1/bookings, /v1/users, /v1/expense/…); ${path} is not one of them.` });
      }
      if (!options.gatewayFor) return reply.code(503).send({ error: 'PROXY_UNAVAILABLE', message: 'The Navan proxy is not enabled in this process; start the server with the gateway.' });
      const tenantId = tenantOf(req);
      const tenant = config.tenants.find((t) => t.id === tenantId);
      if (!tenant) return reply.code(503).send({ error: 'UNKNOWN_TENANT', message: `Tenant "${tenantId}" is not configured in this process; add it to the configuration or revoke this key.` });
      const query: Record<string, string> = {};
      url.searchParams.forEach((v, k) => { query[k] = v; });
      const headers: Record<string, string> = { accept: 'application/json' };
      if (tenant.region === 'EU') headers['X-ta-region'] = 'EU';
      try {
        const res = await options.gatewayFor(tenantId).handler({
          tenant: tenantId, method: 'GET', baseUrl: tenant.baseUrl, path, endpoint: allowed.a.endpoint(allowed.m!), query, headers,
          correlationId: req.id, idempotent: true, allowStale: true,
        });
        if (res.body.length > MAX_PROXY_RESPONSE_BYTES) {
          return reply.code(502).send({ error: 'RESPONSE_TOO_LARGE', message: `Navan answered ${res.body.length} bytes, more than the proxy relays (${MAX_PROXY_RESPONSE_BYTES}); ask for a smaller page.` });
        }
        for (const name of FORWARDED_HEADERS) {
          const v = headerValue(res.headers, name);
          if (v) reply.header(name, v);
        }
        if (res.stale) {
          // Marked the HTTP way (Age, Warning 110) and plainly, so a client can show "as of …".
          reply.header('age', String(Math.floor(res.stale.ageMs / 1000))).header('warning', '110 - "Response is stale"')
            .header('x-navan-bridge-stale', 'true').header('x-navan-bridge-stale-age-ms', String(res.stale.ageMs));
        }
        return reply.code(res.status).send(res.body);
      } catch (err) {
        // The breaker times its half-open with Date.now, so the answer does too.
        if (err instanceof CircuitOpenError) return circuitOpen(reply, err, Date.now());
        if (err instanceof RateLimitedError) return reply.code(503).header('retry-after', '5').send({ error: err.code, message: err.message });
        if (err instanceof NavanNetworkError) return reply.code(502).send({ error: 'NAVAN_UNREACHABLE', message: `Navan did not answer and nothing is cached for this request (${err.message}); retry later.` });
        throw err;
      }
    });
  };
}
