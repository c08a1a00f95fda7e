import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSim } from '../helpers/sim.js';
import { countOf } from './setup.js';
import { runDistributed } from './fixtures/run-distributed.js';

let sim: Awaited<ReturnType<typeof startTestSim>>;
beforeAll(async () => {
  sim = await startTestSim({ rateLimitRps: 50 });
});
afterAll(async () => {
  await sim.close();
});

describe('distributed limit', () => {
  it('3 processes sharing Redis stay under the simulator\'s 50 rps with zero 429s and use ≥ 95% of the 40 rps budget', async () => {
    await sim.control.post('/__sim/stats/reset');
    const r = await runDistributed({ simUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret, processes: 3, durationMs: 5000, concurrency: 16 });
    const stats = await sim.control.stats();
    expect(r.modes).toEqual(['redis', 'redis', 'redis']);
    expect(countOf(stats, 'GET /v1/users', '429')).toBe(0);
    expect(r.statuses['429'] ?? 0).toBe(0);
    expect(r.maxInAnySecond).toBeLessThanOrEqual(50);
    expect(r.ratePerSecond).toBeGreaterThanOrEqual(0.95 * 40);
  }, 60_000);
});
