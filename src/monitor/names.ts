/**
 * Metric names and label vocabularies shared by the metrics, the built-in evaluator and the
 * Prometheus rules in deploy/prometheus/alerts.yml. A rename here must be made there too
 * (test/deploy checks that every metric the rules use is exported).
 */
export const M = {
  requests: 'navan_bridge_requests_total',
  duration: 'navan_bridge_request_duration_seconds',
  throttled: 'navan_bridge_throttled_total',
  tokenRefreshes: 'navan_bridge_token_refreshes_total',
  tokenExpiry: 'navan_bridge_token_expiry_seconds',
  utilisation: 'navan_bridge_ratelimit_utilisation_ratio',
  limitRps: 'navan_bridge_ratelimit_limit_rps',
  budgetRps: 'navan_bridge_ratelimit_budget_rps',
  queueLength: 'navan_bridge_ratelimit_queue_length',
  queueWait: 'navan_bridge_ratelimit_wait_seconds',
  breaker: 'navan_bridge_breaker_state',
  syncRuns: 'navan_bridge_sync_runs_total',
  syncRecords: 'navan_bridge_sync_records_total',
  syncLastSuccess: 'navan_bridge_sync_last_success_timestamp_seconds',
  syncFailuresInARow: 'navan_bridge_sync_consecutive_failures',
  syncSuspect: 'navan_bridge_sync_suspect',
  notifications: 'navan_bridge_alert_notifications_total',
  deliveryAttempts: 'navan_bridge_alert_delivery_attempts_total',
  alertFiring: 'navan_bridge_alert_firing',
} as const;

/** Buckets in seconds: 5 s is a boundary so that "p95 > 5 s" is exact, with room above it. */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 7.5, 10, 15, 30, 60];

export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'error'] as const;
/** Classes that count as a failing Navan call for the error-rate alert (network errors included). */
export const FAILING_CLASSES = ['5xx', 'error'];

/** Streams whose counters exist from start-up, named as in the warehouse (Fivetran style). */
export const KNOWN_STREAMS = ['BOOKING', 'TRANSACTION', 'USER'] as const;

/** Endpoint templates the client calls, so their counters exist at 0 before the first call. */
export const KNOWN_ENDPOINTS = ['/v1/bookings', '/v1/expense/transactions', '/v1/users'] as const;

export const BREAKER_VALUES = { closed: 0, 'half-open': 1, open: 2 } as const;

/** 'bookings', 'booking' and 'BOOKING' are one stream: labels use the singular upper-case name. */
export function streamLabel(stream: string): string {
  return stream.toUpperCase().replace(/S$/, '');
}

export function statusClass(status: number): (typeof STATUS_CLASSES)[number] {
  if (status >= 200 && status < 300) return '2xx';
  if (status >= 300 && status < 400) return '3xx';
  if (status >= 400 && status < 500) return '4xx';
  if (status >= 500 && status < 600) return '5xx';
  return 'error';
}
