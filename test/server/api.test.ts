import { Decimal } from 'decimal.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, createKeyStore } from '../../src/server/index.js';
import type { Warehouse } from '../../src/warehouse/index.js';
import { auth, booking, keysFor, openTestWarehouse, seedTenant, testConfig, SYNCED_AT, type Seeded } from './fixtures.js';

type Json = Record<string, any>;

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`consumer API on ${backend}`, () => {
    let wh: Warehouse & { drop(): Promise<void> };
    let app: FastifyInstance;
    let keys: Awaited<ReturnType<typeof keysFor>>;
    let acme: Seeded;

    beforeAll(async () => {
      wh = await openTestWarehouse(backend);
      acme = await seedTenant(wh, 'acme', { bookings: 250, transactions: 60, users: 30 });
      await seedTenant(wh, 'beta', { bookings: 40, transactions: 10, users: 5 });
      keys = await keysFor(wh);
      app = await buildServer({ config: testConfig(), warehouse: wh, dashboard: false });
    });
    afterAll(async () => {
      await app?.close();
      await wh?.drop();
    });

    const get = async (url: string, key = keys.acme, headers: Record<string, string> = {}) => {
      const res = await app.inject({ url, headers: { ...auth(key), ...headers } });
      return { status: res.statusCode, body: (res.headers['content-type'] ?? '').toString().startsWith('application/json') ? (res.json() as Json) : ({} as Json), res };
    };

    /** Follows nextCursor to the end; returns every row in order. */
    async function walk(url: string, key = keys.acme): Promise<Json[]> {
      const rows: Json[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 100; pages++) {
        const { status, body } = await get(`${url}${url.includes('?') ? '&' : '?'}limit=37${cursor ? `&cursor=${cursor}` : ''}`, key);
        expect(status, JSON.stringify(body)).toBe(200);
        rows.push(...body.data);
        cursor = body.nextCursor;
        if (!cursor) return rows;
      }
      throw new Error('pagination never ended');
    }

    it('pages through every live booking newest created first, each once, the one without a creation time last', async () => {
      const rows = await walk('/api/v1/bookings');
      const live = acme.bookings.filter((b) => b._deleted === 0);
      expect(rows.map((r) => r.uuid).sort()).toEqual(live.map((b) => b.uuid).sort());
      const keysInOrder = rows.map((r) => `${r.created ?? ''}\u0000${r.uuid}`);
      expect(keysInOrder).toEqual([...keysInOrder].sort().reverse());
      expect(rows.at(-1)!.created).toBeNull();
      expect(typeof rows[0]!.out_of_policy).toBe('boolean');
      expect(rows[0]!.deleted).toBe(false);
      expect(Object.keys(rows[0]!).sort()).toEqual(['booking_status', 'booking_type', 'carbon_emissions', 'cost_center', 'created', 'currency', 'deleted', 'department', 'destination_city', 'end_date', 'grand_total', 'origin_city', 'out_of_policy', 'start_date', 'traveler_email', 'traveler_name', 'usd_grand_total', 'uuid', 'vendor'].sort());
    });

    // Each filter against the same predicate applied to the fixture rows.
    const b = (r: Json) => r as Json;
    const filters: [string, (r: Json) => boolean][] = [
      ['booking_type=HOTEL', (r) => r.booking_type === 'HOTEL' && r._deleted === 0],
      ['booking_status=CANCELED', (r) => r.booking_status === 'CANCELED' && r._deleted === 0],
      ['traveler_email=t2@acme.test', (r) => r.traveler_email === 't2@acme.test' && r._deleted === 0],
      ['department=acme-Sales', (r) => r.department === 'acme-Sales' && r._deleted === 0],
      ['cost_center=acme-CC1', (r) => r.cost_center === 'acme-CC1' && r._deleted === 0],
      ['out_of_policy=true', (r) => r.out_of_policy === 1 && r._deleted === 0],
      ['out_of_policy=false', (r) => r.out_of_policy === 0 && r._deleted === 0],
      ['deleted=true', (r) => r._deleted === 1],
      ['deleted=any', () => true],
      ['created_from=2025-12-05&created_to=2025-12-06', (r) => r.created >= '2025-12-05' && r.created < '2025-12-07' && r._deleted === 0],
      ['start_from=2026-02-01&start_to=2026-02-10', (r) => r.start_date >= '2026-02-01' && r.start_date <= '2026-02-10' && r._deleted === 0],
      ['from=2026-03-01&to=2026-03-31', (r) => r.start_date.startsWith('2026-03') && r._deleted === 0],
      ['q=traveler%203', (r) => r.traveler_name.includes('Traveler 3') && r._deleted === 0],
      ['q=CITY2', (r) => r.destination_city.endsWith('City2') && r._deleted === 0],
      ['booking_type=RAIL&department=acme-Sales&deleted=any', (r) => r.booking_type === 'RAIL' && r.department === 'acme-Sales'],
    ];
    it.each(filters)('filters bookings by %s', async (qs, keep) => {
      const rows = await walk(`/api/v1/bookings?${qs}`);
      const expected = acme.bookings.map(b).filter(keep).map((r) => r.uuid).sort();
      expect(expected.length).toBeGreaterThan(0);
      expect(rows.map((r) => r.uuid).sort()).toEqual(expected);
    });

    it('returns a booking with its child rows, and 404 for an unknown one', async () => {
      const { status, body } = await get('/api/v1/bookings/acme-b0003');
      expect(status).toBe(200);
      expect(body.data).toMatchObject({ uuid: 'acme-b0003', booking_type: 'RAIL', out_of_policy: false, deleted: false, usd_grand_total: expect.stringMatching(/^13\.13?$/) });
      expect(body.data.passengers).toEqual([expect.objectContaining({ idx: 0, email: 't3@acme.test' })]);
      expect(body.data.segments).toEqual([expect.objectContaining({ arrival_city: 'acme-City3' })]);
      expect(body.data.etickets).toEqual([expect.objectContaining({ eticket: 'acme-TKT3' })]);
      expect(body.data.custom_fields).toEqual([expect.objectContaining({ name: 'project', value: 'acme-P1' })]);
      expect(body.data).not.toHaveProperty('_raw');
      expect(body.freshness).toEqual({ stream: 'bookings', syncedAt: SYNCED_AT });
      const missing = await get('/api/v1/bookings/acme-nope');
      expect(missing.status).toBe(404);
      expect(missing.body.error).toBe('NOT_FOUND');
    });

    it('pages transactions newest first with filters, and shows a transaction\'s versions oldest first', async () => {
      const all = await walk('/api/v1/transactions');
      expect(all).toHaveLength(acme.transactions.filter((t) => t._deleted === 0).length);
      const dates = all.map((t) => `${t.transaction_date}|${t.id}`);
      expect(dates).toEqual([...dates].sort().reverse());
      expect(all[0]).not.toHaveProperty('_raw');
      const eur = await walk('/api/v1/transactions?currency=eur&kind=REPAYMENT&from=2025-11-01&to=2025-11-15');
      expect(eur.length).toBeGreaterThan(0);
      expect(eur.every((t) => t.posted_currency === 'EUR' && t.transaction_type === 'REPAYMENT' && t.transaction_date < '2025-11-16')).toBe(true);
      const byUser = await walk('/api/v1/transactions?user_email=c1@acme.test&department=acme-Sales');
      expect(byUser.length).toBe(acme.transactions.filter((t) => t.cardholder_email === 'c1@acme.test' && t.department === 'acme-Sales' && t._deleted === 0).length);
      const history = await get('/api/v1/transactions/acme-t0000/history');
      expect(history.status).toBe(200);
      expect(history.body.data.map((v: Json) => v.record.version)).toEqual([0, 1]);
      expect((await get('/api/v1/transactions/acme-t9999/history')).status).toBe(404);
    });

    it('pages users and filters them', async () => {
      expect(await walk('/api/v1/users')).toHaveLength(30);
      const sales = await walk('/api/v1/users?department=acme-Sales');
      expect(sales).toHaveLength(15);
      expect((await walk('/api/v1/users?email=u3@acme.test')).map((u) => u.id)).toEqual(['acme-u0003']);
      expect(sales[0]!.active).toBe(true);
    });

    it('groups bookings into trips with exact totals and pages them', async () => {
      const trips = await walk('/api/v1/trips');
      const live = acme.bookings.filter((x) => x._deleted === 0);
      const byTrip = new Map<string, Json[]>();
      for (const x of live) for (const t of JSON.parse(x.trip_uuids!) as string[]) byTrip.set(t, [...(byTrip.get(t) ?? []), x]);
      expect(trips).toHaveLength(byTrip.size);
      for (const trip of trips) {
        const members = byTrip.get(trip.trip_uuid)!;
        expect(trip.bookings).toBe(members.length);
        expect(trip.usd_total).toBe(members.reduce((s, m) => s.plus(m.usd_grand_total), new Decimal(0)).toFixed(2));
        expect(trip.destinations).toEqual([...new Set(members.map((m) => m.destination_city))].sort());
      }
      const mine = await walk('/api/v1/trips?traveler_email=t1@acme.test&from=2026-01-01&to=2026-03-31');
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every((t) => t.traveler_email === 't1@acme.test')).toBe(true);
    });

    it('sums spend exactly in SQL, per grouping, matching decimal.js over the rows', async () => {
      const { status, body } = await get('/api/v1/reports/spend?from=2026-01-01&to=2026-04-30');
      expect(status).toBe(200);
      const rows = acme.bookings.filter((x) => x._deleted === 0 && x.start_date! <= '2026-04-30');
      const sum = (rs: typeof rows, f: 'usd_grand_total' | 'grand_total' = 'usd_grand_total') => rs.reduce((s, r) => s.plus(r[f]!), new Decimal(0)).toFixed(2);
      expect(body.data.total).toBe(sum(rows));
      expect(body.data.count).toBe(rows.length);
      expect(body.data.currency).toBe('USD');
      expect(body.data.byMonth.map((g: Json) => g.key)).toEqual(['2026-01', '2026-02', '2026-03', '2026-04']);
      for (const g of body.data.byMonth) expect(g.total).toBe(sum(rows.filter((r) => r.start_date!.startsWith(g.key))));
      for (const g of body.data.byDepartment) expect(g.total).toBe(sum(rows.filter((r) => r.department === g.key)));
      for (const g of body.data.byCostCenter) expect(g.count).toBe(rows.filter((r) => r.cost_center === g.key).length);
      for (const g of body.data.byCurrency) expect(g.total).toBe(sum(rows.filter((r) => r.currency === g.key), 'grand_total'));
      const totals = body.data.byBookingType.map((g: Json) => new Decimal(g.total).toNumber());
      expect(totals).toEqual([...totals].sort((a: number, c: number) => c - a));
      expect(body.freshness).toEqual({ stream: 'bookings', syncedAt: SYNCED_AT });
    });

    it('reports policy, carbon and top routes from the same rows', async () => {
      const rows = acme.bookings.filter((x) => x._deleted === 0);
      const policy = (await get('/api/v1/reports/policy')).body.data;
      const oop = rows.filter((r) => r.out_of_policy === 1);
      expect(policy).toMatchObject({ count: rows.length, outOfPolicy: oop.length, outOfPolicyTotal: oop.reduce((s, r) => s.plus(r.usd_grand_total!), new Decimal(0)).toFixed(2) });
      expect(policy.share).toBeCloseTo(oop.length / rows.length, 10);
      expect(policy.byDepartment.reduce((n: number, g: Json) => n + g.outOfPolicy, 0)).toBe(oop.length);
      const carbon = (await get('/api/v1/reports/carbon')).body.data;
      expect(carbon.totalKg).toBe(rows.reduce((s, r) => s.plus(r.carbon_emissions!), new Decimal(0)).toNumber());
      expect(carbon.byMonth).toHaveLength(6);
      const top = (await get('/api/v1/reports/top?limit=3')).body.data;
      expect(top.routes).toHaveLength(3);
      expect(top.destinations).toHaveLength(3);
      const city0 = rows.filter((r) => r.destination_city === top.destinations[0].city);
      expect(top.destinations[0]).toEqual({ city: top.destinations[0].city, count: city0.length, total: city0.reduce((s, r) => s.plus(r.usd_grand_total!), new Decimal(0)).toFixed(2) });
    });

    it('streams CSV on every list route, with the same rows as JSON', async () => {
      for (const [url, first, n] of [
        ['/api/v1/bookings?booking_type=HOTEL', 'uuid', acme.bookings.filter((x) => x.booking_type === 'HOTEL' && x._deleted === 0).length],
        ['/api/v1/transactions', 'id', acme.transactions.filter((t) => t._deleted === 0).length],
        ['/api/v1/users', 'id', 30],
        ['/api/v1/trips?limit=5', 'trip_uuid', 5],
      ] as const) {
        const { res } = await get(url, keys.acme, { accept: 'text/csv' });
        expect(res.statusCode, url).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/csv/);
        const lines = res.body.trimEnd().split('\r\n');
        expect(lines[0]!.split(',')[0], url).toBe(first);
        expect(lines, url).toHaveLength(1 + n);
        expect(lines.slice(1).every((l) => l.startsWith('acme-')), url).toBe(true);
      }
    });

    it('says how fresh the data is, and null before a tenant\'s first sync', async () => {
      for (const url of ['/api/v1/bookings', '/api/v1/transactions', '/api/v1/users', '/api/v1/trips', '/api/v1/reports/spend']) {
        expect((await get(url)).body.freshness.syncedAt, url).toBe(url.includes('transactions') ? '2026-01-10T09:00:00.000Z' : SYNCED_AT);
        const empty = await get(url, keys.empty);
        expect(empty.status, url).toBe(200);
        expect(empty.body.freshness.syncedAt, url).toBeNull();
      }
      const spend = (await get('/api/v1/reports/spend', keys.empty)).body.data;
      expect(spend).toMatchObject({ total: '0.00', count: 0, byMonth: [] });
    });
  });
}

describe.each(['sqlite', 'postgres'] as const)('exact sums beyond cents (%s)', (backend) => {
  it('sums amounts with more than 9 decimals exactly (SQLite falls back to decimal.js for them)', async () => {
    const wh = await openTestWarehouse(backend);
    try {
      const rows = ['0.0000000001', '0.0000000001', '0.1', '0.2', '-0.05'].map((usd, i) => {
        const w = booking('odd', i);
        return { ...w, booking: { ...w.booking, usd_grand_total: usd, booking_type: 'FLIGHT', department: 'D' } };
      });
      await wh.upsertBookings(rows);
      const key = (await createKeyStore(wh)).create('odd');
      const app = await buildServer({ config: testConfig(), warehouse: wh, dashboard: false });
      const res = await app.inject({ url: '/api/v1/reports/spend', headers: auth((await key).key) });
      expect(res.json().data.total).toBe('0.2500000002');
      expect(res.json().data.byDepartment).toEqual([{ key: 'D', total: '0.2500000002', count: 5 }]);
      await app.close();
    } finally {
      await wh.drop();
    }
  });
});
