import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/shared/events.js';
import { ManualClock } from '../../src/shared/clock.js';
import { createAlertEvaluator, createMetrics, formatHealth, healthFromUrl } from '../../src/monitor/index.js';
import { monitorConfig } from './helpers.js';

describe('health from a running instance', () => {
  it('reads tokens, breakers and firing alerts from the /metrics a running instance serves', async () => {
    const events = new EventBus();
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 12));
    const metrics = createMetrics({ events, tenants: ['acme'], collectDefault: false, clock });
    const evaluator = createAlertEvaluator({ config: monitorConfig(), metrics, events, notifiers: [], clock });
    const states: unknown[] = [];
    events.on('alert.state', (s) => states.push(s));
    events.emit('token.expiry', { tenant: 'acme', expiresAt: clock.now() + 7200_000 });
    events.emit('breaker.state', { tenant: 'acme', host: 'api.navan.com', state: 'half-open' });
    events.emit('token.refresh', { tenant: 'acme', outcome: 'failure' });
    await evaluator.evaluate();
    expect(states).toMatchObject([{ name: 'NavanTokenRefreshFailure', action: 'trigger', dedupKey: 'navan-bridge/acme/NavanTokenRefreshFailure' }]);

    const app = Fastify();
    app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.text()));
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const port = (app.server.address() as { port: number }).port;
      const report = await healthFromUrl(`http://127.0.0.1:${port}`);
      expect(report).toMatchObject({
        tokens: [{ tenant: 'acme', expiresInSeconds: 7200 }],
        breakers: [{ tenant: 'acme', host: 'api.navan.com', state: 'half-open' }],
        firing: [{ name: 'NavanTokenRefreshFailure', tenant: 'acme', route: 'pagerduty', severity: 'critical' }],
      });
      const text = formatHealth(report!, clock.now());
      expect(text).toContain('acme: expires in 2.0 h');
      expect(text).toContain('firing alerts: 1');
      expect(text).toContain('[critical] NavanTokenRefreshFailure acme → pagerduty');
    } finally {
      await app.close();
      metrics.close();
    }
    expect(await healthFromUrl('http://127.0.0.1:1', 200)).toBeUndefined();
  });
});
