import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime/index.js';
import { openSyncQueue, schedulerId, startSyncScheduler, startSyncWorker, type SyncQueue, type TickJob } from '../../src/queue/index.js';
import { startTestSim } from '../helpers/sim.js';
import { dropKeys, pgSchema, queueConfig, queueRuntime, uniqueName, until } from './helpers.js';

describe('the scheduler role', () => {
  const name = uniqueName('sched');
  const ids = ['a', 'b', 'c'].map((x) => `${name}-${x}`);
  let sim: Awaited<ReturnType<typeof startTestSim>>;
  let db: Awaited<ReturnType<typeof pgSchema>>;
  const runtimes: Runtime[] = [];
  let queue: SyncQueue;

  const runtimeFor = async (tenants: string[]) => {
    const r = await queueRuntime(queueConfig({ name, databaseUrl: db.url, tenants: tenants.map((id) => ({ id, sim })) }), sim);
    runtimes.push(r);
    return r;
  };

  beforeAll(async () => {
    sim = await startTestSim({ bookings: 10, transactions: 10, users: 2 });
    db = await pgSchema(name);
    queue = openSyncQueue({ runtime: await runtimeFor(ids), prefix: name });
  });
  afterAll(async () => {
    await queue?.close();
    for (const r of runtimes) await r.close();
    await sim?.close();
    await db?.drop();
    await dropKeys(name);
  });

  it('holds each reference schedule once, however many schedulers run', async () => {
    // Two scheduler processes (separate runtimes and connections) starting at the same moment.
    const [r1, r2] = [await runtimeFor(ids), await runtimeFor(ids)];
    const [s1, s2] = await Promise.all([startSyncScheduler({ runtime: r1, prefix: name }), startSyncScheduler({ runtime: r2, prefix: name })]);
    const schedulers = await queue.queue.getJobSchedulers(0, -1);
    expect(schedulers).toHaveLength(12);
    expect(new Set(schedulers.map((s) => s.key))).toEqual(new Set(s1.schedulerIds));
    const txn = schedulers.find((s) => s.key === schedulerId({ tenant: ids[0]!, stream: 'transactions', mode: 'incremental' }))!;
    expect([txn.pattern, txn.tz]).toEqual(['15 * * * *', 'UTC']);
    // One next tick per schedule, and one catch-up run per tenant and stream (the second start was a no-op).
    const counts = await queue.queue.getJobCounts('delayed', 'prioritized', 'wait');
    expect(counts.delayed).toBe(12);
    expect(counts.prioritized + counts.wait).toBe(6);
    await s1.close();
    await s2.close();
  });

  it('drops the schedules of a tenant that is no longer configured', async () => {
    const s = await startSyncScheduler({ runtime: await runtimeFor(ids.slice(0, 2)), prefix: name, catchUpOnStart: false });
    const keys = (await queue.queue.getJobSchedulers(0, -1)).map((x) => x.key);
    expect(keys).toHaveLength(8);
    expect(keys.some((k) => k.includes(ids[2]!))).toBe(false);
    expect((await queue.queue.getJobCounts('delayed')).delayed).toBe(8);
    await s.close();
  });

  it('turns a cron tick into a run, which a worker carries out', async () => {
    const runtime = await runtimeFor(ids);
    const worker = startSyncWorker({ runtime, prefix: name, lockKeyPrefix: `${name}:` });
    try {
      const tick: TickJob = { kind: 'tick', tenant: ids[0]!, stream: 'users', mode: 'full' };
      await queue.queue.add('tick', tick, { priority: 1 });
      await until('the tick, its run and the catch-up runs to finish', async () => (await queue.pending()) === 0, 30_000, 50);
      const runs = await runtime.warehouse.db.selectFrom('sync_run').select(['_tenant', 'stream', 'mode', 'status']).execute();
      expect(runs.filter((r) => r._tenant === ids[0] && r.stream === 'users').map((r) => [r.mode, r.status])).toEqual([['full', 'success']]);
      // The catch-up runs the first scheduler start enqueued (one per tenant and stream, not two).
      expect(runs.filter((r) => r.mode === 'catch-up' && r.status === 'success')).toHaveLength(6);
    } finally {
      await worker.close();
    }
  });
});
