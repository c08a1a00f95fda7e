import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { compose, headerValue, type Middleware } from '../../src/shared/http.js';
import { createTransport } from '../../src/shared/transport.js';
import type { Clock } from '../../src/shared/clock.js';
import type { EventBus } from '../../src/shared/events.js';
import { simpleTokenMiddleware } from '../helpers/pipeline.js';

/**
 * Stands in for the layers that emit events (gateway, auth, sync) while those are being built:
 * real HTTP calls to the Navan simulator, and the same events those layers emit, with the real
 * statuses and latencies. The lead re-points these tests at the real layers later.
 */
export function navanDriver(sim: { url: string; clientId: string; clientSecret: string }, events: EventBus, clock: Clock, tenant = 'acme') {
  const transport = createTransport({ timeoutMs: 10_000 });
  // Innermost, so it sees every HTTP attempt the way the gateway's request log does.
  const recorder: Middleware = async (req, next) => {
    const started = performance.now();
    let status = 0;
    let error: string | undefined;
    try {
      const res = await next(req);
      status = res.status;
      const limit = Number(headerValue(res.headers, 'x-ratelimit-limit'));
      if (limit > 0) events.emit('ratelimit.estimate', { tenant, limitRps: limit, budgetRps: limit * 0.8 });
      return res;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      events.emit('navan.request', { tenant, method: req.method, endpoint: req.endpoint, status, latencyMs: performance.now() - started, attempt: 1, waitMs: 0, bytes: 0, error });
    }
  };
  const handler = compose([simpleTokenMiddleware({ tokenUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret }), recorder], transport);
  let n = 0;

  const get = async (path: string, endpoint: string, query: Record<string, string | number>) => {
    const once = () => handler({ tenant, method: 'GET', baseUrl: sim.url, path, endpoint, query, headers: {}, correlationId: `drv-${++n}`, idempotent: true });
    // A 401 after the test moved the simulator clock past the token's life: fetch a new token once, as the auth layer does.
    const res = await once();
    return res.status === 401 ? (await once()).status : res.status;
  };
  const createdTo = Math.floor(clock.now() / 1000);
  const bookingsPage = () => get('/v1/bookings', '/v1/bookings', { createdFrom: createdTo - 30 * 86400, createdTo, page: 0, size: 5 });
  const transactionsPage = () => get('/v1/expense/transactions', '/v1/expense/transactions', { 'date_modified.from': '2026-01-01', 'date_modified.to': '2026-01-15', page_size: 5 });

  return {
    /** `n` booking calls, `parallel` at a time; returns the statuses. */
    async calls(count: number, parallel = 10): Promise<number[]> {
      const statuses: number[] = [];
      for (let i = 0; i < count; i += parallel) {
        statuses.push(...(await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, () => bookingsPage().catch(() => 0)))));
      }
      return statuses;
    },
    /** One client-credentials request, reported like the token service reports a refresh. */
    async refreshToken(): Promise<boolean> {
      const res = await request(new URL('/ta-auth/oauth/token', sim.url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sim.clientId, client_secret: sim.clientSecret }).toString(),
      });
      const body = (await res.body.json()) as { expires_in?: number };
      if (res.statusCode === 200) events.emit('token.refresh', { tenant, outcome: 'success', expiresAt: clock.now() + (body.expires_in ?? 3300) * 1000 });
      else events.emit('token.refresh', { tenant, outcome: 'failure', reason: `token endpoint answered ${res.statusCode}` });
      return res.statusCode === 200;
    },
    /** One page of the stream from the simulator, reported like a sync run (outcome from the real answer unless forced). */
    async syncRun(stream: 'BOOKING' | 'TRANSACTION', force?: 'suspect'): Promise<'success' | 'failure' | 'suspect'> {
      const status = await (stream === 'BOOKING' ? bookingsPage() : transactionsPage()).catch(() => 0);
      const outcome = status !== 200 ? 'failure' : (force ?? 'success');
      events.emit('sync.run', { tenant, stream, mode: force ? 'full' : 'incremental', outcome, written: status === 200 ? 5 : 0, quarantined: 0, deleted: 0, finishedAt: clock.now(), error: status === 200 ? undefined : `Navan answered ${status}` });
      return outcome;
    },
    close: () => transport.close(),
  };
}
