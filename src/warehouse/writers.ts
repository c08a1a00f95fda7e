import type { Insertable, Kysely } from 'kysely';
import type {
  BookingCustomFieldTable, BookingEticketTable, BookingPassengerTable, BookingSegmentTable, BookingTable,
  NavanUserTable, TransactionTable, WarehouseDatabase,
} from './schema.js';

/** A booking with its child rows, as one unit: re-writing a booking replaces all its children. */
export interface BookingWrite {
  booking: BookingTable;
  passengers: BookingPassengerTable[];
  segments: BookingSegmentTable[];
  etickets: BookingEticketTable[];
  customFields: BookingCustomFieldTable[];
}

export interface TransactionWriteResult {
  /** Rows inserted or updated in `transaction`. */
  written: number;
  /** Versions never seen before, added to `transaction_history`. */
  newVersions: number;
}

type Db = Kysely<WarehouseDatabase>;

/**
 * SQLite allows 32766 bound parameters per statement and PostgreSQL 65535; a wide booking row has
 * about 80, so statements are chunked by parameter count rather than by rows.
 */
const MAX_PARAMS = 30_000;

function chunks<T extends object>(rows: T[]): T[][] {
  if (rows.length === 0) return [];
  const width = Object.keys(rows[0]!).length;
  const size = Math.max(1, Math.floor(MAX_PARAMS / width));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** PostgreSQL rejects an upsert that touches the same key twice in one statement: the last copy wins. */
function lastByKey<T>(rows: T[], key: (r: T) => string): T[] {
  const m = new Map<string, T>();
  for (const r of rows) m.set(key(r), r);
  return [...m.values()];
}

async function upsert<TB extends keyof WarehouseDatabase>(db: Db, table: TB, rows: Insertable<WarehouseDatabase[TB]>[], key: string[]): Promise<number> {
  let n = 0;
  for (const chunk of chunks(rows as object[])) {
    const updated = Object.keys(chunk[0]!).filter((c) => !key.includes(c));
    await (db as Kysely<any>)
      .insertInto(table as string)
      .values(chunk)
      .onConflict((oc: any) => oc.columns(key).doUpdateSet((eb: any) => Object.fromEntries(updated.map((c) => [c, eb.ref(`excluded.${c}`)]))))
      .execute();
    n += chunk.length;
  }
  return n;
}

async function insertAll(db: Db, table: keyof WarehouseDatabase, rows: object[]): Promise<void> {
  for (const chunk of chunks(rows)) await (db as Kysely<any>).insertInto(table).values(chunk).execute();
}

/** Upserts bookings and replaces their child rows. Returns the number of bookings written. */
export async function upsertBookings(db: Db, writes: BookingWrite[]): Promise<number> {
  const unique = lastByKey(writes, (w) => `${w.booking._tenant}\u0000${w.booking.uuid}`);
  if (unique.length === 0) return 0;
  const n = await upsert(db, 'booking', unique.map((w) => w.booking), ['_tenant', 'uuid']);
  const byTenant = new Map<string, string[]>();
  for (const w of unique) {
    const list = byTenant.get(w.booking._tenant) ?? [];
    list.push(w.booking.uuid);
    byTenant.set(w.booking._tenant, list);
  }
  const children = ['booking_passenger', 'booking_segment', 'booking_eticket', 'booking_custom_field'] as const;
  for (const table of children) {
    for (const [tenant, uuids] of byTenant) {
      for (let i = 0; i < uuids.length; i += 10_000) {
        await db.deleteFrom(table).where('_tenant', '=', tenant).where('booking_uuid', 'in', uuids.slice(i, i + 10_000)).execute();
      }
    }
  }
  // Children always follow their parent's key, so they can never be orphaned under another tenant.
  const own = <C extends { _tenant: string; booking_uuid: string }>(w: BookingWrite, rows: C[]) => {
    for (const r of rows) {
      r._tenant = w.booking._tenant;
      r.booking_uuid = w.booking.uuid;
    }
    return rows;
  };
  await insertAll(db, 'booking_passenger', unique.flatMap((w) => own(w, w.passengers)));
  await insertAll(db, 'booking_segment', unique.flatMap((w) => own(w, w.segments)));
  await insertAll(db, 'booking_eticket', unique.flatMap((w) => own(w, w.etickets)));
  await insertAll(db, 'booking_custom_field', unique.flatMap((w) => own(w, w.customFields)));
  return n;
}

/**
 * Upserts transactions, and adds each version not seen before to `transaction_history` (keyed by
 * the record's hash, so re-reading an unchanged row adds nothing).
 */
export async function upsertTransactions(db: Db, rows: TransactionTable[]): Promise<TransactionWriteResult> {
  const unique = lastByKey(rows, (r) => `${r._tenant}\u0000${r.id}`);
  if (unique.length === 0) return { written: 0, newVersions: 0 };
  const written = await upsert(db, 'transaction', unique, ['_tenant', 'id']);
  let newVersions = 0;
  const history = lastByKey(
    rows.map((r) => ({ _tenant: r._tenant, id: r.id, _version_hash: r._version_hash, modified_timestamp: r.modified_timestamp, _seen_at: r._synced_at, _raw: r._raw })),
    (h) => `${h._tenant}\u0000${h.id}\u0000${h._version_hash}`,
  );
  for (const chunk of chunks(history)) {
    const res = await db
      .insertInto('transaction_history')
      .values(chunk)
      .onConflict((oc) => oc.columns(['_tenant', 'id', '_version_hash']).doNothing())
      .executeTakeFirst();
    newVersions += Number(res.numInsertedOrUpdatedRows ?? 0n);
  }
  return { written, newVersions };
}

export async function upsertUsers(db: Db, rows: NavanUserTable[]): Promise<number> {
  return upsert(db, 'navan_user', lastByKey(rows, (r) => `${r._tenant}\u0000${r.id}`), ['_tenant', 'id']);
}

export type RefreshedTable = 'booking' | 'navan_user';

/** Live (not deleted) rows of a tenant, and how many of them were last written before `since`. */
export async function countUnseen(db: Db, table: RefreshedTable, tenant: string, since: string): Promise<{ live: number; unseen: number }> {
  const row = await (db as Kysely<any>)
    .selectFrom(table)
    .select((eb: any) => [
      eb.fn.countAll().as('live'),
      eb.fn.sum(eb.case().when('_synced_at', '<', since).then(1).else(0).end()).as('unseen'),
    ])
    .where('_tenant', '=', tenant)
    .where('_deleted', '=', 0)
    .executeTakeFirst();
  return { live: Number(row?.live ?? 0), unseen: Number(row?.unseen ?? 0) };
}

/**
 * After a complete full refresh that started at `since`, every live row not written since then was
 * not returned by Navan: it is marked deleted (kept, never removed). Returns how many.
 */
export async function markUnseenDeleted(db: Db, table: RefreshedTable, tenant: string, since: string, at: string): Promise<number> {
  const res = await (db as Kysely<any>)
    .updateTable(table)
    .set({ _deleted: 1, _synced_at: at })
    .where('_tenant', '=', tenant)
    .where('_deleted', '=', 0)
    .where('_synced_at', '<', since)
    .executeTakeFirst();
  return Number(res.numUpdatedRows ?? 0n);
}

/** The latest sync time of a table for a tenant; a new full refresh starts strictly after it. */
export async function latestSyncedAt(db: Db, table: RefreshedTable, tenant: string): Promise<string | undefined> {
  const row = await (db as Kysely<any>).selectFrom(table).select((eb: any) => eb.fn.max('_synced_at').as('m')).where('_tenant', '=', tenant).executeTakeFirst();
  return ((row as { m?: string | null } | undefined)?.m ?? undefined) || undefined;
}

/**
 * Marks rows as seen by a refresh without changing their data: a record that failed validation
 * still exists at Navan, so the refresh must not infer that it was deleted.
 */
export async function touchRows(db: Db, table: RefreshedTable, tenant: string, ids: string[], at: string): Promise<void> {
  const key = table === 'booking' ? 'uuid' : 'id';
  for (let i = 0; i < ids.length; i += 10_000) {
    await (db as Kysely<any>).updateTable(table).set({ _synced_at: at }).where('_tenant', '=', tenant).where(key, 'in', ids.slice(i, i + 10_000)).execute();
  }
}
