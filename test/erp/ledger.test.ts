import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireExportLock, erpDb, erpMigrations, PostingLedger } from '../../src/erp/ledger.js';
import type { ErpDocument } from '../../src/erp/model.js';
import { openWarehouse, runMigrations, type Warehouse } from '../../src/warehouse/index.js';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

const doc = (total: string, version = 'v1'): ErpDocument => ({
  externalId: 'nb-acme-t-1', date: '2026-10-03', currency: 'EUR', funding: { key: 'card-navan', account: '20' }, memo: 'm', total, contentHash: `h-${total}`,
  lines: [{ transactionId: 'tx-1', version, account: '61', amount: total, memo: 'tx-1 Delta', sourceDepartment: 'Sales', period: '2026-10' }],
});

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`erp_posting ledger on ${backend}`, () => {
    let wh: Warehouse;
    const schema = `erp_ledger_${randomBytes(4).toString('hex')}`;
    beforeAll(async () => {
      wh = backend === 'sqlite' ? await openWarehouse({ databaseUrl: 'sqlite::memory:' }) : await openWarehouse({ databaseUrl: PG_URL, pgSchema: schema });
      await wh.migrate();
      await runMigrations(wh.db, wh.dialect, 'erp', erpMigrations);
      await runMigrations(wh.db, wh.dialect, 'erp', erpMigrations);
    });
    afterAll(async () => {
      await wh?.close();
      if (backend === 'postgres') {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`drop schema if exists "${schema}" cascade`);
        await c.end();
      }
    });

    it('records pending, posted (with items and events), corrected and removed', async () => {
      const ledger = new PostingLedger(erpDb(wh), 'acme', 'sap', () => '2026-11-29T00:00:00.000Z');
      await ledger.markPending('nb-acme-t-1', 'journalentry', { action: 'create', hash: 'h-1.00', references: ['R1'], revision: 1, document: doc('1.00') }, undefined);
      let p = (await ledger.all()).get('nb-acme-t-1')!;
      expect(p).toMatchObject({ status: 'pending', pending: { references: ['R1'], document: { total: '1.00' } } });
      await ledger.commitPosted(doc('1.00'), 'journalentry', { documentNumber: '1010/1/2026', reference: 'R1', revision: 1, action: 'create' });
      p = (await ledger.all()).get('nb-acme-t-1')!;
      expect(p).toMatchObject({ status: 'posted', revision: 1, documentNumber: '1010/1/2026', reference: 'R1', contentHash: 'h-1.00', pending: null, document: { total: '1.00' } });

      await ledger.commitPosted(doc('2.50', 'v2'), 'journalentry', { documentNumber: '1010/3/2026', reference: 'R2', revision: 2, action: 'correct', events: [{ action: 'reverse', documentNumber: '1010/2/2026', reference: 'X1', revision: 1 }, { action: 'create', documentNumber: '1010/3/2026', reference: 'R2', revision: 2 }] });
      const items = await erpDb(wh).selectFrom('erp_posting_item').selectAll().execute();
      expect(items).toEqual([{ _tenant: 'acme', target: 'sap', external_id: 'nb-acme-t-1', transaction_id: 'tx-1', version_hash: 'v2', account: '61', department: 'Sales', amount: '2.50', currency: 'EUR', period: '2026-10' }]);
      const events = await erpDb(wh).selectFrom('erp_posting_event').select(['action', 'reference', 'revision']).orderBy('revision').orderBy('action').execute();
      expect(events.map((e) => `${e.action}:${e.reference}:${e.revision}`).sort()).toEqual(['create:R1:1', 'create:R2:2', 'reverse:X1:1']);

      await ledger.commitRemoved('nb-acme-t-1', { revision: 2, action: 'reverse', documentNumber: '1010/4/2026', reference: 'X2' });
      expect((await ledger.all()).get('nb-acme-t-1')).toMatchObject({ status: 'removed', revision: 2, contentHash: null });
      expect(await erpDb(wh).selectFrom('erp_posting_item').selectAll().execute()).toEqual([]);

      // A pending row that never held a posted document goes when its step did not land.
      await ledger.markPending('nb-acme-t-2', 'journalentry', { action: 'create', hash: 'h', references: ['R9'], revision: 1, document: null }, undefined);
      const pending = (await ledger.all()).get('nb-acme-t-2');
      await ledger.clearPending('nb-acme-t-2', pending);
      expect((await ledger.all()).has('nb-acme-t-2')).toBe(false);
    });

    it('lets one export per tenant and target run, and takes over from a killed holder at once', async () => {
      const now = () => Date.now();
      const first = await acquireExportLock(erpDb(wh), 'acme', 'netsuite', 60_000, now);
      await expect(acquireExportLock(erpDb(wh), 'acme', 'netsuite', 60_000, now)).rejects.toThrow(/Another process is exporting tenant acme to netsuite/);
      const other = await acquireExportLock(erpDb(wh), 'acme', 'sap', 60_000, now);
      await other.release();
      await first.release();
      // A holder on this host whose process is gone.
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
      await erpDb(wh).insertInto('erp_lock').values({ _tenant: 'acme', target: 'netsuite', owner: 'x', host: (await import('node:os')).hostname(), pid: Number(dead), expires_at: new Date(Date.now() + 60_000).toISOString() }).execute();
      const taken = await acquireExportLock(erpDb(wh), 'acme', 'netsuite', 60_000, now);
      await taken.release();
    });
  });
}
