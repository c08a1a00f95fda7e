/**
 * The consumer API on a warehouse of 1M bookings, on SQLite and on PostgreSQL: requests per
 * second and p95 latency (autocannon, over HTTP) for a filtered, keyset-paginated bookings query
 * (first page and a deep page) and for the spend report. Baseline in the same run: /healthz, the
 * server's floor (routing, hooks, JSON) with no warehouse work. Target: list p95 < 50 ms on both.
 *
 *   npm run bench -- api                      (both back ends, 1M bookings)
 *   BENCH_API_ROWS=200000 npm run bench -- api  (smaller, quicker)
 *
 * The server runs in a child process so the load generator does not share its event loop.
 * Rows are generated inside the database (recursive CTE / generate_series), with the secondary
 * indexes dropped during the load and rebuilt after it, as a bulk import would do.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config/index.js';
import { buildServer, createKeyStore } from '../src/server/index.js';
import { openWarehouse, type Warehouse } from '../src/warehouse/index.js';
import { median, percentile, report } from './lib.js';

const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROWS = Number(process.env.BENCH_API_ROWS ?? 1_000_000);
const OTHER_TENANT_ROWS = Math.round(ROWS / 50);
const REPETITIONS = 3;
const SECONDS = 4;
/** Concurrent connections for the list figures: a handful of dashboard users and apps at once. */
const CONNECTIONS = 8;
const SPEND_REQUESTS = 4;
/** The dashboard's bookings table: hotel stays starting in the last six months of the data, newest booked first. */
const LIST_URL = '/api/v1/bookings?booking_type=HOTEL&start_from=2024-07-01&start_to=2024-12-31&limit=100';
/**
 * The hard shape for "newest created first": a window of start dates well before the newest
 * bookings. Page 1 must skip the ~40k newer hotel entries in the index (checked inside the index,
 * without reading rows) before it finds its 100.
 */
const HISTORICAL_URL = '/api/v1/bookings?booking_type=HOTEL&start_from=2024-03-01&start_to=2024-08-31&limit=100';
const SPEND_URL = '/api/v1/reports/spend?from=2024-01-01&to=2024-12-31';

/** One booking per row number i, computed in SQL; the same values on both back ends. */
export function generate(dialect: 'sqlite' | 'postgres', tenant: string, count: number): string {
  const columns = '_tenant, _synced_at, _deleted, _raw, uuid, booking_type, booking_status, created, start_date, end_date, vendor, traveler_name, traveler_email, department, cost_center, origin_city, destination_city, currency, grand_total, usd_grand_total, out_of_policy, carbon_emissions, trip_uuids';
  const lite = dialect === 'sqlite';
  // Creation times spread over two years from 2023-01-01, decorrelated from the uuid order.
  const t = '(1672531200 + ((i * 7919) % 1000000) * 63)';
  const day = (extraDays: string) => (lite ? `date(${t} + ${extraDays} * 86400, 'unixepoch')` : `to_char(to_timestamp(${t} + ${extraDays} * 86400) at time zone 'UTC', 'YYYY-MM-DD')`);
  const created = lite ? `strftime('%Y-%m-%dT%H:%M:%SZ', ${t}, 'unixepoch')` : `to_char(to_timestamp(${t}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
  const cents = lite ? "printf('%02d', i % 100)" : "lpad((i % 100)::text, 2, '0')";
  // TEXT in SQLite, NUMERIC in PostgreSQL: the warehouse's money types.
  const money = (whole: number, fraction = cents) => (lite ? `(i % ${whole}) || '.' || ${fraction}` : `((i % ${whole}) || '.' || ${fraction})::numeric`);
  const values = [
    `'${tenant}'`, "'2026-01-01T00:00:00.000Z'", 'case when i % 50 = 49 then 1 else 0 end', "'{}'",
    lite ? `printf('${tenant}-%08d', i)` : `'${tenant}-' || lpad(i::text, 8, '0')`,
    "case i % 4 when 0 then 'FLIGHT' when 1 then 'HOTEL' when 2 then 'CAR' else 'RAIL' end",
    "case when i % 10 = 0 then 'CANCELED' else 'TICKETED' end",
    created, day('(i % 60)'), day('(i % 60 + 3)'),
    "'Vendor ' || (i % 50)", "'Traveler ' || (i % 5000)", `'t' || (i % 5000) || '@${tenant}.test'`, "'Dept' || (i % 12)", "'CC' || (i % 40)",
    "'City' || (i % 97)", "'City' || ((i * 31) % 97)", "case i % 5 when 0 then 'EUR' when 1 then 'GBP' else 'USD' end",
    money(2000), money(1500), 'case when i % 7 = 0 then 1 else 0 end', money(900, "'5'"), `'["trip-' || (i / 3) || '"]'`,
  ].join(', ');
  return lite
    ? `with recursive n(i) as (select 0 union all select i + 1 from n where i < ${count - 1}) insert into booking (${columns}) select ${values} from n`
    : `insert into booking (${columns}) select ${values} from generate_series(0::bigint, ${count - 1}) as i`;
}

/** Drops the booking table's secondary indexes, runs `load`, and builds them again. */
export async function withoutIndexes(wh: Warehouse, load: () => Promise<void>): Promise<void> {
  const db = wh.db as Kysely<any>;
  const indexes = wh.dialect === 'sqlite'
    ? (await sql<{ name: string; def: string }>`select name, sql as def from sqlite_master where type = 'index' and tbl_name = 'booking' and sql is not null`.execute(db)).rows
    : (await sql<{ name: string; def: string }>`select indexname as name, indexdef as def from pg_indexes where tablename = 'booking' and schemaname = current_schema() and indexname <> 'booking_pk'`.execute(db)).rows;
  for (const i of indexes) await sql.raw(`drop index ${i.name}`).execute(db);
  await load();
  for (const i of indexes) await sql.raw(i.def).execute(db);
  // Statistics as a live warehouse has them (PostgreSQL's autovacuum also sets the visibility map
  // that lets it answer from an index alone).
  await sql.raw(wh.dialect === 'sqlite' ? 'analyze' : 'vacuum analyze booking').execute(db);
}

async function fill(wh: Warehouse): Promise<number> {
  const started = performance.now();
  await withoutIndexes(wh, async () => {
    await sql.raw(generate(wh.dialect, 'acme', ROWS)).execute(wh.db);
    await sql.raw(generate(wh.dialect, 'beta', OTHER_TENANT_ROWS)).execute(wh.db);
  });
  return (performance.now() - started) / 1000;
}

interface Load { rps: number; p95: number; p50: number; errors: number }

/** The slice of autocannon's API used here (it ships no types). */
interface AutocannonResult { requests: { average: number }; errors: number; timeouts: number }
type Autocannon = (
  opts: { url: string; connections: number; duration?: number; amount?: number; timeout?: number; headers: Record<string, string> },
  done: (err: Error | null, result: AutocannonResult) => void,
) => { on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void };
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/**
 * One autocannon run, for SECONDS or, for slow routes, a fixed number of requests. p95 is taken
 * from every response time (autocannon itself reports p90 and p97.5); rps from completed requests.
 */
async function load(base: string, path: string, key: string, connections: number, amount?: number): Promise<Load> {
  const times: number[] = [];
  let errors = 0;
  const started = performance.now();
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    const opts = { url: base + path, connections, headers: { authorization: `Bearer ${key}` }, ...(amount ? { amount, timeout: 120 } : { duration: SECONDS }) };
    const instance = autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status !== 200) errors++;
      times.push(ms);
    });
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    rps: amount ? times.length / seconds : result.requests.average,
    p95: times.length ? percentile(times, 95) : NaN,
    p50: times.length ? percentile(times, 50) : NaN,
    errors: errors + result.errors + result.timeouts,
  };
}

async function repeated(name: string, base: string, path: string, key: string, connections: number, amount?: number): Promise<Load> {
  const runs: Load[] = [];
  for (let i = 0; i < REPETITIONS; i++) runs.push(await load(base, path, key, connections, amount));
  const out = { rps: median(runs.map((r) => r.rps)), p95: median(runs.map((r) => r.p95)), p50: median(runs.map((r) => r.p50)), errors: runs.reduce((s, r) => s + r.errors, 0) };
  // Printed as it comes, so a long run shows progress and a failure later loses nothing.
  console.log(`  ${name}: ${out.rps.toFixed(1)} req/s, p50 ${out.p50.toFixed(1)} ms, p95 ${out.p95.toFixed(1)} ms${out.errors ? `, ${out.errors} errors` : ''}`);
  return out;
}

function startServer(databaseUrl: string, pgSchema: string | undefined): Promise<{ child: ChildProcess; base: string }> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, NB_BENCH_API_SERVER: JSON.stringify({ databaseUrl, pgSchema }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, base: `http://127.0.0.1:${(m as { port: number }).port}` }));
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
}

/** The child: the real server over the filled warehouse, with logging off. */
async function serve(): Promise<void> {
  const { databaseUrl, pgSchema } = JSON.parse(process.env.NB_BENCH_API_SERVER!) as { databaseUrl: string; pgSchema?: string };
  const warehouse = await openWarehouse({ databaseUrl, ...(pgSchema ? { pgSchema } : {}) });
  const config = loadConfig({ env: {}, cwd: '/nonexistent', overrides: { tenants: [{ id: 'acme', baseUrl: 'http://127.0.0.1:9', clientId: 'x', clientSecret: '0123456789abcdef0123456789abcdef' }] } });
  const app = await buildServer({ config, warehouse, dashboard: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  process.send!({ port: typeof address === 'object' && address ? address.port : 0 });
  process.on('disconnect', () => void app.close().then(() => warehouse.close()).finally(() => process.exit(0)));
}

async function backend(dialect: 'sqlite' | 'postgres'): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'nb-bench-api-'));
  const pgSchema = dialect === 'postgres' ? `bench_api_${process.pid}` : undefined;
  const databaseUrl = dialect === 'sqlite' ? `sqlite:${join(dir, 'warehouse.db')}` : PG_URL;
  const wh = await openWarehouse({ databaseUrl, ...(pgSchema ? { pgSchema } : {}) });
  let child: ChildProcess | undefined;
  try {
    await wh.migrate();
    const fillSeconds = await fill(wh);
    const { key } = await (await createKeyStore(wh)).create('acme');
    console.log(`${dialect}: ${ROWS} + ${OTHER_TENANT_ROWS} bookings generated and indexed in ${fillSeconds.toFixed(1)} s`);
    const server = await startServer(databaseUrl, pgSchema);
    child = server.child;
    // A deep page: follow the cursor 20 pages in, then measure that page.
    let deep = LIST_URL;
    for (let i = 0; i < 20; i++) {
      const res = await fetch(server.base + deep, { headers: { authorization: `Bearer ${key}` } });
      const body = (await res.json()) as { nextCursor: string | null };
      if (!body.nextCursor) break;
      deep = `${LIST_URL}&cursor=${body.nextCursor}`;
    }
    const baseline = await repeated(`${dialect} /healthz (baseline)`, server.base, '/healthz', key, CONNECTIONS);
    const single = await repeated(`${dialect} bookings list, page 1, 1 connection`, server.base, LIST_URL, key, 1);
    const list = await repeated(`${dialect} bookings list, page 1`, server.base, LIST_URL, key, CONNECTIONS);
    const deepList = await repeated(`${dialect} bookings list, page 20`, server.base, deep, key, CONNECTIONS);
    const historical = await repeated(`${dialect} bookings list, historical window, page 1`, server.base, HISTORICAL_URL, key, CONNECTIONS);
    // A report over the year is seconds, not milliseconds, on SQLite: a fixed count of sequential requests.
    const spend = await repeated(`${dialect} spend report`, server.base, SPEND_URL, key, 1, SPEND_REQUESTS);
    const errors = baseline.errors + single.errors + list.errors + deepList.errors + historical.errors + spend.errors;
    if (errors) console.log(`${dialect}: ${errors} non-200 answers or errors`);
    return {
      [`${dialect}_fill_s`]: fillSeconds,
      [`${dialect}_healthz_rps`]: baseline.rps,
      [`${dialect}_list_1conn_p50_ms`]: single.p50, [`${dialect}_list_1conn_p95_ms`]: single.p95,
      [`${dialect}_list_rps`]: list.rps, [`${dialect}_list_p50_ms`]: list.p50, [`${dialect}_list_p95_ms`]: list.p95,
      [`${dialect}_list_page20_rps`]: deepList.rps, [`${dialect}_list_page20_p95_ms`]: deepList.p95,
      [`${dialect}_list_historical_rps`]: historical.rps, [`${dialect}_list_historical_p95_ms`]: historical.p95,
      [`${dialect}_spend_rps`]: spend.rps, [`${dialect}_spend_p50_ms`]: spend.p50, [`${dialect}_spend_p95_ms`]: spend.p95,
    };
  } finally {
    child?.disconnect();
    if (child) await new Promise((r) => child!.once('exit', r));
    await wh.close();
    if (pgSchema) {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists "${pgSchema}" cascade`);
      await c.end();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const figures = { ...(await backend('sqlite')), ...(await backend('postgres')) };
  const worstListP95 = Math.max(figures.sqlite_list_p95_ms!, figures.postgres_list_p95_ms!);
  report({
    name: 'api',
    figures,
    ratio: worstListP95 / 50,
    target: 1,
    notes: `ratio = worst list p95 / 50 ms (≤ 1 meets the target); ${ROWS} bookings, ${REPETITIONS}×${SECONDS} s per figure (medians), list ${CONNECTIONS} connections, spend ${SPEND_REQUESTS} sequential requests`,
  });
}

if (process.env.NB_BENCH_API_SERVER) await serve();
