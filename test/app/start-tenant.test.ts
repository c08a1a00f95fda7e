import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestSim, type SimControl, type Simulator } from '../helpers/sim.js';
import { runCli, tempDir, type CliProcess } from './cli.js';

// `navan-bridge start` with credentials in the environment (a simulator stands in for Navan).
let sim: Simulator & { control: SimControl };
let cli: CliProcess | undefined;
beforeAll(async () => { sim = await startTestSim({ bookings: 300, transactions: 600, users: 20 }); });
afterAll(async () => { cli?.child.kill('SIGKILL'); await sim.close(); });

it('starts the platform for the configured tenant, syncs in the background, and exits 0 on SIGTERM', { timeout: 60_000 }, async () => {
  const dir = tempDir('nb-start-tenant-');
  cli = runCli(dir, ['start'], {
    NAVAN_BASE_URL: sim.url, NAVAN_CLIENT_ID: sim.clientId, NAVAN_CLIENT_SECRET: sim.clientSecret,
    DATABASE_URL: `sqlite:${join(dir, 'wh.db')}`, NAVAN_BRIDGE_MASTER_KEY: 'a'.repeat(64), LOG_LEVEL: 'warn',
  });
  await cli.waitFor('stdout', /Ctrl-C \(or SIGTERM\) stops gracefully/);
  const out = cli.stdout();
  expect(out).toContain('navan-bridge started as role "all"');
  expect(out).toContain('for tenant default.');
  expect(out).not.toContain('demo');
  expect(out).not.toContain(sim.clientSecret);
  const base = /API\s+(http:\/\/127\.0\.0\.1:\d+)\/api\/v1/.exec(out)![1]!;
  const health = await request(`${base}/healthz`);
  expect(health.statusCode).toBe(200);
  await health.body.dump();
  // The first sync is the scheduler's catch-up: Navan (here the simulator) is being read.
  const deadline = Date.now() + 20_000;
  const bookingCalls = async () => Object.entries((await sim.control.stats()).requests).filter(([k]) => k.startsWith('GET /v1/bookings')).length;
  while ((await bookingCalls()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(await bookingCalls()).toBeGreaterThan(0);
  expect((await sim.control.stats()).tokensIssued).toBe(1);
  cli.child.kill('SIGTERM');
  expect(await cli.exited).toEqual({ code: 0, signal: null });
  expect(cli.stderr()).toContain('SIGTERM: stopping');
  expect(cli.stderr()).not.toContain(sim.clientSecret);
});
