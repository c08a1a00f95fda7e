/**
 * Per-call overhead of recording one 'navan.request' event into the Prometheus metrics, against
 * an empty listener on the same bus in the same run. Figures are ns per event.
 */
import { EventBus, type BridgeEvents } from '../src/shared/events.js';
import { createMetrics } from '../src/monitor/index.js';
import { repeat, report } from './lib.js';

const N = 200_000;
const endpoints = ['/v1/bookings', '/v1/expense/transactions', '/v1/users', '/v1/expense/transactions/{id}'];
const statuses = [200, 200, 200, 200, 200, 200, 200, 429, 503, 0];
const eventsToSend: BridgeEvents['navan.request'][0][] = Array.from({ length: 1024 }, (_, i) => ({
  tenant: i % 3 ? 'acme' : 'globex', method: 'GET', endpoint: endpoints[i % endpoints.length]!, status: statuses[i % statuses.length]!,
  latencyMs: 20 + ((i * 37) % 7000), attempt: 1, waitMs: i % 5 ? 0 : 150, bytes: 2048,
}));

function timeEmits(bus: EventBus): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) bus.emit('navan.request', eventsToSend[i & 1023]!);
  return Number(process.hrtime.bigint() - start) / N;
}

export async function run(): Promise<void> {
  const baselineBus = new EventBus();
  baselineBus.on('navan.request', () => undefined);
  const metricsBus = new EventBus();
  const metrics = createMetrics({ events: metricsBus, tenants: ['acme', 'globex'], collectDefault: false });
  // Warm both paths so the JIT has settled before the measured repetitions.
  timeEmits(baselineBus);
  timeEmits(metricsBus);
  const figures = await repeat(7, async () => ({ empty_listener_ns: timeEmits(baselineBus), metrics_ns: timeEmits(metricsBus) }));
  metrics.close();
  const overhead = figures.metrics_ns! - figures.empty_listener_ns!;
  report({
    name: 'metrics',
    figures: { ...figures, overhead_ns_per_call: overhead },
    notes: `median of 7 × ${N} events; overhead = metrics - empty listener`,
  });
}
