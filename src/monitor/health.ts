import { request } from 'undici';
import type { Metrics } from './metrics.js';
import type { AlertState } from './evaluator.js';
import { readSamples, type Sample } from './history.js';
import { M } from './names.js';

/** Each layer's state as the monitor sees it, for `navan-bridge health` and the health page. */
export interface HealthReport {
  tokens: { tenant: string; expiresInSeconds: number }[];
  breakers: { tenant: string; host: string; state: 'closed' | 'half-open' | 'open' }[];
  budgets: { tenant: string; limitRps?: number; budgetRps?: number; utilisation?: number; queueLength?: number }[];
  syncs: { tenant: string; stream: string; lastSuccessAt?: number; failuresInARow: number }[];
  firing: Pick<AlertState, 'name' | 'tenant' | 'stream' | 'route' | 'severity' | 'summary'>[];
}

const BREAKER_NAMES = ['closed', 'half-open', 'open'] as const;

/** Builds the report from metric samples, whether read from a live registry or parsed from /metrics. */
export function healthFromSamples(samples: Sample[], firing?: AlertState[]): HealthReport {
  const of = (name: string) => samples.filter((s) => s.name === name);
  const budgets = new Map<string, HealthReport['budgets'][number]>();
  const budget = (tenant: string) => budgets.get(tenant) ?? budgets.set(tenant, { tenant }).get(tenant)!;
  for (const s of of(M.limitRps)) budget(s.labels.tenant!).limitRps = s.value;
  for (const s of of(M.budgetRps)) budget(s.labels.tenant!).budgetRps = s.value;
  for (const s of of(M.utilisation)) budget(s.labels.tenant!).utilisation = s.value;
  for (const s of of(M.queueLength)) budget(s.labels.tenant!).queueLength = s.value;
  const syncs = new Map<string, HealthReport['syncs'][number]>();
  const sync = (tenant: string, stream: string) => syncs.get(`${tenant} ${stream}`) ?? syncs.set(`${tenant} ${stream}`, { tenant, stream, failuresInARow: 0 }).get(`${tenant} ${stream}`)!;
  for (const s of of(M.syncLastSuccess)) sync(s.labels.tenant!, s.labels.stream!).lastSuccessAt = s.value * 1000;
  for (const s of of(M.syncFailuresInARow)) sync(s.labels.tenant!, s.labels.stream!).failuresInARow = s.value;
  return {
    tokens: of(M.tokenExpiry).map((s) => ({ tenant: s.labels.tenant!, expiresInSeconds: s.value })),
    breakers: of(M.breaker).map((s) => ({ tenant: s.labels.tenant!, host: s.labels.host!, state: BREAKER_NAMES[s.value] ?? 'open' })),
    budgets: [...budgets.values()],
    syncs: [...syncs.values()],
    firing: firing
      ? firing.map(({ name, tenant, stream, route, severity, summary }) => ({ name, tenant, stream, route, severity, summary }))
      : of(M.alertFiring)
          .filter((s) => s.value >= 1)
          .map((s) => ({ name: s.labels.alertname!, tenant: s.labels.tenant!, stream: s.labels.stream || undefined, route: s.labels.route as 'pagerduty' | 'slack', severity: s.labels.severity!, summary: '' })),
  };
}

export async function healthFromMetrics(metrics: Metrics, firing?: AlertState[]): Promise<HealthReport> {
  const names = [M.tokenExpiry, M.breaker, M.limitRps, M.budgetRps, M.utilisation, M.queueLength, M.syncLastSuccess, M.syncFailuresInARow, M.alertFiring];
  return healthFromSamples(await readSamples(metrics.registry, names), firing);
}

/** Parses Prometheus text exposition (what a running instance serves at /metrics) into samples. */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const raw of text.split('\n')) {
    const m = line.exec(raw);
    if (!m || raw.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(label)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Plain text for a terminal, one line per item; `now` in epoch ms. */
export function formatHealth(report: HealthReport, now: number): string {
  const lines: string[] = [];
  const age = (ms: number) => (ms >= 86_400_000 ? `${(ms / 86_400_000).toFixed(1)} d` : ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : `${Math.round(ms / 60_000)} min`);
  lines.push('tokens:');
  if (!report.tokens.length) lines.push('  (no token seen yet)');
  for (const t of report.tokens) lines.push(`  ${t.tenant}: ${t.expiresInSeconds > 0 ? `expires in ${age(t.expiresInSeconds * 1000)}` : 'EXPIRED'}`);
  lines.push('breakers:');
  if (!report.breakers.length) lines.push('  (no call made yet)');
  for (const b of report.breakers) lines.push(`  ${b.tenant} ${b.host}: ${b.state}`);
  lines.push('rate-limit budget:');
  if (!report.budgets.length) lines.push('  (no estimate yet)');
  for (const b of report.budgets) {
    const parts = [b.limitRps !== undefined && `limit ${b.limitRps} req/s`, b.budgetRps !== undefined && `budget ${b.budgetRps} req/s`, b.utilisation !== undefined && `utilisation ${(b.utilisation * 100).toFixed(0)}%`, b.queueLength !== undefined && `queue ${b.queueLength}`].filter(Boolean);
    lines.push(`  ${b.tenant}: ${parts.join(', ')}`);
  }
  lines.push('last successful sync:');
  if (!report.syncs.length) lines.push('  (none recorded)');
  for (const s of report.syncs) {
    const when = s.lastSuccessAt ? `${new Date(s.lastSuccessAt).toISOString()} (${age(now - s.lastSuccessAt)} ago)` : 'never';
    lines.push(`  ${s.tenant} ${s.stream}: ${when}${s.failuresInARow ? `, ${s.failuresInARow} failure(s) in a row since` : ''}`);
  }
  lines.push(`firing alerts: ${report.firing.length || 'none'}`);
  for (const a of report.firing) lines.push(`  [${a.severity}] ${a.name} ${a.tenant}${a.stream ? ` ${a.stream}` : ''} → ${a.route}${a.summary ? `: ${a.summary}` : ''}`);
  return lines.join('\n');
}

/** The report of a running instance, from the /metrics it serves; undefined when none answers. */
export async function healthFromUrl(baseUrl: string, timeoutMs = 2000): Promise<HealthReport | undefined> {
  try {
    const res = await request(new URL('/metrics', baseUrl), { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    const text = await res.body.text();
    return res.statusCode === 200 ? healthFromSamples(parseExposition(text)) : undefined;
  } catch {
    return undefined;
  }
}
