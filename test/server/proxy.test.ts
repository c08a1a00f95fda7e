import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createRuntime, type Runtime } from '../../src/runtime/index.js';
import { buildServer, createKeyStore } from '../../src/server/index.js';
import { systemClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { startTestSim, type SimControl, type Simulator } from '../helpers/sim.js';
import { auth } from './fixtures.js';

/**
 * The Navan proxy for real: the simulator as Navan, createRuntime's token service and gateway
 * (limiter, breaker, retry, stale-if-error cache, request log), and the server in front.
 */
describe('Navan proxy through the real gateway', () => {
  let sim: Simulator & { control: SimControl };
  let runtime: Runtime;
  let app: FastifyInstance;
  let key: string;
  let dataDir: string;
  const logs: string[] = [];
  const seen: { body: string; headers: string }[] = [];
  /** The gateway's clock runs ahead by this much, so a cached answer has an age we choose. */
  let offsetMs = 0;

  beforeAll(async () => {
    sim = await startTestSim({ bookings: 50, users: 30 });
    dataDir = mkdtempSync(join(tmpdir(), 'nb-proxy-'));
    const config = loadConfig({
      env: {},
      cwd: '/nonexistent',
      overrides: {
        tenants: [{ id: 'acme', baseUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret, startDate: '2025-01-01' }],
        storage: { databaseUrl: 'sqlite::memory:', dataDir },
        auth: { tokenStore: 'memory' },
        gateway: { observedLimitRps: 1000, retryMaxAttempts: 2, retryMaxTotalMs: 300, breakerThreshold: 3, breakerHalfOpenAfterMs: 60_000 },
      },
    });
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(line) } });
    runtime = await createRuntime(config, { logger, clock: { now: () => systemClock.now() + offsetMs, sleep: systemClock.sleep } });
    key = (await (await createKeyStore(runtime.warehouse)).create('acme')).key;
    app = await buildServer({ config, warehouse: runtime.warehouse, gatewayFor: runtime.gatewayFor, logger, dashboard: false });
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
    await sim?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function call(url: string, init: { method?: 'GET' | 'POST' | 'DELETE'; headers?: Record<string, string> } = {}) {
    const res = await app.inject({ url, method: init.method ?? 'GET', headers: { ...auth(key), ...init.headers } });
    seen.push({ body: res.body, headers: JSON.stringify(res.headers) });
    return res;
  }

  it('forwards a documented GET with the tenant\'s token, and the correlation id reaches the request log', async () => {
    const res = await call('/navan/v1/users?page=0&size=5', { headers: { 'x-request-id': 'corr-proxy-1' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toHaveLength(5);
    expect(res.headers['x-request-id']).toBe('corr-proxy-1');
    expect(res.headers['x-navan-bridge-stale']).toBeUndefined();
    const line = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'navan.request' && l.correlationId === 'corr-proxy-1');
    expect(line).toMatchObject({ correlationId: 'corr-proxy-1', endpoint: expect.stringMatching(/^\/v1\/users/) });
    const bookings = await call('/navan/v1/bookings?createdFrom=1700000000&createdTo=1800000000&size=2');
    expect(bookings.statusCode, bookings.body).toBe(200);
  });

  it('forwards only GET on the documented paths', async () => {
    const post = await call('/navan/v1/users', { method: 'POST' });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET');
    expect(post.json().message).toMatch(/GET only/);
    expect((await call('/navan/v1/users', { method: 'DELETE' })).statusCode).toBe(405);
    for (const path of ['/navan/ta-auth/oauth/token', '/navan/__sim/faults', '/navan/v1/admin', '/navan/v1/users/../../__sim/stats', '/navan/v2/bookings']) {
      const res = await call(path);
      expect(res.statusCode, path).toBe(404);
      expect(res.json().error, path).toMatch(/NOT_PROXIED|NOT_FOUND/);
    }
  });

  it('answers from the stale cache, marked with its age, while the simulator is down', async () => {
    const fresh = await call('/navan/v1/users?page=1&size=5');
    expect(fresh.statusCode).toBe(200);
    await sim.control.post('/faults', { rate5xx: 1, status5xx: 503 });
    try {
      offsetMs = 90_000;
      // Enough calls to trip the breaker (3 failures): stale each time, first from 5xx, then from the open breaker.
      for (let i = 0; i < 4; i++) {
        const stale = await call('/navan/v1/users?page=1&size=5');
        expect(stale.statusCode, stale.body).toBe(200);
        expect(stale.body).toBe(fresh.body);
        expect(stale.headers['x-navan-bridge-stale']).toBe('true');
        expect(stale.headers.warning).toMatch(/^110/);
        expect(Number(stale.headers.age)).toBeGreaterThanOrEqual(90);
        expect(Number(stale.headers['x-navan-bridge-stale-age-ms'])).toBeGreaterThanOrEqual(90_000);
      }
      expect(runtime.gatewayFor('acme').breaker().state).toBe('open');
      // Nothing cached for this page: 503 that says when the breaker half-opens.
      const before = Date.now();
      const miss = await call('/navan/v1/users?page=2&size=5');
      expect(miss.statusCode).toBe(503);
      const body = miss.json();
      expect(body.error).toBe('NAVAN_UNAVAILABLE');
      expect(body.message).toMatch(/half-opens at .* \(in \d+ s\)/);
      const halfOpenAt = Date.parse(body.halfOpenAt);
      expect(halfOpenAt).toBeGreaterThan(before + 50_000);
      expect(halfOpenAt).toBeLessThanOrEqual(before + 61_000);
      expect(Number(miss.headers['retry-after'])).toBeGreaterThan(50);
    } finally {
      offsetMs = 0;
      await sim.control.del('/faults');
    }
  });

  it('never lets the consumer see the Navan token: not in bodies, headers or logs', async () => {
    const token = (await runtime.tokens.getToken('acme')).reveal();
    expect(token.length).toBeGreaterThan(10);
    expect(seen.length).toBeGreaterThan(8);
    for (const s of seen) {
      expect(s.body).not.toContain(token);
      expect(s.headers).not.toContain(token);
    }
    const all = logs.join('\n');
    expect(all).toContain('navan.request');
    expect(all).not.toContain(token);
    expect(all).not.toContain(sim.clientSecret);
    expect(all).not.toContain(key);
  });
});

describe('Navan proxy while the Redis token cache is down', () => {
  it('answers 503 with Retry-After and a sentence, not 500', async () => {
    const { Redis } = await import('ioredis');
    const sim = await startTestSim({ bookings: 5, users: 5 });
    const dataDir = mkdtempSync(join(tmpdir(), 'nb-proxy-redis-'));
    // Like the runtime's own connection (no offline queue), then gone: Redis is restarting.
    const redis = new Redis('redis://127.0.0.1:6379', { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    const config = loadConfig({
      env: {},
      cwd: '/nonexistent',
      overrides: {
        tenants: [{ id: 'acme', baseUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret, startDate: '2025-01-01' }],
        storage: { databaseUrl: 'sqlite::memory:', dataDir, redisUrl: 'redis://127.0.0.1:6379' },
        auth: { tokenStore: 'redis' },
      },
    });
    const runtime = await createRuntime(config, { logger: createLogger({ level: 'silent' }), redis });
    const app = await buildServer({ config, warehouse: runtime.warehouse, gatewayFor: runtime.gatewayFor, logger: createLogger({ level: 'silent' }), dashboard: false });
    try {
      const key = (await (await createKeyStore(runtime.warehouse)).create('acme')).key;
      redis.disconnect();
      const res = await app.inject({ url: '/navan/v1/users?page=0&size=5', headers: auth(key) });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('2');
      expect(res.json().error).toBe('TOKEN_STORE_UNAVAILABLE');
      expect(res.json().message).toMatch(/token cache in Redis .* did not answer/);
    } finally {
      await app.close();
      await runtime.close();
      await sim.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
