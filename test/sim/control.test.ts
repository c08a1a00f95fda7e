import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startTestSim } from '../helpers/sim.js';
import { ANCHOR_S, DAY_S, api, fetchToken, tokenRequest } from './_client.js';

let sim: Awaited<ReturnType<typeof startTestSim>>;
let token: string;
const WINDOW = `createdFrom=${ANCHOR_S - 730 * DAY_S}&createdTo=${ANCHOR_S + 30 * DAY_S}`;

beforeAll(async () => {
  sim = await startTestSim({ bookings: 600, transactions: 300, users: 25 });
  token = await fetchToken(sim);
});
afterAll(() => sim.close());
beforeEach(async () => {
  await sim.control.del('/faults');
  await sim.control.post('/ratelimit', { rps: null, headers: false });
  // The clock test jumps past the token's life.
  token = await fetchToken(sim);
});

const get = (path: string) => api(sim.url, path, token);

describe('faults', () => {
  it('5xx with count applies to exactly the next n matching requests', async () => {
    await sim.control.post('/faults', { rate5xx: 1, status5xx: 502, count: 2 });
    expect((await get('/v1/users')).status).toBe(502);
    expect((await tokenRequest(sim.url, sim)).status).toBe(200); // the token endpoint is spared by default
    expect((await get('/v1/users')).status).toBe(502);
    expect((await get('/v1/users')).status).toBe(200);
  });

  it('paths limit a rule by prefix; includeToken reaches the token endpoint', async () => {
    await sim.control.post('/faults', { rate5xx: 1, paths: ['/v1/expense'] });
    expect((await get('/v1/users')).status).toBe(200);
    expect((await get('/v1/expense/transactions')).status).toBe(503);
    await sim.control.del('/faults');
    await sim.control.post('/faults', { rate5xx: 1, status5xx: 500, includeToken: true, paths: ['/ta-auth'], count: 1 });
    expect((await tokenRequest(sim.url, sim)).status).toBe(500);
    expect((await tokenRequest(sim.url, sim)).status).toBe(200);
  });

  it('429 carries Retry-After in seconds or as an HTTP date', async () => {
    await sim.control.post('/faults', { rate429: 1, retryAfter: { seconds: 7 }, count: 1 });
    const a = await get('/v1/users');
    expect(a.status).toBe(429);
    expect(a.headers['retry-after']).toBe('7');
    await sim.control.post('/faults', { rate429: 1, retryAfter: { seconds: 30, httpDate: true }, count: 1 });
    const b = await get('/v1/users');
    expect(b.status).toBe(429);
    const at = Date.parse(String(b.headers['retry-after']));
    expect(at - Date.parse(String(b.headers.date))).toBe(30_000);
    await sim.control.post('/faults', { rate429: 1, retryAfter: null, count: 1 });
    expect((await get('/v1/users')).headers['retry-after']).toBeUndefined();
  });

  it('resetRate destroys the socket; truncateRate cuts the JSON; latencyMs delays', async () => {
    await sim.control.post('/faults', { resetRate: 1, count: 1 });
    await expect(request(`${sim.url}/v1/users`, { headers: { authorization: `Bearer ${token}` } })).rejects.toThrow();
    await sim.control.post('/faults', { truncateRate: 1, count: 1 });
    const cut = await get('/v1/users');
    expect(cut.status).toBe(200);
    expect(cut.text.length).toBeGreaterThan(10);
    expect(() => JSON.parse(cut.text)).toThrow();
    await sim.control.post('/faults', { latencyMs: 120, count: 1 });
    const t0 = performance.now();
    expect((await get('/v1/users')).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
    const stats = await sim.control.stats();
    expect(stats.requests['GET /v1/users']!.reset).toBe(1);
  });

  it('malformedRate corrupts records inside an otherwise valid page', async () => {
    await sim.control.post('/faults', { malformedRate: 0.5, paths: ['/v1/bookings'] });
    const res = await get(`/v1/bookings?${WINDOW}&size=100`);
    expect(res.status).toBe(200);
    expect(res.json.data).toHaveLength(100);
    const bad = res.json.data.filter((b: any) => typeof b.uuid !== 'string' || typeof b.created !== 'string');
    expect(bad.length).toBeGreaterThan(10);
    expect(bad.length).toBeLessThan(90);
  });

  it('rejects invalid rules with a sentence, and DELETE clears them', async () => {
    const res = await request(`${sim.url}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rate5xx: 2 }) });
    expect(res.statusCode).toBe(400);
    expect(((await res.body.json()) as any).error).toMatch(/rate5xx/);
    await sim.control.post('/faults', { rate5xx: 1 });
    await sim.control.del('/faults');
    expect((await get('/v1/users')).status).toBe(200);
  });
});

describe('rate limit', () => {
  it('allows rps calls per credential per second, then 429 with Retry-After: 1, and headers when asked', async () => {
    await sim.control.post('/ratelimit', { rps: 3, headers: true });
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 5; i++) {
      last = await get('/v1/users');
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(last!.headers['retry-after']).toBe('1');
    expect(last!.headers['x-ratelimit-limit']).toBe('3');
    expect(last!.headers['x-ratelimit-remaining']).toBe('0');
    // Each refusal is kept with what the window held, for finding out why a client went over.
    const { refusals } = await sim.control.get('/__sim/ratelimit/refusals');
    expect(refusals).toHaveLength(2);
    expect(refusals[0].clientId).toBe(sim.clientId);
    expect(refusals[0].windowMsAgo).toHaveLength(3);
    expect(refusals[0].windowMsAgo.every((ms: number) => ms >= 0 && ms < 1000)).toBe(true);
    expect(refusals[0].loopLagMs).toBeGreaterThanOrEqual(0);
    // Another credential has its own window.
    const other = await sim.control.post('/credentials', {});
    expect((await api(sim.url, '/v1/users', await fetchToken(sim, other))).status).toBe(200);
    await sim.control.post('/ratelimit', { rps: null });
    expect((await get('/v1/users')).status).toBe(200);
  });
});

describe('clock', () => {
  it('reads, advances and sets the simulator clock', async () => {
    const { now } = await sim.control.get('/clock');
    expect(Math.abs(now - sim.clock.now())).toBeLessThan(1000);
    const advanced = await sim.control.post('/clock', { advanceMs: 3_600_000 });
    expect(advanced.now - now).toBeGreaterThanOrEqual(3_600_000);
    const set = await sim.control.post('/clock', { now: Date.UTC(2026, 0, 16) });
    expect(set.now - Date.UTC(2026, 0, 16)).toBeLessThan(1000);
    await expect(sim.control.post('/clock', { later: 1 })).rejects.toThrow(/400/);
  });
});

describe('booking mutations', () => {
  it('create, patch, cancel and delete show in the API and the truth', async () => {
    const created = await sim.control.post('/bookings', { bookingType: 'HOTEL', vendor: 'Test Inn' });
    expect(created).toMatchObject({ bookingType: 'HOTEL', vendor: 'Test Inn' });
    expect(Math.abs(Date.parse(created.created) - sim.clock.now())).toBeLessThan(1000);
    const listed = await get(`/v1/bookings?${WINDOW}&bookingType=HOTEL&size=100`);
    const last = await get(`/v1/bookings?${WINDOW}&bookingType=HOTEL&size=100&page=${listed.json.page.totalPages - 1}`);
    expect(last.json.data.at(-1).uuid).toBe(created.uuid);

    const [victim, other] = (await sim.control.truth('bookings')).slice(3, 5);
    sim.clock.advance(60_000);
    const patched = await sim.control.patch(`/bookings/${victim.uuid}`, { purpose: 'Changed', created: 'ignored' });
    expect(patched.purpose).toBe('Changed');
    expect(patched.created).toBe(victim.created);
    expect(Date.parse(patched.lastModified)).toBeGreaterThan(Date.parse(victim.lastModified));
    const cancelled = await sim.control.post(`/bookings/${other.uuid}/cancel`);
    expect(cancelled.bookingStatus).toBe('CANCELED');
    expect(cancelled.cancelledAt).toBeTruthy();
    const canceledList = await get(`/v1/bookings?${WINDOW}&bookingStatus=CANCELED&size=100`);
    const allCanceled: string[] = [];
    for (let p = 0; p < canceledList.json.page.totalPages; p++) allCanceled.push(...(await get(`/v1/bookings?${WINDOW}&bookingStatus=CANCELED&size=100&page=${p}`)).json.data.map((b: any) => b.uuid));
    expect(allCanceled).toContain(other.uuid);

    const before = (await get(`/v1/bookings?${WINDOW}&size=1`)).json.page.totalElements;
    await sim.control.del(`/bookings/${victim.uuid}`);
    expect((await get(`/v1/bookings?${WINDOW}&size=1`)).json.page.totalElements).toBe(before - 1);
    expect((await get(new URL(victim.pdf).pathname)).status).toBe(404);
    const truth = await sim.control.truth('bookings');
    expect(truth.find((b) => b.uuid === victim.uuid)).toBeUndefined();
    expect(truth.find((b) => b.uuid === other.uuid).bookingStatus).toBe('CANCELED');
    expect(truth.at(-1).uuid).toBe(created.uuid);
    expect(truth).toHaveLength(600);
    await expect(sim.control.patch(`/bookings/${victim.uuid}`, {})).rejects.toThrow(/404/);
    await expect(sim.control.del(`/bookings/${victim.uuid}`)).rejects.toThrow(/404/);
  });
});

describe('users', () => {
  it('pages with the bookings envelope, or SCIM style when configured', async () => {
    const p0 = await get('/v1/users?size=10&page=2');
    expect(p0.json.page).toEqual({ totalPages: 3, currentPage: 2, pageSize: 10, totalElements: 25 });
    expect(p0.json.data).toHaveLength(5);
    expect(p0.json.data[0]).toHaveProperty('costCentre');
    expect((await get('/v1/users?size=101')).status).toBe(400);
    await sim.control.post('/config', { usersPaging: 'scim' });
    try {
      const scim = await get('/v1/users?startIndex=21&count=10');
      expect(scim.json).toMatchObject({ totalResults: 25, startIndex: 21, itemsPerPage: 5 });
      const truth = await sim.control.truth('users');
      expect(scim.json.Resources).toEqual(truth.slice(20));
    } finally {
      await sim.control.post('/config', { usersPaging: 'bookings' });
    }
  });
});
