import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSim } from '../helpers/sim.js';
import { ANCHOR_S, DAY_S, api, fetchToken, tokenRequest } from './_client.js';

let sim: Awaited<ReturnType<typeof startTestSim>>;
let token: string;
const YEAR = `createdFrom=${ANCHOR_S - 365 * DAY_S}&createdTo=${ANCHOR_S}`;

beforeAll(async () => {
  sim = await startTestSim({ bookings: 1500, transactions: 100, users: 40 });
  token = await fetchToken(sim);
});
afterAll(() => sim.close());

const get = (path: string, headers?: Record<string, string>) => api(sim.url, path, token, headers);

describe('GET /v1/bookings parameters', () => {
  it('requires createdFrom and createdTo together (400)', async () => {
    expect((await get('/v1/bookings')).status).toBe(400);
    expect((await get(`/v1/bookings?createdFrom=${ANCHOR_S - DAY_S}`)).status).toBe(400);
    expect((await get(`/v1/bookings?createdTo=${ANCHOR_S}`)).status).toBe(400);
  });

  it('answers a bare 500 to ISO dates instead of epoch seconds', async () => {
    const res = await get('/v1/bookings?createdFrom=2025-01-01T00:00:00Z&createdTo=2025-02-01T00:00:00Z');
    expect(res.status).toBe(500);
    expect(res.json.message).toBeUndefined();
  });

  it('limits size to 1..100 (400 outside) and defaults to 10', async () => {
    expect((await get(`/v1/bookings?${YEAR}&size=101`)).status).toBe(400);
    expect((await get(`/v1/bookings?${YEAR}&size=0`)).status).toBe(400);
    expect((await get(`/v1/bookings?${YEAR}&page=-1`)).status).toBe(400);
    const dflt = await get(`/v1/bookings?${YEAR}`);
    expect(dflt.json.data).toHaveLength(10);
    expect(dflt.json.page.pageSize).toBe(10);
    expect((await get(`/v1/bookings?${YEAR}&size=100`)).json.data).toHaveLength(100);
  });

  it('rejects unknown bookingType or bookingStatus values (400)', async () => {
    expect((await get(`/v1/bookings?${YEAR}&bookingType=BOAT`)).status).toBe(400);
    expect((await get(`/v1/bookings?${YEAR}&bookingStatus=LOST`)).status).toBe(400);
  });
});

describe('GET /v1/bookings data', () => {
  it('pages through a window to the last page: every booking created in it, once, in order', async () => {
    const from = ANCHOR_S - 90 * DAY_S;
    const to = ANCHOR_S - 10 * DAY_S;
    const seen: any[] = [];
    let page = 0;
    let totalPages = 0;
    do {
      const res = await get(`/v1/bookings?createdFrom=${from}&createdTo=${to}&size=50&page=${page}`);
      expect(res.status).toBe(200);
      expect(res.json.page.currentPage).toBe(page);
      totalPages = res.json.page.totalPages;
      seen.push(...res.json.data);
      page++;
    } while (page < totalPages);
    const past = await get(`/v1/bookings?createdFrom=${from}&createdTo=${to}&size=50&page=${page}`);
    expect(past.json.data).toEqual([]);
    const truth = (await sim.control.truth('bookings')).filter((b) => Date.parse(b.created) >= from * 1000 && Date.parse(b.created) < to * 1000);
    expect(truth.length).toBeGreaterThan(100);
    expect(seen.map((b) => b.uuid)).toEqual(truth.map((b) => b.uuid));
    expect(seen).toEqual(truth);
    expect(past.json.page.totalElements).toBe(truth.length);
  });

  it('spreads creation over the two years before the anchor, increasing with the data', async () => {
    const truth = await sim.control.truth('bookings');
    expect(truth).toHaveLength(1500);
    const created = truth.map((b) => Date.parse(b.created));
    expect(Math.min(...created)).toBeGreaterThanOrEqual((ANCHOR_S - 731 * DAY_S) * 1000);
    expect(Math.max(...created)).toBeLessThan(ANCHOR_S * 1000);
    expect(created).toEqual([...created].sort((a, b) => a - b));
  });

  it('has realistic records: all six types, statuses, wire quirks, shared trips, links to this simulator', async () => {
    const all = await sim.control.truth('bookings');
    expect(new Set(all.map((b) => b.bookingType))).toEqual(new Set(['HOTEL', 'FLIGHT', 'CAR', 'RAIL', 'TRANSPORTATION', 'BLACK_CAR']));
    expect(all.some((b) => b.bookingStatus === 'CANCELED' && b.cancelledAt)).toBe(true);
    const inPolicy = all.find((b) => !b.outOfPolicy);
    expect(inPolicy.outOfPolicyViolations).toBe('');
    expect(inPolicy.outOfPolicyViolationTypes).toBe('');
    const out = all.filter((b) => b.outOfPolicy);
    expect(out.length / all.length).toBeGreaterThan(0.05);
    expect(out[0].outOfPolicyViolationTypes.length).toBeGreaterThan(0);
    const b = all.find((x) => x.bookingType === 'FLIGHT');
    expect(typeof b.grandTotal).toBe('number');
    expect(typeof b.currencyExhangeRateFromUsd).toBe('number');
    expect(b.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d\dZ$/);
    expect(b.passengers[0]).toMatchObject({ travelerType: 'PASSENGER', status: 'ENABLED' });
    expect(b.passengers[0].person).toHaveProperty('employeedId');
    expect(b.segments[0]).toHaveProperty('startTimestamp');
    expect(b.invoice).toBe(`${sim.url}/v1/bookings/${b.uuid}/invoice.pdf`);
    expect(b.pdf).toBe(`${sim.url}/v1/bookings/${b.uuid}/itinerary.pdf`);
    const trips = new Map<string, number>();
    for (const x of all) trips.set(x.tripUuids[0], (trips.get(x.tripUuids[0]) ?? 0) + 1);
    expect([...trips.values()].some((n) => n >= 2)).toBe(true);
    const users = await sim.control.truth('users');
    const emails = new Set(users.map((u) => u.userName));
    expect(all.every((x) => emails.has(x.passengers[0].person.email))).toBe(true);
  });

  it('filters by bookingType, bookingStatus and start date', async () => {
    const hotels = await get(`/v1/bookings?${YEAR}&bookingType=HOTEL&size=100`);
    expect(hotels.json.data.length).toBeGreaterThan(0);
    expect(hotels.json.data.every((b: any) => b.bookingType === 'HOTEL')).toBe(true);
    const both = await get(`/v1/bookings?${YEAR}&bookingType=FLIGHT&bookingStatus=CANCELED&size=100`);
    expect(both.json.data.every((b: any) => b.bookingType === 'FLIGHT' && b.bookingStatus === 'CANCELED')).toBe(true);
    const truth = (await sim.control.truth('bookings')).filter((b) => Date.parse(b.created) >= (ANCHOR_S - 365 * DAY_S) * 1000);
    expect(both.json.page.totalElements).toBe(truth.filter((b) => b.bookingType === 'FLIGHT' && b.bookingStatus === 'CANCELED').length);
    const sFrom = ANCHOR_S - 100 * DAY_S;
    const sTo = ANCHOR_S - 50 * DAY_S;
    const starts = await get(`/v1/bookings?${YEAR}&startDateFrom=${sFrom}&startDateTo=${sTo}&size=100`);
    expect(starts.json.page.totalElements).toBe(truth.filter((b) => Date.parse(b.startDate) >= sFrom * 1000 && Date.parse(b.startDate) <= sTo * 1000).length);
  });

  it('is deterministic for a seed and different for another', async () => {
    const a = await startTestSim({ bookings: 300, seed: 7 });
    const b = await startTestSim({ bookings: 300, seed: 7 });
    const c = await startTestSim({ bookings: 300, seed: 8 });
    try {
      const [ta, tb, tc] = await Promise.all([a.control.truth('bookings'), b.control.truth('bookings'), c.control.truth('bookings')]);
      // Links name each simulator's own URL; everything else must match.
      const strip = (l: any[]) => l.map(({ invoice: _i, pdf: _p, ...rest }) => rest);
      expect(strip(ta)).toEqual(strip(tb));
      expect(strip(tc)).not.toEqual(strip(ta));
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
});

describe('EU mode', () => {
  it('answers a bare 500 to API calls without X-ta-region: EU, but serves the token endpoint', async () => {
    const eu = await startTestSim({ bookings: 50, region: 'EU' });
    try {
      const res = await tokenRequest(eu.url, eu);
      expect(res.status).toBe(200);
      const t = (res.json as any).access_token;
      expect((await api(eu.url, `/v1/bookings?${YEAR}`, t)).status).toBe(500);
      expect((await api(eu.url, '/v1/users', t)).status).toBe(500);
      expect((await api(eu.url, `/v1/bookings?${YEAR}`, t, { 'X-ta-region': 'EU' })).status).toBe(200);
      await eu.control.post('/config', { region: 'US' });
      expect((await api(eu.url, `/v1/bookings?${YEAR}`, t)).status).toBe(200);
    } finally {
      await eu.close();
    }
  });
});

describe('updatedFrom/updatedTo', () => {
  it('are ignored by default and filter on lastModified when enabled', async () => {
    const from = ANCHOR_S - 60 * DAY_S;
    const q = `updatedFrom=${from}&updatedTo=${ANCHOR_S}&size=100`;
    expect((await get(`/v1/bookings?${q}`)).status).toBe(400);
    await sim.control.post('/config', { updatedFilters: true });
    try {
      const truth = (await sim.control.truth('bookings')).filter((b) => Date.parse(b.lastModified) >= from * 1000 && Date.parse(b.lastModified) < ANCHOR_S * 1000);
      const res = await get(`/v1/bookings?${q}`);
      expect(res.status).toBe(200);
      expect(res.json.page.totalElements).toBe(truth.length);
      expect(truth.some((b) => Date.parse(b.created) < from * 1000)).toBe(true);
    } finally {
      await sim.control.post('/config', { updatedFilters: false });
    }
  });
});

describe('invoice and itinerary PDFs', () => {
  it('serve valid small PDFs with a bearer token, 401 without, 404 for unknown bookings', async () => {
    const [b] = (await get(`/v1/bookings?${YEAR}&size=1`)).json.data;
    for (const link of [b.invoice, b.pdf]) {
      const path = new URL(link).pathname;
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.buf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(res.buf.toString('latin1').trimEnd().endsWith('%%EOF')).toBe(true);
      const text = res.buf.toString('latin1');
      const xref = Number(/startxref\n(\d+)/.exec(text)![1]);
      expect(text.slice(xref, xref + 4)).toBe('xref');
      expect(text).toContain(b.uuid);
      expect((await api(sim.url, path)).status).toBe(401);
    }
    expect((await get('/v1/bookings/00000000-0000-4000-8000-000000000000/invoice.pdf')).status).toBe(404);
  });
});
