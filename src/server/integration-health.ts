import type { Registry } from 'prom-client';
import type { TokenService } from '../auth/index.js';
import type { Gateway } from '../gateway/index.js';
import { METRIC_NAMES, histogramQuantile, type AlertEvaluator } from '../monitor/index.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { StreamStatus } from '../sync/index.js';
import type { Warehouse } from '../warehouse/index.js';

/** One stream's sync state as /sync/status and /health show it. */
export interface StreamSyncStatus {
  stream: string;
  lastRun: { id: string; mode: string; status: string; startedAt: string; finishedAt: string | null; read: number; written: number; quarantined: number; error?: string } | null;
  lastSuccessAt: string | null;
  stalenessSeconds: number | null;
  ranges: { from: string; to: string }[];
  /** Holes in the covered ranges, caught up by the next runs. */
  gaps: { from: string; to: string }[];
}

export interface RecentRun {
  id: string;
  stream: string;
  mode: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  read: number;
  written: number;
  error?: string;
}

/** Each layer's state for one tenant. A layer this process does not run is null, never invented. */
export interface IntegrationHealth {
  tenant: string;
  generatedAt: string;
  token: { cached: boolean; store: string; expiresAt?: string; refreshAt?: string } | null;
  breaker: { state: 'closed' | 'open' | 'half-open'; consecutiveFailures?: number; retryInMs?: number } | null;
  budget: {
    limitRps: number;
    targetRps: number;
    sentRps?: number;
    utilisation: number | null;
    queueLength: number;
    waitMsP95?: number;
    throttled429Total: number | null;
  } | null;
  streams: StreamSyncStatus[] | null;
  recentRuns: RecentRun[];
  alerts: { name: string; severity: string; state: 'firing' | 'pending'; since: string; summary: string }[] | null;
}

export interface IntegrationHealthDeps {
  warehouse: Pick<Warehouse, 'db'>;
  tokens?: Pick<TokenService, 'status'>;
  gatewayFor?: (tenant: string) => Pick<Gateway, 'breaker' | 'limiter'>;
  syncStatus?: (tenant: string) => Promise<StreamStatus[]>;
  alerts?: Pick<AlertEvaluator, 'firing'>;
  /** The monitor's registry (createMetrics(...).registry), for utilisation, 429s and queue wait. */
  metrics?: { registry: Registry };
  clock?: Clock;
}

/** Runs one probe; a layer that fails to answer shows as null rather than failing the whole report. */
async function probe<T>(fn: (() => Promise<T> | T) | undefined): Promise<T | null> {
  if (!fn) return null;
  try {
    return await fn();
  } catch {
    return null;
  }
}

/** The sync engine's status, with each last run's record counts from the warehouse. */
export async function streamStatuses(warehouse: Pick<Warehouse, 'db'>, status: StreamStatus[], tenant: string): Promise<StreamSyncStatus[]> {
  const ids = status.map((s) => s.lastRun?.id).filter((id): id is string => !!id);
  const runs = ids.length
    ? await warehouse.db.selectFrom('sync_run').select(['id', 'records_read', 'records_written', 'records_quarantined']).where('_tenant', '=', tenant).where('id', 'in', ids).execute()
    : [];
  const counts = new Map(runs.map((r) => [r.id, r]));
  return status.map((s) => {
    const c = s.lastRun ? counts.get(s.lastRun.id) : undefined;
    return {
      stream: s.stream,
      lastRun: s.lastRun
        ? {
          id: s.lastRun.id, mode: s.lastRun.mode, status: s.lastRun.status, startedAt: s.lastRun.startedAt, finishedAt: s.lastRun.finishedAt,
          read: Number(c?.records_read ?? 0), written: Number(c?.records_written ?? 0), quarantined: Number(c?.records_quarantined ?? 0),
          ...(s.lastRun.error ? { error: s.lastRun.error } : {}),
        }
        : null,
      lastSuccessAt: s.lastSuccessAt ?? null,
      stalenessSeconds: s.stalenessMs === null ? null : Math.round(s.stalenessMs / 1000),
      ranges: s.coveredRanges.map(({ from, to }) => ({ from, to })),
      gaps: s.gaps.map(({ from, to }) => ({ from, to })),
    };
  });
}

async function metricValues(registry: Registry, name: string): Promise<{ labels: Record<string, string | number>; value: number; metricName?: string }[]> {
  const metric = registry.getSingleMetric(name);
  return metric ? ((await metric.get()).values as { labels: Record<string, string | number>; value: number; metricName?: string }[]) : [];
}

async function budgetMetrics(registry: Registry, tenant: string) {
  const mine = <T extends { labels: Record<string, string | number> }>(values: T[]) => values.filter((v) => v.labels.tenant === tenant);
  const utilisation = mine(await metricValues(registry, METRIC_NAMES.utilisation))[0]?.value;
  const throttled = mine(await metricValues(registry, METRIC_NAMES.throttled)).reduce((s, v) => s + v.value, 0);
  const buckets = mine(await metricValues(registry, METRIC_NAMES.queueWait))
    .filter((v) => v.metricName?.endsWith('_bucket'))
    .map((v) => ({ le: v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), count: v.value }));
  const p95 = histogramQuantile(0.95, buckets);
  return { utilisation: utilisation ?? null, throttled429Total: throttled, ...(Number.isFinite(p95) ? { waitMsP95: Math.round(p95 * 1000) } : {}) };
}

/**
 * Builds the integration-health report of a tenant from whatever layers this process runs. Wire
 * it as `buildServer({ integrationHealth: collectIntegrationHealth({ warehouse, tokens, gatewayFor,
 * syncStatus, alerts, metrics }) })`.
 */
export function collectIntegrationHealth(deps: IntegrationHealthDeps): (tenant: string) => Promise<IntegrationHealth> {
  const clock = deps.clock ?? systemClock;
  return async (tenant) => {
    const gateway = deps.gatewayFor ? await probe(() => deps.gatewayFor!(tenant)) : null;
    const [token, streams, runs, metrics] = await Promise.all([
      probe(deps.tokens && (async () => (await deps.tokens!.status(tenant))[0])),
      probe(deps.syncStatus && (async () => streamStatuses(deps.warehouse, await deps.syncStatus!(tenant), tenant))),
      probe(() => deps.warehouse.db.selectFrom('sync_run').selectAll().where('_tenant', '=', tenant).orderBy('started_at', 'desc').orderBy('id', 'desc').limit(20).execute()),
      probe(deps.metrics && (() => budgetMetrics(deps.metrics!.registry, tenant))),
    ]);
    const breaker = gateway ? await probe(() => gateway.breaker()) : null;
    const limiter = gateway ? await probe(() => gateway.limiter()) : null;
    const firing = deps.alerts ? await probe(() => deps.alerts!.firing().filter((a) => a.tenant === tenant)) : null;
    return {
      tenant,
      generatedAt: new Date(clock.now()).toISOString(),
      token: token ? { cached: token.cached, store: token.store, ...(token.expiresAt ? { expiresAt: token.expiresAt } : {}), ...(token.refreshAt ? { refreshAt: token.refreshAt } : {}) } : null,
      breaker: breaker ? { state: breaker.state, ...(breaker.retryInMs !== undefined ? { retryInMs: breaker.retryInMs } : {}) } : null,
      budget: limiter
        ? {
          limitRps: limiter.limitRps, targetRps: limiter.budgetRps, queueLength: limiter.queueLength,
          utilisation: metrics?.utilisation ?? null, throttled429Total: metrics ? metrics.throttled429Total : null,
          ...(metrics?.waitMsP95 !== undefined ? { waitMsP95: metrics.waitMsP95 } : {}),
        }
        : null,
      streams,
      recentRuns: (runs ?? []).map((r) => ({
        id: r.id, stream: r.stream, mode: r.mode, status: r.status, startedAt: r.started_at, finishedAt: r.finished_at,
        read: Number(r.records_read), written: Number(r.records_written), ...(r.error ? { error: r.error } : {}),
      })),
      alerts: firing ? firing.map((a) => ({ name: a.name, severity: a.severity, state: 'firing' as const, since: new Date(a.since).toISOString(), summary: a.summary })) : null,
    };
  };
}
