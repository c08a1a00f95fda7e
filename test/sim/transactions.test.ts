import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSim } from '../helpers/sim.js';
import { api, fetchToken } from './_client.js';

let sim: Awaited<ReturnType<typeof startTestSim>>;
let token: string;

beforeAll(async () => {
  sim = await startTestSim({ bookings: 400, transactions: 1200, users: 30 });
  token = await fetchToken(sim);
});
afterAll(() => sim.close());

const get = (path: string) => api(sim.url, path, token);
const Q = 'date_modified.from=2025-11-01&date_modified.to=2026-01-14';

async function walk(path: string, pageSize: number) {
  const out: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await get(`${path}&page_size=${pageSize}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status).toBe(200);
    expect(res.json.has_previous).toBe(pages > 0);
    expect(res.json.content_size).toBe(res.json.content.length);
    expect(res.json.page_size).toBe(pageSize);
    out.push(...res.json.content);
    cursor = res.json.next_cursor;
    expect(res.json.has_next).toBe(cursor !== null);
    pages++;
  } while (cursor);
  return out;
}

describe('GET /v1/expense/transactions parameters', () => {
  it('allows at most 93 days, both ends included (400 beyond)', async () => {
    expect((await get('/v1/expense/transactions?date_modified.from=2025-01-01&date_modified.to=2025-04-03')).status).toBe(200);
    const res = await get('/v1/expense/transactions?date_modified.from=2025-01-01&date_modified.to=2025-04-04');
    expect(res.status).toBe(400);
    expect(res.json.message).toContain('93');
  });

  it('checks page_size 1..500, date format and cursor (400)', async () => {
    expect((await get(`/v1/expense/transactions?${Q}&page_size=0`)).status).toBe(400);
    expect((await get(`/v1/expense/transactions?${Q}&page_size=501`)).status).toBe(400);
    expect((await get(`/v1/expense/transactions?${Q}&page_size=500`)).status).toBe(200);
    expect((await get('/v1/expense/transactions?date_modified.from=01/02/2025&date_modified.to=2025-02-02')).status).toBe(400);
    expect((await get(`/v1/expense/transactions?${Q}&cursor=garbage`)).status).toBe(400);
    expect((await get(`/v1/expense/transactions?${Q}`)).json.page_size).toBe(100);
  });
});

describe('GET /v1/expense/transactions data', () => {
  it('follows cursors to the end: exactly the truth inside the window, ordered by modified_timestamp', async () => {
    const seen = await walk(`/v1/expense/transactions?${Q}`, 37);
    const from = Date.parse('2025-11-01T00:00:00Z');
    const to = Date.parse('2026-01-15T00:00:00Z');
    const truth = (await sim.control.truth('transactions')).filter((t) => Date.parse(t.modified_timestamp) >= from && Date.parse(t.modified_timestamp) < to);
    expect(truth.length).toBeGreaterThan(100);
    expect(seen).toHaveLength(truth.length);
    expect(new Set(seen.map((t) => t.id))).toEqual(new Set(truth.map((t) => t.id)));
    const times = seen.map((t) => Date.parse(t.modified_timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('has snake_case records with money as 2-decimal strings and links to bookings', async () => {
    const all = await sim.control.truth('transactions');
    expect(all).toHaveLength(1200);
    const ids = all.map((t) => t.id);
    expect(ids).toEqual([...ids].sort());
    for (const t of all.slice(0, 200)) {
      for (const k of ['posted_amount', 'original_amount', 'personal_amount', 'fee', 'fx_fee_amount']) expect(t[k]).toMatch(/^-?\d+\.\d{2}$/);
      expect(t).toHaveProperty('statement_id');
      expect(t).toHaveProperty('gl_code_number');
      expect(t.custom_field_values[0]).toHaveProperty('displayValue');
    }
    const bookings = new Set((await sim.control.truth('bookings')).map((b) => b.uuid));
    const linked = all.filter((t) => t.booking_details.navan_booking_uuids.length > 0);
    expect(linked.length).toBeGreaterThan(50);
    expect(linked.every((t) => bookings.has(t.booking_details.navan_booking_uuids[0]))).toBe(true);
    const modified = all.map((t) => Date.parse(t.modified_timestamp));
    expect(Math.min(...modified)).toBeGreaterThanOrEqual(Date.UTC(2025, 0, 15));
    expect(Math.max(...modified)).toBeLessThan(Date.UTC(2026, 0, 15));
  });

  it('typed lists return only their transaction_type', async () => {
    const cards = await walk(`/v1/expense/card-transactions?${Q}`, 500);
    expect(cards.length).toBeGreaterThan(0);
    expect(cards.every((t) => t.transaction_type === 'CARD')).toBe(true);
    const manual = await walk(`/v1/expense/manual-transactions?${Q}`, 500);
    expect(manual.every((t) => t.transaction_type === 'MANUAL')).toBe(true);
    const all = await walk(`/v1/expense/transactions?${Q}`, 500);
    expect(all.length).toBeGreaterThan(cards.length + manual.length);
  });

  it('serves one transaction by id, 404 for an unknown one; custom-fields and gl-codes', async () => {
    const [t] = (await sim.control.truth('transactions')).slice(5, 6);
    expect((await get(`/v1/expense/transactions/${t.id}`)).json).toEqual(t);
    expect((await get('/v1/expense/transactions/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await get('/v1/expense/gl-codes')).json.content.length).toBeGreaterThan(0);
    expect((await get('/v1/expense/custom-fields')).json.content.length).toBeGreaterThan(0);
  });
});

describe('mutations and the visibility delay', () => {
  it('lists a change only once the clock passes modified_timestamp plus the delay; truth shows it at once', async () => {
    await sim.control.post('/config', { visibilityDelayHours: 4 });
    try {
      const [old] = (await sim.control.truth('transactions')).slice(10, 11);
      const before = sim.clock.now();
      const changed = await sim.control.patch(`/transactions/${old.id}`, { posted_amount: '99.99' });
      expect(changed.posted_amount).toBe('99.99');
      expect(Date.parse(changed.modified_timestamp)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(changed.modified_timestamp)).toBeLessThanOrEqual(sim.clock.now());
      const today = new Date(sim.clock.now()).toISOString().slice(0, 10);
      const q = `/v1/expense/transactions?date_modified.from=${today}&date_modified.to=${today}`;
      expect((await walk(q, 100)).map((t) => t.id)).not.toContain(old.id);
      const truth = await sim.control.truth('transactions');
      expect(truth.find((t) => t.id === old.id).posted_amount).toBe('99.99');

      const created = await sim.control.post('/transactions', { posted_amount: '12.30', transaction_type: 'MANUAL' });
      expect((await walk(q, 100)).map((t) => t.id)).not.toContain(created.id);

      await sim.control.post('/clock', { advanceMs: 4 * 3_600_000 + 1000 });
      const later = new Date(sim.clock.now()).toISOString().slice(0, 10);
      const visible = await walk(`/v1/expense/transactions?date_modified.from=${today}&date_modified.to=${later}`, 100);
      expect(visible.find((t) => t.id === old.id)?.posted_amount).toBe('99.99');
      expect(visible.find((t) => t.id === created.id)?.posted_amount).toBe('12.30');
      // The old version left its old place in the window: it is listed once, at the new time.
      const oldDay = old.modified_timestamp.slice(0, 10);
      expect((await walk(`/v1/expense/transactions?date_modified.from=${oldDay}&date_modified.to=${oldDay}`, 100)).map((t) => t.id)).not.toContain(old.id);
      expect((await sim.control.truth('transactions')).filter((t) => t.id === created.id)).toHaveLength(1);
    } finally {
      await sim.control.post('/config', { visibilityDelayHours: 0 });
    }
  });

  it('404 with a message for an unknown transaction id', async () => {
    await expect(sim.control.patch('/transactions/nope', {})).rejects.toThrow(/404.*No transaction nope/);
  });
});
