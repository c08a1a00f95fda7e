import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/gateway/index.js';
import { NavanNetworkError } from '../../src/shared/errors.js';
import { EventBus } from '../../src/shared/events.js';
import type { Handler } from '../../src/shared/http.js';
import { createTransport } from '../../src/shared/transport.js';
import { simpleTokenMiddleware } from '../helpers/pipeline.js';
import { startTestSim } from '../helpers/sim.js';
import { gatewayConfig, simTenant, usersRequest } from './setup.js';

let sim: Awaited<ReturnType<typeof startTestSim>>;
beforeAll(async () => {
  sim = await startTestSim({});
});
afterAll(async () => sim.close());
beforeEach(async () => {
  await sim.control.del('/__sim/faults');
});

const auth = () => simpleTokenMiddleware({ tokenUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret });

describe('retries', () => {
  it('retries an idempotent GET on 5xx and connection resets, every attempt on the wire', async () => {
    const bus = new EventBus();
    const attempts: [number, number][] = [];
    bus.on('navan.request', (e) => attempts.push([e.attempt, e.status]));
    const gw = createGateway({ config: gatewayConfig({ retryMaxAttempts: 4, observedLimitRps: 1000 }), tenant: simTenant(sim), auth: auth(), events: bus });
    try {
      await sim.control.post('/__sim/faults', { rate5xx: 1, count: 1, paths: ['/v1/users'] });
      await sim.control.post('/__sim/faults', { resetRate: 1, count: 1, paths: ['/v1/users'] });
      const res = await gw.handler(usersRequest(sim.url));
      expect(res.status).toBe(200);
      // The first request met both rules (a reset wins over the 503), the second went through.
      expect(attempts).toEqual([[1, 0], [2, 200]]);
    } finally {
      await gw.close();
    }
  });

  it('never retries a POST: Navan may have acted on it', async () => {
    let sent = 0;
    const transport = createTransport();
    const counting: Handler = (req) => {
      sent++;
      return transport(req);
    };
    const gw = createGateway({ config: gatewayConfig({ retryMaxAttempts: 4, observedLimitRps: 1000 }), tenant: simTenant(sim), auth: auth(), transport: counting, events: new EventBus() });
    try {
      await sim.control.post('/__sim/faults', { rate5xx: 1, count: 3, paths: ['/v1/users'] });
      const res = await gw.handler(usersRequest(sim.url, { method: 'POST', idempotent: false, body: '{}' }));
      expect(res.status).toBe(503);
      expect(sent).toBe(1);
      // The same fault on a GET is retried until it passes.
      expect((await gw.handler(usersRequest(sim.url))).status).toBe(200);
      expect(sent).toBe(4);
    } finally {
      await gw.close();
      await transport.close();
    }
  });

  // undici checks its headers/body timeouts on a coarse (about 1 s) timer, so a 150 ms timeout
  // fires after roughly a second; the simulator's delay is well past that.
  it('applies the configured per-request timeout, and retries a request that timed out', { timeout: 20_000 }, async () => {
    const bus = new EventBus();
    const lines: { attempt: number; status: number; error?: string }[] = [];
    bus.on('navan.request', (e) => lines.push({ attempt: e.attempt, status: e.status, ...(e.error ? { error: e.error } : {}) }));
    const gw = createGateway({ config: gatewayConfig({ requestTimeoutMs: 150, retryMaxAttempts: 3, observedLimitRps: 1000 }), tenant: simTenant(sim), auth: auth(), events: bus });
    try {
      await sim.control.post('/__sim/faults', { latencyMs: 2500, count: 2, paths: ['/v1/users'] });
      const started = Date.now();
      expect((await gw.handler(usersRequest(sim.url))).status).toBe(200);
      expect(lines).toEqual([{ attempt: 1, status: 0, error: 'NavanNetworkError' }, { attempt: 2, status: 0, error: 'NavanNetworkError' }, { attempt: 3, status: 200 }]);
      expect(Date.now() - started).toBeLessThan(4_500);
      // With the attempts used up, the timeout surfaces as a typed error.
      await sim.control.post('/__sim/faults', { latencyMs: 2500, count: 3, paths: ['/v1/users'] });
      await expect(gw.handler(usersRequest(sim.url))).rejects.toBeInstanceOf(NavanNetworkError);
    } finally {
      await sim.control.del('/__sim/faults');
      await gw.close();
    }
  });
});
