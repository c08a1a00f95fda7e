import type { Kysely } from 'kysely';
import type { WarehouseDatabase } from '../warehouse/index.js';

/**
 * The last successful run per tenant and stream, from the warehouse's sync_run history: what
 * `Metrics.restoreLastSuccess` needs at start-up so that a restart does not reset staleness.
 */
export async function loadLastSuccess(db: Kysely<WarehouseDatabase>): Promise<{ tenant: string; stream: string; finishedAt: number }[]> {
  const rows = await db
    .selectFrom('sync_run')
    .select(['_tenant', 'stream', (eb) => eb.fn.max('finished_at').as('finished_at')])
    .where('status', '=', 'success')
    .where('finished_at', 'is not', null)
    .groupBy(['_tenant', 'stream'])
    .execute();
  // PostgreSQL may hand back a Date where SQLite gives ISO text.
  const toMs = (v: unknown) => (v instanceof Date ? v.getTime() : Date.parse(String(v)));
  return rows.filter((r) => r.finished_at).map((r) => ({ tenant: r._tenant, stream: r.stream, finishedAt: toMs(r.finished_at) }));
}
