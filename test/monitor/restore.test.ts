import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openWarehouse } from '../../src/warehouse/index.js';
import { createMetrics, loadLastSuccess } from '../../src/monitor/index.js';
import { EventBus } from '../../src/shared/events.js';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const pgSchema = `mon_test_${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'nb-restore-'));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`drop schema if exists "${pgSchema}" cascade`);
  await client.end();
});

const run = (id: string, stream: string, status: 'success' | 'failure' | 'running', finished: string | null) => ({
  id, _tenant: 'acme', stream, mode: 'incremental', status, started_at: '2026-01-01T00:00:00.000Z', finished_at: finished,
  records_read: 0, records_written: 0, records_quarantined: 0, records_deleted: 0, pages: 0, error: null, details: null,
});

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`restoring the last successful sync at start-up (${backend})`, () => {
    it('takes the latest successful run per stream, ignoring failed and running ones', async () => {
      const wh = backend === 'sqlite' ? await openWarehouse({ databaseUrl: `sqlite:${join(dir, 'wh.db')}` }) : await openWarehouse({ databaseUrl: PG_URL, pgSchema });
      try {
        await wh.migrate();
        await wh.db.insertInto('sync_run').values([
          run('r1', 'bookings', 'success', '2026-01-05T10:00:00.000Z'),
          run('r2', 'bookings', 'success', '2026-01-07T10:00:00.000Z'),
          run('r3', 'bookings', 'failure', '2026-01-09T10:00:00.000Z'),
          run('r4', 'transactions', 'running', null),
          run('r5', 'transactions', 'success', '2026-01-08T00:00:00.000Z'),
        ]).execute();
        const rows = await loadLastSuccess(wh.db);
        expect(rows.sort((a, b) => a.stream.localeCompare(b.stream))).toEqual([
          { tenant: 'acme', stream: 'bookings', finishedAt: Date.parse('2026-01-07T10:00:00.000Z') },
          { tenant: 'acme', stream: 'transactions', finishedAt: Date.parse('2026-01-08T00:00:00.000Z') },
        ]);
        const metrics = createMetrics({ events: new EventBus(), tenants: ['acme'], collectDefault: false });
        metrics.restoreLastSuccess(rows);
        expect(await metrics.text()).toContain(`navan_bridge_sync_last_success_timestamp_seconds{tenant="acme",stream="BOOKING"} ${Date.parse('2026-01-07T10:00:00.000Z') / 1000}`);
        metrics.close();
      } finally {
        await wh.close();
      }
    });
  });
}
