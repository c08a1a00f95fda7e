import { statSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_DATA } from '../../src/app/index.js';
import { startSimulator } from '../../src/sim/index.js';
import { readDemoWarehouse, runCli, tempDir, type CliProcess } from './cli.js';

// The real `navan-bridge start` in a fresh directory with no credentials: the demo, end to end.
const dir = tempDir('nb-start-demo-');
const running: CliProcess[] = [];
afterAll(() => { for (const p of running) p.child.kill('SIGKILL'); });

async function startDemo(): Promise<{ cli: CliProcess; dashboard: string; base: string; key: string; sim: string }> {
  const cli = runCli(dir, ['start']);
  running.push(cli);
  // The summary's last line: everything above it is printed by then.
  await cli.waitFor('stdout', /Ctrl-C stops everything/);
  const m = /dashboard\s+(http:\/\/127\.0\.0\.1:\d+)\/#key=(\S+)/.exec(cli.stdout())!;
  const sim = /simulator\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(cli.stdout())![1]!;
  return { cli, dashboard: m[0], base: m[1]!, key: m[2]!, sim };
}

async function getJson(url: string, key?: string): Promise<{ status: number; body: any }> {
  const res = await request(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const text = await res.body.text();
  return { status: res.statusCode, body: text.startsWith('{') ? JSON.parse(text) : text };
}

describe('npm start with no Navan credentials (demo mode)', () => {
  let firstKey = '';

  it('syncs the simulator, serves the API and dashboard with the printed key, and stops cleanly on SIGINT', { timeout: 60_000 }, async () => {
    const { cli, base, key, sim } = await startDemo();
    firstKey = key;
    const out = cli.stdout();
    expect(out).toContain('no Navan credentials are configured');
    for (const stream of ['bookings', 'transactions', 'users']) expect(out).toMatch(new RegExp(`${stream}\\s+[\\d,]+ records\\s+[\\d.]+ s\\s+done`));
    expect(out).toContain(`curl -H "Authorization: Bearer ${key}" '${base}/api/v1/bookings?limit=3'`);
    // Quiet logs: nothing at info level reaches stderr in the demo.
    expect(cli.stderr()).not.toMatch(/"level":30/);
    // The simulator's client secret is derived from its seed: a twin tells what it is, and it is never shown.
    const twin = await startSimulator({ seed: DEMO_DATA.seed, bookings: 0, transactions: 0, users: 1 });
    await twin.close();
    expect(cli.stdout() + cli.stderr()).not.toContain(twin.clientSecret);
    // The demo key is kept for the next start, readable by its owner only.
    expect(statSync(join(dir, 'data', 'demo.key')).mode & 0o777).toBe(0o600);

    expect((await getJson(`${base}/healthz`)).status).toBe(200);
    const page = await getJson(`${base}/api/v1/bookings?limit=5`, key);
    expect(page.status).toBe(200);
    expect(page.body.data).toHaveLength(5);
    expect((await getJson(`${base}/api/v1/bookings`, 'nbk_wrong')).status).toBe(401);
    const dashboard = await request(`${base}/`);
    expect(dashboard.statusCode).toBe(200);
    expect(await dashboard.body.text()).toMatch(/<html/i);
    const truth = await request(`${sim}/__sim/truth/bookings`).then((r) => r.body.text());
    const truthCount = truth.split('\n').filter(Boolean).length;

    cli.child.kill('SIGINT');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toContain('Stopped cleanly.');

    const wh = await readDemoWarehouse(dir);
    expect(wh.runs.map((r) => [r.stream, r.mode, r.status])).toEqual([
      ['bookings', 'full', 'success'], ['transactions', 'full', 'success'], ['users', 'full', 'success'],
    ]);
    expect(wh.checkpoints).toEqual([]);
    expect(wh.locks).toEqual([]);
    expect(wh.bookings).toBe(truthCount);
    expect(wh.bookings).toBe(DEMO_DATA.bookings);
    expect(wh.users).toBe(DEMO_DATA.users);
  });

  it('starts again in the same directory with the same key, and refuses a taken port with one sentence', { timeout: 60_000 }, async () => {
    const { cli, base, key } = await startDemo();
    expect(key).toBe(firstKey);
    expect(cli.stdout()).toContain('the same key as last time');
    expect((await getJson(`${base}/api/v1/bookings?limit=1`, key)).status).toBe(200);

    // A second start on the port the first one holds fails before doing any work.
    const port = new URL(base).port;
    const second = runCli(dir, ['start'], { PORT: port });
    running.push(second);
    expect((await second.exited).code).toBe(1);
    expect(second.stderr()).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    expect(second.stderr()).toContain('set PORT to a free port');
    expect(second.stderr()).not.toMatch(/\n\s+at /);

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    const wh = await readDemoWarehouse(dir);
    expect(wh.runs.filter((r) => r.status === 'success')).toHaveLength(6);
    expect(wh.locks).toEqual([]);
    expect(wh.bookings).toBe(DEMO_DATA.bookings);
  });
});
