import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Writable } from 'node:stream';
import { startPagerDutyReceiver, startSlackReceiver, type PagerDutyReceiver, type SlackReceiver } from '../../src/sim/alerts/index.js';
import { createMetrics, createPagerDutyNotifier, createSlackNotifier, type AlertState } from '../../src/monitor/index.js';
import { NotificationError } from '../../src/shared/errors.js';
import { EventBus } from '../../src/shared/events.js';
import { recordingClock, ROUTING_KEY } from './helpers.js';

const alert: AlertState = {
  name: 'NavanApiErrorRate', tenant: 'acme', route: 'pagerduty', priority: 'P2', severity: 'error',
  since: Date.UTC(2026, 0, 15, 12), summary: 'Navan API error rate for tenant acme is 10.0% over 5 min (threshold 5.0%).', dedupKey: 'navan-bridge/acme/NavanApiErrorRate',
};

let pd: PagerDutyReceiver;
let slack: SlackReceiver;
beforeAll(async () => {
  [pd, slack] = await Promise.all([startPagerDutyReceiver(), startSlackReceiver()]);
});
afterAll(async () => Promise.all([pd.close(), slack.close()]));
beforeEach(() => {
  pd.reset();
  slack.reset();
});

function captureLogs() {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
  return { logger, lines };
}

describe('PagerDuty notifier', () => {
  it('sends a valid trigger with severity, priority and dedup key, then a resolve with the same key', async () => {
    const n = createPagerDutyNotifier({ routingKey: ROUTING_KEY, url: pd.url });
    await n.notify(alert, 'trigger');
    await n.notify(alert, 'resolve');
    expect(pd.requests.map((r) => r.status)).toEqual([202, 202]);
    expect(pd.received[0]).toMatchObject({
      routing_key: ROUTING_KEY, event_action: 'trigger', dedup_key: alert.dedupKey,
      payload: { summary: alert.summary, source: 'navan-bridge/acme', severity: 'error', custom_details: { priority: 'P2', tenant: 'acme' } },
    });
    expect(pd.received[1]).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: alert.dedupKey });
  });

  it('truncates a summary over 1024 characters rather than being refused', async () => {
    await createPagerDutyNotifier({ routingKey: ROUTING_KEY, url: pd.url }).notify({ ...alert, summary: 'x'.repeat(5000) }, 'trigger');
    expect(pd.received[0]!.payload!.summary.length).toBe(1024);
  });

  it('retries on 429 after exactly Retry-After, and on 5xx with backoff, then succeeds', async () => {
    const clock = recordingClock();
    const metrics = createMetrics({ events: new EventBus(), tenants: [], collectDefault: false });
    pd.failNext({ status: 429, retryAfter: '7' }, { status: 503 }, { status: 500 });
    await createPagerDutyNotifier({ routingKey: ROUTING_KEY, url: pd.url, clock, metrics }).notify(alert, 'trigger');
    expect(pd.requests.map((r) => r.status)).toEqual([429, 503, 500, 202]);
    expect(clock.slept).toEqual([7000, 2000, 4000]);
    const text = await metrics.text();
    expect(text).toContain('navan_bridge_alert_delivery_attempts_total{route="pagerduty",status="429"} 1');
    expect(text).toContain('navan_bridge_alert_delivery_attempts_total{route="pagerduty",status="202"} 1');
    metrics.close();
  });

  it('honours Retry-After given as an HTTP date', async () => {
    const clock = recordingClock();
    pd.failNext({ status: 429, retryAfter: new Date(clock.now() + 3000).toUTCString() });
    await createPagerDutyNotifier({ routingKey: ROUTING_KEY, url: pd.url, clock }).notify(alert, 'trigger');
    expect(clock.slept).toEqual([3000]);
  });

  it('does not retry a 400, and reports PagerDuty\'s error string without the routing key', async () => {
    const clock = recordingClock();
    const { logger, lines } = captureLogs();
    const bad = createPagerDutyNotifier({ routingKey: 'too-short-key', url: pd.url, clock, logger });
    const err = await bad.notify(alert, 'trigger').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotificationError);
    expect((err as Error).message).toContain('routing_key');
    expect(pd.requests.map((r) => r.status)).toEqual([400]);
    expect(clock.slept).toEqual([]);
    expect(lines.join('')).toContain('Event object is invalid');
    expect(lines.join('') + (err as Error).message).not.toContain('too-short-key');
  });

  it('gives up after the allowed attempts on persistent 5xx', async () => {
    const clock = recordingClock();
    pd.failNext({ status: 502 }, { status: 502 }, { status: 502 });
    const err = await createPagerDutyNotifier({ routingKey: ROUTING_KEY, url: pd.url, clock, maxAttempts: 3 }).notify(alert, 'trigger').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotificationError);
    expect(pd.requests.map((r) => r.status)).toEqual([502, 502, 502]);
    expect(clock.slept).toEqual([1000, 2000]);
  });
});

describe('PagerDuty receiver validation', () => {
  it('rejects what PagerDuty rejects', async () => {
    const post = (body: unknown) => fetch(pd.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const base = { routing_key: ROUTING_KEY, event_action: 'trigger', payload: { summary: 's', source: 'x', severity: 'error' } };
    expect((await post(base)).status).toBe(202);
    expect(await post({ ...base, payload: { ...base.payload, severity: 'P1' } })).toMatchObject({ status: 400, body: { status: 'invalid event', message: 'Event object is invalid' } });
    expect((await post({ ...base, event_action: 'fire' })).status).toBe(400);
    expect((await post({ ...base, payload: { ...base.payload, summary: 'x'.repeat(1025) } })).status).toBe(400);
    expect((await post({ ...base, payload: { summary: 's', severity: 'error' } })).status).toBe(400);
    expect((await post({ routing_key: ROUTING_KEY, event_action: 'resolve' })).status).toBe(400);
  });
});

describe('Slack notifier', () => {
  const slackAlert: AlertState = { ...alert, name: 'NavanApiLatencyHigh', route: 'slack', priority: undefined, severity: 'warning', dedupKey: 'navan-bridge/acme/NavanApiLatencyHigh' };

  it('posts Block Kit with a text fallback, for trigger and resolve', async () => {
    const n = createSlackNotifier({ webhookUrl: slack.url });
    await n.notify(slackAlert, 'trigger');
    await n.notify(slackAlert, 'resolve');
    expect(slack.received).toHaveLength(2);
    expect(slack.received[0]!.text).toBe(`[FIRING] NavanApiLatencyHigh (acme): ${slackAlert.summary}`);
    expect(slack.received[0]!.blocks!.map((b) => b.type)).toEqual(['header', 'section', 'context']);
    expect(slack.received[1]!.text).toMatch(/^\[RESOLVED\] NavanApiLatencyHigh/);
  });

  it('retries 429 with Retry-After and 5xx, never 404 no_service, and never logs the webhook URL', async () => {
    const clock = recordingClock();
    slack.failNext({ status: 429, retryAfter: '2' }, { status: 500 });
    await createSlackNotifier({ webhookUrl: slack.url, clock }).notify(slackAlert, 'trigger');
    expect(slack.requests.map((r) => r.status)).toEqual([429, 500, 200]);
    expect(clock.slept).toEqual([2000, 2000]);

    slack.reset();
    const { logger, lines } = captureLogs();
    const wrongUrl = slack.url.replace('navanbridgetestwebhook0', 'revokedwebhooksecret');
    const err = await createSlackNotifier({ webhookUrl: wrongUrl, clock, logger }).notify(slackAlert, 'trigger').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotificationError);
    expect((err as Error).message).toContain('no_service');
    expect(slack.requests.map((r) => r.status)).toEqual([404]);
    expect(lines.join('') + (err as Error).message).not.toContain('revokedwebhooksecret');
  });

  it('the receiver answers invalid_payload to a message with neither text nor valid blocks', async () => {
    const post = (body: unknown) => fetch(slack.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => [r.status, await r.text()]);
    expect(await post({ text: 'hello' })).toEqual([200, 'ok']);
    expect(await post({})).toEqual([400, 'invalid_payload']);
    expect(await post({ blocks: [{ type: 'nonsense' }] })).toEqual([400, 'invalid_payload']);
    expect(await post({ text: 'x', blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }] })).toEqual([400, 'invalid_payload']);
  });
});
