import { sql } from 'kysely';
import type { Warehouse } from '../../src/warehouse/index.js';
import type { SimStats } from '../helpers/sim.js';
import { diffAgainstTruth } from '../sync/sim-support.js';
import type { ChaosSim, TenantId } from './stack.js';

export interface TenantVerdict {
  tenant: TenantId;
  truthBookings: number;
  truthTransactions: number;
  truthUsers: number;
  /** Lines where the warehouse differs from the simulator's ground truth, quarantined records excepted. */
  differences: string[];
  /** Records missing from the warehouse because they are in quarantine (excepted above). */
  quarantinedMissing: number;
  /** Rows ever quarantined for the tenant (malformed records seen during the run). */
  quarantineRows: number;
  duplicateRows: number;
  /** 429s the simulator's own limiter answered: each one is a request above its limit. */
  overLimit: number;
  injected429: number;
  tokenRequests: number;
  expectedTokenRequests: number;
  requests: number;
  resets: number;
  status5xx: number;
}

/** Requests and statuses from the simulator's stats, API calls only (the token endpoint apart). */
export function tally(stats: SimStats): { requests: number; by: Record<string, number> } {
  const by: Record<string, number> = {};
  let requests = 0;
  for (const [endpoint, statuses] of Object.entries(stats.requests)) {
    if (endpoint.includes('/ta-auth/')) continue;
    for (const [status, n] of Object.entries(statuses)) {
      by[status] = (by[status] ?? 0) + n;
      requests += n;
    }
  }
  return { requests, by };
}

/** Rows whose key appears more than once, in every table a sync writes (keys are per tenant). */
async function duplicateRows(wh: Warehouse, tenant: string): Promise<number> {
  const keyed: [string, string][] = [
    ['booking', 'uuid'], ['transaction', 'id'], ['navan_user', 'id'],
    ['booking_passenger', 'booking_uuid, idx'], ['booking_segment', 'booking_uuid, idx'], ['booking_eticket', 'booking_uuid, idx'],
  ];
  let total = 0;
  for (const [table, key] of keyed) {
    const r = await sql<{ n: string }>`select coalesce(sum(c - 1), 0) as n from (select count(*) as c from ${sql.table(table)} where _tenant = ${tenant} group by ${sql.raw(key)} having count(*) > 1) d`.execute(wh.db);
    total += Number(r.rows[0]?.n ?? 0);
  }
  return total;
}

export async function verifyTenant(wh: Warehouse, tenant: TenantId, sim: ChaosSim, expect: { injected429: number; expectedTokenRequests: number }): Promise<TenantVerdict> {
  const [bookings, transactions, users] = await Promise.all([sim.control.truth('bookings'), sim.control.truth('transactions'), sim.control.truth('users')]);
  const quarantined = await wh.db.selectFrom('quarantine').select(['record_id', 'stream']).where('_tenant', '=', tenant).execute();
  const raw = await diffAgainstTruth(wh, sim.control, tenant);
  const { differences, excepted } = exceptQuarantined(raw, quarantined, new Set([...bookings.map((b: { uuid: string }) => b.uuid), ...transactions.map((x: { id: string }) => String(x.id))]));
  const stats = await sim.control.stats();
  const t = tally(stats);
  return {
    tenant,
    truthBookings: bookings.length,
    truthTransactions: transactions.length,
    truthUsers: users.length,
    differences,
    quarantinedMissing: excepted,
    quarantineRows: quarantined.length,
    duplicateRows: await duplicateRows(wh, tenant),
    overLimit: (t.by['429'] ?? 0) - expect.injected429,
    injected429: expect.injected429,
    tokenRequests: stats.tokensIssued,
    expectedTokenRequests: expect.expectedTokenRequests,
    requests: t.requests,
    resets: t.by.reset ?? 0,
    status5xx: Object.entries(t.by).filter(([s]) => s.startsWith('5')).reduce((a, [, n]) => a + n, 0),
  };
}

/**
 * Records missing from the warehouse that quarantine explains. A quarantined record whose id is
 * intact explains its own absence; one whose id was corrupted (missing or mistyped, so it cannot be
 * matched) explains at most one missing record of its stream. Anything beyond that is a difference.
 */
export function exceptQuarantined(diff: string[], quarantined: { record_id: string | null; stream: string }[], truthIds: Set<string>): { differences: string[]; excepted: number } {
  const byId = new Set(quarantined.map((q) => q.record_id).filter((id): id is string => id !== null && truthIds.has(id)));
  const unidentified = new Map<string, number>();
  for (const q of quarantined) if (q.record_id === null || !truthIds.has(q.record_id)) unidentified.set(q.stream, (unidentified.get(q.stream) ?? 0) + 1);
  const differences: string[] = [];
  let excepted = 0;
  for (const line of diff) {
    const m = /^(booking|transaction) (\S+): missing$/.exec(line);
    if (!m) {
      differences.push(line);
      continue;
    }
    const stream = m[1] === 'booking' ? 'bookings' : 'transactions';
    if (byId.has(m[2]!)) excepted++;
    else if ((unidentified.get(stream) ?? 0) > 0) {
      unidentified.set(stream, unidentified.get(stream)! - 1);
      excepted++;
    } else differences.push(line);
  }
  return { differences, excepted };
}

/** One plain-text table: a row per tenant, a column per check. */
export function summaryTable(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return '(no rows)';
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`;
  return [line(cols), `|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map((r) => line(cols.map((c) => String(r[c]))))].join('\n');
}
