import type { Kysely } from 'kysely';
import type { WarehouseDatabase } from '../warehouse/index.js';

/**
 * The bookkeeping of runs: checkpoints (where a run resumes), the range ledger (which windows of a
 * stream are covered) and the run history. Every function takes the `db` to use, so a page's
 * records and its checkpoint commit in one transaction.
 */
type Db = Kysely<WarehouseDatabase>;

export interface Range {
  from: string;
  to: string;
}

/** Adds a covered range, merging it with every range it overlaps or touches, so the ledger stays one row per contiguous stretch. */
export async function recordRange(db: Db, tenant: string, stream: string, range: Range, runId: string, at: string): Promise<void> {
  if (range.from >= range.to) return;
  const touching = await db
    .selectFrom('sync_range')
    .select(['range_start', 'range_end'])
    .where('_tenant', '=', tenant)
    .where('stream', '=', stream)
    .where('range_start', '<=', range.to)
    .where('range_end', '>=', range.from)
    .execute();
  let from = range.from;
  let to = range.to;
  for (const r of touching) {
    if (r.range_start < from) from = r.range_start;
    if (r.range_end > to) to = r.range_end;
  }
  if (touching.length) {
    await db
      .deleteFrom('sync_range')
      .where('_tenant', '=', tenant)
      .where('stream', '=', stream)
      .where('range_start', 'in', touching.map((r) => r.range_start))
      .execute();
  }
  await db.insertInto('sync_range').values({ _tenant: tenant, stream, range_start: from, range_end: to, run_id: runId, covered_at: at }).execute();
}

export async function coveredRanges(db: Db, tenant: string, stream: string): Promise<(Range & { coveredAt: string; runId: string })[]> {
  const rows = await db.selectFrom('sync_range').selectAll().where('_tenant', '=', tenant).where('stream', '=', stream).orderBy('range_start').execute();
  return rows.map((r) => ({ from: r.range_start, to: r.range_end, coveredAt: r.covered_at, runId: r.run_id }));
}

/** The parts of [from, to) that no covered range contains. `covered` must be sorted and disjoint. */
export function gaps(covered: Range[], from: string, to: string): Range[] {
  const out: Range[] = [];
  let cursor = from;
  for (const r of covered) {
    if (r.to <= cursor) continue;
    if (r.from >= to) break;
    if (r.from > cursor) out.push({ from: cursor, to: r.from < to ? r.from : to });
    if (r.to > cursor) cursor = r.to;
    if (cursor >= to) break;
  }
  if (cursor < to) out.push({ from: cursor, to });
  return out;
}

/** Sorts and merges overlapping or touching ranges. */
export function mergeRanges(ranges: Range[]): Range[] {
  const sorted = ranges.filter((r) => r.from < r.to).sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to) {
      if (r.to > last.to) last.to = r.to;
    } else out.push({ ...r });
  }
  return out;
}

export async function loadCheckpoint<S>(db: Db, tenant: string, stream: string, mode: string): Promise<{ runId: string; state: S } | undefined> {
  const row = await db.selectFrom('sync_checkpoint').select(['run_id', 'state']).where('_tenant', '=', tenant).where('stream', '=', stream).where('mode', '=', mode).executeTakeFirst();
  return row ? { runId: row.run_id, state: JSON.parse(row.state) as S } : undefined;
}

export async function saveCheckpoint(db: Db, tenant: string, stream: string, mode: string, runId: string, state: unknown, at: string): Promise<void> {
  await db
    .insertInto('sync_checkpoint')
    .values({ _tenant: tenant, stream, mode, run_id: runId, state: JSON.stringify(state), updated_at: at })
    .onConflict((oc) => oc.columns(['_tenant', 'stream', 'mode']).doUpdateSet({ run_id: runId, state: JSON.stringify(state), updated_at: at }))
    .execute();
}

export async function clearCheckpoint(db: Db, tenant: string, stream: string, mode: string): Promise<void> {
  await db.deleteFrom('sync_checkpoint').where('_tenant', '=', tenant).where('stream', '=', stream).where('mode', '=', mode).execute();
}

export interface RunCounters {
  read: number;
  written: number;
  quarantined: number;
  deleted: number;
  pages: number;
  /** Quarantined records with no usable id (they block delete inference). */
  unidentified?: number;
}

export async function startRun(db: Db, run: { id: string; tenant: string; stream: string; mode: string; at: string }): Promise<void> {
  await db
    .insertInto('sync_run')
    .values({
      id: run.id, _tenant: run.tenant, stream: run.stream, mode: run.mode, status: 'running', started_at: run.at, finished_at: null,
      records_read: 0, records_written: 0, records_quarantined: 0, records_deleted: 0, pages: 0, error: null, details: null,
    })
    // A resumed run keeps its id and start, and is running again.
    .onConflict((oc) => oc.column('id').doUpdateSet({ status: 'running', finished_at: null, error: null }))
    .execute();
}

export async function updateRun(
  db: Db,
  id: string,
  counters: RunCounters,
  end?: { status: 'success' | 'failure' | 'suspect' | 'interrupted'; at: string; error?: string; details?: unknown },
): Promise<void> {
  await db
    .updateTable('sync_run')
    .set({
      records_read: counters.read,
      records_written: counters.written,
      records_quarantined: counters.quarantined,
      records_deleted: counters.deleted,
      pages: counters.pages,
      ...(end ? { status: end.status, finished_at: end.at, error: end.error ?? null, details: end.details === undefined ? null : JSON.stringify(end.details) } : {}),
    })
    .where('id', '=', id)
    .execute();
}

export async function quarantine(db: Db, rows: { tenant: string; stream: string; recordId?: string; reason: string; raw: unknown; runId: string; at: string }[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('quarantine')
    .values(rows.map((r) => ({ _tenant: r.tenant, stream: r.stream, record_id: r.recordId ?? null, reason: r.reason, _raw: safeJson(r.raw), run_id: r.runId, quarantined_at: r.at })))
    .execute();
}

function safeJson(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? 'null';
  } catch {
    return String(v);
  }
}
