import { randomBytes } from 'node:crypto';
import { Decimal } from 'decimal.js';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createKeyStore } from '../../src/server/index.js';
import { openWarehouse, type BookingWrite, type NavanUserTable, type TransactionTable, type Warehouse } from '../../src/warehouse/index.js';

export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const SYNCED_AT = '2026-01-10T08:00:00.000Z';
export const TYPES = ['FLIGHT', 'HOTEL', 'CAR', 'RAIL'];

/** A config with the two fixture tenants; the proxy/sync tests build their own against the simulator. */
export function testConfig(overrides: Record<string, unknown> = {}): Config {
  return loadConfig({
    env: {},
    cwd: '/nonexistent',
    overrides: {
      tenants: ['acme', 'beta'].map((id) => ({ id, baseUrl: 'http://127.0.0.1:9', clientId: `${id}-client`, clientSecret: '0123456789abcdef0123456789abcdef', startDate: '2025-01-01' })),
      ...overrides,
    },
  });
}

export async function openTestWarehouse(backend: 'sqlite' | 'postgres'): Promise<Warehouse & { drop(): Promise<void> }> {
  const schema = `srv_${randomBytes(4).toString('hex')}`;
  const wh = backend === 'sqlite' ? await openWarehouse({ databaseUrl: 'sqlite::memory:' }) : await openWarehouse({ databaseUrl: PG_URL, pgSchema: schema });
  await wh.migrate();
  return Object.assign(wh, {
    async drop() {
      await wh.close();
      if (backend !== 'postgres') return;
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists "${schema}" cascade`);
      await c.end();
    },
  });
}

const pad = (n: number, w = 4) => String(n).padStart(w, '0');

/**
 * Booking i of a tenant. Every identifier and name carries the tenant, so a response leaking
 * another tenant's row is visible by text alone. Amounts have cents that floats get wrong.
 */
export function booking(tenant: string, i: number): BookingWrite {
  const meta = { _tenant: tenant, _synced_at: SYNCED_AT, _raw: JSON.stringify({ uuid: `${tenant}-b${pad(i)}` }) };
  const uuid = `${tenant}-b${pad(i)}`;
  const day = 1 + (i % 28);
  const month = 1 + (i % 6);
  const b = {
    ...meta,
    _deleted: i % 17 === 16 ? 1 : 0,
    uuid,
    booking_type: TYPES[i % 4],
    booking_status: i % 5 === 0 ? 'CANCELED' : 'TICKETED',
    // Distinct creation times, some equal to exercise the uuid tie-breaker; one booking has none.
    created: i === 7 ? null : `2025-12-${pad(1 + (i % 20), 2)}T10:${pad(i % 3, 2)}:00.000Z`,
    start_date: `2026-${pad(month, 2)}-${pad(day, 2)}`,
    end_date: `2026-${pad(month, 2)}-${pad(Math.min(28, day + 2), 2)}`,
    vendor: `${tenant} Vendor ${i % 3}`,
    traveler_name: `${tenant} Traveler ${i % 5}`,
    traveler_email: `t${i % 5}@${tenant}.test`,
    department: `${tenant}-${i % 2 ? 'Sales' : 'Engineering'}`,
    cost_center: `${tenant}-CC${i % 3}`,
    origin_city: `${tenant}-Origin${i % 2}`,
    destination_city: `${tenant}-City${i % 4}`,
    currency: i % 3 === 0 ? 'EUR' : 'USD',
    grand_total: `${10 + (i % 7)}.1${i % 10}`,
    usd_grand_total: `${10 + (i % 7)}.1${i % 10}`,
    out_of_policy: (i % 4 === 1 ? 1 : 0) as 0 | 1,
    carbon_emissions: `${i % 9}.5`,
    trip_uuids: JSON.stringify([`${tenant}-trip${pad(Math.floor(i / 3), 3)}`]),
  };
  const child = { _tenant: tenant, booking_uuid: uuid, _synced_at: SYNCED_AT, _raw: '{}' };
  return {
    booking: b as unknown as BookingWrite['booking'],
    passengers: [{ ...child, idx: 0, name: b.traveler_name, email: b.traveler_email, department: b.department } as unknown as BookingWrite['passengers'][number]],
    segments: [{ ...child, idx: 0, departure_city: b.origin_city, arrival_city: b.destination_city } as unknown as BookingWrite['segments'][number]],
    etickets: [{ ...child, idx: 0, eticket: `${tenant}-TKT${i}` } as unknown as BookingWrite['etickets'][number]],
    customFields: [{ ...child, idx: 0, name: 'project', value: `${tenant}-P${i % 2}` } as unknown as BookingWrite['customFields'][number]],
  };
}

export function transaction(tenant: string, i: number, version = 0): TransactionTable {
  return {
    _tenant: tenant, _synced_at: SYNCED_AT, _deleted: i % 11 === 10 ? 1 : 0, _raw: JSON.stringify({ id: `${tenant}-t${pad(i)}`, version }),
    id: `${tenant}-t${pad(i)}`, transaction_type: i % 2 ? 'CARD_TRANSACTION' : 'REPAYMENT',
    transaction_date: `2025-11-${pad(1 + (i % 28), 2)}T12:00:00.000Z`, modified_timestamp: `2025-12-0${1 + version}T00:00:00.000Z`,
    posted_amount: `${i}.33`, posted_currency: i % 3 === 0 ? 'EUR' : 'USD', cardholder_email: `c${i % 3}@${tenant}.test`,
    department: `${tenant}-${i % 2 ? 'Sales' : 'Engineering'}`, flagged: 0, personal: 0, _version_hash: `${tenant}-h${i}-${version}`,
  } as unknown as TransactionTable;
}

export function user(tenant: string, i: number): NavanUserTable {
  return {
    _tenant: tenant, _synced_at: SYNCED_AT, _deleted: 0, _raw: '{}', id: `${tenant}-u${pad(i)}`, email: `u${i}@${tenant}.test`,
    department: `${tenant}-${i % 2 ? 'Sales' : 'Engineering'}`, active: 1,
  } as unknown as NavanUserTable;
}

export interface Seeded {
  bookings: BookingWrite['booking'][];
  transactions: TransactionTable[];
  users: NavanUserTable[];
}

/** Writes a tenant's rows through the warehouse writers, as sync would, plus two sync runs. */
export async function seedTenant(wh: Warehouse, tenant: string, counts: { bookings: number; transactions: number; users: number }): Promise<Seeded> {
  const bookings = Array.from({ length: counts.bookings }, (_, i) => booking(tenant, i));
  await wh.upsertBookings(bookings);
  const transactions = Array.from({ length: counts.transactions }, (_, i) => transaction(tenant, i));
  await wh.upsertTransactions(transactions);
  // A second version of the first transaction, for its history.
  if (counts.transactions) await wh.upsertTransactions([{ ...transaction(tenant, 0, 1), _synced_at: '2026-01-10T09:00:00.000Z' }]);
  const users = Array.from({ length: counts.users }, (_, i) => user(tenant, i));
  await wh.upsertUsers(users);
  for (const [n, stream] of [[1, 'bookings'], [2, 'transactions'], [3, 'users']] as const) {
    await wh.db.insertInto('sync_run').values({
      id: `${tenant}-run${n}`, _tenant: tenant, stream, mode: 'incremental', status: 'success', started_at: `2026-01-10T0${n}:00:00.000Z`,
      finished_at: `2026-01-10T0${n}:05:00.000Z`, records_read: 10 * n, records_written: 9 * n, records_quarantined: n - 1, records_deleted: 0, pages: 1, error: null, details: null,
    }).execute();
    await wh.db.insertInto('sync_range').values({ _tenant: tenant, stream, range_start: '2025-01-01T00:00:00.000Z', range_end: '2026-01-10T00:00:00.000Z', run_id: `${tenant}-run${n}`, covered_at: SYNCED_AT }).execute();
  }
  return { bookings: bookings.map((b) => b.booking), transactions, users };
}

export async function keysFor(wh: Warehouse) {
  const keys = await createKeyStore(wh);
  return {
    store: keys,
    acme: (await keys.create('acme')).key,
    beta: (await keys.create('beta')).key,
    /** A tenant with a key but no rows at all: freshness must be null, lists empty. */
    empty: (await keys.create('gamma')).key,
    usersOnly: (await keys.create('acme', ['read:users'])).key,
  };
}

export const auth = (key: string) => ({ authorization: `Bearer ${key}` });

export function sumUsd(rows: { usd_grand_total: string | null }[]): string {
  return rows.reduce((s, r) => s.plus(r.usd_grand_total ?? 0), new Decimal(0)).toFixed(2);
}
