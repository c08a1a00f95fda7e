import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSyncEngine, type StreamName, type SyncEngine } from '../../src/sync/index.js';
import { startTestSim } from '../helpers/sim.js';
import type { NavanStack } from '../helpers/stack.js';
import { diffAgainstTruth, openTestWarehouse, simClock, simConfig, simStack } from './sim-support.js';

/**
 * Exactness while the simulator injects 10% 5xx, 5% 429, 2% connection resets, 1% truncated
 * bodies and 1% malformed records. Failed pages are re-read from the checkpoint; malformed
 * records land in quarantine. Records that were malformed in one response are fetched again by
 * the next run, which still runs under transport faults.
 */
describe('chaos: transport faults and malformed records', () => {
  let sim: Awaited<ReturnType<typeof startTestSim>>;
  let wh: Awaited<ReturnType<typeof openTestWarehouse>>;
  let engine: SyncEngine;
  let stack: NavanStack;

  beforeAll(async () => {
    sim = await startTestSim({ bookings: 2000, transactions: 4000, users: 50 });
    wh = await openTestWarehouse('sqlite');
    const config = simConfig(sim, { bookingPageSize: 50, transactionPageSize: 200 });
    stack = simStack(config);
    engine = createSyncEngine({ config, warehouse: wh, clientFor: () => stack.client, clock: simClock(sim), retryDelayMs: 5, pageAttempts: 8 });
  });
  afterAll(async () => {
    await stack?.close();
    await wh?.drop();
    await sim?.close();
  });

  async function runUntilDone(stream: StreamName): Promise<string> {
    for (let i = 0; i < 5; i++) {
      const s = await engine.run({ tenant: 'acme', stream, mode: 'full' });
      if (s.status !== 'failure') return s.status;
    }
    return 'failure';
  }

  it('ends equal to the ground truth, with the malformed records in quarantine', async () => {
    // What the gateway did with each request on the wire: retries of 5xx and resets, 429s queued.
    const wire: { status: number; attempt: number }[] = [];
    stack.events.on('navan.request', (e) => wire.push({ status: e.status, attempt: e.attempt }));
    await sim.control.post('/__sim/faults', { rate5xx: 0.1, rate429: 0.05, resetRate: 0.02, truncateRate: 0.01, malformedRate: 0.01, retryAfter: { seconds: 0 } });
    for (const stream of ['bookings', 'transactions', 'users'] as const) expect(['success', 'suspect']).toContain(await runUntilDone(stream));
    const quarantined = await wh.db.selectFrom('quarantine').select(['stream', 'reason']).execute();
    expect(quarantined.length).toBeGreaterThan(0);
    const stats = await sim.control.stats();
    expect(JSON.stringify(stats)).toMatch(/5\d\d|reset/);
    expect(wire.some((r) => r.status === 429)).toBe(true);
    expect(wire.some((r) => r.status >= 500 || r.status === 0)).toBe(true);
    expect(wire.some((r) => r.attempt > 1)).toBe(true);

    // Transport faults stay on; only the corrupt records stop, so the next runs can fetch them whole.
    await sim.control.del('/__sim/faults');
    await sim.control.post('/__sim/faults', { rate5xx: 0.1, rate429: 0.05, resetRate: 0.02, truncateRate: 0.01, retryAfter: { seconds: 0 } });
    for (const stream of ['bookings', 'transactions', 'users'] as const) expect(await runUntilDone(stream)).toBe('success');
    expect((await diffAgainstTruth(wh, sim.control)).slice(0, 5)).toEqual([]);
  }, 90_000);
});
