import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlatform, type Platform, type Role } from '../../src/app/index.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createKeyStore } from '../../src/server/index.js';
import { EventBus } from '../../src/shared/events.js';
import { silentLogger } from '../../src/shared/logger.js';
import { startTestSim, type SimControl, type Simulator } from '../helpers/sim.js';
import { tempDir } from './cli.js';

// The platform with a configured tenant (here a simulator standing in for Navan), in-process.
let sim: Simulator & { control: SimControl };
beforeAll(async () => { sim = await startTestSim({ bookings: 800, transactions: 1500, users: 50 }); });
afterAll(async () => { await sim.close(); });

function configFor(dir: string, over: Record<string, unknown> = {}): Config {
  return loadConfig({
    env: {},
    cwd: dir,
    overrides: {
      logLevel: 'silent',
      // The test simulator's clock starts in January 2026: read from before its first booking.
      tenants: [{ id: 'acme', baseUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret, startDate: '2023-01-01' }],
      storage: { databaseUrl: `sqlite:${join(dir, 'wh.db')}`, dataDir: dir },
      auth: { tokenStore: 'memory' },
      ...over,
    },
  });
}

async function platformFor(role: Role, dir: string, over: Record<string, unknown> = {}): Promise<{ platform: Platform; events: EventBus }> {
  const events = new EventBus();
  const platform = await createPlatform({ config: configFor(dir, over), role, logger: silentLogger, events });
  return { platform, events };
}

/** Polls the warehouse (no fixed sleeps): resolves once `done` holds, fails after `ms`. */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not reached within ${ms} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const runsOf = (p: Platform) => p.runtime.warehouse.db.selectFrom('sync_run').select(['stream', 'mode', 'status', 'id']).execute();

describe('createPlatform with a configured tenant', () => {
  it('role server serves the API, probes and metrics and never syncs', async () => {
    const dir = tempDir('nb-platform-server-');
    const { platform } = await platformFor('server', dir);
    await sim.control.post('/stats/reset');
    const { url } = await platform.start({ port: 0 });
    try {
      const { key } = await (await createKeyStore(platform.runtime.warehouse)).create('acme');
      const status = await request(`${url}/api/v1/sync/status`, { headers: { authorization: `Bearer ${key}` } });
      expect(status.statusCode).toBe(200);
      await status.body.dump();
      const metrics = await request(`${url}/metrics`);
      expect(metrics.statusCode).toBe(200);
      expect(await metrics.body.text()).toContain('tenant="acme"');
      expect((await request(`${url}/healthz`).then(async (r) => { await r.body.dump(); return r.statusCode; }))).toBe(200);
      expect(await runsOf(platform)).toEqual([]);
      const stats = await sim.control.stats();
      expect(JSON.stringify(stats)).not.toMatch(/GET \/v1\/bookings/);
    } finally {
      await platform.close();
    }
  });

  it('role all catches up every stream at start (the first sync with real credentials) and closes clean', async () => {
    const dir = tempDir('nb-platform-all-');
    const { platform } = await platformFor('all', dir);
    await platform.start({ port: 0 });
    try {
      const runs = await until(() => runsOf(platform), (r) => r.length === 3 && r.every((x) => x.status !== 'running'));
      expect(runs.map((r) => [r.stream, r.mode, r.status]).sort()).toEqual([
        ['bookings', 'catch-up', 'success'], ['transactions', 'catch-up', 'success'], ['users', 'full', 'success'],
      ]);
    } finally {
      await platform.close();
    }
    const reopened = await platformFor('server', dir);
    try {
      const db = reopened.platform.runtime.warehouse.db;
      expect(await db.selectFrom('sync_lock').selectAll().execute()).toEqual([]);
      expect(await db.selectFrom('sync_checkpoint').selectAll().execute()).toEqual([]);
      const n = await db.selectFrom('booking').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(800);
    } finally {
      await reopened.platform.close();
    }
  });

  it('close() during a running sync aborts it at a page boundary: rows and checkpoint agree, and no lock is left', async () => {
    const dir = tempDir('nb-platform-abort-');
    // A slow budget, so the catch-up is certainly still running when close() is called.
    const { platform, events } = await platformFor('all', dir, { gateway: { observedLimitRps: 5, burstSeconds: 0.2 } });
    const firstPage = new Promise<void>((res) => events.once('sync.progress', () => res()));
    await platform.start({ port: 0 });
    await firstPage;
    const t0 = Date.now();
    await platform.close();
    expect(Date.now() - t0).toBeLessThan(5000);

    const { platform: reader } = await platformFor('server', dir);
    try {
      const db = reader.runtime.warehouse.db;
      const runs = await db.selectFrom('sync_run').selectAll().execute();
      expect(runs.some((r) => r.status === 'interrupted')).toBe(true);
      expect(runs.every((r) => r.status !== 'running')).toBe(true);
      expect(await db.selectFrom('sync_lock').selectAll().execute()).toEqual([]);
      const bookingCheckpoint = await db.selectFrom('sync_checkpoint').selectAll().where('stream', '=', 'bookings').executeTakeFirstOrThrow();
      const rows = Number((await db.selectFrom('booking').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      expect(rows).toBeLessThan(800);
      expect((JSON.parse(bookingCheckpoint.state) as { counters: { written: number } }).counters.written).toBe(rows);
    } finally {
      await reader.close();
    }
  });

  it('a worker on a SQLite warehouse is refused before anything opens', async () => {
    const dir = tempDir('nb-platform-worker-');
    const events = new EventBus();
    const config = configFor(dir, { storage: { databaseUrl: `sqlite:${join(dir, 'wh.db')}`, dataDir: dir, redisUrl: 'redis://127.0.0.1:6379' } });
    await expect(createPlatform({ config, role: 'worker', logger: silentLogger, events })).rejects.toThrow(/needs a PostgreSQL warehouse/);
  });
});
