import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime/index.js';
import { EventBus, type BridgeEvents } from '../../src/shared/events.js';
import { openSyncQueue, startSyncWorker, type SyncQueue, type SyncWorker } from '../../src/queue/index.js';
import { startTestSim } from '../helpers/sim.js';
import { diffAgainstTruth } from '../sync/sim-support.js';
import { dropKeys, pgSchema, queueConfig, queueRuntime, uniqueName, until } from './helpers.js';

/**
 * A full refresh split into window jobs across two workers (each with its own runtime, as two
 * machines would have) against the simulator and PostgreSQL: equal to the ground truth, deletes
 * marked, one run per tenant and stream, and a permanent failure in the failed set with one
 * "sync failed" event.
 */
describe('full refresh as window jobs across two workers', () => {
  const name = uniqueName('full');
  const tenant = `${name}-acme`;
  const broken = `${name}-broken`;
  let sim: Awaited<ReturnType<typeof startTestSim>>;
  let db: Awaited<ReturnType<typeof pgSchema>>;
  const runtimes: Runtime[] = [];
  const workers: SyncWorker[] = [];
  let queue: SyncQueue;
  const events = new EventBus();
  const runEvents: BridgeEvents['sync.run'][0][] = [];
  const windowsBy = [0, 0];
  const attemptFailures: string[] = [];

  beforeAll(async () => {
    sim = await startTestSim({ bookings: 1500, transactions: 3000, users: 20 });
    db = await pgSchema(name);
    const config = queueConfig({
      name, databaseUrl: db.url,
      tenants: [{ id: tenant, sim }, { id: broken, sim, clientId: `${name}-client`, clientSecret: 'not-issued-yet' }],
      // 90-day windows: about nine per stream. Short retries so the failure test is quick.
      sync: { queue: { windowDays: 90, concurrency: 2, perTenantConcurrency: 4, attempts: 2, backoffMs: 20 } },
    });
    events.on('sync.run', (e) => runEvents.push(e));
    for (let i = 0; i < 2; i++) {
      const runtime = await queueRuntime(config, sim, events);
      runtimes.push(runtime);
      const w = startSyncWorker({ runtime, prefix: name, lockKeyPrefix: `${name}:`, pageAttempts: 1, retryDelayMs: 1 });
      w.worker.on('completed', (job) => {
        if (job.data.kind === 'window') windowsBy[i]! += 1;
      });
      w.worker.on('failed', (job, err) => {
        if (job?.data.tenant === tenant) attemptFailures.push(`${job.name}: ${err.message}`);
      });
      workers.push(w);
    }
    queue = openSyncQueue({ runtime: runtimes[0]!, prefix: name });
  });
  afterAll(async () => {
    for (const w of workers) await w.close().catch(() => undefined);
    await queue?.close();
    for (const r of runtimes) await r.close();
    await sim?.close();
    await db?.drop();
    await dropKeys(name);
  });

  const idle = () => until('the queue to be idle', async () => (await queue.pending()) === 0, 90_000, 100);
  const runs = (t: string, stream: string) => runtimes[0]!.warehouse.db.selectFrom('sync_run').selectAll().where('_tenant', '=', t).where('stream', '=', stream).orderBy('started_at').execute();

  it('reads every window on both workers and ends equal to the ground truth, one run per stream', async () => {
    const first = await queue.enqueue({ tenant, stream: 'bookings', mode: 'full' });
    // One active run per tenant and stream: a second full refresh, or an incremental, is a no-op while it runs.
    const again = await queue.enqueue({ tenant, stream: 'bookings', mode: 'full' });
    const incremental = await queue.enqueue({ tenant, stream: 'bookings', mode: 'incremental' });
    expect(first.deduplicated).toBe(false);
    expect(again).toEqual({ jobId: first.jobId, deduplicated: true });
    expect(incremental.deduplicated).toBe(true);
    await queue.enqueue({ tenant, stream: 'transactions', mode: 'full' });
    await queue.enqueue({ tenant, stream: 'users', mode: 'full' });
    await idle();

    expect(await diffAgainstTruth(runtimes[0]!.warehouse, sim.control, tenant)).toEqual([]);
    for (const stream of ['bookings', 'transactions', 'users']) {
      const r = await runs(tenant, stream);
      expect(r.map((x) => [x.mode, x.status]), stream).toEqual([['full', 'success']]);
    }
    const [bookingRun] = await runs(tenant, 'bookings');
    // A window retried after a failed page re-reads its current API window, so "read" may exceed the bookings.
    expect(bookingRun!.records_read).toBeGreaterThanOrEqual(1500);
    expect(attemptFailures).toEqual([]);
    // Both workers took windows, and the ledger covers the whole span under this run's id.
    expect(windowsBy[0]).toBeGreaterThan(0);
    expect(windowsBy[1]).toBeGreaterThan(0);
    const ranges = await runtimes[0]!.warehouse.db.selectFrom('sync_range').selectAll().where('_tenant', '=', tenant).where('stream', '=', 'bookings').execute();
    expect(ranges).toHaveLength(1);
    expect(ranges[0]!.run_id).toBe(bookingRun!.id);
    expect(ranges[0]!.range_start).toBe('2023-12-01T00:00:00.000Z');
    // Nothing is left behind: no checkpoints, nothing failed, one success event per stream.
    expect(await runtimes[0]!.warehouse.db.selectFrom('sync_checkpoint').selectAll().where('_tenant', '=', tenant).execute()).toEqual([]);
    expect(await queue.failed()).toEqual([]);
    expect(runEvents.filter((e) => e.tenant === tenant).map((e) => `${e.stream}:${e.outcome}`).sort()).toEqual(['bookings:success', 'transactions:success', 'users:success']);
  }, 120_000);

  it('marks deletes once every window of the next full refresh is read', async () => {
    const truth = await sim.control.truth('bookings');
    const gone = truth.slice(0, 5).map((b: { uuid: string }) => b.uuid);
    for (const uuid of gone) await sim.control.del(`/bookings/${uuid}`);
    await queue.enqueue({ tenant, stream: 'bookings', mode: 'full' });
    await idle();
    const rows = await runtimes[0]!.warehouse.db.selectFrom('booking').select(['uuid', '_deleted']).where('_tenant', '=', tenant).where('uuid', 'in', gone).execute();
    expect(rows.map((r) => r._deleted)).toEqual([1, 1, 1, 1, 1]);
    const last = (await runs(tenant, 'bookings')).at(-1)!;
    expect([last.status, last.records_deleted]).toEqual(['success', 5]);
    expect(await diffAgainstTruth(runtimes[0]!.warehouse, sim.control, tenant, ['bookings'])).toEqual([]);
  }, 120_000);

  it('puts a run that fails for good in the failed set with its error and raises one sync.run failure', async () => {
    runEvents.length = 0;
    await queue.enqueue({ tenant: broken, stream: 'transactions', mode: 'incremental' });
    await queue.enqueue({ tenant: broken, stream: 'bookings', mode: 'full' });
    await idle();
    const failed = (await queue.failed()).filter((f) => f.data.kind === 'run');
    expect(failed.map((f) => `${f.data.stream}`).sort()).toEqual(['bookings', 'transactions']);
    for (const f of failed) expect(f.reason).toMatch(/credential|client|secret|401|auth/i);
    // Retried first (attempts 2), yet each run raised exactly one failure.
    expect(failed.find((f) => f.data.stream === 'transactions')!.attempts).toBe(2);
    const failures = runEvents.filter((e) => e.tenant === broken);
    expect(failures.map((e) => `${e.stream}:${e.outcome}`).sort()).toEqual(['bookings:failure', 'transactions:failure']);
    const r = await runs(broken, 'bookings');
    expect(r.map((x) => x.status)).toEqual(['failure']);
  }, 120_000);

  it('resumes the failed run (same run id) on the next full refresh once the credentials work', async () => {
    const [failedRun] = await runs(broken, 'bookings');
    await sim.control.post('/credentials', { clientId: `${name}-client`, clientSecret: 'not-issued-yet' });
    await queue.enqueue({ tenant: broken, stream: 'bookings', mode: 'full' });
    await idle();
    const r = await runs(broken, 'bookings');
    expect(r.map((x) => [x.id, x.status])).toEqual([[failedRun!.id, 'success']]);
    expect(await diffAgainstTruth(runtimes[0]!.warehouse, sim.control, broken, ['bookings'])).toEqual([]);
  }, 120_000);
});
