import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { EventBus } from '../../src/shared/events.js';
import { ManualClock } from '../../src/shared/clock.js';
import { createMetrics, healthFromMetrics, formatHealth, parseExposition, healthFromSamples } from '../../src/monitor/index.js';

const request = { tenant: 'acme', method: 'GET', endpoint: '/v1/bookings', status: 200, latencyMs: 120, attempt: 1, waitMs: 0, bytes: 10 };

describe('metrics', () => {
  it('starts every known counter at 0, so increase() sees the first event', async () => {
    const m = createMetrics({ events: new EventBus(), tenants: ['acme'], collectDefault: false });
    const text = await m.text();
    expect(text).toContain('navan_bridge_requests_total{tenant="acme",method="GET",endpoint="/v1/bookings",status_class="5xx"} 0');
    expect(text).toContain('navan_bridge_token_refreshes_total{tenant="acme",outcome="failure"} 0');
    expect(text).toContain('navan_bridge_throttled_total{tenant="acme"} 0');
    expect(text).toContain('navan_bridge_sync_runs_total{tenant="acme",stream="TRANSACTION",outcome="failure"} 0');
    expect(text).toContain('navan_bridge_sync_records_total{tenant="acme",stream="BOOKING",kind="quarantined"} 0');
    m.close();
  });

  it('labels calls by tenant, endpoint template and status class, never by correlation id; buckets reach above 5 s', async () => {
    const events = new EventBus();
    const m = createMetrics({ events, tenants: ['acme'], collectDefault: false });
    events.emit('navan.request', { ...request, endpoint: '/v1/expense/transactions/{id}', status: 503, latencyMs: 6200 });
    events.emit('navan.request', { ...request, status: 429 });
    events.emit('navan.request', { ...request, status: 0, error: 'ECONNRESET' });
    const text = await m.text();
    expect(text).toContain('navan_bridge_requests_total{tenant="acme",method="GET",endpoint="/v1/expense/transactions/{id}",status_class="5xx"} 1');
    expect(text).toContain('navan_bridge_requests_total{tenant="acme",method="GET",endpoint="/v1/bookings",status_class="error"} 1');
    expect(text).toContain('navan_bridge_throttled_total{tenant="acme"} 1');
    expect(text).toContain('navan_bridge_request_duration_seconds_bucket{le="5",tenant="acme",endpoint="/v1/expense/transactions/{id}"} 0');
    expect(text).toContain('navan_bridge_request_duration_seconds_bucket{le="7.5",tenant="acme",endpoint="/v1/expense/transactions/{id}"} 1');
    expect(text).not.toMatch(/correlation|request_id/);
    m.close();
  });

  it('tracks tokens, budget, breaker and sync runs; restores the last success from the warehouse', async () => {
    const events = new EventBus();
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 12));
    const m = createMetrics({ events, tenants: ['acme'], collectDefault: false, clock });
    events.emit('token.refresh', { tenant: 'acme', outcome: 'success', expiresAt: clock.now() + 3600_000 });
    events.emit('ratelimit.estimate', { tenant: 'acme', limitRps: 20, budgetRps: 16 });
    events.emit('ratelimit.queue', { tenant: 'acme', length: 3 });
    events.emit('breaker.state', { tenant: 'acme', host: 'api.navan.com', state: 'open' });
    const restoredAt = Date.UTC(2026, 0, 10);
    m.restoreLastSuccess([{ tenant: 'acme', stream: 'bookings', finishedAt: restoredAt }]);
    events.emit('sync.run', { tenant: 'acme', stream: 'transactions', mode: 'incremental', outcome: 'failure', written: 0, quarantined: 0, deleted: 0, finishedAt: clock.now() });
    events.emit('sync.run', { tenant: 'acme', stream: 'transactions', mode: 'incremental', outcome: 'failure', written: 0, quarantined: 0, deleted: 0, finishedAt: clock.now() });
    await clock.advance(600_000);
    const text = await m.text();
    expect(text).toContain('navan_bridge_token_expiry_seconds{tenant="acme"} 3000');
    expect(text).toContain('navan_bridge_ratelimit_budget_rps{tenant="acme"} 16');
    expect(text).toContain('navan_bridge_breaker_state{tenant="acme",host="api.navan.com"} 2');
    expect(text).toContain(`navan_bridge_sync_last_success_timestamp_seconds{tenant="acme",stream="BOOKING"} ${restoredAt / 1000}`);
    expect(text).toContain('navan_bridge_sync_consecutive_failures{tenant="acme",stream="TRANSACTION"} 2');
    // An older row from the warehouse never moves a newer success back.
    m.restoreLastSuccess([{ tenant: 'acme', stream: 'BOOKING', finishedAt: restoredAt - 86400_000 }]);
    expect(await m.text()).toContain(`stream="BOOKING"} ${restoredAt / 1000}`);

    const report = await healthFromMetrics(m);
    expect(report.tokens).toEqual([{ tenant: 'acme', expiresInSeconds: 3000 }]);
    expect(report.breakers).toEqual([{ tenant: 'acme', host: 'api.navan.com', state: 'open' }]);
    // The same report comes out of the text a running instance serves at /metrics.
    expect(healthFromSamples(parseExposition(await m.text()))).toEqual(report);
    const printed = formatHealth(report, clock.now());
    expect(printed).toContain('acme api.navan.com: open');
    expect(printed).toContain('acme TRANSACTION: never, 2 failure(s) in a row since');
    m.close();
  });

  it('includes the default Node process metrics, and stops listening on close', async () => {
    const events = new EventBus();
    const registry = new Registry();
    const m = createMetrics({ events, tenants: ['acme'], registry });
    expect(await m.text()).toContain('process_cpu_user_seconds_total');
    m.close();
    expect(events.listenerCount('navan.request')).toBe(0);
  });
});
