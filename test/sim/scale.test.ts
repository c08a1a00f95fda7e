import { describe, expect, it } from 'vitest';
import { startTestSim } from '../helpers/sim.js';
import { ANCHOR_S, api, fetchToken } from './_client.js';

describe('scale', () => {
  it('serves a million bookings without holding them: the last page of the full window, on demand', async () => {
    const rss0 = process.memoryUsage().rss;
    const sim = await startTestSim({ bookings: 1_000_000, transactions: 1_000_000, users: 1000 });
    try {
      const token = await fetchToken(sim);
      const window = `createdFrom=${ANCHOR_S - 800 * 86_400}&createdTo=${ANCHOR_S}`;
      const last = await api(sim.url, `/v1/bookings?${window}&size=100&page=9999`, token);
      expect(last.status).toBe(200);
      expect(last.json.page).toEqual({ totalPages: 10_000, currentPage: 9999, pageSize: 100, totalElements: 1_000_000 });
      expect(last.json.data).toHaveLength(100);
      const created = last.json.data.map((b: any) => Date.parse(b.created));
      expect(created).toEqual([...created].sort((a, b) => a - b));
      const day = await api(sim.url, `/v1/bookings?createdFrom=${ANCHOR_S - 86_400}&createdTo=${ANCHOR_S}&size=100`, token);
      expect(day.json.page.totalElements).toBeGreaterThan(1000);
      expect(day.json.page.totalElements).toBeLessThan(1800);
      const txns = await api(sim.url, '/v1/expense/transactions?date_modified.from=2026-01-14&date_modified.to=2026-01-14&page_size=500', token);
      expect(txns.json.content).toHaveLength(500);
      expect(txns.json.has_next).toBe(true);
      expect(process.memoryUsage().rss - rss0).toBeLessThan(150 * 2 ** 20);
    } finally {
      await sim.close();
    }
  });
});
