import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime/index.js';
import { openSyncQueue, startSyncWorker, type SyncQueue, type SyncWorker, type WindowJob } from '../../src/queue/index.js';
import type { WindowSummary } from '../../src/sync/index.js';
import { startTestSim } from '../helpers/sim.js';
import { diffAgainstTruth } from '../sync/sim-support.js';
import { dropKeys, pgSchema, queueConfig, queueRuntime, uniqueName, until } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));

/**
 * A worker process SIGKILLed in the middle of a window job: BullMQ's stalled-job check hands the
 * job to another worker, which resumes the window from its last checkpoint instead of re-reading it.
 */
describe('a worker killed mid-window', () => {
  const name = uniqueName('kill');
  const tenant = `${name}-acme`;
  let sim: Awaited<ReturnType<typeof startTestSim>>;
  let db: Awaited<ReturnType<typeof pgSchema>>;
  let args: Parameters<typeof queueConfig>[0];
  let runtime: Runtime;
  let queue: SyncQueue;
  let worker: SyncWorker | undefined;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    sim = await startTestSim({ bookings: 2000, transactions: 200, users: 5 });
    db = await pgSchema(name);
    args = {
      name, databaseUrl: db.url,
      tenants: [{ id: tenant, sim: { url: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret }, startDate: '2024-01-15' }],
      // Two window jobs of a year, each of about 13 API windows of 30 days, 20 bookings a page, at 8 requests/s: ~10 s a window.
      sync: { bookingPageSize: 20, bookingWindowDays: 30, queue: { windowDays: 366, concurrency: 1, perTenantConcurrency: 2, attempts: 3, backoffMs: 50 } },
      gateway: { observedLimitRps: 10 },
    };
    runtime = await queueRuntime(queueConfig(args), sim);
    queue = openSyncQueue({ runtime, prefix: name });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await worker?.close();
    await queue?.close();
    await runtime?.close();
    await sim?.close();
    await db?.drop();
    await dropKeys(name);
  });

  function startChild(): Promise<ChildProcess> {
    const c = spawn(process.execPath, ['--import', 'tsx', fixture], {
      env: { ...process.env, QUEUE_CONFIG: JSON.stringify(args), LOCK_MS: '1500', STALLED_MS: '500' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stderr!.on('data', (d) => (out += d));
    return new Promise((resolve, reject) => {
      c.stdout!.on('data', (d) => String(d).includes('ready') && resolve(c));
      c.on('exit', (code) => reject(new Error(`worker exited with ${code}: ${out}`)));
    });
  }

  /** The committed state of a window's checkpoint, if any. */
  async function windowCheckpoint(from: string): Promise<{ pages: number; resumeFrom: string } | undefined> {
    const row = await runtime.warehouse.db.selectFrom('sync_checkpoint').select('state').where('_tenant', '=', tenant).where('mode', '=', `full@${from}`).executeTakeFirst();
    if (!row) return undefined;
    const s = JSON.parse(row.state);
    return { pages: s.counters.pages, resumeFrom: s.resumeFrom };
  }

  it('resumes the window from its checkpoint on another worker and ends equal to the ground truth', async () => {
    child = await startChild();
    await queue.enqueue({ tenant, stream: 'bookings', mode: 'full' });
    // The child plans the run, then reads window 0 alone (concurrency 1): kill it a few API windows in.
    const windows = await until('the windows to be planned', async () => {
      const jobs = (await queue.queue.getJobs(['prioritized', 'wait', 'active'])).filter((j) => j.data.kind === 'window');
      return jobs.length === 2 ? jobs.map((j) => j.data as WindowJob).sort((a, b) => a.index - b.index) : undefined;
    });
    const first = windows[0]!;
    const atKill = await until('window 0 to commit 20 pages', async () => {
      const cp = await windowCheckpoint(first.window.from);
      return cp && cp.pages >= 20 ? cp : undefined;
    }, 60_000, 20);
    child.kill('SIGKILL');
    child = undefined;
    expect(atKill.resumeFrom > first.window.from).toBe(true);

    worker = startSyncWorker({ runtime, prefix: name, lockKeyPrefix: `${name}:`, concurrency: 2, lockDurationMs: 1500, stalledIntervalMs: 500 });
    await until('the queue to be idle', async () => (await queue.pending()) === 0, 90_000, 100);

    const done = await queue.queue.getCompleted(0, -1);
    const summary = (i: number) => done.find((j) => j.data.kind === 'window' && j.data.index === i)!.returnvalue as WindowSummary;
    const [w0, w1] = [summary(0), summary(1)];
    expect(w0.resumed).toBe(true);
    // Resumed, not restarted: the pages read after the kill plus those committed before it are about
    // one window's worth (window 1, read in one go, is the yardstick), at most one API window re-read.
    expect(w0.pages + atKill.pages).toBeLessThanOrEqual(w1.pages + 6);
    expect(w0.pages).toBeLessThan(w1.pages - 10);
    const run = await runtime.warehouse.db.selectFrom('sync_run').selectAll().where('_tenant', '=', tenant).execute();
    expect(run.map((r) => r.status)).toEqual(['success']);
    expect(await diffAgainstTruth(runtime.warehouse, sim.control, tenant, ['bookings'])).toEqual([]);
    expect(await queue.failed()).toEqual([]);
    await worker.close();
    worker = undefined;
  }, 150_000);

  it('on SIGTERM commits the current page, hands the job back without using an attempt, and exits', async () => {
    child = await startChild();
    await queue.enqueue({ tenant, stream: 'bookings', mode: 'full' });
    const windowJob = await until('a window job to be running', async () => {
      const active = (await queue.queue.getJobs(['active'])).find((j) => j.data.kind === 'window');
      return active && (await windowCheckpoint((active.data as WindowJob).window.from))?.pages ? active : undefined;
    }, 60_000, 20);
    const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
    const t0 = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;
    expect(Date.now() - t0).toBeLessThan(5_000);
    const back = (await queue.queue.getJob(windowJob.id!))!;
    expect(['delayed', 'prioritized', 'waiting']).toContain(await back.getState());
    expect(back.attemptsMade).toBe(0);

    worker = startSyncWorker({ runtime, prefix: name, lockKeyPrefix: `${name}:`, concurrency: 2 });
    await until('the queue to be idle', async () => (await queue.pending()) === 0, 90_000, 100);
    const resumed = (await queue.queue.getJob(windowJob.id!))!.returnvalue as WindowSummary;
    expect(resumed.resumed).toBe(true);
    const runs = await runtime.warehouse.db.selectFrom('sync_run').select('status').where('_tenant', '=', tenant).execute();
    expect(runs.map((r) => r.status)).toEqual(['success', 'success']);
    expect(await queue.failed()).toEqual([]);
  }, 150_000);
});
