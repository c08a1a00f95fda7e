import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSyncEngine, type SyncEngine } from '../../src/sync/index.js';
import { startTestSim } from '../helpers/sim.js';
import type { NavanStack } from '../helpers/stack.js';
import { diffAgainstTruth, openTestWarehouse, simClock, simConfig, simStack } from './sim-support.js';

/**
 * The exactness bar: a full refresh of ~20k bookings of all types and 50k transactions
 * leaves the warehouse equal to the simulator's ground truth. One file per back end, so the two
 * run in parallel.
 */
export function exactnessSuite(backend: 'sqlite' | 'postgres'): void {
  describe(`exactness of a full refresh of 20k bookings and 50k transactions on ${backend}`, () => {
    let sim: Awaited<ReturnType<typeof startTestSim>>;
    let wh: Awaited<ReturnType<typeof openTestWarehouse>>;
    let engine: SyncEngine;
    let stack: NavanStack;

    beforeAll(async () => {
      sim = await startTestSim({ bookings: 20_000, transactions: 50_000, users: 300 });
      wh = await openTestWarehouse(backend);
      const config = simConfig(sim);
      stack = simStack(config);
      engine = createSyncEngine({ config, warehouse: wh, clientFor: () => stack.client, clock: simClock(sim) });
    }, 60_000);
    afterAll(async () => {
      await stack?.close();
      await wh?.drop();
      await sim?.close();
    });

    it('equals the ground truth: bookings with children, transactions with exact amounts, users', async () => {
      const b = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
      const t = await engine.run({ tenant: 'acme', stream: 'transactions', mode: 'full' });
      const u = await engine.run({ tenant: 'acme', stream: 'users', mode: 'full' });
      expect([b.status, t.status, u.status]).toEqual(['success', 'success', 'success']);
      expect(b.read).toBe(20_000);
      expect(t.read).toBe(50_000);
      const types = await wh.db.selectFrom('booking').select('booking_type').distinct().execute();
      expect(types.length).toBeGreaterThanOrEqual(5);
      const diff = await diffAgainstTruth(wh, sim.control);
      expect(diff.slice(0, 5)).toEqual([]);
    }, 150_000);
  });
}
