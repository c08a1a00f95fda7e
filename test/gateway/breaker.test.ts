import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startTestSim } from '../helpers/sim.js';
import { simpleTokenMiddleware } from '../helpers/pipeline.js';
import { createGateway, CircuitOpenError, type Gateway } from '../../src/gateway/index.js';
import { EventBus } from '../../src/shared/events.js';
import { createTransport } from '../../src/shared/transport.js';
import { countOf, gatewayConfig, simTenant, usersRequest } from './setup.js';

let sim: Awaited<ReturnType<typeof startTestSim>>;
let gw: Gateway;
let bus: EventBus;
/** Requests handed to the network so far (the simulator counts only when it answers). */
let sent = 0;
const transport = createTransport();
const counting: typeof transport = Object.assign((req: Parameters<typeof transport>[0]) => {
  sent++;
  return transport(req);
}, { close: async () => undefined });
const users = () => sim.control.stats().then((s) => Object.values(s.requests['GET /v1/users'] ?? {}).reduce((a: number, b) => a + (b as number), 0));

beforeAll(async () => {
  sim = await startTestSim({});
});
afterAll(async () => {
  await sim.close();
  await transport.close();
});
beforeEach(async () => {
  // cockatiel reads Date.now for the half-open timer; only Date is faked so sockets still work.
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
  await sim.control.del('/__sim/faults');
  await sim.control.post('/__sim/stats/reset');
  bus = new EventBus();
  gw = createGateway({
    config: gatewayConfig({ retryMaxAttempts: 1, observedLimitRps: 10_000 }),
    tenant: simTenant(sim),
    auth: simpleTokenMiddleware({ tokenUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret }),
    events: bus,
    transport: counting,
  });
  sent = 0;
});
afterEach(async () => {
  vi.useRealTimers();
  await gw.close();
});

const call = () => gw.handler(usersRequest(sim.url));

describe('breaker', () => {
  it('opens after 5 consecutive 5xx and then fails fast without touching the simulator', async () => {
    const states: string[] = [];
    bus.on('breaker.state', (e) => states.push(e.state));
    await sim.control.post('/__sim/faults', { rate5xx: 1, status5xx: 503, count: 5, paths: ['/v1/users'] });
    for (let i = 0; i < 5; i++) expect((await call()).status).toBe(503);
    expect(gw.breaker().state).toBe('open');
    expect(gw.breaker().retryInMs).toBeGreaterThan(59_000);
    expect(states).toEqual(['open']);
    const before = await users();
    const err = await call().catch((e) => e);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect(err.correlationId).toBeTruthy();
    expect(err.message).toMatch(/retry after/);
    expect(await users()).toBe(before);
  });

  it('4 failures followed by a success leave it closed; 4xx do not count', async () => {
    await sim.control.post('/__sim/faults', { rate5xx: 1, count: 4, paths: ['/v1/users'] });
    for (let i = 0; i < 4; i++) expect((await call()).status).toBeGreaterThanOrEqual(500);
    expect((await call()).status).toBe(200);
    await sim.control.post('/__sim/faults', { rate5xx: 1, count: 4, paths: ['/v1/users'] });
    for (let i = 0; i < 4; i++) await call();
    // A 404 between failures is not a failure, and does not reset the count either way it matters here.
    const notFound = await gw.handler(usersRequest(sim.url, { path: '/v1/nope', endpoint: '/v1/nope' }));
    expect(notFound.status).toBe(404);
    expect(gw.breaker().state).toBe('closed');
  });

  it('half-open lets exactly one probe through under 50 concurrent callers; a bad probe reopens it', async () => {
    await sim.control.post('/__sim/faults', { rate5xx: 1, count: 5, paths: ['/v1/users'] });
    for (let i = 0; i < 5; i++) await call();
    expect(gw.breaker().state).toBe('open');
    vi.advanceTimersByTime(60_001);
    await sim.control.post('/__sim/stats/reset');
    await sim.control.post('/__sim/faults', { rate5xx: 1, count: 1, latencyMs: 100, paths: ['/v1/users'] });
    const results = await Promise.allSettled(Array.from({ length: 50 }, call));
    expect(await users()).toBe(1);
    const probe = results.filter((r) => r.status === 'fulfilled');
    expect(probe).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof CircuitOpenError)).toHaveLength(49);
    expect(gw.breaker().state).toBe('open');
    expect(gw.breaker().retryInMs).toBeGreaterThan(59_000);
  });

  it('a good probe closes it and the waiting callers go through', async () => {
    await sim.control.post('/__sim/faults', { rate5xx: 1, count: 5, paths: ['/v1/users'] });
    for (let i = 0; i < 5; i++) await call();
    vi.advanceTimersByTime(60_001);
    await sim.control.post('/__sim/stats/reset');
    await sim.control.post('/__sim/faults', { latencyMs: 100, count: 1, paths: ['/v1/users'] });
    sent = 0;
    const pending = Array.from({ length: 50 }, call);
    // While the probe is in flight, only it has reached the simulator.
    await new Promise((r) => setTimeout(r, 50));
    expect(sent).toBe(1);
    const results = await Promise.all(pending);
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(gw.breaker().state).toBe('closed');
    expect(countOf(await sim.control.stats(), 'GET /v1/users', '200')).toBe(50);
  });
});
