import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/shared/events.js';
import { ManualClock } from '../../src/shared/clock.js';
import { createAlertEvaluator, createMetrics, type AlertState, type Notifier } from '../../src/monitor/index.js';
import { monitorConfig } from './helpers.js';

const MIN = 60_000;

function setup(monitor: Record<string, unknown> = {}, notifiers?: Notifier[]) {
  const events = new EventBus();
  const clock = new ManualClock(Date.UTC(2026, 0, 15, 12));
  const metrics = createMetrics({ events, tenants: ['acme'], collectDefault: false, clock });
  const sent: { route: string; action: string; alert: AlertState }[] = [];
  const recorder = (route: 'pagerduty' | 'slack'): Notifier => ({ route, notify: async (alert, action) => void sent.push({ route, action, alert }) });
  const evaluator = createAlertEvaluator({ config: monitorConfig(monitor), metrics, events, notifiers: notifiers ?? [recorder('pagerduty'), recorder('slack')], clock });
  const call = (status: number, latencyMs = 50, n = 1) => {
    for (let i = 0; i < n; i++) events.emit('navan.request', { tenant: 'acme', method: 'GET', endpoint: '/v1/bookings', status, latencyMs, attempt: 1, waitMs: 0, bytes: 0 });
  };
  return { events, clock, metrics, evaluator, sent, call };
}

describe('alert evaluator (reference thresholds)', () => {
  it('p95 latency over 5 s fires to Slack after `for`, once, and resolves when calls are fast again', async () => {
    const { clock, evaluator, sent, call } = setup();
    call(200, 4000, 94);
    call(200, 6000, 6); // 6% of calls above 5 s: p95 lies in the 5-7.5 s bucket
    expect(await evaluator.evaluate()).toEqual([]); // pending: `for: 1m`
    await clock.advance(MIN);
    const firing = await evaluator.evaluate();
    expect(firing).toMatchObject([{ name: 'NavanApiLatencyHigh', tenant: 'acme', route: 'slack', severity: 'warning', dedupKey: 'navan-bridge/acme/NavanApiLatencyHigh' }]);
    await clock.advance(MIN);
    await evaluator.evaluate();
    expect(sent.map((s) => `${s.route} ${s.action} ${s.alert.name}`)).toEqual(['slack trigger NavanApiLatencyHigh']);
    await clock.advance(5 * MIN);
    call(200, 40, 10);
    expect(await evaluator.evaluate()).toEqual([]);
    expect(sent.map((s) => `${s.action} ${s.alert.name}`)).toEqual(['trigger NavanApiLatencyHigh', 'resolve NavanApiLatencyHigh']);
  });

  it('p95 exactly at 5 s does not fire', async () => {
    const { clock, evaluator, call } = setup();
    call(200, 4000, 95);
    call(200, 6000, 5);
    await evaluator.evaluate();
    await clock.advance(MIN);
    expect(await evaluator.evaluate()).toEqual([]);
  });

  it('error rate: 5% does not fire, 6% pages P2 as severity error', async () => {
    const { clock, evaluator, sent, call } = setup();
    call(200, 50, 95);
    call(503, 50, 5);
    await evaluator.evaluate();
    await clock.advance(MIN);
    expect(await evaluator.evaluate()).toEqual([]);
    call(0, 50, 2); // network errors count as failing too: 7 of 102
    await clock.advance(MIN);
    await evaluator.evaluate();
    await clock.advance(MIN);
    expect(await evaluator.evaluate()).toMatchObject([{ name: 'NavanApiErrorRate', route: 'pagerduty', priority: 'P2', severity: 'error' }]);
    expect(sent).toHaveLength(1);
  });

  it('re-notifies a still-firing alert after the repeat interval, not before', async () => {
    const { clock, evaluator, sent, events } = setup({ repeatIntervalMinutes: 30 });
    const fail = () => events.emit('token.refresh', { tenant: 'acme', outcome: 'failure', reason: 'token endpoint answered 503' });
    fail();
    await evaluator.evaluate();
    expect(sent.map((s) => [s.route, s.action, s.alert.severity, s.alert.priority])).toEqual([['pagerduty', 'trigger', 'critical', 'P1']]);
    for (let i = 0; i < 5; i++) {
      await clock.advance(5 * MIN);
      fail();
      await evaluator.evaluate();
    }
    expect(sent).toHaveLength(1); // 25 min: still inside the repeat interval
    await clock.advance(5 * MIN);
    await evaluator.evaluate();
    expect(sent.map((s) => s.action)).toEqual(['trigger', 'trigger']);
    expect(sent[1]!.alert.dedupKey).toBe(sent[0]!.alert.dedupKey);
  });

  it('a failing notifier is counted and never breaks evaluation', async () => {
    const broken: Notifier = { route: 'pagerduty', notify: async () => { throw new Error('PagerDuty is down'); } };
    const { evaluator, events, metrics } = setup({}, [broken]);
    events.emit('token.refresh', { tenant: 'acme', outcome: 'failure' });
    expect(await evaluator.evaluate()).toHaveLength(1);
    expect(await metrics.text()).toContain('navan_bridge_alert_notifications_total{route="pagerduty",action="trigger",outcome="failed"} 1');
    expect(await metrics.text()).toContain('navan_bridge_alert_firing{alertname="NavanTokenRefreshFailure",tenant="acme",stream="",route="pagerduty",severity="critical"} 1');
  });

  it('start() evaluates on its own every evaluateEverySeconds of the clock, stop() ends it', async () => {
    const { clock, evaluator, sent, events } = setup({ evaluateEverySeconds: 30 });
    evaluator.start();
    events.emit('sync.run', { tenant: 'acme', stream: 'BOOKING', mode: 'full', outcome: 'suspect', written: 10, quarantined: 0, deleted: 0, finishedAt: clock.now() });
    await clock.advance(29_000);
    expect(sent).toHaveLength(0);
    await clock.advance(1_000);
    await new Promise((r) => setImmediate(r));
    expect(sent.map((s) => `${s.route} ${s.alert.name} ${s.alert.stream}`)).toEqual(['slack NavanSuspectFullRefresh BOOKING']);
    evaluator.stop();
    events.emit('sync.run', { tenant: 'acme', stream: 'BOOKING', mode: 'full', outcome: 'success', written: 10, quarantined: 0, deleted: 0, finishedAt: clock.now() });
    await clock.advance(120_000);
    expect(sent).toHaveLength(1);
  });
});

describe('alert evaluator delivery', () => {
  it('retries an undelivered trigger and an undelivered resolve at the next evaluation', async () => {
    let up = false;
    const delivered: string[] = [];
    const flaky: Notifier = {
      route: 'pagerduty',
      notify: async (alert, action) => {
        if (!up) throw new Error('PagerDuty is unreachable');
        delivered.push(`${action} ${alert.dedupKey}`);
      },
    };
    const { clock, evaluator, events } = setup({ repeatIntervalMinutes: 240 }, [flaky]);
    events.emit('token.refresh', { tenant: 'acme', outcome: 'failure' });
    await evaluator.evaluate();
    up = true;
    await clock.advance(MIN);
    await evaluator.evaluate();
    await evaluator.evaluate();
    expect(delivered).toEqual(['trigger navan-bridge/acme/NavanTokenRefreshFailure']);
    up = false;
    await clock.advance(20 * MIN);
    expect(await evaluator.evaluate()).toEqual([]); // cleared, but the resolve did not get through
    up = true;
    await evaluator.evaluate();
    await evaluator.evaluate();
    expect(delivered).toEqual(['trigger navan-bridge/acme/NavanTokenRefreshFailure', 'resolve navan-bridge/acme/NavanTokenRefreshFailure']);
  });
});
