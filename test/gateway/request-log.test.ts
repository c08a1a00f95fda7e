import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSim } from '../helpers/sim.js';
import { simpleTokenMiddleware } from '../helpers/pipeline.js';
import { createGateway, CircuitOpenError } from '../../src/gateway/index.js';
import { endpointOf } from '../../src/gateway/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { EventBus } from '../../src/shared/events.js';
import { createTransport } from '../../src/shared/transport.js';
import { headerValue } from '../../src/shared/http.js';
import { captureLogger, gatewayConfig, simTenant, usersRequest } from './setup.js';

let sim: Awaited<ReturnType<typeof startTestSim>>;
beforeAll(async () => {
  sim = await startTestSim({});
});
afterAll(async () => {
  await sim.close();
});

describe('request log', () => {
  it('endpoint is the template plus sorted query parameter names, never values', () => {
    expect(endpointOf({ endpoint: '/v1/bookings', path: '/v1/bookings', query: { size: 50, createdTo: 'b', createdFrom: 'a', page: 2, skip: undefined } })).toBe(
      '/v1/bookings?createdFrom&createdTo&page&size',
    );
  });

  it('a chaotic run logs one line per call with every field, and neither the token nor the secret', async () => {
    const log = captureLogger();
    const transport = createTransport({ timeoutMs: 2000 });
    const tokens = new Set<string>();
    const sentIds: string[] = [];
    const spying = Object.assign(async (req: Parameters<typeof transport>[0]) => {
      tokens.add(String(req.headers.authorization ?? '').replace(/^Bearer /, ''));
      sentIds.push(req.correlationId);
      return transport(req);
    }, { close: async () => undefined });
    const gw = createGateway({
      config: gatewayConfig({ observedLimitRps: 10_000, retryMaxAttempts: 3, breakerThreshold: 1000 }),
      tenant: simTenant(sim),
      auth: simpleTokenMiddleware({ tokenUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret }),
      transport: spying,
      logger: log.logger,
      events: new EventBus(),
    });
    await sim.control.post('/__sim/faults', { rate5xx: 0.2, rate429: 0.05, retryAfter: { seconds: 0 }, resetRate: 0.05, truncateRate: 0.05, paths: ['/v1/'] });
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 60 }, (_, i) =>
          gw.handler(usersRequest(sim.url, { correlationId: i % 2 ? `req-${i}` : '', query: { page: 0, size: 1 } })),
        ),
      );
      expect(outcomes.length).toBe(60);
    } finally {
      await sim.control.del('/__sim/faults');
      await gw.close();
      await transport.close();
    }
    const lines = log.lines().filter((l) => l.msg === 'navan.request');
    expect(lines.length).toBe(sentIds.length);
    for (const l of lines) {
      for (const f of ['correlationId', 'tenant', 'method', 'endpoint', 'status', 'latencyMs', 'attempt', 'waitMs', 'breaker', 'bytes']) expect(l).toHaveProperty(f);
      expect(l.endpoint).toBe('/v1/users?page&size');
      expect(l.correlationId).toBeTruthy();
    }
    // Given ids are kept and sent as X-Request-Id; missing ones are generated.
    expect(lines.some((l) => l.correlationId === 'req-1')).toBe(true);
    expect(new Set(lines.map((l) => l.correlationId)).size).toBeGreaterThan(30);
    expect(lines.some((l) => (l.attempt as number) > 1)).toBe(true);
    const text = log.text();
    tokens.delete('');
    expect(tokens.size).toBeGreaterThan(0);
    for (const t of tokens) expect(text).not.toContain(t);
    expect(text).not.toContain(sim.clientSecret);
  }, 30_000);

  it('sends the correlation id as X-Request-Id', async () => {
    const seen: string[] = [];
    const gw = createGateway({
      config: gatewayConfig({ observedLimitRps: 10_000 }),
      tenant: simTenant(sim),
      auth: simpleTokenMiddleware({ tokenUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret }),
      transport: async (req) => {
        seen.push(req.correlationId);
        return { status: 200, headers: {}, body: Buffer.from('{}') };
      },
    });
    await gw.handler(usersRequest(sim.url, { correlationId: 'abc-123' }));
    await gw.handler(usersRequest(sim.url));
    await gw.close();
    expect(seen[0]).toBe('abc-123');
    expect(seen[1]).toMatch(/^[0-9a-f-]{36}$/);
    expect(headerValue({ 'x-request-id': 'x' }, 'X-Request-Id')).toBe('x');
  });
});

/** Moves a manual clock in 1 s steps until the promise settles (retries sleep on it). */
async function drive<T>(clock: ManualClock, p: Promise<T>): Promise<T> {
  let done = false;
  const watched = p.finally(() => (done = true));
  watched.catch(() => undefined); // handled by the caller once returned
  for (let i = 0; i < 120 && !done; i++) await clock.advance(1000);
  return watched;
}

describe('stale-if-error cache', () => {
  it('serves the last good response, marked stale with its age, only to callers that allow it', async () => {
    const clock = new ManualClock();
    let failing = false;
    const gw = createGateway({
      config: gatewayConfig({ observedLimitRps: 10_000, retryMaxAttempts: 2, breakerThreshold: 3 }),
      tenant: simTenant(sim),
      clock,
      transport: async () => (failing ? { status: 503, headers: {}, body: Buffer.from('down') } : { status: 200, headers: {}, body: Buffer.from('{"fresh":true}') }),
    });
    const req = usersRequest(sim.url, { allowStale: true });
    expect((await gw.handler(req)).stale).toBeUndefined();
    await clock.advance(5000);
    failing = true;
    const stale = await drive(clock, gw.handler(req));
    expect(stale.status).toBe(200);
    expect(stale.body.toString()).toBe('{"fresh":true}');
    expect(stale.stale!.ageMs).toBeGreaterThanOrEqual(5000);
    expect(stale.stale!.ageMs).toBeLessThanOrEqual(70_000);
    // A caller that wants fresh data sees the failure: its first attempt is the 3rd failure, which
    // opens the breaker, so its retry fails fast.
    await expect(drive(clock, gw.handler(usersRequest(sim.url)))).rejects.toBeInstanceOf(CircuitOpenError);
    // Breaker open: allowed callers still get the cached copy, others CircuitOpenError.
    expect(gw.breaker().state).toBe('open');
    expect((await gw.handler(req)).stale).toBeDefined();
    await expect(gw.handler(usersRequest(sim.url))).rejects.toBeInstanceOf(CircuitOpenError);
    await gw.close();
  });
});

describe('stale-if-error cache in Redis', () => {
  it('is shared by processes: a gateway that never saw the response serves it stale, and entries stay bounded', async () => {
    const prefix = `gwtest:stale:${randomUUID()}`;
    const config = () => gatewayConfig({ observedLimitRps: 10_000, retryMaxAttempts: 1, staleCacheStore: 'redis', staleCacheEntries: 2, redisKeyPrefix: prefix }, { redisUrl: 'redis://127.0.0.1:6379' });
    let n = 0;
    // Two gateways with their own connections stand for two processes (the runtime passes its Redis in the same way).
    const redis = new Redis('redis://127.0.0.1:6379');
    const other = new Redis('redis://127.0.0.1:6379');
    const healthy = createGateway({ config: config(), tenant: simTenant(sim), redis, transport: async () => ({ status: 200, headers: {}, body: Buffer.from(`{"n":${++n}}`) }) });
    const failing = createGateway({ config: config(), tenant: simTenant(sim), redis: other, transport: async () => ({ status: 503, headers: {}, body: Buffer.from('down') }) });
    try {
      const page = (p: number) => usersRequest(sim.url, { allowStale: true, query: { page: p, size: 1 } });
      for (const p of [0, 1, 2]) expect((await healthy.handler(page(p))).status).toBe(200);
      // Another process, with Navan failing: the newest two responses come back stale, the oldest was evicted.
      const stale = await failing.handler(page(2));
      expect(stale.stale).toBeDefined();
      expect(stale.body.toString()).toBe('{"n":3}');
      expect((await failing.handler(page(1))).body.toString()).toBe('{"n":2}');
      expect((await failing.handler(page(0))).status).toBe(503);
      // A caller that wants fresh data never gets the cached copy.
      expect((await failing.handler(usersRequest(sim.url, { query: { page: 2, size: 1 } }))).status).toBe(503);
      expect(await redis.zcard(`${prefix}:acme:stale-index`)).toBe(2);
    } finally {
      await healthy.close();
      await failing.close();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      other.disconnect();
    }
  });
});
