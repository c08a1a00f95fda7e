import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWarehouse, runMigrations, type BookingWrite, type TransactionTable, type Warehouse } from '../../src/warehouse/index.js';
import { warehouseMigrations } from '../../src/warehouse/migrations.js';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const pgSchema = `wh_test_${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'wh-'));

function booking(uuid: string, over: Partial<BookingWrite['booking']> = {}, passengers = 1): BookingWrite {
  const meta = { _tenant: 'acme', _synced_at: '2026-01-01T00:00:00.000Z', _raw: JSON.stringify({ uuid }) };
  const b: Record<string, unknown> = { ...meta, _deleted: 0, uuid, grand_total: '1234.50', created: '2025-12-01T00:00:00.000Z', booking_type: 'FLIGHT', ...over };
  return {
    booking: b as unknown as BookingWrite['booking'],
    passengers: Array.from({ length: passengers }, (_, idx) => ({ ...meta, booking_uuid: uuid, idx, name: `p${idx}` }) as any),
    segments: [{ ...meta, booking_uuid: uuid, idx: 0, flight_number: 'UA1' } as any],
    etickets: [],
    customFields: [{ ...meta, booking_uuid: uuid, idx: 0, name: 'project', value: 'x' } as any],
  };
}

function txn(id: string, amount: string, hash: string): TransactionTable {
  return { _tenant: 'acme', _synced_at: '2026-01-01T00:00:00.000Z', _deleted: 0, _raw: '{}', id, posted_amount: amount, _version_hash: hash } as unknown as TransactionTable;
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`warehouse on ${backend}`, () => {
    let wh: Warehouse;
    beforeAll(async () => {
      wh = backend === 'sqlite'
        ? await openWarehouse({ databaseUrl: `sqlite:${join(dir, 'nested', 'wh.db')}` })
        : await openWarehouse({ databaseUrl: PG_URL, pgSchema });
      await wh.migrate();
      await wh.migrate(); // idempotent
    });
    afterAll(async () => {
      await wh?.close();
    });

    it('reports its dialect and records each migration once', async () => {
      expect(wh.dialect).toBe(backend);
      const rows = await (wh.db as any).selectFrom('schema_migration').selectAll().where('namespace', '=', 'warehouse').execute();
      expect(rows.map((r: any) => Number(r.version)).sort((a: number, b: number) => a - b)).toEqual(warehouseMigrations.map((m) => m.version));
      expect(rows.length).toBeGreaterThanOrEqual(4);
    });

    it('upserts bookings idempotently, keeps money exact and replaces children', async () => {
      expect(await wh.upsertBookings([booking('b1', {}, 2), booking('b2')])).toBe(2);
      await wh.upsertBookings([booking('b1', { grand_total: '0.10', cabin: 'ECONOMY' }, 1), booking('b1', { grand_total: '99999999999999.99' }, 1)]);
      const rows = await wh.db.selectFrom('booking').selectAll().where('_tenant', '=', 'acme').orderBy('uuid').execute();
      expect(rows.map((r) => [r.uuid, r.grand_total])).toEqual([['b1', '99999999999999.99'], ['b2', '1234.50']]);
      const pax = await wh.db.selectFrom('booking_passenger').select(['booking_uuid', 'idx']).where('booking_uuid', '=', 'b1').execute();
      expect(pax).toEqual([{ booking_uuid: 'b1', idx: 0 }]);
    });

    it('writes a history row per new transaction version only', async () => {
      expect(await wh.upsertTransactions([txn('t1', '3.30', 'h1'), txn('t2', '10.00', 'h2')])).toEqual({ written: 2, newVersions: 2 });
      expect(await wh.upsertTransactions([txn('t1', '3.30', 'h1')])).toEqual({ written: 1, newVersions: 0 });
      expect(await wh.upsertTransactions([txn('t1', '4.40', 'h3')])).toEqual({ written: 1, newVersions: 1 });
      const t1 = await wh.db.selectFrom('transaction').select('posted_amount').where('id', '=', 't1').executeTakeFirstOrThrow();
      expect(t1.posted_amount).toBe('4.40');
      const hist = await wh.db.selectFrom('transaction_history').select('_version_hash').where('id', '=', 't1').orderBy('_version_hash').execute();
      expect(hist.map((h) => h._version_hash)).toEqual(['h1', 'h3']);
    });

    it('batches beyond the bound-parameter limit of one statement', async () => {
      const many = Array.from({ length: 1200 }, (_, i) => booking(`bulk-${String(i).padStart(5, '0')}`));
      expect(await wh.upsertBookings(many)).toBe(1200);
      const { n } = await wh.db.selectFrom('booking').select((eb) => eb.fn.countAll<number>().as('n')).where('uuid', 'like', 'bulk-%').executeTakeFirstOrThrow();
      expect(Number(n)).toBe(1200);
    });

    it('marks rows unseen since a refresh as deleted, and undeletes on the next upsert', async () => {
      await wh.upsertBookings([booking('d1'), booking('d2')].map((w) => ({ ...w, booking: { ...w.booking, _tenant: 'del' } })));
      await wh.upsertBookings([booking('d2', { _synced_at: '2026-02-01T00:00:00.000Z' })].map((w) => ({ ...w, booking: { ...w.booking, _tenant: 'del' } })));
      expect(await wh.countUnseen('booking', 'del', '2026-01-15T00:00:00.000Z')).toEqual({ live: 2, unseen: 1 });
      expect(await wh.markUnseenDeleted('booking', 'del', '2026-01-15T00:00:00.000Z', '2026-02-01T00:00:01.000Z')).toBe(1);
      const d1 = await wh.db.selectFrom('booking').select('_deleted').where('_tenant', '=', 'del').where('uuid', '=', 'd1').executeTakeFirstOrThrow();
      expect(d1._deleted).toBe(1);
      expect(await wh.latestSyncedAt('booking', 'del')).toBe('2026-02-01T00:00:01.000Z');
      await wh.upsertBookings([booking('d1')].map((w) => ({ ...w, booking: { ...w.booking, _tenant: 'del' } })));
      const again = await wh.db.selectFrom('booking').select('_deleted').where('_tenant', '=', 'del').where('uuid', '=', 'd1').executeTakeFirstOrThrow();
      expect(again._deleted).toBe(0);
    });

    it('rolls back every write of a failed transaction', async () => {
      await expect(
        wh.transaction(async (trx) => {
          await wh.upsertUsers([{ _tenant: 'acme', _synced_at: 'x', _deleted: 0, _raw: '{}', id: 'u-rollback' } as any], trx);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await wh.db.selectFrom('navan_user').select('id').where('id', '=', 'u-rollback').execute()).toEqual([]);
    });

    it('runs another module\'s migrations in their own namespace', async () => {
      const migrations = [{ version: 1, name: 'keys', up: (db: any) => db.schema.createTable('other_mod_key').ifNotExists().addColumn('k', 'text').execute() }];
      await runMigrations(wh.db, wh.dialect, 'other', migrations);
      await runMigrations(wh.db, wh.dialect, 'other', migrations);
      const rows = await (wh.db as any).selectFrom('schema_migration').select('version').where('namespace', '=', 'other').execute();
      expect(rows).toEqual([{ version: 1 }]);
      await expect(runMigrations(wh.db, wh.dialect, 'dup', [migrations[0]!, migrations[0]!])).rejects.toThrow(/used twice/);
    });

    it('stores money as NUMERIC on PostgreSQL and TEXT on SQLite', async () => {
      if (backend === 'postgres') {
        const r = await sql<{ data_type: string }>`select data_type from information_schema.columns where table_schema = ${pgSchema} and table_name = 'booking' and column_name = 'grand_total'`.execute(wh.db);
        expect(r.rows[0]?.data_type).toBe('numeric');
      } else {
        const r = await sql<{ type: string }>`select type from pragma_table_info('booking') where name = 'grand_total'`.execute(wh.db);
        expect(r.rows[0]?.type.toLowerCase()).toBe('text');
      }
    });
  });
}

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`drop schema if exists "${pgSchema}" cascade`);
  await client.end();
});
