/**
 * Full-refresh throughput of the distributed workers (src/queue) for 1, 2 and 4 worker
 * processes, in two settings, each next to its ceiling measured in the same run:
 * - budget-bound: the simulator allows 20 requests/s per credential, 5 tenants with one
 *   credential each; the gateway spends 80% of it (16 rps). Ceiling: 5 × budget rps × page size,
 *   and the same pages read through the gateway with nothing written (one process);
 * - CPU-bound: no simulator limit (and a gateway budget far above what the machine can do).
 *   Baseline: the same pages read with nothing written, one process.
 * Each worker is its own process (as on separate machines) with BullMQ concurrency 20, sharing
 * Redis (queue, rate buckets) and PostgreSQL (a fresh schema per measurement); the simulator runs
 * in another process. Records/s = bookings read by the 5 runs ÷ time from enqueue to the last run's end.
 *
 * On a machine too small for the budget (writing pages costs more CPU than the budget allows),
 * the "budget-bound" setting is really CPU-bound: shrink the page (BENCH_SCALE_PAGE=2) until the
 * ceiling is below what the CPU-bound figures show, then the budget is what binds.
 *
 *   npm run bench -- scale
 *   BENCH_SCALE_BOOKINGS=600 BENCH_SCALE_PAGE=2 BENCH_SCALE_ONLY=budget npm run bench -- scale
 *   (also BENCH_SCALE_WORKERS=1,2 BENCH_SCALE_CONCURRENCY=20 BENCH_SCALE_LANES=4 BENCH_SCALE_DEBUG=1)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { request } from 'undici';
import { median, report, runs } from './lib.js';

const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SIM_NOW = Date.UTC(2026, 0, 15, 12);
const START_DATE = '2024-01-15';
const TENANTS = 5;
const WORKERS = (process.env.BENCH_SCALE_WORKERS ?? '1,2,4').split(',').map(Number);
const ONLY = process.env.BENCH_SCALE_ONLY; // 'budget' or 'cpu' for a quick look at one setting
const CONCURRENCY = Number(process.env.BENCH_SCALE_CONCURRENCY ?? 20);
const LANES = Number(process.env.BENCH_SCALE_LANES ?? 4);
/**
 * 6,000 bookings per tenant make a budget-bound run last about 40 s. With 2,000 (12 s) the fixed
 * cost of a run (planning the windows, the first job pick-up, the finishing step) was a fifth of
 * the time and the figures measured start-up more than throughput.
 */
const BOOKINGS = Number(process.env.BENCH_SCALE_BOOKINGS ?? 6000);
/** Each worker count is measured this many times; the figure is the median (shared, noisy machine). */
const REPS = Number(process.env.BENCH_SCALE_REPS ?? 3);
/** Budget-bound page size: small enough that the ceiling (5 × 16 rps × page) fits two shared cores. */
const BUDGET_PAGE = Number(process.env.BENCH_SCALE_PAGE ?? 10);
const SIM_LIMIT_RPS = 20;
const CHILD = 'NAVAN_BRIDGE_BENCH_SCALE_CHILD';

interface Credential {
  clientId: string;
  clientSecret: string;
}
interface Setting {
  name: 'budget' | 'cpu';
  pageSize: number;
  observedLimitRps: number;
}

function configFor(sim: string, creds: Credential[], s: Setting, dbUrl: string, prefix: string) {
  return {
    tenants: creds.map((c, i) => ({ id: `t${i}`, baseUrl: sim, clientId: c.clientId, clientSecret: c.clientSecret, startDate: START_DATE })),
    storage: { databaseUrl: dbUrl, redisUrl: REDIS_URL, dataDir: mkdtempSync(join(tmpdir(), 'bench-scale-')) },
    auth: { tokenStore: 'memory' as const },
    gateway: { redisKeyPrefix: `${prefix}:gw`, observedLimitRps: s.observedLimitRps },
    sync: { bookingPageSize: s.pageSize, queue: { windowDays: 30, concurrency: CONCURRENCY, perTenantConcurrency: LANES, attempts: 3, backoffMs: 500 } },
    logLevel: 'silent' as const,
  };
}

// ---------------------------------------------------------------- child processes

async function simClock(simUrl: string) {
  const { systemClock } = await import('../src/shared/clock.js');
  const { now } = (await (await request(new URL('/__sim/clock', simUrl))).body.json()) as { now: number };
  const offset = now - Date.now();
  return { now: () => Date.now() + offset, sleep: systemClock.sleep };
}

async function childMain(): Promise<void> {
  const role = process.env[CHILD];
  if (role === 'sim') {
    const { startSimulator } = await import('../src/sim/index.js');
    const sim = await startSimulator({ now: SIM_NOW, bookings: BOOKINGS, transactions: 1, users: 5 });
    console.log(JSON.stringify({ url: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret }));
    return;
  }
  const { loadConfig } = await import('../src/config/index.js');
  const { createRuntime } = await import('../src/runtime/index.js');
  const { silentLogger } = await import('../src/shared/logger.js');
  const overrides = JSON.parse(process.env.BENCH_CONFIG!);
  const config = loadConfig({ env: {}, cwd: '/nonexistent', overrides });
  const runtime = await createRuntime(config, { logger: silentLogger, clock: await simClock(overrides.tenants[0].baseUrl), skipMigrations: true });
  // The runtime's Redis fails fast (no offline queue): wait until it is connected before the first request.
  if (runtime.redis && runtime.redis.status !== 'ready') await once(runtime.redis, 'ready');
  if (role === 'read') {
    // The ceiling/baseline: every tenant's pages through its gateway, one reader per tenant, nothing written.
    const t0 = performance.now();
    const counts = await Promise.all(config.tenants.map(async (t) => {
      let n = 0;
      for await (const page of runtime.clientFor(t.id).bookingPages({ createdFrom: new Date(`${START_DATE}T00:00:00Z`), createdTo: new Date(SIM_NOW), pageSize: config.sync.bookingPageSize, windowDays: config.sync.bookingWindowDays })) {
        n += page.records.length + page.rejected.length;
      }
      return n;
    }));
    const budgetRps = runtime.gatewayFor(config.tenants[0]!.id).limiter().budgetRps;
    console.log(JSON.stringify({ records: counts.reduce((a, b) => a + b, 0), seconds: (performance.now() - t0) / 1000, budgetRps }));
    await runtime.close();
    process.exit(0);
  }
  const { startSyncWorker } = await import('../src/queue/index.js');
  const worker = startSyncWorker({ runtime, prefix: process.env.BENCH_PREFIX! });
  await worker.worker.waitUntilReady();
  console.log('ready');
  process.on('SIGTERM', () => void worker.close().then(() => runtime.close()).then(() => process.exit(0)));
}

function spawnChild(role: string, env: Record<string, string>): { child: ChildProcess; firstLine: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], { env: { ...process.env, [CHILD]: role, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const firstLine = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.on('exit', (code) => reject(new Error(`bench child ${role} exited with ${code}: ${err.slice(-2000)}`)));
  });
  firstLine.catch(() => undefined);
  return { child, firstLine };
}

// ---------------------------------------------------------------- measurements

async function withSchema<T>(fn: (dbUrl: string, db: import('../src/warehouse/index.js').Warehouse) => Promise<T>): Promise<T> {
  const { openWarehouse } = await import('../src/warehouse/index.js');
  const schema = `bench_scale_${randomBytes(4).toString('hex')}`;
  const wh = await openWarehouse({ databaseUrl: PG_URL, pgSchema: schema });
  await wh.migrate();
  try {
    return await fn(`${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, wh);
  } finally {
    await wh.close();
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`drop schema if exists "${schema}" cascade`);
    await c.end();
  }
}

async function dropKeys(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const r = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await r.del(...keys);
  } while (cursor !== '0');
  r.disconnect();
}

/** Pages read through the gateway with nothing written: the ceiling of what the workers can reach. */
async function readRate(sim: string, creds: Credential[], s: Setting): Promise<{ rps: number; budgetRps: number }> {
  const prefix = `bench-scale-${randomBytes(3).toString('hex')}`;
  try {
    const { firstLine } = spawnChild('read', { BENCH_CONFIG: JSON.stringify(configFor(sim, creds, s, 'sqlite::memory:', prefix)) });
    const r = JSON.parse(await firstLine) as { records: number; seconds: number; budgetRps: number };
    return { rps: r.records / r.seconds, budgetRps: r.budgetRps };
  } finally {
    await dropKeys(prefix);
  }
}

/** A full refresh of bookings for every tenant through the queue with `workers` worker processes. */
async function queueRate(sim: string, creds: Credential[], s: Setting, workers: number): Promise<number> {
  const { loadConfig } = await import('../src/config/index.js');
  const { openSyncQueue } = await import('../src/queue/index.js');
  const { silentLogger } = await import('../src/shared/logger.js');
  const prefix = `bench-scale-${randomBytes(3).toString('hex')}`;
  return withSchema(async (dbUrl, wh) => {
    const overrides = configFor(sim, creds, s, dbUrl, prefix);
    const children = Array.from({ length: workers }, () => spawnChild('worker', { BENCH_CONFIG: JSON.stringify(overrides), BENCH_PREFIX: prefix }));
    const queue = openSyncQueue({ runtime: { config: loadConfig({ env: {}, cwd: '/nonexistent', overrides }), logger: silentLogger }, prefix });
    try {
      await Promise.all(children.map((c) => c.firstLine));
      const t0 = performance.now();
      for (const t of overrides.tenants) await queue.enqueue({ tenant: t.id, stream: 'bookings', mode: 'full' });
      for (;;) {
        const runs = await wh.db.selectFrom('sync_run').select(['status', 'records_read']).where('stream', '=', 'bookings').execute();
        const bad = runs.find((r) => r.status === 'failure');
        if (bad) throw new Error('a benchmark run failed; see the failed set');
        if (runs.length === TENANTS && runs.every((r) => r.status === 'success')) {
          const seconds = (performance.now() - t0) / 1000;
          if (process.env.BENCH_SCALE_DEBUG) {
            const done = (await queue.queue.getCompleted(0, -1)).filter((j) => j.data.kind === 'window');
            const spans = done.map((j) => (j.finishedOn ?? 0) - (j.processedOn ?? 0)).sort((a, b) => a - b);
            const first = Math.min(...done.map((j) => j.processedOn ?? Infinity));
            const last = Math.max(...done.map((j) => j.finishedOn ?? 0));
            const wait = done.map((j) => (j.processedOn ?? 0) - j.timestamp).sort((a, b) => a - b);
            console.error(JSON.stringify({ seconds, windows: done.length, windowMsMedian: spans[spans.length >> 1], windowMsMax: spans.at(-1), waitMsMedian: wait[wait.length >> 1], windowsSpanS: (last - first) / 1000, pagesPerWindow: done.map((j) => j.returnvalue?.pages).slice(0, 5) }));
          }
          return runs.reduce((a, r) => a + r.records_read, 0) / seconds;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await queue.close();
      await Promise.all(children.map(({ child }) => new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      })));
      await dropKeys(prefix);
    }
  });
}

export async function run(): Promise<void> {
  const sim = spawnChild('sim', {});
  try {
    const { url, clientId, clientSecret } = JSON.parse(await sim.firstLine) as { url: string } & Credential;
    const control = async (path: string, body: unknown) =>
      (await (await request(new URL(`/__sim${path}`, url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).body.json()) as Credential;
    /** 429 answers since the last call: a budget-bound run that draws 429s is over its budget (or bunched up by a busy machine). */
    const throttled = async () => {
      const stats = (await (await request(new URL('/__sim/stats', url))).body.json()) as { requests: Record<string, Record<string, number>> };
      await control('/stats/reset', {});
      return Object.values(stats.requests).reduce((n, byStatus) => n + (byStatus['429'] ?? 0), 0);
    };
    // One credential per tenant: the simulator's limit is per credential, as Navan's is.
    const creds: Credential[] = [{ clientId, clientSecret }];
    while (creds.length < TENANTS) creds.push(await control('/credentials', {}));
    const figures: Record<string, number> = { tenants: TENANTS, bookings_per_tenant: BOOKINGS, concurrency_per_worker: CONCURRENCY };

    if (ONLY !== 'cpu') {
      const budget: Setting = { name: 'budget', pageSize: BUDGET_PAGE, observedLimitRps: SIM_LIMIT_RPS };
      await control('/ratelimit', { rps: SIM_LIMIT_RPS });
      const ceiling = await readRate(url, creds, budget);
      figures.budget_page_size = BUDGET_PAGE;
      figures.budget_rps_per_tenant = ceiling.budgetRps;
      figures.budget_ceiling_rps = TENANTS * ceiling.budgetRps * BUDGET_PAGE;
      figures.budget_read_only_rps = Math.round(ceiling.rps);
      figures.budget_read_only_429s = await throttled();
      for (const w of WORKERS) {
        const results = await runs(REPS, async () => ({ rps: await queueRate(url, creds, budget, w), throttled: await throttled() }));
        const rates = results.map((r) => r.rps);
        figures[`budget_${w}w_rps`] = Math.round(median(rates));
        figures[`budget_${w}w_min_rps`] = Math.round(Math.min(...rates));
        figures[`budget_${w}w_429s_total`] = results.reduce((n, r) => n + r.throttled, 0);
      }
    }
    if (ONLY !== 'budget') {
      const cpu: Setting = { name: 'cpu', pageSize: 100, observedLimitRps: 100_000 };
      await control('/ratelimit', { rps: null });
      figures.cpu_page_size = 100;
      figures.cpu_read_only_rps = Math.round((await readRate(url, creds, cpu)).rps);
      for (const w of WORKERS) figures[`cpu_${w}w_rps`] = Math.round(median(await runs(REPS, () => queueRate(url, creds, cpu, w))));
    }

    const worst = Math.min(...WORKERS.map((w) => figures[`budget_${w}w_rps`] ?? Infinity));
    report({
      name: 'scale',
      figures,
      ...(Number.isFinite(worst) ? { ratio: worst / figures.budget_ceiling_rps! } : {}),
      target: 0.9,
      notes: `ratio: the lowest budget-bound median (of ${REPS}) over the budget ceiling (tenants × budget rps × page size); *_min_rps is the worst single run. Worker processes, not in-process workers.`,
    });
  } finally {
    sim.child.kill('SIGTERM');
  }
}

if (process.env[CHILD]) await childMain();
