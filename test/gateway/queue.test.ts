import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startTestSim, TEST_SIM_START } from '../helpers/sim.js';
import { simpleTokenMiddleware } from '../helpers/pipeline.js';
import { createGateway, RateLimitedError, type Gateway } from '../../src/gateway/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { EventBus } from '../../src/shared/events.js';
import { createTransport } from '../../src/shared/transport.js';
import type { GatewaySection } from '../../src/config/index.js';
import { captureLogger, gatewayConfig, simTenant, usersRequest } from './setup.js';

let sim: Awaited<ReturnType<typeof startTestSim>>;
const transport = createTransport();
let sent: string[] = [];
const counting = Object.assign((req: Parameters<typeof transport>[0]) => {
  sent.push(req.correlationId);
  return transport(req);
}, { close: async () => undefined });
let gw: Gateway | undefined;
let clock: ManualClock;
let bus: EventBus;
const dirs: string[] = [];

beforeAll(async () => {
  sim = await startTestSim({});
});
afterAll(async () => {
  await sim.close();
  await transport.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
beforeEach(async () => {
  await sim.control.del('/__sim/faults');
  sent = [];
  // A whole second on both sides, so an HTTP-date Retry-After (1 s resolution) is exact.
  sim.clock.set(TEST_SIM_START);
  clock = new ManualClock(TEST_SIM_START);
  bus = new EventBus();
});
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

function make(settings: Partial<GatewaySection> = {}, storage: { redisUrl?: string; dataDir?: string } = {}, extra: { redis?: Redis; logger?: ReturnType<typeof captureLogger>['logger'] } = {}): Gateway {
  gw = createGateway({
    config: gatewayConfig({ observedLimitRps: 1000, ...settings }, storage),
    tenant: simTenant(sim),
    auth: simpleTokenMiddleware({ tokenUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret }),
    transport: counting,
    clock,
    events: bus,
    ...extra,
  });
  return gw;
}

async function until(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!pred()) throw new Error(`timed out waiting for ${what}`);
}
const settle = () => new Promise((r) => setTimeout(r, 40));

describe('429 queue', () => {
  for (const form of [{ seconds: 2 }, { seconds: 3, httpDate: true }]) {
    it(`honours Retry-After ${form.httpDate ? 'as an HTTP date' : 'in seconds'}, and the tenant's other requests wait too`, async () => {
      const g = make();
      const throttled: number[] = [];
      bus.on('ratelimit.throttled', (e) => throttled.push(e.retryAfterMs));
      await sim.control.post('/__sim/faults', { rate429: 1, count: 1, retryAfter: form, paths: ['/v1/users'] });
      const first = g.handler(usersRequest(sim.url, { correlationId: 'first' }));
      await until(() => g.limiter().pausedUntil !== undefined, 'the pause');
      const second = g.handler(usersRequest(sim.url, { correlationId: 'second' }));
      await settle();
      expect(sent).toEqual(['first']);
      expect(g.limiter().queueLength).toBe(2);
      await clock.advance(form.seconds * 1000 - 100);
      await settle();
      expect(sent).toEqual(['first']);
      await clock.advance(100);
      const [a, b] = await Promise.all([first, second]);
      expect([a.status, b.status]).toEqual([200, 200]);
      // Re-queued at the head: the throttled request goes again before the one that came later.
      expect(sent).toEqual(['first', 'first', 'second']);
      expect(throttled).toEqual([form.seconds * 1000]);
    });
  }

  it('a caller sees RateLimitedError, saying how long it waited, only past maxQueueWaitMs', async () => {
    const g = make({ maxQueueWaitMs: 1000 });
    await sim.control.post('/__sim/faults', { rate429: 1, count: 1, retryAfter: { seconds: 5 }, paths: ['/v1/users'] });
    const err = await g.handler(usersRequest(sim.url, { correlationId: 'c-1' })).catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.correlationId).toBe('c-1');
    expect(err.message).toMatch(/waiting \d+ ms/);
    expect(typeof err.waitedMs).toBe('number');
  });

  it('without Retry-After it backs off with jitter and still succeeds', async () => {
    const g = make();
    await sim.control.post('/__sim/faults', { rate429: 1, count: 1, retryAfter: null, paths: ['/v1/users'] });
    const p = g.handler(usersRequest(sim.url));
    await until(() => g.limiter().pausedUntil !== undefined, 'the pause');
    const pause = g.limiter().pausedUntil! - clock.now();
    expect(pause).toBeGreaterThan(0);
    expect(pause).toBeLessThanOrEqual(30_000);
    await clock.advance(pause);
    expect((await p).status).toBe(200);
  });

  it('lowers the estimate on a 429 and keeps it in the data dir across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-estimate-'));
    dirs.push(dir);
    const g = make({ observedLimitRps: 100 }, { dataDir: dir });
    await sim.control.post('/__sim/faults', { rate429: 1, count: 1, retryAfter: { seconds: 1 }, paths: ['/v1/users'] });
    const p = g.handler(usersRequest(sim.url));
    await until(() => g.limiter().pausedUntil !== undefined, 'the pause');
    await clock.advance(1000);
    await p;
    const lowered = g.limiter().limitRps;
    expect(lowered).toBeLessThan(100);
    await g.close();
    expect(JSON.parse(readFileSync(join(dir, 'gateway-estimates.json'), 'utf8')).acme.limitRps).toBe(lowered);
    const again = make({ observedLimitRps: 100 }, { dataDir: dir });
    await again.handler(usersRequest(sim.url));
    expect(again.limiter().limitRps).toBe(lowered);
  });

  it('reads X-RateLimit-* headers', async () => {
    await sim.control.post('/__sim/ratelimit', { rps: 37, headers: true });
    try {
      const g = make();
      expect((await g.handler(usersRequest(sim.url))).status).toBe(200);
      expect(g.limiter().limitRps).toBe(37);
      expect(g.limiter().budgetRps).toBeCloseTo(37 * 0.8);
    } finally {
      await sim.control.post('/__sim/ratelimit', { rps: null, headers: false });
    }
  });

  it('falls back to a per-process share when Redis is unreachable, logs it once, and keeps working', async () => {
    const dead = new Redis({ port: 1, host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    dead.on('error', () => undefined);
    const log = captureLogger();
    const g = make({ observedLimitRps: 1000, processCount: 4 }, {}, { redis: dead, logger: log.logger });
    for (let i = 0; i < 3; i++) {
      // A process entering its fallback waits one to two of its share's intervals (5 ms here)
      // before its first send, so processes falling back together do not all send at once.
      const res = g.handler(usersRequest(sim.url));
      if (i === 0) {
        await settle();
        expect(sent).toEqual([]);
      }
      let settled = false;
      void res.finally(() => (settled = true));
      for (let t = 0; t < 100 && !settled; t++) await clock.advance(5);
      expect((await res).status).toBe(200);
    }
    expect(g.limiter().mode).toBe('fallback');
    expect(g.limiter().budgetRps).toBeCloseTo(200);
    expect(log.lines().filter((l) => String(l.msg).includes('Redis is unreachable'))).toHaveLength(1);
    dead.disconnect();
  });
});
