import type { MonitorSection } from '../config/index.js';
import { CounterHistory, histogramQuantile, sumBy, type Sample } from './history.js';
import { FAILING_CLASSES, M } from './names.js';

/** One alert as the rules name it; the same names are the `alert:` names in deploy/prometheus/alerts.yml. */
export interface AlertRule {
  name: string;
  route: 'pagerduty' | 'slack';
  priority?: 'P1' | 'P2';
  /** How long the condition must hold before it fires, like Prometheus' `for:`. */
  forMs: number;
}

export interface Condition {
  rule: AlertRule;
  tenant: string;
  stream?: string;
  summary: string;
}

export interface RuleInput {
  now: number;
  history: CounterHistory;
  /** Current gauges: budget, last success, failures in a row, suspect. */
  gauges: Sample[];
  thresholds: MonitorSection['thresholds'];
}

const MIN = 60_000;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export type AlertRuleKey = 'errorRate' | 'tokenFailure' | 'latency' | 'stale' | 'utilisation' | 'throttling' | 'suspect' | 'syncFailing';

export function alertRules(t: MonitorSection['thresholds']): Record<AlertRuleKey, AlertRule> {
  const forMs = t.forMinutes * MIN;
  return {
    errorRate: { name: 'NavanApiErrorRate', route: 'pagerduty', priority: 'P2', forMs },
    tokenFailure: { name: 'NavanTokenRefreshFailure', route: 'pagerduty', priority: 'P1', forMs: 0 },
    latency: { name: 'NavanApiLatencyHigh', route: 'slack', forMs },
    stale: { name: 'NavanSyncStale', route: 'slack', forMs: 0 },
    utilisation: { name: 'NavanRateLimitNearBudget', route: 'slack', forMs },
    throttling: { name: 'NavanSustainedThrottling', route: 'slack', forMs: 0 },
    suspect: { name: 'NavanSuspectFullRefresh', route: 'slack', forMs: 0 },
    syncFailing: { name: 'NavanSyncFailing', route: 'pagerduty', priority: 'P2', forMs: 0 },
  };
}

/** The counters the rules read over windows (the evaluator snapshots these). */
export const WINDOWED = [M.requests, M.duration, M.throttled, M.tokenRefreshes];
export const GAUGES = [M.budgetRps, M.syncLastSuccess, M.syncFailuresInARow, M.syncSuspect];

/** Longest look-back any rule needs, so older snapshots can be dropped. */
export function retentionMs(t: MonitorSection['thresholds']): number {
  return Math.max(t.errorRateWindowMinutes, t.latencyWindowMinutes, t.tokenFailureWindowMinutes, t.throttleWindowMinutes * t.throttleWindows) * MIN;
}

/** Every condition that holds now. Each block mirrors one rule of deploy/prometheus/alerts.yml. */
export function evaluateRules(input: RuleInput): Condition[] {
  const { now, history: h, gauges, thresholds: t } = input;
  const rules = alertRules(t);
  const out: Condition[] = [];

  // sum by (tenant) (increase(requests{status_class=~"5xx|error"}[5m])) / sum by (tenant) (increase(requests[5m])) > 0.05
  const errWindow = t.errorRateWindowMinutes * MIN;
  const all = sumBy(h.increase(M.requests, now, errWindow), 'tenant');
  const failing = sumBy(h.increase(M.requests, now, errWindow, (l) => FAILING_CLASSES.includes(l.status_class!)), 'tenant');
  for (const [tenant, total] of all) {
    const ratio = total > 0 ? (failing.get(tenant) ?? 0) / total : 0;
    if (ratio > t.errorRate) {
      out.push({ rule: rules.errorRate, tenant, summary: `Navan API error rate for tenant ${tenant} is ${pct(ratio)} over ${t.errorRateWindowMinutes} min (threshold ${pct(t.errorRate)}).` });
    }
  }

  // increase(token_refreshes{outcome="failure"}[15m]) > 0
  const tokenFailures = sumBy(h.increase(M.tokenRefreshes, now, t.tokenFailureWindowMinutes * MIN, (l) => l.outcome === 'failure'), 'tenant');
  for (const [tenant, n] of tokenFailures) {
    if (n > 0) out.push({ rule: rules.tokenFailure, tenant, summary: `Token refresh for tenant ${tenant} failed ${n} time(s) in the last ${t.tokenFailureWindowMinutes} min; calls to Navan will fail once the token expires.` });
  }

  // histogram_quantile(0.95, sum by (tenant, le) (rate(duration_bucket[5m]))) > 5
  const latWindow = t.latencyWindowMinutes * MIN;
  const buckets = new Map<string, Map<number, number>>();
  for (const s of h.increase(`${M.duration}_bucket`, now, latWindow)) {
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    const perTenant = buckets.get(s.labels.tenant!) ?? new Map<number, number>();
    perTenant.set(le, (perTenant.get(le) ?? 0) + s.value);
    buckets.set(s.labels.tenant!, perTenant);
  }
  for (const [tenant, b] of buckets) {
    const p95 = histogramQuantile(0.95, [...b].map(([le, count]) => ({ le, count })));
    if (p95 > t.latencyP95Seconds) {
      out.push({ rule: rules.latency, tenant, summary: `Navan API p95 latency for tenant ${tenant} is ${p95.toFixed(2)} s over ${t.latencyWindowMinutes} min (threshold ${t.latencyP95Seconds} s).` });
    }
  }

  // (time() - last_success{stream="BOOKING"}) > 8d, and one threshold per stream
  const staleDays: Record<string, number> = { BOOKING: t.bookingStalenessDays, TRANSACTION: t.transactionStalenessDays, USER: t.userStalenessDays };
  for (const g of gauges) {
    if (g.name !== M.syncLastSuccess) continue;
    const days = staleDays[g.labels.stream!];
    const age = now / 1000 - g.value;
    if (days !== undefined && age > days * 86400) {
      out.push({ rule: rules.stale, tenant: g.labels.tenant!, stream: g.labels.stream, summary: `${g.labels.stream} for tenant ${g.labels.tenant} was last synced ${(age / 86400).toFixed(1)} days ago (threshold ${days} days).` });
    }
  }

  // sum by (tenant) (rate(requests[5m])) / max by (tenant) (budget_rps) > 0.8
  const sent = sumBy(h.increase(M.requests, now, latWindow), 'tenant');
  for (const g of gauges) {
    if (g.name !== M.budgetRps || !(g.value > 0)) continue;
    const ratio = (sent.get(g.labels.tenant!) ?? 0) / (latWindow / 1000) / g.value;
    if (ratio > t.rateLimitUtilisation) {
      out.push({ rule: rules.utilisation, tenant: g.labels.tenant!, summary: `Tenant ${g.labels.tenant} sent ${pct(ratio)} of its rate-limit budget (${g.value} req/s) over ${t.latencyWindowMinutes} min (threshold ${pct(t.rateLimitUtilisation)}).` });
    }
  }

  // increase(throttled[5m]) > 0 and increase(throttled[5m] offset 5m) > 0 and ... offset 10m
  const thWindow = t.throttleWindowMinutes * MIN;
  const perWindow = Array.from({ length: t.throttleWindows }, (_, k) => sumBy(h.increase(M.throttled, now - k * thWindow, thWindow), 'tenant'));
  for (const tenant of perWindow[0]!.keys()) {
    if (perWindow.every((w) => (w.get(tenant) ?? 0) > 0)) {
      out.push({ rule: rules.throttling, tenant, summary: `Navan answered 429 to tenant ${tenant} in each of the last ${t.throttleWindows} windows of ${t.throttleWindowMinutes} min.` });
    }
  }

  for (const g of gauges) {
    const tenant = g.labels.tenant!;
    const stream = g.labels.stream;
    // suspect == 1
    if (g.name === M.syncSuspect && g.value >= 1) {
      out.push({ rule: rules.suspect, tenant, stream, summary: `The full refresh of ${stream} for tenant ${tenant} would delete too many rows and was held as suspect; review it before accepting.` });
    }
    // consecutive_failures >= 2
    if (g.name === M.syncFailuresInARow && g.value >= t.syncFailuresInARow) {
      out.push({ rule: rules.syncFailing, tenant, stream, summary: `Sync of ${stream} for tenant ${tenant} failed ${g.value} times in a row.` });
    }
  }
  return out;
}
