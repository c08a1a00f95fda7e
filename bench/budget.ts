/**
 * Budget utilisation: the distributed test as a benchmark. 3 OS processes share the Redis bucket
 * against a simulator limited to 50 rps (budget 40 rps), 16 in flight each, for 8 s. Reports the
 * aggregate rate, its share of the budget, the busiest 1 s window, and 429s. Needs Redis.
 */
import { startSimulator } from '../src/sim/index.js';
import { runDistributed } from '../test/gateway/fixtures/run-distributed.js';
import { report } from './lib.js';

export async function run(): Promise<void> {
  const sim = await startSimulator({ rateLimitRps: 50 });
  const r = await runDistributed({ simUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret, processes: 3, durationMs: 8000, concurrency: 16 });
  const stats = sim.stats();
  const sim429 = stats.requests['GET /v1/users']?.['429'] ?? 0;
  report({
    name: 'budget',
    figures: { aggregate_rps: r.ratePerSecond, budget_rps: 40, max_in_any_1s_window: r.maxInAnySecond, sim_429s: sim429, sent: r.sent },
    ratio: r.ratePerSecond / 40,
    target: 0.95,
    notes: '3 processes × 16 in flight, shared Redis GCRA bucket, simulator limit 50 rps, 8 s',
  });
  await sim.close();
}
