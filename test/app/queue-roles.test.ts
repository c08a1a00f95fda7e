import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bullmqRoles, createPlatform, type Platform } from '../../src/app/index.js';
import { EventBus } from '../../src/shared/events.js';
import { silentLogger } from '../../src/shared/logger.js';
import { startTestSim, type SimControl, type Simulator } from '../helpers/sim.js';
import { dropKeys, pgSchema, queueConfig, uniqueName } from '../queue/helpers.js';

// `start --role scheduler` and `--role worker` as two platforms on real Redis and PostgreSQL
// (a private schema and key prefix for this file).
const name = uniqueName('app');
let sim: Simulator & { control: SimControl };
let db: Awaited<ReturnType<typeof pgSchema>>;
const platforms: Platform[] = [];

beforeAll(async () => {
  sim = await startTestSim({ now: Date.now(), bookings: 400, transactions: 800, users: 30 });
  db = await pgSchema(name);
});
afterAll(async () => {
  await Promise.allSettled(platforms.map((p) => p.close()));
  await sim.close();
  await db.drop();
  await dropKeys(name);
});

async function role(r: 'worker' | 'scheduler'): Promise<{ platform: Platform; url: string }> {
  const config = queueConfig({ name, databaseUrl: db.url, tenants: [{ id: `${name}t`, sim }] });
  const platform = await createPlatform({ config, role: r, logger: silentLogger, events: new EventBus(), queue: bullmqRoles({ prefix: `${name}:bull`, lockKeyPrefix: `${name}:` }) });
  platforms.push(platform);
  const { url } = await platform.start({ port: 0 });
  return { platform, url };
}

it('the scheduler role enqueues the catch-up, the worker role runs it, and both expose probes and stop cleanly', async () => {
  const scheduler = await role('scheduler');
  const worker = await role('worker');
  for (const { url } of [scheduler, worker]) {
    const ready = await request(`${url}/readyz`);
    expect(ready.statusCode).toBe(200);
    await ready.body.dump();
  }
  const runs = () => worker.platform.runtime.warehouse.db.selectFrom('sync_run').select(['stream', 'mode', 'status']).execute();
  const deadline = Date.now() + 30_000;
  let done = await runs();
  while (!(done.length >= 2 && done.every((r) => r.status === 'success')) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    done = await runs();
  }
  expect(done.map((r) => [r.stream, r.mode, r.status]).sort()).toEqual([['bookings', 'catch-up', 'success'], ['transactions', 'catch-up', 'success']]);
  const metrics = await request(`${worker.url}/metrics`).then((r) => r.body.text());
  expect(metrics).toMatch(new RegExp(`navan_bridge_sync_runs_total\\{tenant="${name}t",stream="BOOKING",outcome="success"\\} 1`));

  const t0 = Date.now();
  await Promise.all([scheduler.platform.close(), worker.platform.close()]);
  expect(Date.now() - t0).toBeLessThan(10_000);
});
