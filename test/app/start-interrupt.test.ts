import { afterAll, expect, it } from 'vitest';
import { DEMO_DATA } from '../../src/app/index.js';
import { readDemoWarehouse, runCli, tempDir, type CliProcess } from './cli.js';

const dir = tempDir('nb-start-interrupt-');
const running: CliProcess[] = [];
afterAll(() => { for (const p of running) p.child.kill('SIGKILL'); });

it('Ctrl-C during the first sync checkpoints the page, exits 0, and the next start resumes to a complete warehouse', { timeout: 60_000 }, async () => {
  const cli = runCli(dir, ['start']);
  running.push(cli);
  // The first progress line comes after the first committed page of bookings.
  await cli.waitFor('stderr', /bookings: \d+% \d+ read/);
  cli.child.kill('SIGINT');
  expect(await cli.exited).toEqual({ code: 0, signal: null });
  expect(cli.stderr()).toContain('Stopped cleanly.');
  expect(cli.stdout()).not.toContain('dashboard');

  const stopped = await readDemoWarehouse(dir);
  const run = stopped.runs.find((r) => r.stream === 'bookings')!;
  expect(run.status).toBe('interrupted');
  expect(stopped.locks).toEqual([]);
  // The rows and the checkpoint were committed together: the checkpoint accounts for every row.
  const checkpoint = stopped.checkpoints.find((c) => c.stream === 'bookings' && c.mode === 'full')!;
  const state = JSON.parse(checkpoint.state) as { counters: { written: number }; page: number };
  expect(state.counters.written).toBe(stopped.bookings);
  expect(stopped.bookings).toBeGreaterThan(0);
  expect(stopped.bookings).toBeLessThan(DEMO_DATA.bookings);
  expect(checkpoint.run_id).toBe(run.id);

  const again = runCli(dir, ['start']);
  running.push(again);
  await again.waitFor('stdout', /Ctrl-C stops everything/);
  expect(again.stdout()).toMatch(/bookings\s+[\d,]+ records\s+[\d.]+ s\s+done \(resumed from the checkpoint\)/);
  again.child.kill('SIGINT');
  expect(await again.exited).toEqual({ code: 0, signal: null });

  const done = await readDemoWarehouse(dir);
  expect(done.checkpoints).toEqual([]);
  expect(done.locks).toEqual([]);
  expect(done.bookings).toBe(DEMO_DATA.bookings);
  expect(done.users).toBe(DEMO_DATA.users);
  expect(done.runs.filter((r) => r.status === 'success').map((r) => r.stream).sort()).toEqual(['bookings', 'transactions', 'users']);
});
