import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BridgeEvents, EventBus } from '../shared/events.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { BREAKER_VALUES, KNOWN_ENDPOINTS, KNOWN_STREAMS, LATENCY_BUCKETS, M, STATUS_CLASSES, statusClass, streamLabel } from './names.js';

export interface Metrics {
  registry: Registry;
  contentType: string;
  text(): Promise<string>;
  /** Seeds the last-success timestamps from the warehouse (sync_run), so a restart does not hide staleness. `finishedAt` is epoch ms. */
  restoreLastSuccess(rows: { tenant: string; stream: string; finishedAt: number }[]): void;
  close(): void;
}

export interface MetricsOptions {
  events: EventBus;
  tenants: string[];
  registry?: Registry;
  collectDefault?: boolean;
  /** Used for "seconds until the token expires"; defaults to the system clock. */
  clock?: Clock;
}

/** Turns bus events into Prometheus metrics. Labels are tenant, endpoint template, stream: never an id. */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = options.registry ?? new Registry();
  const clock = options.clock ?? systemClock;
  const registers = [registry];
  const tokenExpiresAt = new Map<string, number>();
  const lastSuccessAt = new Map<string, number>();
  // The histogram buckets are seconds; the events carry milliseconds.
  const requests = new Counter({ name: M.requests, help: 'Navan call attempts by tenant, endpoint template and status class (error = no HTTP answer).', labelNames: ['tenant', 'method', 'endpoint', 'status_class'], registers });
  const duration = new Histogram({ name: M.duration, help: 'Navan call latency per attempt, seconds.', labelNames: ['tenant', 'endpoint'], buckets: LATENCY_BUCKETS, registers });
  const throttled = new Counter({ name: M.throttled, help: 'Navan answers with status 429.', labelNames: ['tenant'], registers });
  const tokenRefreshes = new Counter({ name: M.tokenRefreshes, help: 'Token refresh attempts by outcome.', labelNames: ['tenant', 'outcome'], registers });
  new Gauge({
    name: M.tokenExpiry, help: 'Seconds until the current access token expires (negative once expired).', labelNames: ['tenant'], registers,
    collect() {
      for (const [tenant, at] of tokenExpiresAt) this.set({ tenant }, (at - clock.now()) / 1000);
    },
  });
  const utilisation = new Gauge({ name: M.utilisation, help: "The gateway's own view of budget utilisation (0..1).", labelNames: ['tenant'], registers });
  const limitRps = new Gauge({ name: M.limitRps, help: 'Observed Navan rate limit estimate, requests per second.', labelNames: ['tenant'], registers });
  const budgetRps = new Gauge({ name: M.budgetRps, help: 'Budget the limiter allows itself (a fraction of the observed limit), requests per second.', labelNames: ['tenant'], registers });
  const queueLength = new Gauge({ name: M.queueLength, help: 'Requests waiting for rate-limit budget.', labelNames: ['tenant'], registers });
  const queueWait = new Histogram({ name: M.queueWait, help: 'Time a call waited for budget or Retry-After, seconds.', labelNames: ['tenant'], buckets: [0, 0.1, 0.5, 1, 5, 15, 60, 120], registers });
  const breaker = new Gauge({ name: M.breaker, help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open.', labelNames: ['tenant', 'host'], registers });
  const syncRuns = new Counter({ name: M.syncRuns, help: 'Sync runs by stream and outcome.', labelNames: ['tenant', 'stream', 'outcome'], registers });
  const syncRecords = new Counter({ name: M.syncRecords, help: 'Records written, quarantined and deleted by sync runs.', labelNames: ['tenant', 'stream', 'kind'], registers });
  const lastSuccess = new Gauge({ name: M.syncLastSuccess, help: 'When the last successful sync of the stream finished, epoch seconds.', labelNames: ['tenant', 'stream'], registers });
  const failuresInARow = new Gauge({ name: M.syncFailuresInARow, help: 'Failed sync runs of the stream since its last success.', labelNames: ['tenant', 'stream'], registers });
  const suspect = new Gauge({ name: M.syncSuspect, help: '1 while the last full refresh of the stream was held as suspect by the delete guard.', labelNames: ['tenant', 'stream'], registers });
  const notifications = new Counter({ name: M.notifications, help: 'Alert notifications by route, action and outcome (sent or failed).', labelNames: ['route', 'action', 'outcome'], registers });
  new Gauge({ name: M.alertFiring, help: 'Built-in evaluator: 1 while the alert fires (like Prometheus ALERTS).', labelNames: ['alertname', 'tenant', 'stream', 'route', 'severity'], registers });
  new Counter({ name: M.deliveryAttempts, help: 'HTTP delivery attempts to PagerDuty or Slack by status (error = no answer).', labelNames: ['route', 'status'], registers });

  // Zero-initialised series, so that increase() and the evaluator see the very first event.
  const seenEndpoints = new Set<string>();
  const initEndpoint = (tenant: string, method: string, endpoint: string) => {
    const key = `${tenant} ${method} ${endpoint}`;
    if (seenEndpoints.has(key)) return;
    seenEndpoints.add(key);
    for (const status_class of STATUS_CLASSES) requests.inc({ tenant, method, endpoint, status_class }, 0);
    duration.zero({ tenant, endpoint });
  };
  const initStream = (tenant: string, stream: string) => {
    for (const outcome of ['success', 'failure', 'suspect']) syncRuns.inc({ tenant, stream, outcome }, 0);
    for (const kind of ['written', 'quarantined', 'deleted']) syncRecords.inc({ tenant, stream, kind }, 0);
  };
  for (const tenant of options.tenants) {
    for (const endpoint of KNOWN_ENDPOINTS) initEndpoint(tenant, 'GET', endpoint);
    throttled.inc({ tenant }, 0);
    for (const outcome of ['success', 'failure']) tokenRefreshes.inc({ tenant, outcome }, 0);
    for (const stream of KNOWN_STREAMS) initStream(tenant, stream);
  }
  for (const route of ['pagerduty', 'slack']) for (const action of ['trigger', 'resolve']) for (const outcome of ['sent', 'failed']) notifications.inc({ route, action, outcome }, 0);

  const handlers: { [K in keyof BridgeEvents]?: (...args: BridgeEvents[K]) => void } = {
    'navan.request': (e) => {
      initEndpoint(e.tenant, e.method, e.endpoint);
      requests.inc({ tenant: e.tenant, method: e.method, endpoint: e.endpoint, status_class: statusClass(e.status) });
      duration.observe({ tenant: e.tenant, endpoint: e.endpoint }, e.latencyMs / 1000);
      queueWait.observe({ tenant: e.tenant }, e.waitMs / 1000);
      if (e.status === 429) throttled.inc({ tenant: e.tenant });
    },
    'token.refresh': (e) => {
      tokenRefreshes.inc({ tenant: e.tenant, outcome: e.outcome });
      if (e.outcome === 'success' && e.expiresAt !== undefined) tokenExpiresAt.set(e.tenant, e.expiresAt);
    },
    'token.expiry': (e) => void tokenExpiresAt.set(e.tenant, e.expiresAt),
    'ratelimit.estimate': (e) => {
      limitRps.set({ tenant: e.tenant }, e.limitRps);
      budgetRps.set({ tenant: e.tenant }, e.budgetRps);
    },
    'ratelimit.utilisation': (e) => utilisation.set({ tenant: e.tenant }, e.ratio),
    'ratelimit.queue': (e) => queueLength.set({ tenant: e.tenant }, e.length),
    'breaker.state': (e) => breaker.set({ tenant: e.tenant, host: e.host }, BREAKER_VALUES[e.state]),
    'sync.run': (e) => {
      const labels = { tenant: e.tenant, stream: streamLabel(e.stream) };
      initStream(labels.tenant, labels.stream);
      syncRuns.inc({ ...labels, outcome: e.outcome });
      syncRecords.inc({ ...labels, kind: 'written' }, e.written);
      syncRecords.inc({ ...labels, kind: 'quarantined' }, e.quarantined);
      syncRecords.inc({ ...labels, kind: 'deleted' }, e.deleted);
      if (e.outcome === 'failure') {
        failuresInARow.inc(labels);
        return;
      }
      // Only a run that fetched its data says the stream works again; anything else leaves the count.
      if (e.outcome !== 'success' && e.outcome !== 'suspect') return;
      failuresInARow.set(labels, 0);
      suspect.set(labels, e.outcome === 'suspect' ? 1 : 0);
      if (e.outcome === 'success') {
        lastSuccessAt.set(`${labels.tenant} ${labels.stream}`, e.finishedAt);
        lastSuccess.set(labels, e.finishedAt / 1000);
      }
    },
  };
  for (const [name, fn] of Object.entries(handlers)) options.events.on(name as keyof BridgeEvents, fn as never);
  if (options.collectDefault ?? true) collectDefaultMetrics({ register: registry });

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    restoreLastSuccess(rows) {
      for (const row of rows) {
        const labels = { tenant: row.tenant, stream: streamLabel(row.stream) };
        const key = `${labels.tenant} ${labels.stream}`;
        // A run finished since start-up is newer than anything the warehouse can tell us.
        if (row.finishedAt > (lastSuccessAt.get(key) ?? 0)) {
          lastSuccessAt.set(key, row.finishedAt);
          lastSuccess.set(labels, row.finishedAt / 1000);
        }
      }
    },
    close() {
      for (const [name, fn] of Object.entries(handlers)) options.events.off(name as keyof BridgeEvents, fn as never);
      if (!options.registry) registry.clear();
    },
  } satisfies Metrics;
}
