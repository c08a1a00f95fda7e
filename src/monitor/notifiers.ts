import { request } from 'undici';
import type { Counter } from 'prom-client';
import { systemClock, type Clock } from '../shared/clock.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import { NotificationError } from '../shared/errors.js';
import { Secret } from '../shared/secret.js';
import type { Notifier } from './evaluator.js';
import type { Metrics } from './metrics.js';
import { M } from './names.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
/** Runbook entries are README headings named after the alert. */
export const RUNBOOK_BASE = 'README.md#';

interface CommonOptions {
  logger?: Logger;
  clock?: Clock;
  metrics?: Metrics;
  /** Delivery attempts, counting the first; retries happen on 429 and 5xx only. Default 4. */
  maxAttempts?: number;
  /** Where runbook links point: this plus the lower-cased alert name. */
  runbookBase?: string;
}

// Retry-After can be seconds or an HTTP date; a huge value must not stall the evaluator forever.
const MAX_RETRY_AFTER_MS = 60_000;

function retryAfterMs(header: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v) return undefined;
  const seconds = Number(v);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(v) - now;
  return Number.isFinite(ms) ? Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms)) : undefined;
}

/**
 * POSTs JSON with the retry policy both services document: 429 waits for Retry-After, 5xx and
 * network errors back off exponentially, any other 4xx is final (the payload is wrong and
 * resending it cannot help). The service's own error string goes into the log and the error.
 */
async function deliver(route: 'pagerduty' | 'slack', url: Secret, body: unknown, o: CommonOptions): Promise<string> {
  const clock = o.clock ?? systemClock;
  const logger = o.logger ?? silentLogger;
  const attempts = o.metrics?.registry.getSingleMetric(M.deliveryAttempts) as Counter | undefined;
  const max = o.maxAttempts ?? 4;
  let last = '';
  for (let attempt = 1; attempt <= max; attempt++) {
    let status = 0;
    let text = '';
    let wait: number | undefined;
    try {
      const res = await request(url.reveal(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      status = res.statusCode;
      text = await res.body.text();
      if (status === 429) wait = retryAfterMs(res.headers['retry-after'], clock.now());
    } catch (err) {
      text = err instanceof Error ? err.message : String(err);
    }
    attempts?.inc({ route, status: status ? String(status) : 'error' });
    if (status >= 200 && status < 300) return text;
    last = status ? `${status} ${text.slice(0, 300)}` : text;
    const retriable = status === 0 || status === 429 || status >= 500;
    logger.warn({ route, attempt, status, error: text.slice(0, 300), retrying: retriable && attempt < max }, `${route} rejected the notification`);
    if (!retriable) throw new NotificationError(`${route} refused the notification (${last}); check the ${route === 'pagerduty' ? 'routing key' : 'webhook URL'} and the payload.`, route, status);
    if (attempt < max) await clock.sleep(wait ?? Math.min(30_000, 1000 * 2 ** (attempt - 1)));
  }
  throw new NotificationError(`${route} did not accept the notification after ${max} attempts (last: ${last}); it will be sent again at the next evaluation if the alert still fires.`, route);
}

const reveal = (v: string | Secret) => (v instanceof Secret ? v : new Secret(v));

export function createPagerDutyNotifier(options: CommonOptions & { routingKey: string | Secret; url?: string }): Notifier {
  const routingKey = reveal(options.routingKey);
  const url = new Secret(options.url ?? PAGERDUTY_EVENTS_URL);
  const runbook = options.runbookBase ?? RUNBOOK_BASE;
  return {
    route: 'pagerduty',
    async notify(alert, action) {
      const base = { routing_key: routingKey.reveal(), event_action: action, dedup_key: alert.dedupKey };
      const body =
        action === 'resolve'
          ? base
          : {
              ...base,
              payload: {
                // PagerDuty rejects summaries over 1024 characters.
                summary: alert.summary.length > 1024 ? `${alert.summary.slice(0, 1023)}…` : alert.summary,
                source: `navan-bridge/${alert.tenant}`,
                severity: alert.severity,
                timestamp: new Date(alert.since).toISOString(),
                component: alert.stream ?? 'navan-api',
                group: alert.tenant,
                class: alert.name,
                custom_details: { priority: alert.priority, tenant: alert.tenant, stream: alert.stream, alert: alert.name, runbook: runbook + alert.name.toLowerCase() },
              },
            };
      await deliver('pagerduty', url, body, options);
    },
  };
}

export function createSlackNotifier(options: CommonOptions & { webhookUrl: string | Secret }): Notifier {
  const url = reveal(options.webhookUrl);
  const runbook = options.runbookBase ?? RUNBOOK_BASE;
  return {
    route: 'slack',
    async notify(alert, action) {
      const firing = action === 'trigger';
      const title = `${firing ? '[FIRING]' : '[RESOLVED]'} ${alert.name} (${alert.tenant}${alert.stream ? `, ${alert.stream}` : ''})`;
      const body = {
        text: `${title}: ${alert.summary}`,
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
          { type: 'section', text: { type: 'mrkdwn', text: (firing ? alert.summary : `Cleared: ${alert.summary}`).slice(0, 3000) } },
          {
            type: 'context',
            elements: [
              { type: 'mrkdwn', text: `severity *${alert.severity}* · since ${new Date(alert.since).toISOString()} · key \`${alert.dedupKey}\` · runbook: ${runbook}${alert.name.toLowerCase()}` },
            ],
          },
        ],
      };
      await deliver('slack', url, body, options);
    },
  };
}
