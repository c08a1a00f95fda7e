import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NavanNotFoundError } from '../../src/shared/errors.js';
import type { Middleware } from '../../src/shared/http.js';
import { createNavanClient, type Booking, type RecordResult, type NavanClient } from '../../src/navan/index.js';
import { startTestSim, TEST_SIM_ANCHOR } from '../helpers/sim.js';
import { navanStack, simStackConfig, type NavanStack } from '../helpers/stack.js';

type Sim = Awaited<ReturnType<typeof startTestSim>>;
const FROM = new Date(Date.UTC(2023, 11, 1));
const TO = new Date(TEST_SIM_ANCHOR + 2 * 86_400_000);

const stacks: NavanStack[] = [];
afterAll(async () => {
  await Promise.all(stacks.map((st) => st.close()));
});

/** The real layers (token service → gateway → client); `spy` sees each request as the client sends it. */
function clientFor(sim: Sim, tenant: Record<string, unknown> = {}, spy?: Middleware): NavanClient {
  const stack = navanStack(simStackConfig(sim, { tenant, gateway: { observedLimitRps: 5000 } }));
  stacks.push(stack);
  if (!spy) return stack.client;
  return createNavanClient({ tenant: stack.client.tenant, handler: (req) => spy(req, stack.gateway.handler) });
}
async function collect<T>(it: AsyncIterable<RecordResult<T>>): Promise<RecordResult<T>[]> {
  const out: RecordResult<T>[] = [];
  for await (const r of it) out.push(r);
  return out;
}

describe('typed Navan client against the simulator', () => {
  let sim: Sim;
  let client: NavanClient;
  beforeAll(async () => {
    sim = await startTestSim({ seed: 7, bookings: 600, transactions: 1500, users: 120 });
    client = clientFor(sim);
  });
  afterAll(async () => sim.close());

  it('returns exactly the ground truth for bookings and transactions', async () => {
    const bookings = await collect(client.listBookings({ createdFrom: FROM, createdTo: TO }));
    expect(bookings.filter((r) => !r.ok).slice(0, 2)).toEqual([]);
    const truthB = await sim.control.truth('bookings');
    expect(bookings.map((r) => (r.ok ? r.record.uuid : '')).sort()).toEqual(truthB.map((b: { uuid: string }) => b.uuid).sort());
    const first = bookings[0]!;
    if (first.ok) {
      const raw = first.raw as Record<string, unknown>;
      expect(first.record.grandTotal).toBe(raw.grandTotal === null || raw.grandTotal === undefined ? raw.grandTotal : String(raw.grandTotal));
    }
    const txs = await collect(client.listTransactions({ modifiedFrom: '2024-12-01', modifiedTo: new Date(TEST_SIM_ANCHOR + 86_400_000) }));
    const truthT = await sim.control.truth('transactions');
    expect(txs.map((r) => (r.ok ? r.record.id : '')).sort()).toEqual(truthT.map((t: { id: unknown }) => String(t.id)).sort());
  });

  it('splits transaction ranges into windows of at most 93 days and follows cursors', async () => {
    const pages = [];
    for await (const p of client.transactionPages({ modifiedFrom: '2025-01-01', modifiedTo: '2025-12-31', pageSize: 50 })) pages.push(p);
    expect(pages[0]!.windowCount).toBe(4);
    for (const p of pages) expect((p.window.to.getTime() - p.window.from.getTime()) / 86_400_000 + 1).toBeLessThanOrEqual(93);
    expect(pages.filter((p) => p.lastInWindow)).toHaveLength(4);
    expect(pages.some((p) => p.nextCursor)).toBe(true);
  });

  it('pages users to the last page', async () => {
    const users = await collect(client.listUsers({ pageSize: 50 }));
    expect(users).toHaveLength(120);
  });

  it('fetches PDFs and maps 404 to NavanNotFoundError', async () => {
    const [b] = await sim.control.truth('bookings');
    const pdf = await client.getItineraryPdf(b.uuid);
    expect(pdf.subarray(0, 4).toString()).toBe('%PDF');
    await expect(client.getInvoicePdf('no-such-booking')).rejects.toBeInstanceOf(NavanNotFoundError);
  });

  it('re-reads a window whose result set shifted, missing and repeating nothing', async () => {
    const from = new Date(TEST_SIM_ANCHOR - 200 * 86_400_000);
    const to = new Date(TEST_SIM_ANCHOR - 170 * 86_400_000);
    const seen: string[] = [];
    let created = false;
    for await (const p of client.bookingPages({ createdFrom: from, createdTo: to, pageSize: 5 })) {
      seen.push(...p.records.map((r) => r.record.uuid));
      if (!created) {
        created = true;
        await sim.control.post('/__sim/bookings', { created: new Date(from.getTime() + 3_600_000).toISOString() });
      }
    }
    const truth = (await sim.control.truth('bookings')).filter((b: { created: string }) => {
      const t = Date.parse(b.created);
      return t >= from.getTime() && t <= to.getTime();
    });
    const missing = truth.filter((b: Booking) => !seen.includes(b.uuid)).map((b: Booking) => b.created);
    expect(missing).toEqual([]);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(truth.map((b: Booking) => b.uuid).sort());
  });

  it('yields malformed records as rejections without losing the rest of the page', async () => {
    await sim.control.post('/__sim/faults', { malformedRate: 0.2, count: 3, paths: ['/v1/bookings'] });
    const results = await collect(client.listBookings({ createdFrom: FROM, createdTo: TO }));
    const rejected = results.filter((r) => !r.ok);
    expect(rejected.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.ok).length).toBeGreaterThan(0);
  });
});

describe('EU tenants', () => {
  it('send X-ta-region: EU on every API call', async () => {
    const sim = await startTestSim({ seed: 3, bookings: 50, transactions: 10, users: 5, region: 'EU' });
    try {
      const seen: (string | undefined)[] = [];
      const spy: Middleware = async (req, next) => {
        seen.push(req.headers['X-ta-region']);
        return next(req);
      };
      const client = clientFor(sim, { region: 'EU', tokenUrl: sim.url }, spy);
      const all = await collect(client.listBookings({ createdFrom: FROM, createdTo: TO }));
      expect(all.length).toBe(50);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((h) => h === 'EU')).toBe(true);
    } finally {
      await sim.close();
    }
  });
});
