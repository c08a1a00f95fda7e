import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWarehouse, type Warehouse } from '../../src/warehouse/index.js';
import { startTestSim } from '../helpers/sim.js';
import { START_DATE, diffAgainstTruth } from './sim-support.js';

const fixture = fileURLToPath(new URL('./fixtures/sync-run.ts', import.meta.url));
const SIM_NOW = Date.UTC(2026, 0, 15, 12);

/** A tiny seeded generator, so a failing run replays the same kill moments. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('a sync killed with SIGKILL at 5 random moments and restarted', () => {
  let sim: Awaited<ReturnType<typeof startTestSim>>;
  let dir: string;
  let wh: Warehouse;

  beforeAll(async () => {
    sim = await startTestSim({ bookings: 2500, transactions: 5000, users: 20, now: SIM_NOW });
    dir = mkdtempSync(join(tmpdir(), 'sync-kill-'));
  });
  afterAll(async () => {
    await wh?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function start(dbUrl: string): { child: ChildProcess; exit: Promise<number | null>; out: () => string } {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      env: { ...process.env, SIM_URL: sim.url, SIM_ID: sim.clientId, SIM_SECRET: sim.clientSecret, SIM_NOW: String(SIM_NOW), START_DATE, DB_URL: dbUrl, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, exit, out: () => out };
  }

  /** Total pages committed so far, read from the checkpoints the child writes. */
  async function committedPages(db: Warehouse): Promise<number> {
    const rows = await db.db.selectFrom('sync_checkpoint').select('state').execute();
    const runs = await db.db.selectFrom('sync_run').select(['pages', 'status']).where('status', '=', 'success').execute();
    return rows.reduce((n, r) => n + (JSON.parse(r.state).counters?.pages ?? 0), 0) + runs.reduce((n, r) => n + r.pages, 0);
  }

  it('resumes from its checkpoints each time and ends equal to the ground truth', async () => {
    const dbUrl = `sqlite:${join(dir, 'wh.db')}`;
    wh = await openWarehouse({ databaseUrl: dbUrl });
    await wh.migrate();
    const random = rng(5);
    let midRunKills = 0;
    for (let k = 0; k < 5; k++) {
      const run = start(dbUrl);
      const target = (await committedPages(wh)) + 2 + Math.floor(random() * 8);
      const deadline = Date.now() + 20_000;
      let exited = false;
      void run.exit.then(() => (exited = true));
      while (!exited && Date.now() < deadline && (await committedPages(wh)) < target) await new Promise((r) => setTimeout(r, 20));
      if (!exited) {
        run.child.kill('SIGKILL');
        midRunKills++;
      }
      await run.exit;
    }
    expect(midRunKills).toBe(5);
    const last = start(dbUrl);
    expect(await last.exit).toBe(0);
    const summaries = last.out().trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(summaries.map((s) => s.status)).toEqual(['success', 'success']);
    // The interrupted runs were resumed, not restarted: one run id per stream overall.
    const runs = await wh.db.selectFrom('sync_run').select(['stream', 'status']).execute();
    expect(runs.filter((r) => r.stream === 'bookings')).toEqual([{ stream: 'bookings', status: 'success' }]);
    expect((await diffAgainstTruth(wh, sim.control, 'acme', ['bookings', 'transactions'])).slice(0, 5)).toEqual([]);
  }, 90_000);
});
