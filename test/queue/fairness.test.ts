import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime/index.js';
import { EventBus, type BridgeEvents } from '../../src/shared/events.js';
import { openSyncQueue, startSyncWorker, type SyncQueue, type SyncWorker } from '../../src/queue/index.js';
import { startTestSim } from '../helpers/sim.js';
import { REDIS_URL, dropKeys, pgSchema, queueConfig, queueRuntime, uniqueName, until } from './helpers.js';

/**
 * 50 tenants: one with a huge backlog (a full refresh of ~100 windows holding both slots of the
 * worker), 49 with an hourly transaction sync. Every run is served before any window, so the
 * backlog delays a small tenant's sync by at most the one job slot that frees first, and no window
 * starts while a small sync waits.
 */
describe('fairness across 50 tenants', () => {
  const name = uniqueName('fair');
  const big = `${name}-t00`;
  const small = Array.from({ length: 49 }, (_, i) => `${name}-t${String(i + 1).padStart(2, '0')}`);
  let sim: Awaited<ReturnType<typeof startTestSim>>;
  let db: Awaited<ReturnType<typeof pgSchema>>;
  let runtime: Runtime;
  let queue: SyncQueue;
  let worker: SyncWorker;
  const log: { at: number; event: 'start' | 'end'; tenant: string; kind: string }[] = [];

  beforeAll(async () => {
    sim = await startTestSim({ bookings: 3000, transactions: 3000, users: 5 });
    db = await pgSchema(name);
    const config = queueConfig({
      name, databaseUrl: db.url,
      tenants: [{ id: big, sim, startDate: '2024-01-15' }, ...small.map((id) => ({ id, sim, startDate: '2026-01-14' }))],
      // About 100 week-long windows of 3 pages each for the big tenant.
      sync: { bookingPageSize: 10, queue: { windowDays: 7, concurrency: 2, perTenantConcurrency: 2, attempts: 2, backoffMs: 50 } },
    });
    runtime = await queueRuntime(config, sim);
    queue = openSyncQueue({ runtime, prefix: name });
    worker = startSyncWorker({ runtime, prefix: name, lockKeyPrefix: `${name}:` });
    worker.worker.on('active', (job) => log.push({ at: performance.now(), event: 'start', tenant: job.data.tenant, kind: job.data.kind }));
    worker.worker.on('completed', (job) => log.push({ at: performance.now(), event: 'end', tenant: job.data.tenant, kind: job.data.kind }));
  });
  afterAll(async () => {
    await worker?.close();
    await queue?.close();
    await runtime?.close();
    await sim?.close();
    await db?.drop();
    await dropKeys(name);
  });

  it('delays each hourly sync behind the backlog by at most one job slot', async () => {
    await queue.enqueue({ tenant: big, stream: 'bookings', mode: 'full' });
    await until('both slots busy with the backlog', async () => (await queue.queue.getJobs(['active'])).filter((j) => j.data.kind === 'window').length === 2, 30_000, 20);
    const firstEnqueuedAt = performance.now();
    for (const t of small) await queue.enqueue({ tenant: t, stream: 'transactions', mode: 'incremental' });
    const enqueuedAt = performance.now();
    await until('every hourly sync to finish', async () => small.every((t) => log.some((l) => l.tenant === t && l.event === 'end')), 60_000, 50);

    const firstStart = Math.min(...small.map((t) => log.find((l) => l.tenant === t && l.event === 'start')!.at));
    const lastStart = Math.max(...small.map((t) => log.find((l) => l.tenant === t && l.event === 'start')!.at));
    const backlog = log.filter((l) => l.tenant === big && l.kind === 'window');
    if (process.env.DEBUG_Q) {
      const ends = backlog.filter((l) => l.event === 'end').map((l) => l.at);
      const starts = backlog.filter((l) => l.event === 'start').map((l) => l.at);
      const spans = ends.map((e, i) => e - starts[i]!).sort((a, b) => a - b);
      console.log(JSON.stringify({ firstSmallWaitMs: firstStart - firstEnqueuedAt, lastSmallStartMs: lastStart - firstEnqueuedAt, windowMedianMs: spans[spans.length >> 1] }));
    }
    // The first hourly sync took the first slot that freed: at most one window ended before it started.
    expect(firstStart).toBeGreaterThan(firstEnqueuedAt);
    expect(backlog.filter((l) => l.event === 'end' && l.at > firstEnqueuedAt && l.at < firstStart).length).toBeLessThanOrEqual(1);
    // No window jumped ahead of any hourly sync still waiting.
    expect(backlog.filter((l) => l.event === 'start' && l.at > enqueuedAt && l.at < lastStart)).toEqual([]);
    const runs = await runtime.warehouse.db.selectFrom('sync_run').select(['_tenant', 'stream', 'status']).execute();
    expect(runs.filter((r) => r.stream === 'transactions' && r.status === 'success')).toHaveLength(49);
    // And the backlog is still there afterwards: the hourly syncs did not wait for it to drain.
    expect(runs.filter((r) => r.stream === 'bookings').map((r) => r.status)).toEqual(['running']);
    expect(backlog.filter((l) => l.event === 'end').length).toBeLessThan(80);
  }, 90_000);
});

describe('each tenant keeps its own breaker and rate bucket', () => {
  const name = uniqueName('iso');
  const [down, up] = [`${name}-down`, `${name}-up`];
  let simDown: Awaited<ReturnType<typeof startTestSim>>;
  let simUp: Awaited<ReturnType<typeof startTestSim>>;
  let db: Awaited<ReturnType<typeof pgSchema>>;
  let runtime: Runtime;
  let queue: SyncQueue;
  let worker: SyncWorker;
  const events = new EventBus();
  const runEvents: BridgeEvents['sync.run'][0][] = [];
  const breakerEvents: BridgeEvents['breaker.state'][0][] = [];

  beforeAll(async () => {
    [simDown, simUp] = [await startTestSim({ bookings: 10, transactions: 300 }), await startTestSim({ bookings: 10, transactions: 300 })];
    db = await pgSchema(name);
    const config = queueConfig({
      name, databaseUrl: db.url,
      tenants: [{ id: down, sim: simDown, startDate: '2026-01-01' }, { id: up, sim: simUp, startDate: '2026-01-01' }],
      sync: { transactionPageSize: 20, queue: { attempts: 1, backoffMs: 10 } },
      gateway: { retryMaxAttempts: 2, retryMaxTotalMs: 2_000 },
    });
    events.on('sync.run', (e) => runEvents.push(e));
    events.on('breaker.state', (e) => breakerEvents.push(e));
    runtime = await queueRuntime(config, simUp, events);
    queue = openSyncQueue({ runtime, prefix: name });
    worker = startSyncWorker({ runtime, prefix: name, lockKeyPrefix: `${name}:`, pageAttempts: 4, retryDelayMs: 1 });
  });
  afterAll(async () => {
    await worker?.close();
    await queue?.close();
    await runtime?.close();
    await simDown?.close();
    await simUp?.close();
    await db?.drop();
    await dropKeys(name);
  });

  it("one tenant's Navan outage opens only its own breaker", async () => {
    await simDown.control.post('/faults', { rate5xx: 1, paths: ['/v1/'] });
    await queue.enqueue({ tenant: down, stream: 'transactions', mode: 'incremental' });
    await queue.enqueue({ tenant: up, stream: 'transactions', mode: 'incremental' });
    await until('both runs to end', async () => (await queue.pending()) === 0, 60_000, 50);

    expect(runtime.gatewayFor(down).breaker().state).toBe('open');
    expect(runtime.gatewayFor(up).breaker().state).toBe('closed');
    expect(breakerEvents.filter((e) => e.state === 'open').map((e) => e.tenant)).toEqual([down]);
    expect(runEvents.map((e) => `${e.tenant === down ? 'down' : 'up'}:${e.outcome}`).sort()).toEqual(['down:failure', 'up:success']);
    // The healthy tenant saw no error at all, and each tenant has its own bucket in Redis.
    const upStats = simUp.stats().requests;
    expect(Object.values(upStats).flatMap((byStatus) => Object.keys(byStatus)).filter((s) => s.startsWith('5'))).toEqual([]);
    const r = new Redis(REDIS_URL);
    const buckets = (await r.keys(`${name}:gw:*`)).filter((k) => k.endsWith(':tat'));
    r.disconnect();
    expect(buckets.sort()).toEqual([`${name}:gw:${down}:bucket:tat`, `${name}:gw:${up}:bucket:tat`].sort());
    expect(simUp.stats().tokensIssued).toBe(1);
  }, 60_000);
});
