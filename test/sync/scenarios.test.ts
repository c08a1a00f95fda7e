import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/shared/events.js';
import { createSyncEngine, type SyncEngine } from '../../src/sync/index.js';
import { startTestSim } from '../helpers/sim.js';
import type { NavanStack } from '../helpers/stack.js';
import { diffAgainstTruth, openTestWarehouse, simClock, simConfig, simStack } from './sim-support.js';

const DAY = 86_400_000;

for (const backend of ['sqlite', 'postgres'] as const)
describe(`delete guard and catch-up against the simulator (${backend})`, () => {
  let sim: Awaited<ReturnType<typeof startTestSim>>;
  let wh: Awaited<ReturnType<typeof openTestWarehouse>>;
  let engine: SyncEngine;
  let bus: EventBus;
  let stack: NavanStack;

  beforeAll(async () => {
    sim = await startTestSim({ bookings: 400, transactions: 600, users: 20 });
  });
  afterAll(async () => {
    await sim?.close();
  });
  beforeEach(async () => {
    wh = await openTestWarehouse(backend);
    bus = new EventBus();
    const config = simConfig(sim);
    stack = simStack(config, bus);
    engine = createSyncEngine({ config, warehouse: wh, clientFor: () => stack.client, clock: simClock(sim), events: bus });
  });
  afterEach(async () => {
    await stack?.close();
    await wh?.drop();
  });

  it('catches up 10 days of downtime in one run and leaves no hole in sync_range', async () => {
    expect((await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' })).status).toBe('success');
    expect((await engine.run({ tenant: 'acme', stream: 'transactions', mode: 'incremental' })).status).toBe('success');
    await sim.control.post('/__sim/clock', { advanceMs: 10 * DAY });
    for (let d = 0; d < 3; d++) await sim.control.post('/__sim/bookings', { bookingType: 'CAR' });
    await sim.control.post('/__sim/transactions', { posted_amount: '5.55' });
    // Navan filters in whole seconds: a record from the current second belongs to the next run.
    await sim.control.post('/__sim/clock', { advanceMs: 60_000 });
    const stale = (await engine.status('acme')).filter((s) => s.stream !== 'users');
    for (const s of stale) {
      expect(s.stalenessMs).toBeGreaterThanOrEqual(10 * DAY);
      expect(Date.parse(s.coveredUntil!)).toBeLessThan(sim.clock.now() - 10 * DAY + 60_000);
    }
    for (const stream of ['bookings', 'transactions'] as const) {
      expect((await engine.run({ tenant: 'acme', stream, mode: 'catch-up' })).status).toBe('success');
    }
    for (const s of (await engine.status('acme')).filter((x) => x.stream !== 'users')) {
      expect(s.gaps).toEqual([]);
      expect(s.coveredRanges).toHaveLength(1);
      expect(Date.parse(s.coveredUntil!)).toBeGreaterThan(sim.clock.now() - 60_000);
    }
    const ranges = await wh.db.selectFrom('sync_range').selectAll().execute();
    expect(ranges.map((r) => r.stream).sort()).toEqual(['bookings', 'transactions']);
    expect((await diffAgainstTruth(wh, sim.control, 'acme', ['bookings', 'transactions'])).slice(0, 5)).toEqual([]);
  });

  it('keeps the warehouse intact and marks the run suspect when the simulator returns half the bookings', async () => {
    await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    const before = await wh.db.selectFrom('booking').select('uuid').where('_deleted', '=', 0).execute();
    const truth = await sim.control.truth('bookings');
    const removed = truth.filter((_: unknown, i: number) => i % 2 === 0).map((b: any) => b.uuid as string);
    for (const uuid of removed) await sim.control.del(`/__sim/bookings/${uuid}`);
    const outcomes: string[] = [];
    bus.on('sync.run', (e) => outcomes.push(e.outcome));
    const s = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(s).toMatchObject({ status: 'suspect', deleted: 0 });
    expect(outcomes).toEqual(['suspect']);
    expect(await wh.db.selectFrom('booking').select('uuid').where('_deleted', '=', 0).execute()).toHaveLength(before.length);
    const run = await wh.db.selectFrom('sync_run').select(['status', 'details']).where('id', '=', s.runId).executeTakeFirstOrThrow();
    expect(run.status).toBe('suspect');
    expect(JSON.parse(run.details!).deleteGuard.unseen).toBe(removed.length);
    const forced = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full', forceDeletes: true });
    expect(forced).toMatchObject({ status: 'success', deleted: removed.length });
    expect(await diffAgainstTruth(wh, sim.control, 'acme', ['bookings'])).toEqual([]);
  });
});
