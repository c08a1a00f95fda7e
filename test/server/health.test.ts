import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createAlertEvaluator, createMetrics, type AlertEvaluator, type Metrics } from '../../src/monitor/index.js';
import { createRuntime, type Runtime } from '../../src/runtime/index.js';
import { buildServer, collectIntegrationHealth, createKeyStore } from '../../src/server/index.js';
import { systemClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import { createSyncEngine, type SyncEngine } from '../../src/sync/index.js';
import { openWarehouse } from '../../src/warehouse/index.js';
import { startTestSim, type SimControl, type Simulator } from '../helpers/sim.js';
import { auth, testConfig } from './fixtures.js';

const DAY = 86_400_000;

/** Integration health from real layers: a real sync against the simulator, the runtime's token service and gateway, metrics and the alert evaluator. */
describe('integration health, sync status and probes', () => {
  let sim: Simulator & { control: SimControl };
  let runtime: Runtime;
  let engine: SyncEngine;
  let metrics: Metrics;
  let evaluator: AlertEvaluator;
  let app: FastifyInstance;
  let key: string;
  let dataDir: string;
  let offsetMs = 0;

  beforeAll(async () => {
    sim = await startTestSim({ bookings: 40, transactions: 30, users: 20 });
    dataDir = mkdtempSync(join(tmpdir(), 'nb-health-'));
    const config = loadConfig({
      env: {},
      cwd: '/nonexistent',
      overrides: {
        tenants: [{ id: 'acme', baseUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret, startDate: '2025-12-01' }],
        storage: { databaseUrl: 'sqlite::memory:', dataDir },
        auth: { tokenStore: 'memory' },
        gateway: { observedLimitRps: 1000, retryMaxAttempts: 1, breakerThreshold: 2, breakerHalfOpenAfterMs: 60_000 },
      },
    });
    // The simulator's clock, moved on by `offsetMs`: sync windows, token times and alert ages follow it.
    const clock = { now: () => sim.clock.now() + offsetMs, sleep: systemClock.sleep };
    runtime = await createRuntime(config, { logger: silentLogger, clock });
    metrics = createMetrics({ events: runtime.events, tenants: ['acme'], collectDefault: false, clock });
    evaluator = createAlertEvaluator({ config, metrics, events: runtime.events, notifiers: [], clock });
    engine = createSyncEngine({ config, warehouse: runtime.warehouse, clientFor: (id) => runtime.clientFor(id), clock, events: runtime.events, logger: silentLogger, retryDelayMs: 10 });
    key = (await (await createKeyStore(runtime.warehouse)).create('acme', ['read:users'])).key;
    const syncStatus = (t: string) => engine.status(t);
    app = await buildServer({
      config, warehouse: runtime.warehouse, gatewayFor: runtime.gatewayFor, syncStatus, dashboard: false, clock,
      integrationHealth: collectIntegrationHealth({ warehouse: runtime.warehouse, tokens: runtime.tokens, gatewayFor: runtime.gatewayFor, syncStatus, alerts: evaluator, metrics, clock }),
    });
    for (const stream of ['bookings', 'transactions', 'users'] as const) await engine.run({ tenant: 'acme', stream, mode: 'full' });
  });
  afterAll(async () => {
    await app?.close();
    metrics?.close();
    await runtime?.close();
    await sim?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const get = async (url: string) => {
    const res = await app.inject({ url, headers: auth(key) });
    return { status: res.statusCode, body: res.json() as Record<string, any> };
  };

  it('reports sync status per stream with the last run\'s counts, staleness and ranges', async () => {
    const { status, body } = await get('/api/v1/sync/status');
    expect(status).toBe(200);
    expect(body.data.map((s: { stream: string }) => s.stream)).toEqual(['bookings', 'transactions', 'users']);
    const bookings = body.data[0];
    const stored = await runtime.warehouse.db.selectFrom('booking').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBeGreaterThan(0);
    expect(bookings.lastRun).toMatchObject({ mode: 'full', status: 'success', read: Number(stored.n), written: Number(stored.n), quarantined: 0 });
    expect(bookings.lastSuccessAt).toBe(bookings.lastRun.finishedAt);
    expect(bookings.stalenessSeconds).toBeGreaterThanOrEqual(0);
    expect(bookings.ranges.length).toBeGreaterThan(0);
    expect(body.data[2].ranges).toEqual([]);
  });

  it('shows each layer: token, breaker, budget, streams, recent runs, and no alerts while all is well', async () => {
    const { status, body } = await get('/api/v1/health');
    expect(status).toBe(200);
    const h = body.data;
    expect(h.tenant).toBe('acme');
    expect(h.token).toMatchObject({ cached: true, store: 'memory', expiresAt: expect.any(String), refreshAt: expect.any(String) });
    expect(Date.parse(h.token.expiresAt)).toBeGreaterThan(Date.parse(h.generatedAt));
    expect(JSON.stringify(h.token)).not.toMatch(/location|access/);
    expect(h.breaker).toEqual({ state: 'closed' });
    expect(h.budget).toMatchObject({ limitRps: 1000, targetRps: 800, queueLength: 0, throttled429Total: 0 });
    expect(h.budget.utilisation === null || (h.budget.utilisation >= 0 && h.budget.utilisation <= 1)).toBe(true);
    expect(h.streams).toHaveLength(3);
    expect(h.recentRuns).toHaveLength(3);
    expect(h.recentRuns[0]).toMatchObject({ stream: 'users', status: 'success', read: 20 });
    expect(h.alerts).toEqual([]);
  });

  it('shows a firing alert from the evaluator and an open breaker while the simulator fails', async () => {
    offsetMs = 10 * DAY;
    try {
      await evaluator.evaluate();
      const { body } = await get('/api/v1/health');
      expect(body.data.alerts).toContainEqual(expect.objectContaining({ name: 'NavanSyncStale', state: 'firing', severity: expect.any(String), since: expect.any(String), summary: expect.stringMatching(/USER/) }));
      expect(body.data.streams[2].stalenessSeconds).toBeGreaterThanOrEqual(10 * 86_400);
    } finally {
      offsetMs = 0;
    }
    await sim.control.post('/faults', { rate5xx: 1 });
    try {
      for (let i = 0; i < 2; i++) await runtime.gatewayFor('acme').handler({ tenant: 'acme', method: 'GET', baseUrl: sim.url, path: '/v1/users', endpoint: '/v1/users', headers: {}, correlationId: `c${i}`, idempotent: true }).catch(() => undefined);
      const { body } = await get('/api/v1/health');
      expect(body.data.breaker.state).toBe('open');
      expect(body.data.breaker.retryInMs).toBeGreaterThan(50_000);
    } finally {
      await sim.control.del('/faults');
    }
  });

  it('builds what it can when layers are missing: nulls, never invented values', async () => {
    const partial = await collectIntegrationHealth({ warehouse: runtime.warehouse })('acme');
    expect(partial).toMatchObject({ tenant: 'acme', token: null, breaker: null, budget: null, streams: null, alerts: null });
    expect(partial.recentRuns).toHaveLength(3);
  });

  it('serves the dashboard and the docs page from the same server, without a key', async () => {
    const withDashboard = await buildServer({ config: testConfig(), warehouse: runtime.warehouse });
    const page = await withDashboard.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect((await withDashboard.inject({ url: '/vendor/chart.umd.js' })).statusCode).toBe(200);
    const docs = await withDashboard.inject({ url: '/api/v1/docs' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('/api/v1/reports/spend');
    expect(docs.body).toContain('a date YYYY-MM-DD');
    // The dashboard's static files never shadow the API's JSON 404s.
    expect((await withDashboard.inject({ url: '/api/v1/nope' })).json().error).toBe('NOT_FOUND');
    await withDashboard.close();
  });

  it('answers /healthz always and /readyz only with a migrated warehouse', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ url: '/readyz' })).json()).toMatchObject({ status: 'ready' });
    const bare = await openWarehouse({ databaseUrl: 'sqlite::memory:' });
    const notReady = await buildServer({ config: testConfig(), warehouse: bare, dashboard: false });
    const res = await notReady.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toMatch(/migration 0 of \d+/);
    await notReady.close();
    await bare.close();
  });
});
