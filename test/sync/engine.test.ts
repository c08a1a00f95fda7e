import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { SyncAlreadyRunningError } from '../../src/shared/errors.js';
import { EventBus } from '../../src/shared/events.js';
import { createScheduler, createSyncEngine, type SyncEngine, type SyncEngineOptions, type SyncSource } from '../../src/sync/index.js';
import { countOf } from '../gateway/setup.js';
import { startTestSim } from '../helpers/sim.js';
import type { NavanStack } from '../helpers/stack.js';
import { START_DATE, diffAgainstTruth, openTestWarehouse, simClock, simConfig, simStack } from './sim-support.js';

const DAY = 86_400_000;
type Sim = Awaited<ReturnType<typeof startTestSim>>;

/**
 * The engine's rules, read through the real stack (typed client → gateway → token service) from a
 * small simulator per test, on SQLite and PostgreSQL. Failures come from the simulator's fault
 * injection and pass through the gateway's retry and breaker like production failures do.
 */
for (const backend of ['sqlite', 'postgres'] as const)
describe(`sync engine over the real stack (${backend})`, () => {
  let sim: Sim;
  let wh: Awaited<ReturnType<typeof openTestWarehouse>>;
  let stack: NavanStack;
  let bus: EventBus;
  let engine: SyncEngine;
  // Two gateway attempts per request keep injected failures short; the breaker stays at 5.
  const config = (sync: Record<string, unknown> = {}, tenant: Record<string, unknown> = {}) =>
    simConfig(sim, { bookingPageSize: 10, transactionPageSize: 10, ...sync }, tenant, { retryMaxAttempts: 2 });
  const make = (over: Partial<SyncEngineOptions> = {}, sync: Record<string, unknown> = {}) =>
    createSyncEngine({ config: config(sync), warehouse: wh, clientFor: () => stack.client, clock: simClock(sim), events: bus, retryDelayMs: 1, pageAttempts: 1, ...over });
  const live = async () => (await wh.db.selectFrom('booking').select('uuid').where('_deleted', '=', 0).execute()).length;
  const bookingRequests = async (status: string) => countOf(await sim.control.stats(), 'GET /v1/bookings', status);

  beforeEach(async () => {
    sim = await startTestSim({ seed: 11, bookings: 150, transactions: 80, users: 25 });
    wh = await openTestWarehouse(backend);
    bus = new EventBus();
    stack = simStack(config(), bus);
    engine = make();
  });
  afterEach(async () => {
    await stack?.close();
    await wh?.drop();
    await sim?.close();
  });

  it('a full refresh makes the warehouse equal to the ground truth, with ledger and run record', async () => {
    const events: string[] = [];
    bus.on('sync.run', (e) => events.push(e.outcome));
    const progress: number[] = [];
    const before = sim.clock.now();
    const s = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full', onProgress: (p) => progress.push(p.done / p.total) });
    const after = sim.clock.now();
    expect(s).toMatchObject({ status: 'success', read: 150, written: 150, deleted: 0, quarantined: 0 });
    expect(await diffAgainstTruth(wh, sim.control, 'acme', ['bookings'])).toEqual([]);
    const ranges = await wh.db.selectFrom('sync_range').selectAll().where('stream', '=', 'bookings').execute();
    expect(ranges.map((r) => r.range_start)).toEqual([`${START_DATE}T00:00:00.000Z`]);
    // The simulator's clock keeps ticking: the range ends at the run's "now".
    expect(Date.parse(ranges[0]!.range_end)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(ranges[0]!.range_end)).toBeLessThanOrEqual(after);
    expect(await wh.db.selectFrom('sync_run').selectAll().executeTakeFirstOrThrow()).toMatchObject({ status: 'success', records_read: 150, records_written: 150 });
    expect(events).toEqual(['success']);
    expect(progress.at(-1)).toBe(1);
    expect(await wh.db.selectFrom('sync_checkpoint').selectAll().execute()).toEqual([]);
  });

  it('marks bookings that a full refresh no longer returns as deleted, and undeletes one that reappears', async () => {
    await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    const [gone, changed] = await sim.control.truth('bookings');
    await sim.control.del(`/__sim/bookings/${gone.uuid}`);
    await sim.control.patch(`/__sim/bookings/${changed.uuid}`, { grandTotal: '0.01' });
    sim.clock.advance(DAY);
    await sim.control.post('/__sim/bookings', { bookingType: 'RAIL' });
    sim.clock.advance(60_000);
    expect(await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' })).toMatchObject({ status: 'success', deleted: 1 });
    expect(await diffAgainstTruth(wh, sim.control, 'acme', ['bookings'])).toEqual([]);
    await sim.control.post('/__sim/bookings', { uuid: gone.uuid, created: gone.created });
    sim.clock.advance(60_000);
    await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(await diffAgainstTruth(wh, sim.control, 'acme', ['bookings'])).toEqual([]);
    const back = await wh.db.selectFrom('booking').select('_deleted').where('uuid', '=', gone.uuid).executeTakeFirstOrThrow();
    expect(back._deleted).toBe(0);
  });

  it('holds deletes as suspect when a full refresh returns half the bookings, unless forced', async () => {
    await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    const outcomes: string[] = [];
    bus.on('sync.run', (e) => outcomes.push(e.outcome));
    const truth = await sim.control.truth('bookings');
    for (const b of truth.slice(0, 75)) await sim.control.del(`/__sim/bookings/${b.uuid}`);
    const s = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(s).toMatchObject({ status: 'suspect', deleted: 0 });
    expect(s.error).toMatch(/--force-deletes/);
    expect(outcomes).toEqual(['suspect']);
    expect(await live()).toBe(150);
    expect(await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full', forceDeletes: true })).toMatchObject({ status: 'success', deleted: 75 });
    expect(await diffAgainstTruth(wh, sim.control, 'acme', ['bookings'])).toEqual([]);
  });

  it('resumes a failed run from its checkpoint without re-reading committed pages', async () => {
    // A clean walk of the same range, for the number of pages a whole run reads.
    const before = await bookingRequests('200');
    for await (const _ of stack.client.bookingPages({ createdFrom: new Date(`${START_DATE}T00:00:00Z`), createdTo: new Date(sim.clock.now()), pageSize: 10, windowDays: config().sync.bookingWindowDays }));
    const cleanRunPages = (await bookingRequests('200')) - before;
    // The fault is armed right after the 6th page arrives, so the 7th request fails at the
    // simulator (both gateway attempts get a 503) and the engine gives up on it.
    let pages = 0;
    const armed: SyncSource = {
      ...stack.client,
      async *bookingPages(q) {
        for await (const p of stack.client.bookingPages(q)) {
          yield p;
          if (++pages === 6) await sim.control.post('/__sim/faults', { rate5xx: 1, count: 2, paths: ['/v1/bookings'] });
        }
      },
    };
    const failed = await make({ clientFor: () => armed }).run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(failed.status).toBe('failure');
    expect(failed.error).toMatch(/resumes/);
    expect(failed.pages).toBe(6);
    expect((await wh.db.selectFrom('sync_checkpoint').selectAll().executeTakeFirstOrThrow()).run_id).toBe(failed.runId);
    expect(await bookingRequests('503')).toBe(2);
    const beforeResume = await bookingRequests('200');
    const resumed = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(resumed).toMatchObject({ status: 'success', runId: failed.runId, resumed: true, read: 150 });
    // Only what was not committed before the failure is read again.
    expect((await bookingRequests('200')) - beforeResume).toBe(cleanRunPages - 6);
    expect(await diffAgainstTruth(wh, sim.control, 'acme', ['bookings'])).toEqual([]);
  });

  it('re-reads a failed page from the checkpoint when attempts remain', async () => {
    // Four 503s: two gateway attempts for each of two engine attempts; the third attempt succeeds.
    await sim.control.post('/__sim/faults', { rate5xx: 1, count: 4, paths: ['/v1/bookings'] });
    const s = await make({ pageAttempts: 3 }).run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(s).toMatchObject({ status: 'success', read: 150 });
    expect(await bookingRequests('503')).toBe(4);
    expect(stack.gateway.breaker().state).toBe('closed');
    expect(await diffAgainstTruth(wh, sim.control, 'acme', ['bookings'])).toEqual([]);
  });

  it('re-reads a truncated page, then fails the run with a clear error and keeps the checkpoint', async () => {
    await sim.control.post('/__sim/faults', { truncateRate: 1, count: 2, paths: ['/v1/bookings'] });
    const failed = await make({ pageAttempts: 2 }).run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(failed.status).toBe('failure');
    expect(failed.error).toMatch(/not JSON/);
    expect(failed.error).toMatch(/resumes/);
    expect(await wh.db.selectFrom('sync_checkpoint').select('run_id').execute()).toEqual([{ run_id: failed.runId }]);
    const resumed = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(resumed).toMatchObject({ status: 'success', runId: failed.runId, read: 150 });
    expect(await diffAgainstTruth(wh, sim.control, 'acme', ['bookings'])).toEqual([]);
  });

  it('quarantines bad records and keeps going; fails only above the configured share', async () => {
    const bad = await sim.control.post('/__sim/bookings', { grandTotal: 'twelve', created: new Date(Date.UTC(2025, 5, 1)).toISOString() });
    sim.clock.advance(60_000);
    const s = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(s).toMatchObject({ status: 'success', quarantined: 1, written: 150 });
    const q = await wh.db.selectFrom('quarantine').select(['record_id', 'reason', '_raw']).execute();
    expect(q.map((r) => r.record_id)).toEqual([bad.uuid]);
    expect(q[0]!.reason).toMatch(/decimal/);
    expect(JSON.parse(q[0]!._raw).grandTotal).toBe('twelve');
    sim.clock.advance(DAY);
    const f = await make({}, { quarantineFailFraction: 0.001 }).run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(f.status).toBe('failure');
    expect(f.error).toMatch(/quarantine/);
  });

  it('does not infer deletes when a quarantined record had no usable id', async () => {
    await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    const [gone] = await sim.control.truth('bookings');
    await sim.control.del(`/__sim/bookings/${gone.uuid}`);
    // The simulator corrupts a fifth of the records: some lose their uuid, some get a number instead.
    await sim.control.post('/__sim/faults', { malformedRate: 0.2, paths: ['/v1/bookings'] });
    sim.clock.advance(DAY);
    const s = await make({}, { quarantineFailFraction: 0.5 }).run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(s).toMatchObject({ status: 'suspect', deleted: 0 });
    expect(s.quarantined).toBeGreaterThan(0);
    expect(s.error).toMatch(/no usable id/);
    expect(await wh.db.selectFrom('booking').select('uuid').where('uuid', '=', '12345').execute()).toEqual([]);
    expect(await live()).toBe(150);
  });

  it('reads an interior hole of the ledger on the next incremental run', async () => {
    await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    const end = (await wh.db.selectFrom('sync_range').select('range_end').executeTakeFirstOrThrow()).range_end;
    // Simulate a lost stretch, e.g. from a ledger restored from an old backup.
    await wh.db.deleteFrom('sync_range').execute();
    await wh.db.insertInto('sync_range').values([
      { _tenant: 'acme', stream: 'bookings', range_start: `${START_DATE}T00:00:00.000Z`, range_end: '2025-03-01T00:00:00.000Z', run_id: 'x', covered_at: 'x' },
      { _tenant: 'acme', stream: 'bookings', range_start: '2025-06-01T00:00:00.000Z', range_end: end, run_id: 'x', covered_at: 'x' },
    ]).execute();
    expect((await engine.status('acme')).find((x) => x.stream === 'bookings')!.gaps).toEqual([{ from: '2025-03-01T00:00:00.000Z', to: '2025-06-01T00:00:00.000Z' }]);
    const removed = await wh.db.deleteFrom('booking').where('created', '>=', '2025-03-01').where('created', '<', '2025-06-01').executeTakeFirst();
    expect(Number(removed.numDeletedRows)).toBeGreaterThan(0);
    sim.clock.advance(60_000);
    expect((await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'incremental' })).status).toBe('success');
    expect(await diffAgainstTruth(wh, sim.control, 'acme', ['bookings'])).toEqual([]);
    expect((await engine.status('acme')).find((x) => x.stream === 'bookings')!.gaps).toEqual([]);
  });

  it('re-reads a trailing window, so a change that shows up hours late is still caught, with history', async () => {
    await sim.control.post('/__sim/config', { visibilityDelayHours: 4 });
    expect((await engine.run({ tenant: 'acme', stream: 'transactions', mode: 'incremental' })).status).toBe('success');
    expect(await diffAgainstTruth(wh, sim.control, 'acme', ['transactions'])).toEqual([]);
    const [tx] = (await sim.control.truth('transactions')).slice(-1);
    await sim.control.patch(`/__sim/transactions/${tx.id}`, { posted_amount: '99.99' });
    sim.clock.advance(3_600_000);
    // Not visible yet: Navan shows the change 4 hours after it happened.
    await engine.run({ tenant: 'acme', stream: 'transactions', mode: 'incremental' });
    const row = () => wh.db.selectFrom('transaction').select('posted_amount').where('id', '=', tx.id).executeTakeFirstOrThrow();
    expect((await row()).posted_amount).not.toBe('99.99');
    sim.clock.advance(4 * 3_600_000);
    expect((await engine.run({ tenant: 'acme', stream: 'transactions', mode: 'incremental' })).status).toBe('success');
    expect((await row()).posted_amount).toBe('99.99');
    expect(await wh.db.selectFrom('transaction_history').select('id').where('id', '=', tx.id).execute()).toHaveLength(2);
  });

  it('refreshes users in full and marks the ones Navan no longer returns as deleted', async () => {
    await wh.db.insertInto('navan_user').values({ _tenant: 'acme', id: 'left-the-company', _synced_at: '2025-01-01T00:00:00.000Z', _deleted: 0, _raw: '{}' } as never).execute();
    expect(await engine.run({ tenant: 'acme', stream: 'users', mode: 'incremental' })).toMatchObject({ status: 'success', mode: 'full', written: 25, deleted: 1 });
    expect(await diffAgainstTruth(wh, sim.control, 'acme', ['users'])).toEqual([]);
    const gone = await wh.db.selectFrom('navan_user').select('_deleted').where('id', '=', 'left-the-company').executeTakeFirstOrThrow();
    expect(gone._deleted).toBe(1);
  });

  it('allows one run per tenant and stream at a time, with a clear message', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // Holds the first run inside its read, so the second one meets the lock.
    const held: SyncSource = {
      ...stack.client,
      async *bookingPages(q) {
        await gate;
        yield* stack.client.bookingPages(q);
      },
    };
    const first = make({ clientFor: () => held }).run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    await new Promise((r) => setTimeout(r, 50));
    await expect(engine.run({ tenant: 'acme', stream: 'bookings', mode: 'incremental' })).rejects.toThrow(SyncAlreadyRunningError);
    await expect(engine.run({ tenant: 'acme', stream: 'bookings', mode: 'incremental' })).rejects.toThrow(/already running/);
    expect((await engine.run({ tenant: 'acme', stream: 'users', mode: 'full' })).status).toBe('success');
    release();
    expect((await first).status).toBe('success');
  });

  it('names the configured tenants when asked for an unknown one', async () => {
    await expect(engine.run({ tenant: 'nope', stream: 'bookings', mode: 'full' })).rejects.toThrow(/use one of: acme/);
  });
});

describe('scheduler', () => {
  it('schedules the reference jobs from the config, soonest first', async () => {
    const sim = await startTestSim({ bookings: 1, transactions: 1, users: 1 });
    const wh = await openTestWarehouse('sqlite');
    try {
      const clock = new ManualClock(Date.UTC(2026, 0, 1));
      const config = simConfig(sim);
      const engine = createSyncEngine({ config, warehouse: wh, clientFor: () => { throw new Error('the scheduler must not run anything here'); }, clock });
      const next = createScheduler({ config, engine, clock }).next();
      expect(next.map((n) => `${n.stream}:${n.mode}`)).toEqual(['transactions:incremental', 'bookings:incremental', 'users:full', 'bookings:full']);
      expect(next[0]!.at.toISOString()).toBe('2026-01-01T00:15:00.000Z');
      expect(next[3]!.at.toISOString()).toBe('2026-01-04T03:00:00.000Z'); // the first Sunday
    } finally {
      await wh.drop();
      await sim.close();
    }
  });
});
