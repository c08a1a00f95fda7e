/**
 * Records/second the typed client reads from the simulator via listBookings (validation,
 * normalisation, window walk), next to a bare undici loop fetching the same pages and JSON-parsing
 * them in the same run. ratio = client / bare. Token fetched once for both sides.
 */
import { request } from 'undici';
import { loadConfig } from '../src/config/index.js';
import { createNavanClient } from '../src/navan/index.js';
import { compose, type Middleware } from '../src/shared/http.js';
import { createTransport } from '../src/shared/transport.js';
import { startSimulator } from '../src/sim/index.js';
import { repeat, report } from './lib.js';

const BOOKINGS = 20_000;
const DAY_MS = 86_400_000;

export async function run(): Promise<void> {
  const now = Date.UTC(2026, 0, 15, 12);
  const sim = await startSimulator({ now, bookings: BOOKINGS, transactions: 10, users: 10 });
  try {
    const tokenRes = await request(new URL('/ta-auth/oauth/token', sim.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sim.clientId, client_secret: sim.clientSecret }).toString(),
    });
    const token = ((await tokenRes.body.json()) as { access_token: string }).access_token;
    const auth: Middleware = (req, next) => next({ ...req, headers: { ...req.headers, authorization: `Bearer ${token}` } });
    const tenant = loadConfig({ env: {}, cwd: '/tmp', overrides: { tenants: [{ id: 'acme', baseUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret }] } }).tenants[0]!;
    const client = createNavanClient({ tenant, handler: compose([auth], createTransport()) });
    const from = new Date(Date.UTC(2023, 11, 1));
    const to = new Date(now);

    const clientRun = async () => {
      const start = performance.now();
      let n = 0;
      for await (const r of client.listBookings({ createdFrom: from, createdTo: to })) if (r.ok) n++;
      return n / ((performance.now() - start) / 1000);
    };
    const bareRun = async () => {
      const start = performance.now();
      let n = 0;
      for (let w = from.getTime(); w < to.getTime(); w += 30 * DAY_MS) {
        const wTo = Math.min(to.getTime(), w + 30 * DAY_MS);
        for (let page = 0; ; page++) {
          const url = `${sim.url}/v1/bookings?createdFrom=${Math.floor(w / 1000)}&createdTo=${Math.floor(wTo / 1000)}&page=${page}&size=100`;
          const res = await request(url, { headers: { authorization: `Bearer ${token}` } });
          const body = (await res.body.json()) as { data: unknown[]; page: { totalPages: number } };
          n += body.data.length;
          if (page + 1 >= body.page.totalPages) break;
        }
      }
      return n / ((performance.now() - start) / 1000);
    };
    const figures = await repeat(3, async () => ({ clientRecordsPerSec: await clientRun(), bareRecordsPerSec: await bareRun() }));
    report({
      name: 'client',
      figures,
      ratio: figures.clientRecordsPerSec! / figures.bareRecordsPerSec!,
      notes: `${BOOKINGS} bookings via listBookings (30-day windows, size 100) vs a bare undici loop over the same pages; medians of 3`,
    });
  } finally {
    await sim.close();
  }
}
