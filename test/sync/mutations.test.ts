import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createSyncEngine, type SyncEngine } from '../../src/sync/index.js';
import { startTestSim } from '../helpers/sim.js';
import type { NavanStack } from '../helpers/stack.js';
import { diffAgainstTruth, openTestWarehouse, simClock, simConfig, simStack } from './sim-support.js';

/** Creates, updates, cancels and deletes at the simulator, then incremental and full runs: equal again, with history. */
for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`simulator mutations on ${backend}`, () => {
    let sim: Awaited<ReturnType<typeof startTestSim>>;
    let wh: Awaited<ReturnType<typeof openTestWarehouse>>;
    let engine: SyncEngine;
    let stack: NavanStack;

    beforeAll(async () => {
      sim = await startTestSim({ bookings: 1500, transactions: 3000, users: 30 });
      wh = await openTestWarehouse(backend);
      const config = simConfig(sim);
      stack = simStack(config);
      engine = createSyncEngine({ config, warehouse: wh, clientFor: () => stack.client, clock: simClock(sim) });
    });
    afterAll(async () => {
      await stack?.close();
      await wh?.drop();
      await sim?.close();
    });

    it('incremental and full runs bring the warehouse back to the ground truth, with a history row per transaction change', async () => {
      expect((await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' })).status).toBe('success');
      expect((await engine.run({ tenant: 'acme', stream: 'transactions', mode: 'incremental' })).status).toBe('success');
      const truth = await sim.control.truth('bookings');
      // The newest bookings: within the incremental's lookback of their creation window.
      const recent = truth.slice(-3);
      await sim.control.post('/__sim/clock', { advanceMs: 3_600_000 });
      const created = await sim.control.post('/__sim/bookings', { bookingType: 'HOTEL' });
      await sim.control.patch(`/__sim/bookings/${recent[0].uuid}`, { grandTotal: '4321.09', purpose: 'changed' });
      await sim.control.post(`/__sim/bookings/${recent[1].uuid}/cancel`);
      await sim.control.del(`/__sim/bookings/${recent[2].uuid}`);
      const txTruth = await sim.control.truth('transactions');
      const changed = txTruth.slice(-3);
      for (const tx of changed) await sim.control.patch(`/__sim/transactions/${tx.id}`, { posted_amount: '77.70', approval_status: 'APPROVED' });
      const newTx = await sim.control.post('/__sim/transactions', { posted_amount: '12.34' });
      await sim.control.post('/__sim/clock', { advanceMs: 3_600_000 });

      expect((await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'incremental' })).status).toBe('success');
      expect((await engine.run({ tenant: 'acme', stream: 'transactions', mode: 'incremental' })).status).toBe('success');
      const afterIncremental = await wh.db.selectFrom('booking').select(['uuid', 'booking_status', 'grand_total']).where('uuid', 'in', [created.uuid, recent[0].uuid, recent[1].uuid]).execute();
      expect(afterIncremental.map((r) => r.uuid).sort()).toEqual([created.uuid, recent[0].uuid, recent[1].uuid].sort());
      expect(afterIncremental.find((r) => r.uuid === recent[1].uuid)?.booking_status).toBe('CANCELED');
      expect(afterIncremental.find((r) => r.uuid === recent[0].uuid)?.grand_total).toBe('4321.09');
      expect(await diffAgainstTruth(wh, sim.control, 'acme', ['transactions'])).toEqual([]);

      const full = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
      expect(full).toMatchObject({ status: 'success', deleted: 1 });
      expect((await diffAgainstTruth(wh, sim.control, 'acme', ['bookings', 'transactions'])).slice(0, 5)).toEqual([]);
      for (const tx of [...changed, newTx]) {
        const versions = await wh.db.selectFrom('transaction_history').select('_version_hash').where('id', '=', tx.id).execute();
        expect(versions.length).toBe(tx === newTx ? 1 : 2);
      }
    }, 60_000);

    it('with updated filters, an incremental run catches a change to an old booking', async () => {
      const sim2 = await startTestSim({ bookings: 600, transactions: 10, users: 5, updatedFilters: true });
      const wh2 = await openTestWarehouse(backend);
      try {
        const config = simConfig(sim2, {}, { bookingsUpdatedFilters: true });
        const stack2 = simStack(config);
        onTestFinished(() => stack2.close());
        const e = createSyncEngine({ config, warehouse: wh2, clientFor: () => stack2.client, clock: simClock(sim2) });
        expect((await e.run({ tenant: 'acme', stream: 'bookings', mode: 'full' })).status).toBe('success');
        const old = (await sim2.control.truth('bookings'))[5];
        await sim2.control.post('/__sim/clock', { advanceMs: 3_600_000 });
        await sim2.control.patch(`/__sim/bookings/${old.uuid}`, { grandTotal: '1.23' });
        await sim2.control.post('/__sim/clock', { advanceMs: 60_000 });
        const s = await e.run({ tenant: 'acme', stream: 'bookings', mode: 'incremental' });
        expect(s.status).toBe('success');
        expect(s.read).toBeLessThan(50);
        const row = await wh2.db.selectFrom('booking').select('grand_total').where('uuid', '=', old.uuid).executeTakeFirstOrThrow();
        expect(row.grand_total).toBe('1.23');
        expect(await diffAgainstTruth(wh2, sim2.control, 'acme', ['bookings'])).toEqual([]);
      } finally {
        await wh2.drop();
        await sim2.close();
      }
    });
  });
}
