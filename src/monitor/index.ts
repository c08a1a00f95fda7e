export { createMetrics } from './metrics.js';
export type { Metrics, MetricsOptions } from './metrics.js';
export { createAlertEvaluator, dedupKeyOf, severityOf } from './evaluator.js';
export type { AlertEvaluator, AlertEvaluatorOptions, AlertState, Notifier } from './evaluator.js';
export { createPagerDutyNotifier, createSlackNotifier, PAGERDUTY_EVENTS_URL } from './notifiers.js';
export { alertRules } from './rules.js';
export { healthFromMetrics, healthFromSamples, healthFromUrl, parseExposition, formatHealth } from './health.js';
export type { HealthReport } from './health.js';
export { loadLastSuccess } from './restore.js';
export { M as METRIC_NAMES, LATENCY_BUCKETS } from './names.js';
export { histogramQuantile } from './history.js';

import type { Config } from '../config/index.js';
import type { Logger } from '../shared/logger.js';
import type { Clock } from '../shared/clock.js';
import type { Metrics } from './metrics.js';
import type { Notifier } from './evaluator.js';
import { createPagerDutyNotifier, createSlackNotifier } from './notifiers.js';

/** The notifiers the configuration asks for (none when neither PagerDuty nor Slack is set). */
export function notifiersFromConfig(config: Config, options: { logger?: Logger; clock?: Clock; metrics?: Metrics } = {}): Notifier[] {
  const m = config.monitor;
  const common = { ...options, maxAttempts: m.notifyMaxAttempts };
  const out: Notifier[] = [];
  if (m.pagerduty) out.push(createPagerDutyNotifier({ ...common, routingKey: m.pagerduty.routingKey, url: m.pagerduty.url }));
  if (m.slack) out.push(createSlackNotifier({ ...common, webhookUrl: m.slack.webhookUrl }));
  return out;
}
