import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { SyncAlreadyRunningError } from '../../src/shared/errors.js';
import { EventBus } from '../../src/shared/events.js';
import { createScheduler, createSyncEngine, type SyncEngine } from '../../src/sync/index.js';
import { openWarehouse, type Warehouse } from '../../src/warehouse/index.js';
import { FakeSource, fakeBooking } from './fake-source.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 1);
const START = Date.UTC(2025, 0, 1);

function makeConfig(sync: Record<string, unknown> = {}): Config {
  return loadConfig({
    env: {},
    cwd: '/nonexistent',
    overrides: {
      tenants: [{ id: 'acme', baseUrl: 'http://127.0.0.1:1', clientId: 'c', clientSecret: 's', startDate: '2025-01-01' }],
      sync: { bookingPageSize: 10, transactionPageSize: 10, ...sync },
    },
  });
}

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const schemaPrefix = `sync_eng_${randomBytes(3).toString('hex')}`;
let schemaSeq = 0;

for (const backend of ['sqlite', 'postgres'] as const)
describe(`sync engine (in-memory source, ${backend})`, () => {
  let wh: Warehouse;
  let source: FakeSource;
  let clock: ManualClock;
  let bus: EventBus;
  let engine: SyncEngine;
  const make = (sync: Record<string, unknown> = {}) =>
    createSyncEngine({ config: makeConfig(sync), warehouse: wh, clientFor: () => source, clock, events: bus, retryDelayMs: 1, pageAttempts: 1 });

  beforeEach(async () => {
    wh = backend === 'sqlite'
      ? await openWarehouse({ databaseUrl: 'sqlite::memory:' })
      : await openWarehouse({ databaseUrl: PG_URL, pgSchema: `${schemaPrefix}_${++schemaSeq}` });
    await wh.migrate();
    source = new FakeSource();
    clock = new ManualClock(NOW);
    bus = new EventBus();
    for (let i = 0; i < 120; i++) source.bookings.set(`bk-${String(i).padStart(6, '0')}`, fakeBooking(i, START + i * 3 * DAY + 1000));
    engine = make();
  });
  afterEach(async () => {
    await wh.close();
  });

  const live = async () =>
    (await wh.db.selectFrom('booking').select(['uuid', 'grand_total']).where('_tenant', '=', 'acme').where('_deleted', '=', 0).orderBy('uuid').execute()).map((r) => `${r.uuid}=${r.grand_total}`);
  const truth = () => [...source.bookings.values()].map((b) => `${b.uuid}=${b.grandTotal}`).sort();

  it('a full refresh makes the warehouse equal to the source, with children, ledger and run record', async () => {
    const events: string[] = [];
    bus.on('sync.run', (e) => events.push(e.outcome));
    const progress: number[] = [];
    const s = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full', onProgress: (p) => progress.push(p.done / p.total) });
    expect(s).toMatchObject({ status: 'success', read: 120, written: 120, deleted: 0, quarantined: 0 });
    expect(await live()).toEqual(truth());
    const segs = await wh.db.selectFrom('booking_segment').select('booking_uuid').execute();
    expect(segs).toHaveLength(30);
    const ranges = await wh.db.selectFrom('sync_range').selectAll().where('stream', '=', 'bookings').execute();
    expect(ranges.map((r) => [r.range_start, r.range_end])).toEqual([['2025-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']]);
    const run = await wh.db.selectFrom('sync_run').selectAll().executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: 'success', records_read: 120, records_written: 120 });
    expect(events).toEqual(['success']);
    expect(progress.at(-1)).toBe(1);
    expect(await wh.db.selectFrom('sync_checkpoint').selectAll().execute()).toEqual([]);
  });

  it('marks bookings that a full refresh no longer returns as deleted, and undeletes one that reappears', async () => {
    await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    const gone = source.bookings.get('bk-000005')!;
    source.bookings.delete('bk-000005');
    source.bookings.get('bk-000006')!.grandTotal = '0.01';
    source.bookings.set('new-1', fakeBooking(999, NOW - DAY, { uuid: 'new-1' }));
    clock.set(NOW + DAY);
    const s = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(s).toMatchObject({ status: 'success', deleted: 1 });
    expect(await live()).toEqual(truth());
    source.bookings.set('bk-000005', gone);
    await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(await live()).toEqual(truth());
  });

  it('holds deletes as suspect when a full refresh returns half the bookings, unless forced', async () => {
    await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    const outcomes: string[] = [];
    bus.on('sync.run', (e) => outcomes.push(e.outcome));
    for (let i = 0; i < 60; i++) source.bookings.delete(`bk-${String(i).padStart(6, '0')}`);
    const s = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(s).toMatchObject({ status: 'suspect', deleted: 0 });
    expect(s.error).toMatch(/--force-deletes/);
    expect(outcomes).toEqual(['suspect']);
    expect((await live()).length).toBe(120);
    const forced = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full', forceDeletes: true });
    expect(forced).toMatchObject({ status: 'success', deleted: 60 });
    expect(await live()).toEqual(truth());
  });

  it('resumes a failed run from its checkpoint without losing or re-reading committed windows', async () => {
    source.failAt.add(7);
    const failed = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(failed.status).toBe('failure');
    expect(failed.error).toMatch(/resumes/);
    expect(failed.pages).toBe(6);
    const cp = await wh.db.selectFrom('sync_checkpoint').selectAll().executeTakeFirstOrThrow();
    expect(cp.run_id).toBe(failed.runId);
    source.fetches = 0;
    for await (const _ of source.bookingPages({ createdFrom: new Date(START), createdTo: new Date(NOW), windowDays: 30, pageSize: 10 }));
    const cleanRunFetches = source.fetches;
    source.fetches = 0;
    const resumed = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(resumed).toMatchObject({ status: 'success', runId: failed.runId, resumed: true, read: 120 });
    // Only what was not committed before the failure is read again.
    expect(source.fetches).toBe(cleanRunFetches - 6);
    expect(await live()).toEqual(truth());
  });

  it('re-reads a failed page from the checkpoint when attempts remain', async () => {
    const e2 = createSyncEngine({ config: makeConfig(), warehouse: wh, clientFor: () => source, clock, events: bus, retryDelayMs: 1, pageAttempts: 3 });
    source.failAt.add(3).add(9);
    const s = await e2.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(s).toMatchObject({ status: 'success', read: 120 });
    expect(await live()).toEqual(truth());
  });

  it('quarantines bad records and keeps going; fails only above the configured share', async () => {
    source.bookings.set('bad-amount', fakeBooking(500, START + DAY, { uuid: 'bad-amount', grandTotal: 'twelve' }));
    source.bookings.set('no-uuid', fakeBooking(501, START + DAY, { uuid: undefined }));
    const s = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(s).toMatchObject({ status: 'success', quarantined: 2, written: 120 });
    const q = await wh.db.selectFrom('quarantine').select(['record_id', 'reason', '_raw']).orderBy('id').execute();
    expect(q.map((r) => r.record_id).sort()).toEqual(['bad-amount', null].sort() as any);
    expect(q.find((r) => r.record_id === 'bad-amount')!.reason).toMatch(/decimal/);
    expect(JSON.parse(q.find((r) => r.record_id === 'bad-amount')!._raw).grandTotal).toBe('twelve');
    const strict = make({ quarantineFailFraction: 0.01 });
    clock.set(NOW + DAY);
    const f = await strict.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(f.status).toBe('failure');
    expect(f.error).toMatch(/quarantine/);
  });

  it('does not infer deletes when a quarantined record had no usable id', async () => {
    await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    source.bookings.delete('bk-000010');
    source.bookings.set('corrupt', fakeBooking(700, START + DAY, { uuid: 12345 }));
    clock.set(NOW + DAY);
    const s = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    expect(s).toMatchObject({ status: 'suspect', deleted: 0, quarantined: 1 });
    expect(s.error).toMatch(/no usable id/);
    expect(await wh.db.selectFrom('booking').select('uuid').where('uuid', '=', '12345').execute()).toEqual([]);
  });

  it('reads by modification time when the tenant has updated filters', async () => {
    const cfg = makeConfig();
    cfg.tenants[0]!.bookingsUpdatedFilters = true;
    const e = createSyncEngine({ config: cfg, warehouse: wh, clientFor: () => source, clock });
    await e.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    source.bookings.get('bk-000001')!.lastModified = new Date(NOW + 2 * 3_600_000).toISOString();
    source.bookings.get('bk-000001')!.grandTotal = '5.55';
    clock.set(NOW + 3 * 3_600_000);
    const s = await e.run({ tenant: 'acme', stream: 'bookings', mode: 'incremental' });
    expect(s).toMatchObject({ status: 'success', read: 1 });
    expect(await live()).toEqual(truth());
  });

  it('catches up a 10-day gap in one run, leaving no hole in the ledger', async () => {
    await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    for (let d = 0; d < 10; d++) source.bookings.set(`late-${d}`, fakeBooking(2000 + d, NOW + d * DAY + 5, { uuid: `late-${d}` }));
    clock.set(NOW + 10 * DAY);
    const before = (await engine.status('acme')).find((s) => s.stream === 'bookings')!;
    expect(before.gaps).toEqual([]);
    expect(before.coveredUntil).toBe('2026-01-01T00:00:00.000Z');
    expect(before.stalenessMs).toBe(10 * DAY);
    const s = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'catch-up' });
    expect(s.status).toBe('success');
    expect(await live()).toEqual(truth());
    const after = (await engine.status('acme')).find((x) => x.stream === 'bookings')!;
    expect(after.gaps).toEqual([]);
    expect(after.coveredUntil).toBe('2026-01-11T00:00:00.000Z');
    expect(after.coveredRanges).toEqual([{ from: '2025-01-01T00:00:00.000Z', to: '2026-01-11T00:00:00.000Z' }]);
    expect(after.stalenessMs).toBe(0);
  });

  it('reads an interior hole of the ledger on the next incremental run', async () => {
    await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    // Simulate a lost stretch, e.g. from a ledger restored from an old backup.
    await wh.db.deleteFrom('sync_range').execute();
    await wh.db.insertInto('sync_range').values([
      { _tenant: 'acme', stream: 'bookings', range_start: '2025-01-01T00:00:00.000Z', range_end: '2025-03-01T00:00:00.000Z', run_id: 'x', covered_at: 'x' },
      { _tenant: 'acme', stream: 'bookings', range_start: '2025-06-01T00:00:00.000Z', range_end: '2026-01-01T00:00:00.000Z', run_id: 'x', covered_at: 'x' },
    ]).execute();
    expect((await engine.status('acme')).find((x) => x.stream === 'bookings')!.gaps).toEqual([{ from: '2025-03-01T00:00:00.000Z', to: '2025-06-01T00:00:00.000Z' }]);
    await wh.db.deleteFrom('booking').where('created', '>=', '2025-03-01').where('created', '<', '2025-06-01').execute();
    const s = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'incremental' });
    expect(s.status).toBe('success');
    expect(await live()).toEqual(truth());
    expect((await engine.status('acme')).find((x) => x.stream === 'bookings')!.gaps).toEqual([]);
  });

  it('keeps transaction history: one row per version, with a trailing window re-read', async () => {
    const tx = (id: string, amount: string, modified: number) => ({ id, posted_amount: amount, posted_currency: 'USD', modified_timestamp: new Date(modified).toISOString(), custom_field_values: [{ name: 'project', value: 'X' }] });
    for (let i = 0; i < 25; i++) source.transactions.set(`t${i}`, tx(`t${i}`, `${i}.10`, START + i * 20 * DAY));
    const s1 = await engine.run({ tenant: 'acme', stream: 'transactions', mode: 'incremental' });
    expect(s1).toMatchObject({ status: 'success', read: 19 });
    source.transactions.set('t3', tx('t3', '99.99', NOW + 2 * 3_600_000));
    source.transactions.set('late', tx('late', '1.00', NOW - 3_600_000)); // shows up late, inside the trailing day
    clock.set(NOW + 3 * 3_600_000);
    const s2 = await engine.run({ tenant: 'acme', stream: 'transactions', mode: 'incremental' });
    expect(s2.status).toBe('success');
    const rows = await wh.db.selectFrom('transaction').select(['id', 'posted_amount', 'custom_fields']).orderBy('id').execute();
    expect(rows.find((r) => r.id === 't3')?.posted_amount).toBe('99.99');
    expect(rows.find((r) => r.id === 'late')).toBeDefined();
    expect(JSON.parse(rows[0]!.custom_fields!)).toEqual({ custom_project: 'X' });
    const hist = await wh.db.selectFrom('transaction_history').select(['id']).where('id', '=', 't3').execute();
    expect(hist).toHaveLength(2);
  });

  it('refreshes users in full and marks the missing ones deleted', async () => {
    for (let i = 0; i < 25; i++) source.users.set(`u${i}`, { id: `u${i}`, userName: `u${i}`, name: { givenName: 'A', familyName: `B${i}` }, emails: [{ value: `u${i}@x.com`, primary: true }], active: true });
    expect(await engine.run({ tenant: 'acme', stream: 'users', mode: 'incremental' })).toMatchObject({ status: 'success', mode: 'full', written: 25 });
    source.users.delete('u1');
    clock.set(NOW + DAY);
    expect(await engine.run({ tenant: 'acme', stream: 'users', mode: 'full' })).toMatchObject({ status: 'success', deleted: 1 });
    const u = await wh.db.selectFrom('navan_user').select(['email', '_deleted']).where('id', 'in', ['u1', 'u2']).orderBy('id').execute();
    expect(u).toEqual([{ email: 'u1@x.com', _deleted: 1 }, { email: 'u2@x.com', _deleted: 0 }]);
  });

  it('allows one run per tenant and stream at a time, with a clear message', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: FakeSource = Object.assign(Object.create(FakeSource.prototype), source);
    const orig = source.bookingPages.bind(source);
    slow.bookingPages = async function* (q) {
      await gate;
      yield* orig(q);
    };
    const e1 = createSyncEngine({ config: makeConfig(), warehouse: wh, clientFor: () => slow, clock });
    const first = e1.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
    await new Promise((r) => setTimeout(r, 20));
    await expect(engine.run({ tenant: 'acme', stream: 'bookings', mode: 'incremental' })).rejects.toThrow(SyncAlreadyRunningError);
    await expect(engine.run({ tenant: 'acme', stream: 'bookings', mode: 'incremental' })).rejects.toThrow(/already running/);
    // Another stream is not blocked.
    expect((await engine.run({ tenant: 'acme', stream: 'users', mode: 'full' })).status).toBe('success');
    release();
    expect((await first).status).toBe('success');
  });

  it('names the configured tenants when asked for an unknown one', async () => {
    await expect(engine.run({ tenant: 'nope', stream: 'bookings', mode: 'full' })).rejects.toThrow(/use one of: acme/);
  });

  it('schedules the reference jobs from the config, soonest first', () => {
    const sched = createScheduler({ config: makeConfig(), engine, clock });
    const next = sched.next();
    expect(next.map((n) => `${n.stream}:${n.mode}`)).toEqual(['transactions:incremental', 'bookings:incremental', 'users:full', 'bookings:full']);
    expect(next[0]!.at.toISOString()).toBe('2026-01-01T00:15:00.000Z');
    expect(next[3]!.at.toISOString()).toBe('2026-01-04T03:00:00.000Z'); // the first Sunday
  });
});

afterAll(async () => {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (let i = 1; i <= schemaSeq; i++) await client.query(`drop schema if exists "${schemaPrefix}_${i}" cascade`);
  await client.end();
});
