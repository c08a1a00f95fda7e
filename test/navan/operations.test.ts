import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NavanAuthError, NavanBadRequestError, NavanForbiddenError, NavanNotFoundError, NavanServerError } from '../../src/shared/errors.js';
import type { Booking, NavanClient, RecordResult } from '../../src/navan/index.js';
import { countOf } from '../gateway/setup.js';
import { startTestSim, TEST_SIM_ANCHOR } from '../helpers/sim.js';
import { navanStack, simStackConfig, type NavanStack } from '../helpers/stack.js';

type Sim = Awaited<ReturnType<typeof startTestSim>>;
const DAY = 86_400_000;
// A stretch well inside the simulator's two years of bookings.
const RANGE = { from: new Date(TEST_SIM_ANCHOR - 150 * DAY), to: new Date(TEST_SIM_ANCHOR - 60 * DAY) };
const inRange = (b: { created: string }) => Date.parse(b.created) >= RANGE.from.getTime() && Date.parse(b.created) < RANGE.to.getTime();

async function collect<T>(it: AsyncIterable<RecordResult<T>>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of it) {
    if (!r.ok) throw new Error(`unexpected rejection: ${r.rejection.reason}`);
    out.push(r.record);
  }
  return out;
}

/** Every test here runs the real layers (token service → gateway → client) against the simulator over HTTP. */
function stackFor(sim: Sim, tenant: Record<string, unknown> = {}): NavanStack {
  return navanStack(simStackConfig(sim, { tenant, gateway: { observedLimitRps: 5000 } }));
}

describe('trips, invoices and documents', () => {
  let sim: Sim;
  let stack: NavanStack;
  let client: NavanClient;
  let truth: (Booking & { created: string })[];
  beforeAll(async () => {
    sim = await startTestSim({ seed: 21, bookings: 500, transactions: 10, users: 40 });
    stack = stackFor(sim);
    client = stack.client;
    truth = await sim.control.truth('bookings');
  });
  afterAll(async () => {
    await stack?.close();
    await sim?.close();
  });

  it('groups a traveller\'s bookings in a range into trips by tripUuids', async () => {
    const mine = truth.filter(inRange);
    const email = mine[0]!.passengers![0]!.person!.email!;
    const expected = new Map<string, string[]>();
    for (const b of mine) {
      const emails = [b.booker?.email, ...(b.passengers ?? []).map((p) => p.person?.email)].map((e) => e?.toLowerCase());
      if (!emails.includes(email.toLowerCase())) continue;
      for (const t of b.tripUuids?.length ? b.tripUuids : [b.uuid]) expected.set(t, [...(expected.get(t) ?? []), b.uuid].sort());
    }
    const trips = await client.getUserTrips(email.toUpperCase(), RANGE);
    expect(new Map(trips.map((t) => [t.tripUuid, t.bookings.map((b) => b.uuid).sort()]))).toEqual(expected);
    expect(expected.size).toBeGreaterThan(0);
  });

  it('lists every trip of the company in a range (admin view)', async () => {
    const expected = new Set(truth.filter(inRange).flatMap((b) => (b.tripUuids?.length ? b.tripUuids : [b.uuid])));
    const trips = await client.getAdminTrips(RANGE);
    expect(new Set(trips.map((t) => t.tripUuid))).toEqual(expected);
    expect(trips.reduce((n, t) => n + t.bookings.length, 0)).toBeGreaterThanOrEqual(truth.filter(inRange).length);
  });

  it('lists the invoices of a range from the bookings\' invoice links', async () => {
    const invoices = await client.getInvoices(RANGE);
    const expected = truth.filter(inRange).filter((b) => b.invoice);
    expect(invoices.map((i) => [i.bookingUuid, i.url]).sort()).toEqual(expected.map((b) => [b.uuid, b.invoice]).sort());
    expect(invoices.every((i) => typeof i.grandTotal === 'string' || i.grandTotal === null)).toBe(true);
  });

  it('fetches the PDFs from the links the API returned, not from a guessed path', async () => {
    // A booking whose links point at another booking's documents: only following the link finds them.
    const source = truth[3]!;
    const created = await sim.control.post('/__sim/bookings', { invoice: source.invoice, pdf: source.pdf });
    const near = { from: new Date(sim.clock.now() - DAY), to: new Date(sim.clock.now() + DAY) };
    const invoice = await client.getInvoicePdf(created.uuid, { range: near });
    expect(invoice.subarray(0, 5).toString()).toBe('%PDF-');
    expect(invoice.toString('latin1')).toContain(`Booking ${source.uuid}`);
    expect(invoice.toString('latin1')).toContain('Navan invoice');
    const itinerary = await client.getItineraryPdf(created.uuid, { range: near });
    expect(itinerary.toString('latin1')).toContain('Navan itinerary');
    expect(itinerary.toString('latin1')).toContain(`Booking ${source.uuid}`);

    // Given the booking (or its link), no listing is needed first.
    const listings = countOf(await sim.control.stats(), 'GET /v1/bookings', '200');
    const direct = await client.getItineraryPdf(truth[7]!);
    expect(direct.toString('latin1')).toContain(`Booking ${truth[7]!.uuid}`);
    expect(countOf(await sim.control.stats(), 'GET /v1/bookings', '200')).toBe(listings);
    expect(countOf(await sim.control.stats(), 'GET /v1/bookings/{uuid}/itinerary.pdf', '200')).toBe(2);
  });

  it('remembers links from a listing, so a uuid right after it costs one request', async () => {
    const b = truth.filter(inRange)[2]!;
    await collect(client.listBookings({ createdFrom: RANGE.from, createdTo: RANGE.to }));
    const listings = countOf(await sim.control.stats(), 'GET /v1/bookings', '200');
    const pdf = await client.getInvoicePdf(b.uuid);
    expect(pdf.toString('latin1')).toContain(`Booking ${b.uuid}`);
    expect(countOf(await sim.control.stats(), 'GET /v1/bookings', '200')).toBe(listings);
  });

  it('refuses to send credentials to a link on another host, and reports a booking without a link', async () => {
    const before = await sim.control.stats();
    await expect(client.getItineraryPdf({ uuid: 'x', pdf: 'https://evil.example.com/v1/bookings/x/itinerary.pdf' })).rejects.toBeInstanceOf(NavanBadRequestError);
    expect(JSON.stringify((await sim.control.stats()).requests)).toBe(JSON.stringify(before.requests));
    const bare = await sim.control.post('/__sim/bookings', { pdf: null, invoice: null });
    const near = { from: new Date(sim.clock.now() - DAY), to: new Date(sim.clock.now() + DAY) };
    await expect(client.getItineraryPdf(bare.uuid, { range: near })).rejects.toBeInstanceOf(NavanNotFoundError);
    await expect(client.getInvoicePdf('no-such-booking', { range: near })).rejects.toThrow(/no invoice link/);
  });
});

describe('booking filters, users and transaction cursors', () => {
  let sim: Sim;
  let stack: NavanStack;
  let client: NavanClient;
  beforeAll(async () => {
    sim = await startTestSim({ seed: 22, bookings: 400, transactions: 900, users: 130, updatedFilters: true });
    stack = stackFor(sim);
    client = stack.client;
  });
  afterAll(async () => {
    await stack?.close();
    await sim?.close();
  });

  it('filters bookings by type and status exactly as the ground truth', async () => {
    const truth = (await sim.control.truth('bookings')).filter((b: Booking) => b.bookingType === 'HOTEL' && b.bookingStatus === 'CONFIRMED');
    const got = await collect(client.listBookings({ createdFrom: new Date(TEST_SIM_ANCHOR - 800 * DAY), createdTo: new Date(TEST_SIM_ANCHOR + DAY), bookingType: 'HOTEL', bookingStatus: 'CONFIRMED' }));
    expect(got.map((b) => b.uuid).sort()).toEqual(truth.map((b: Booking) => b.uuid).sort());
    expect(got.length).toBeGreaterThan(0);
  });

  it('reads by modification time with updatedFrom/updatedTo, catching changes to old bookings', async () => {
    const truth = await sim.control.truth('bookings');
    const changed = [truth[1].uuid, truth[200].uuid];
    sim.clock.advance(3_600_000);
    const from = new Date(sim.clock.now());
    for (const uuid of changed) await sim.control.patch(`/__sim/bookings/${uuid}`, { purpose: 'Changed later' });
    sim.clock.advance(60_000);
    const got = await collect(client.listBookings({
      createdFrom: new Date(TEST_SIM_ANCHOR - 800 * DAY), createdTo: new Date(sim.clock.now()), updatedFrom: from, updatedTo: new Date(sim.clock.now()), windowDays: 400,
    }));
    expect(got.map((b) => b.uuid).sort()).toEqual([...changed].sort());
    expect(got.every((b) => (b as Record<string, unknown>).purpose === 'Changed later')).toBe(true);
  });

  it('pages users in the bookings envelope and in SCIM style to the last page', async () => {
    const truth = (await sim.control.truth('users')).map((u: { id: string }) => u.id).sort();
    expect((await collect(client.listUsers({ pageSize: 50 }))).map((u) => u.id).sort()).toEqual(truth);
    await sim.control.post('/__sim/config', { usersPaging: 'scim' });
    const scim = stackFor(sim, { usersPaging: 'scim' });
    try {
      const pages = [];
      for await (const p of scim.client.userPages({ pageSize: 40 })) pages.push(p);
      expect(pages).toHaveLength(4);
      expect(pages.flatMap((p) => p.records.map((r) => r.record.id)).sort()).toEqual(truth);
      expect(pages.at(-1)!.lastInWindow).toBe(true);
    } finally {
      await sim.control.post('/__sim/config', { usersPaging: 'bookings' });
      await scim.close();
    }
  });

  it('resumes a transaction listing from a cursor, missing and repeating nothing', async () => {
    const q = { modifiedFrom: '2025-10-20', modifiedTo: '2026-01-15', pageSize: 40 };
    const all: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for await (const p of client.transactionPages(q)) {
      all.push(...p.records.map((r) => r.record.id));
      if (++pages === 2) cursor = p.nextCursor ?? undefined;
    }
    expect(pages).toBeGreaterThan(3);
    expect(cursor).toBeDefined();
    const rest: string[] = [];
    for await (const p of client.transactionPages({ ...q, cursor })) rest.push(...p.records.map((r) => r.record.id));
    expect(rest).toEqual(all.slice(80));
    expect(new Set(all).size).toBe(all.length);
    const truth = (await sim.control.truth('transactions')).filter((t: { modified_timestamp: string }) => t.modified_timestamp.slice(0, 10) >= q.modifiedFrom && t.modified_timestamp.slice(0, 10) <= q.modifiedTo);
    expect([...all].sort()).toEqual(truth.map((t: { id: string }) => t.id).sort());
  });
});

describe('errors from the simulator through the real stack', () => {
  let sim: Sim;
  const stacks: NavanStack[] = [];
  beforeAll(async () => {
    sim = await startTestSim({ seed: 23, bookings: 30, transactions: 30, users: 10 });
  });
  afterAll(async () => {
    await Promise.all(stacks.map((s) => s.close()));
    await sim?.close();
  });
  const stackWith = (cred: { clientId: string; clientSecret: string }, tenant: Record<string, unknown> = {}) => {
    const s = navanStack(simStackConfig({ url: sim.url, ...cred }, { tenant, gateway: { observedLimitRps: 5000, retryMaxAttempts: 1 } }));
    stacks.push(s);
    return s;
  };
  const range = { createdFrom: new Date(TEST_SIM_ANCHOR - 30 * DAY), createdTo: new Date(TEST_SIM_ANCHOR) };
  const tokenRequests = async () => Object.values((await sim.control.stats()).requests['POST /ta-auth/oauth/token'] ?? {}).reduce((a: number, b) => a + (b as number), 0);

  it('403 names the missing scope, or expense enablement, and carries the correlation id', async () => {
    const cred = await sim.control.post('/__sim/credentials', { scopes: ['users:read'], expenseEnabled: false });
    const { client } = stackWith(cred);
    const err = await collect(client.listBookings(range)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NavanForbiddenError);
    expect((err as NavanForbiddenError).missing).toBe('bookings:read');
    expect((err as NavanForbiddenError).correlationId).toMatch(/^[0-9a-f-]{36}$/);
    await expect(collect(client.listTransactions({ modifiedFrom: '2026-01-01', modifiedTo: '2026-01-10' }))).rejects.toThrow(/Navan support/);
    expect(await collect(client.listUsers())).toHaveLength(10);
  });

  it('a revoked token is refreshed once and the call retried; a deleted credential is a NavanAuthError', async () => {
    const cred = await sim.control.post('/__sim/credentials', {});
    const { client } = stackWith(cred);
    expect((await collect(client.listUsers())).length).toBe(10);
    const before = await tokenRequests();
    await sim.control.post('/__sim/tokens/revoke', { clientId: cred.clientId });
    expect((await collect(client.listUsers())).length).toBe(10);
    expect(await tokenRequests()).toBe(before + 1);
    await client.reauthenticate();
    expect(await tokenRequests()).toBe(before + 2);
    await sim.control.del(`/__sim/credentials/${cred.clientId}`);
    await sim.control.post('/__sim/tokens/revoke', { clientId: cred.clientId });
    const err = await collect(client.listUsers()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NavanAuthError);
    expect((err as Error).message).toMatch(/credentials/);
    expect((err as Error).message).not.toContain(cred.clientSecret);
  });

  it('an EU simulator answers 500 to a tenant configured for the US, and works once the tenant says EU', async () => {
    await sim.control.post('/__sim/config', { region: 'EU' });
    try {
      const us = stackWith(sim);
      await expect(collect(us.client.listBookings(range))).rejects.toBeInstanceOf(NavanServerError);
      const eu = stackWith(sim, { region: 'EU', tokenUrl: sim.url });
      expect((await collect(eu.client.listBookings(range))).length).toBeGreaterThan(0);
    } finally {
      await sim.control.post('/__sim/config', { region: 'US' });
    }
  });
});
