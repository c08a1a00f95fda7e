// Consumer API latency on a generated SQLite warehouse. Usage: npx tsx bench/api.ts [rows]
// Measures in-process (fastify inject) so the figure is the server's own cost, not the loopback's.
import { configSchema, type Config, type TenantConfig } from '../src/config/index.js';
import { buildServer, createKeyStore } from '../src/server/index.js';
import { openWarehouse, type BookingWrite } from '../src/warehouse/index.js';

const rows = Number(process.argv[2] ?? 100_000);
const wh = await openWarehouse({ databaseUrl: 'sqlite::memory:' });
await wh.migrate();
const types = ['FLIGHT', 'HOTEL', 'CAR', 'RAIL'];
const t0 = Date.now();
for (let start = 0; start < rows; start += 5000) {
  const batch: BookingWrite[] = [];
  for (let i = start; i < Math.min(rows, start + 5000); i++) {
    batch.push({ booking: { _tenant: 'acme', _synced_at: '2026-01-01T00:00:00.000Z', _raw: '{}', _deleted: 0, uuid: `b-${String(i).padStart(8, '0')}`, booking_type: types[i % 4], start_date: `2026-${String(1 + (i % 12)).padStart(2, '0')}-10`, usd_grand_total: `${i % 997}.${String(i % 100).padStart(2, '0')}` } as unknown as BookingWrite['booking'], passengers: [], segments: [], etickets: [], customFields: [] });
  }
  await wh.upsertBookings(batch);
}
console.log(`built ${rows} bookings in ${Date.now() - t0} ms`);
const parsed = configSchema.parse({ tenants: [] });
const config = { ...(parsed as unknown as Config), tenants: [{ id: 'acme' } as unknown as TenantConfig], source: 'bench' } as Config;
const { key } = await (await createKeyStore(wh)).create('acme');
const app = await buildServer({ config, warehouse: wh });
for (const [name, url, n] of [['list (filtered, page 100)', '/api/v1/bookings?booking_type=HOTEL&from=2026-03-01&to=2026-06-30&limit=100', 300], ['spend report', '/api/v1/reports/spend?from=2026-03-01&to=2026-03-31', 20]] as const) {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    const res = await app.inject({ url, headers: { authorization: `Bearer ${key}` } });
    if (res.statusCode !== 200) throw new Error(res.body);
    ms.push(performance.now() - s);
  }
  ms.sort((a, b) => a - b);
  console.log(`${name}: p50 ${ms[Math.floor(n * 0.5)]!.toFixed(1)} ms, p95 ${ms[Math.floor(n * 0.95)]!.toFixed(1)} ms, ${(1000 * n / ms.reduce((a, b) => a + b, 0)).toFixed(0)} req/s`);
}
await app.close();
await wh.close();
