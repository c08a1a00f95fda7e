/**
 * Full refresh of bookings from the simulator into SQLite and PostgreSQL: records/s next to the
 * client-only read rate (the same pages, nothing written), measured in the same run, and the peak
 * RSS of the syncing process for 100k and 400k bookings (it must stream, not buffer: 400k within
 * 15% of 100k). Each measurement runs in its own child process so peak RSS is that run's alone;
 * the simulator runs in this process.
 *
 *   npm run bench -- sync                     # 100k (and 400k for RSS)
 *   BENCH_SYNC_BOOKINGS=20000 npm run bench -- sync
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { median, report } from './lib.js';

const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SIM_NOW = Date.UTC(2026, 0, 15, 12);
const START_DATE = '2024-01-01';

interface ChildResult {
  records: number;
  seconds: number;
  maxRssMb: number;
}

type ChildMode = 'read' | 'sqlite' | 'postgres';

/** One measurement in a fresh process: `read` only pages through the client; the others sync. */
async function child(): Promise<void> {
  const mode = process.env.BENCH_SYNC_MODE as ChildMode;
  const { loadConfig } = await import('../src/config/index.js');
  const { createNavanClient } = await import('../src/navan/index.js');
  const { createSyncEngine } = await import('../src/sync/index.js');
  const { openWarehouse } = await import('../src/warehouse/index.js');
  const { simplePipeline } = await import('../test/helpers/pipeline.js');
  const config = loadConfig({
    env: {},
    cwd: tmpdir(),
    overrides: {
      tenants: [{ id: 'bench', baseUrl: process.env.BENCH_SIM_URL!, clientId: process.env.BENCH_SIM_ID!, clientSecret: process.env.BENCH_SIM_SECRET!, startDate: START_DATE }],
    },
  });
  const tenant = config.tenants[0]!;
  const handler = simplePipeline({ tokenUrl: tenant.tokenUrl, clientId: tenant.clientId, clientSecret: tenant.clientSecret.reveal() });
  const client = createNavanClient({ tenant, handler });
  const clock = { now: () => SIM_NOW, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
  const t0 = performance.now();
  let records = 0;
  if (mode === 'read') {
    for await (const page of client.bookingPages({ createdFrom: new Date(`${START_DATE}T00:00:00Z`), createdTo: new Date(SIM_NOW), pageSize: config.sync.bookingPageSize, windowDays: config.sync.bookingWindowDays })) {
      records += page.records.length + page.rejected.length;
    }
  } else {
    const warehouse = await openWarehouse({ databaseUrl: process.env.BENCH_DB_URL!, pgSchema: process.env.BENCH_PG_SCHEMA || undefined });
    await warehouse.migrate();
    const engine = createSyncEngine({ config, warehouse, clientFor: () => client, clock });
    const summary = await engine.run({ tenant: 'bench', stream: 'bookings', mode: 'full' });
    if (summary.status !== 'success') throw new Error(`bench sync ended ${summary.status}: ${summary.error}`);
    records = summary.read;
    await warehouse.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const result: ChildResult = { records, seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

/** Async on purpose: the simulator answers from this process's event loop. */
async function measure(mode: ChildMode, sim: { url: string; clientId: string; clientSecret: string }, dbUrl = '', pgSchema = ''): Promise<ChildResult> {
  const { stdout: out } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: {
      ...process.env, NAVAN_BRIDGE_BENCH_SYNC_CHILD: '1', BENCH_SYNC_MODE: mode, BENCH_SIM_URL: sim.url, BENCH_SIM_ID: sim.clientId,
      BENCH_SIM_SECRET: sim.clientSecret, BENCH_DB_URL: dbUrl, BENCH_PG_SCHEMA: pgSchema, LOG_LEVEL: 'silent',
    },
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult;
}

async function withTarget<T>(kind: 'sqlite' | 'postgres', fn: (url: string, schema: string) => Promise<T>): Promise<T> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'bench-sync-'));
    try {
      return await fn(`sqlite:${join(dir, 'wh.db')}`, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const schema = `bench_sync_${randomBytes(4).toString('hex')}`;
  try {
    return await fn(PG_URL, schema);
  } finally {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`drop schema if exists "${schema}" cascade`);
    await c.end();
  }
}

export async function run(): Promise<void> {
  const { startSimulator } = await import('../src/sim/index.js');
  const count = Number(process.env.BENCH_SYNC_BOOKINGS ?? 100_000);
  const big = Number(process.env.BENCH_SYNC_BOOKINGS_BIG ?? count * 4);
  const reps = Number(process.env.BENCH_SYNC_REPS ?? 3);
  const figures: Record<string, number> = {};

  const sim = await startSimulator({ now: SIM_NOW, bookings: count, transactions: 1, users: 50 });
  try {
    const reads: number[] = [];
    const sqlite: number[] = [];
    const postgres: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < reps; i++) {
      const r = await measure('read', sim);
      reads.push(r.records / r.seconds);
      const s = await withTarget('sqlite', (url) => measure('sqlite', sim, url));
      sqlite.push(s.records / s.seconds);
      rss.push(s.maxRssMb);
      const p = await withTarget('postgres', (url, schema) => measure('postgres', sim, url, schema));
      postgres.push(p.records / p.seconds);
      figures.bookings = s.records;
    }
    figures.client_read_rps = Math.round(median(reads));
    figures.sqlite_sync_rps = Math.round(median(sqlite));
    figures.postgres_sync_rps = Math.round(median(postgres));
    figures[`peak_rss_mb_${count}`] = Math.round(median(rss));
  } finally {
    await sim.close();
  }

  const bigSim = await startSimulator({ now: SIM_NOW, bookings: big, transactions: 1, users: 50 });
  try {
    const s = await withTarget('sqlite', (url) => measure('sqlite', bigSim, url));
    figures[`peak_rss_mb_${big}`] = Math.round(s.maxRssMb);
    figures.sqlite_sync_rps_big = Math.round(s.records / s.seconds);
  } finally {
    await bigSim.close();
  }
  const rssRatio = figures[`peak_rss_mb_${big}`]! / figures[`peak_rss_mb_${count}`]!;
  report({
    name: 'sync',
    figures,
    ratio: Math.round((figures.sqlite_sync_rps! / figures.client_read_rps!) * 1000) / 1000,
    notes: `ratio = SQLite sync rate / client-only read rate; peak RSS ${big} vs ${count}: ${rssRatio.toFixed(3)} (target <= 1.15)`,
  });
}

if (process.env.NAVAN_BRIDGE_BENCH_SYNC_CHILD === '1') {
  child().catch((err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
