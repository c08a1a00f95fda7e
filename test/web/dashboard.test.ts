/**
 * The travel dashboard in a real browser (Debian's chromium through playwright-core) against the
 * whole stack: simulator → runtime (tokens, gateway) → a real sync into SQLite → consumer API →
 * the pages in web/. Figures on the pages are checked against SQL on the same warehouse, and every
 * page is photographed at 1280 and 390 px into test-results/dashboard/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createAlertEvaluator, createMetrics, type AlertEvaluator, type Metrics } from '../../src/monitor/index.js';
import { createRuntime, type Runtime } from '../../src/runtime/index.js';
import { buildServer, createKeyStore } from '../../src/server/index.js';
import { collectIntegrationHealth } from '../../src/server/integration-health.js';
import { EventBus } from '../../src/shared/events.js';
import { silentLogger } from '../../src/shared/logger.js';
import { createSyncEngine, type SyncEngine } from '../../src/sync/index.js';
import { startTestSim, type SimControl, type Simulator } from '../helpers/sim.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join('test-results', 'dashboard');
const DAY = 86_400_000;

let sim: Simulator & { control: SimControl };
let dir: string;
let config: Config;
let runtime: Runtime;
let engine: SyncEngine;
let metrics: Metrics;
let alerts: AlertEvaluator;
let app: Awaited<ReturnType<typeof buildServer>>;
let base: string;
let apiKey: string;
let browser: BrowserContext;
let page: Page;
/** Console errors and uncaught exceptions of the page, checked after each test. */
let problems: string[] = [];

const usd = (v: string | number | null) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(Number(v ?? 0));
const int = (n: number) => new Intl.NumberFormat('en-US').format(n);
const pad = (n: number) => String(n).padStart(2, '0');

beforeAll(async () => {
  // The simulator's clock is the real one, so "this month" in the browser is the data's month too.
  sim = await startTestSim({ now: Date.now(), bookings: 600, transactions: 400, users: 60 });
  dir = mkdtempSync(join(tmpdir(), 'nb-web-'));
  config = loadConfig({
    env: {},
    cwd: '/nonexistent',
    overrides: {
      tenants: [{ id: 'acme', baseUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret, startDate: new Date(Date.now() - 760 * DAY).toISOString().slice(0, 10) }],
      storage: { databaseUrl: `sqlite:${join(dir, 'warehouse.db')}`, dataDir: dir },
      auth: { tokenStore: 'memory' },
      // One attempt per call: each 5xx counts once toward the breaker, and no retry backoff slows the test.
      gateway: { retryMaxAttempts: 1, observedLimitRps: 50 },
      // One failed sync run is enough to fire the sync-failing alert the health page lists.
      monitor: { thresholds: { syncFailuresInARow: 1 } },
      logLevel: 'silent',
    },
  });
  const events = new EventBus();
  runtime = await createRuntime(config, { logger: silentLogger, events });
  metrics = createMetrics({ events, tenants: ['acme'], collectDefault: false });
  alerts = createAlertEvaluator({ config, metrics, events, notifiers: [] });
  engine = createSyncEngine({ config, warehouse: runtime.warehouse, clientFor: (id) => runtime.clientFor(id), events, logger: silentLogger, retryDelayMs: 10 });
  for (const stream of ['bookings', 'transactions', 'users'] as const) {
    const run = await engine.run({ tenant: 'acme', stream, mode: 'full' });
    expect(run.status, `${stream} sync`).toBe('success');
  }
  apiKey = (await (await createKeyStore(runtime.warehouse)).create('acme')).key;
  const syncStatus = (tenant: string) => engine.status(tenant);
  app = await buildServer({
    config, warehouse: runtime.warehouse, syncStatus, gatewayFor: (id) => runtime.gatewayFor(id),
    integrationHealth: collectIntegrationHealth({ warehouse: runtime.warehouse, tokens: runtime.tokens, gatewayFor: (id) => runtime.gatewayFor(id), syncStatus, alerts, metrics }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'nb-chromium-')), {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    locale: 'en-US',
    timezoneId: 'UTC',
    viewport: { width: 1280, height: 900 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  browser.setDefaultTimeout(10_000); // a missing element fails in seconds, not at the test timeout
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // The key arrives in the fragment, is kept for the tab, and leaves the address bar.
  await page.goto(`${base}/#key=${apiKey}`);
  await page.getByTestId('kpi-bookings').waitFor();
  expect(page.url()).not.toContain(apiKey);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  alerts?.stop();
  metrics?.close();
  await runtime?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Opens a page of the dashboard and waits until its data (not the spinner) is on screen. */
async function open(hash: string, ready: string): Promise<void> {
  problems = [];
  await page.goto(`${base}/#${hash}`);
  await page.getByTestId(ready).first().waitFor();
  expect(await page.getByTestId('error').count(), 'error state on the page').toBe(0);
}

/** The page at both widths, full length (plus a phone's first screen), for a person to look at. */
async function photograph(name: string, ready: string): Promise<void> {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    // Loaded at this width, as a phone would: the layout choices made at start (folded filters) show.
    await page.reload();
    await page.getByTestId(ready).first().waitFor();
    await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
    if (width === 390) await page.screenshot({ path: join(SHOTS, `${name}-${width}-first-screen.png`) });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.reload();
  await page.getByTestId(ready).first().waitFor();
}

function monthWindow(): { from: string; to: string } {
  const now = new Date();
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1));
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0));
  return { from: first.toISOString().slice(0, 10), to: `${last.getUTCFullYear()}-${pad(last.getUTCMonth() + 1)}-${pad(last.getUTCDate())}` };
}

describe('travel dashboard', () => {
  it('serves the page, its modules and chart.js, and leaves unknown API paths to the API', async () => {
    const index = await request(`${base}/`);
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(await index.body.text()).toContain('/vendor/chart.umd.js');
    const chart = await request(`${base}/vendor/chart.umd.js`);
    expect(chart.statusCode).toBe(200);
    expect(await chart.body.text()).toContain('Chart');
    const module = await request(`${base}/pages/health.js`);
    expect(module.headers['content-type']).toMatch(/javascript/);
    await module.body.dump();
    const unknown = await request(`${base}/api/v1/no-such-route`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(unknown.statusCode).toBe(404);
    expect(String(unknown.headers['content-type'])).toContain('application/json');
    await unknown.body.dump();
  });

  it('overview shows the warehouse figures for the last twelve months', async () => {
    await open('/', 'kpi-bookings');
    const { from, to } = monthWindow();
    const db = runtime.warehouse.db;
    const live = db.selectFrom('booking').where('_tenant', '=', 'acme').where('_deleted', '=', 0).where('start_date', '>=', from).where('start_date', '<=', to);
    const { n } = await live.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(n)).toBeGreaterThan(50);
    await expect.poll(() => page.getByTestId('kpi-bookings').locator('.kpi-value').textContent()).toBe(int(Number(n)));
    // This month's spend: the exact sum of the month's USD totals, as the API's decimal string.
    const month = to.slice(0, 7);
    const rows = await live.select('usd_grand_total').where('start_date', '>=', `${month}-01`).execute();
    const cents = rows.reduce((s, r) => s + Math.round(Number(r.usd_grand_total ?? 0) * 100), 0);
    expect(await page.getByTestId('kpi-spend-month').locator('.kpi-value').textContent()).toBe(usd(cents / 100));
    expect(await page.getByTestId('top-routes').locator('tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('canvas').count()).toBe(4);
    await expect.poll(() => page.getByTestId('freshness').textContent()).toMatch(/Bookings synced (just now|\d+ s ago|\d+ min ago)/);
    await photograph('overview', 'kpi-bookings');
    expect(problems).toEqual([]);
  });

  it('bookings table shows warehouse rows, and a filter changes it', async () => {
    await open('/bookings', 'bookings-table');
    const db = runtime.warehouse.db;
    const newest = await db.selectFrom('booking').select(['uuid', 'usd_grand_total', 'traveler_email', 'booking_type'])
      .where('_tenant', '=', 'acme').where('_deleted', '=', 0).orderBy('created', 'desc').orderBy('uuid', 'desc').limit(25).execute();
    const firstRow = page.getByTestId('bookings-table').locator('tbody tr').first();
    expect(await firstRow.locator('td').last().textContent()).toContain(usd(newest[0]!.usd_grand_total));
    expect(await firstRow.textContent()).toContain(newest[0]!.traveler_email!);
    expect(await page.getByTestId('bookings-table').locator('tbody tr').count()).toBe(25);
    await photograph('bookings', 'bookings-table');

    // Filter to hotels: every row is a hotel, and the first is the newest hotel in the warehouse.
    const hotels = await db.selectFrom('booking').select(['uuid', 'traveler_email', 'usd_grand_total']).where('_tenant', '=', 'acme').where('_deleted', '=', 0)
      .where('booking_type', '=', 'HOTEL').orderBy('created', 'desc').orderBy('uuid', 'desc').limit(1).execute();
    expect(newest.some((b) => b.booking_type !== 'HOTEL')).toBe(true);
    await page.locator('#filter-booking_type').selectOption('HOTEL');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/booking_type=HOTEL/);
    await page.getByTestId('bookings-table').waitFor();
    const types = await page.getByTestId('bookings-table').locator('tbody tr td:nth-child(2)').allTextContents();
    expect(types.length).toBeGreaterThan(0);
    expect(new Set(types)).toEqual(new Set(['Hotel']));
    const hotelRow = page.getByTestId('bookings-table').locator('tbody tr').first();
    expect(await hotelRow.textContent()).toContain(hotels[0]!.traveler_email!);
    expect(await hotelRow.locator('td').last().textContent()).toContain(usd(hotels[0]!.usd_grand_total));

    // Keyset paging: the next page follows the first, with no row repeated.
    const ids = () => page.getByTestId('bookings-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
    const firstPage = await ids();
    expect(firstPage).toHaveLength(25);
    await page.getByTestId('next-page').click();
    await page.waitForURL(/page=2/);
    await expect.poll(() => page.locator('.pager-info').textContent()).toContain('Page 2');
    const secondPage = await ids();
    expect(secondPage.length).toBeGreaterThan(0);
    expect(secondPage.filter((id) => firstPage.includes(id))).toEqual([]);

    // A filter nothing matches: an empty state that says what to do, not an empty table.
    await page.goto(`${base}/#/bookings?traveler_email=nobody%40nowhere.example`);
    await page.getByTestId('empty').waitFor();
    expect(await page.getByTestId('empty').textContent()).toContain('Loosen or clear the filters');
    expect(problems).toEqual([]);
  });

  it('booking detail lists the passengers and segments the warehouse holds', async () => {
    const db = runtime.warehouse.db;
    const flight = await db.selectFrom('booking').select(['uuid', 'traveler_name']).where('_tenant', '=', 'acme').where('_deleted', '=', 0)
      .where('booking_type', '=', 'FLIGHT').orderBy('created', 'desc').limit(1).executeTakeFirstOrThrow();
    const segs = await db.selectFrom('booking_segment').select(['departure_city']).where('_tenant', '=', 'acme').where('booking_uuid', '=', flight.uuid).execute();
    const pax = await db.selectFrom('booking_passenger').select(['name']).where('_tenant', '=', 'acme').where('booking_uuid', '=', flight.uuid).execute();
    expect(segs.length).toBeGreaterThan(0);
    await open(`/bookings/${flight.uuid}`, 'booking-summary');
    expect(await page.getByTestId('segments').locator('tbody tr').count()).toBe(segs.length);
    expect(await page.getByTestId('passengers').locator('tbody tr').count()).toBe(pax.length);
    expect(await page.getByTestId('booking-summary').textContent()).toContain(flight.traveler_name!);
    await photograph('booking-detail', 'booking-summary');
    expect(problems).toEqual([]);
  });

  it('transactions table shows warehouse rows', async () => {
    await open('/transactions', 'transactions-table');
    const db = runtime.warehouse.db;
    const { n } = await db.selectFrom('transaction').select((eb) => eb.fn.countAll<number>().as('n')).where('_tenant', '=', 'acme').where('_deleted', '=', 0).executeTakeFirstOrThrow();
    const rows = page.getByTestId('transactions-table').locator('tbody tr');
    expect(await rows.count()).toBe(Math.min(25, Number(n)));
    // Each row's amount is the warehouse's posted amount of that transaction.
    for (const i of [0, 1, 2]) {
      const id = await rows.nth(i).getAttribute('data-id');
      const t = await db.selectFrom('transaction').select(['posted_amount', 'posted_currency']).where('_tenant', '=', 'acme').where('id', '=', id!).executeTakeFirstOrThrow();
      const amount = new Intl.NumberFormat('en-US', { style: 'currency', currency: t.posted_currency ?? 'USD' }).format(Number(t.posted_amount));
      expect(await rows.nth(i).locator('td').last().textContent()).toContain(amount);
    }
    await photograph('transactions', 'transactions-table');
    expect(problems).toEqual([]);
  });

  it('health page shows the sync state, then the breaker open while Navan answers 5xx', async () => {
    await open('/health', 'breaker-state');
    expect(await page.getByTestId('breaker-state').getAttribute('data-state')).toBe('closed');
    expect(await page.getByTestId('streams').locator('tbody tr').count()).toBe(3);
    expect(await page.getByTestId('token-countdown').textContent()).toMatch(/^\d{2}:\d{2}$|^\d+:\d{2}:\d{2}$/);
    await photograph('health', 'breaker-state');

    // Navan fails: proxied calls go through the gateway, and five 5xx in a row open the breaker.
    await sim.control.post('/faults', { rate5xx: 1, status5xx: 503 });
    for (let i = 0; i < 10 && runtime.gatewayFor('acme').breaker().state !== 'open'; i++) {
      const res = await request(`${base}/navan/v1/users?page=${i}`, { headers: { authorization: `Bearer ${apiKey}` } });
      await res.body.dump();
      expect(res.statusCode).toBeGreaterThanOrEqual(500);
    }
    expect(runtime.gatewayFor('acme').breaker().state).toBe('open');
    // A sync run now fails too, which fires the sync-failing alert.
    const failed = await engine.run({ tenant: 'acme', stream: 'users', mode: 'full' });
    expect(failed.status).toBe('failure');
    await alerts.evaluate();
    // The page polls: the open breaker appears without a reload.
    await expect.poll(() => page.getByTestId('breaker-state').getAttribute('data-state'), { timeout: 10_000 }).toBe('open');
    expect(await page.getByTestId('breaker-card').textContent()).toMatch(/half-opens in \d+/);
    await expect.poll(() => page.getByTestId('alerts').textContent()).toContain('NavanSyncFailing');
    await expect.poll(() => page.getByTestId('streams').locator('tbody tr', { hasText: 'Users' }).textContent()).toContain('Failure');
    await photograph('health-breaker-open', 'breaker-state');
    await sim.control.del('/faults');
    expect(problems).toEqual([]);
  });

  it('asks for a key when there is none, and says so when the key is wrong', async () => {
    problems = [];
    await page.evaluate('window.sessionStorage.clear()');
    await page.goto(`${base}/#/`);
    await page.getByTestId('key-form').waitFor();
    await page.locator('#api-key').fill('nbk_not-a-real-key');
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    await expect.poll(() => page.getByTestId('key-form').textContent()).toContain('was not accepted');
    await page.getByRole('alert').waitFor();
    await page.setViewportSize({ width: 390, height: 700 });
    await page.screenshot({ path: join(SHOTS, 'key-form-390.png') });
    // The 401 answers are expected here; nothing else may fail.
    expect(problems.filter((p) => !/401/.test(p))).toEqual([]);
  });
});
