import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSim } from '../helpers/sim.js';
import { simpleTokenMiddleware } from '../helpers/pipeline.js';
import { createGateway } from '../../src/gateway/index.js';
import { EventBus } from '../../src/shared/events.js';
import { gatewayConfig, simTenant, usersRequest } from './setup.js';

let sim: Awaited<ReturnType<typeof startTestSim>>;
beforeAll(async () => {
  sim = await startTestSim({ rateLimitRps: 50 });
});
afterAll(async () => {
  await sim.close();
});

describe('adaptive limit', () => {
  it('configured at 100 rps against a 50 rps simulator: converges, and 429s are under 1% of 2,000 requests', async () => {
    const bus = new EventBus();
    const estimates: number[] = [];
    bus.on('ratelimit.estimate', (e) => estimates.push(e.limitRps));
    const gw = createGateway({
      config: gatewayConfig({ observedLimitRps: 100 }),
      tenant: simTenant(sim),
      auth: simpleTokenMiddleware({ tokenUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret }),
      events: bus,
    });
    const statuses: number[] = [];
    let throttledAt = -1;
    bus.on('navan.request', (e) => {
      statuses.push(e.status);
      if (e.status === 429) throttledAt = statuses.length;
    });
    let left = 2000;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (left-- > 0) expect((await gw.handler(usersRequest(sim.url))).status).toBe(200);
      }),
    );
    await gw.close();
    const throttled = statuses.filter((s) => s === 429).length;
    expect(statuses.length - throttled).toBe(2000);
    expect(throttled).toBeGreaterThan(0);
    expect(throttled / statuses.length).toBeLessThan(0.01);
    // Converged: the last 429 came early, and the estimate settled near the real limit.
    expect(throttledAt).toBeLessThan(statuses.length / 2);
    expect(gw.limiter().limitRps).toBeLessThan(70);
    // The starting estimate is announced (for the monitor's budget gauge), then lowered.
    expect(estimates[0]).toBe(100);
    expect(estimates[1]).toBeLessThan(100);
  }, 90_000);
});
