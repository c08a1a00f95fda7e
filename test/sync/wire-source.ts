import { parseJson, type Handler, type NavanRequest } from '../../src/shared/http.js';
import type { SourceBookingQuery, SourcePage, SourceTransactionQuery, SyncSource } from '../../src/sync/index.js';

/**
 * A bare reader of the Navan wire format (bookings, expense transactions, users), so the sync
 * tests can run over HTTP against the simulator independently of src/navan. It does no record
 * validation: the engine's own mapping rejects corrupt records into quarantine.
 */
const DAY = 86_400_000;

export function wireSource(opts: { baseUrl: string; tenant: string; handler: Handler }): SyncSource {
  let seq = 0;
  const get = async (path: string, query: NavanRequest['query'], signal?: AbortSignal): Promise<any> => {
    const res = await opts.handler({
      tenant: opts.tenant, method: 'GET', baseUrl: opts.baseUrl, path, endpoint: path, query, headers: { accept: 'application/json' },
      correlationId: `sync-test-${++seq}`, idempotent: true, signal,
    });
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
    return parseJson(res);
  };
  const windows = (from: number, to: number, step: number) => {
    const out: { from: Date; to: Date }[] = [];
    for (let f = from; f < to; f += step) out.push({ from: new Date(f), to: new Date(Math.min(f + step, to)) });
    return out;
  };
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return {
    async *bookingPages(q: SourceBookingQuery): AsyncIterable<SourcePage> {
      const size = q.pageSize ?? 100;
      const ws = windows(q.createdFrom.getTime(), q.createdTo.getTime(), (q.windowDays ?? 30) * DAY);
      for (const [windowIndex, window] of ws.entries()) {
        for (let page = 0; ; page++) {
          const body = await get('/v1/bookings', {
            createdFrom: Math.floor(window.from.getTime() / 1000), createdTo: Math.floor(window.to.getTime() / 1000),
            updatedFrom: q.updatedFrom && Math.floor(q.updatedFrom.getTime() / 1000), updatedTo: q.updatedTo && Math.floor(q.updatedTo.getTime() / 1000),
            page, size,
          }, q.signal);
          const last = page + 1 >= (body.page?.totalPages ?? 0);
          yield {
            stream: 'bookings', window, windowIndex, windowCount: ws.length, page, totalElements: body.page?.totalElements,
            records: (body.data ?? []).map((r: unknown) => ({ record: r, raw: r })), rejected: [], lastInWindow: last,
          };
          if (last) break;
        }
      }
    },
    async *transactionPages(q: SourceTransactionQuery): AsyncIterable<SourcePage> {
      const from = new Date(q.modifiedFrom).getTime();
      const to = new Date(q.modifiedTo).getTime();
      // Whole days, both ends included by Navan: 93 of them at most per window.
      const start = from - (from % DAY);
      const ws = windows(start, to, 93 * DAY);
      let cursor = q.cursor;
      for (const [windowIndex, window] of ws.entries()) {
        for (let page = 0; ; page++) {
          const body = await get('/v1/expense/transactions', {
            'date_modified.from': day(window.from.getTime()), 'date_modified.to': day(window.to.getTime() - 1), page_size: q.pageSize ?? 500, cursor,
          }, q.signal);
          const next = body.next_cursor ?? undefined;
          yield {
            stream: 'transactions', window, windowIndex, windowCount: ws.length, page, cursor, nextCursor: next,
            records: (body.content ?? []).map((r: unknown) => ({ record: r, raw: r })), rejected: [], lastInWindow: !next,
          };
          cursor = next;
          if (!next) break;
        }
      }
    },
    async *userPages(q?: { signal?: AbortSignal }): AsyncIterable<SourcePage> {
      const now = new Date();
      for (let page = 0; ; page++) {
        const body = await get('/v1/users', { page, size: 100 }, q?.signal);
        const last = page + 1 >= (body.page?.totalPages ?? 0);
        yield { stream: 'users', window: { from: now, to: now }, windowIndex: 0, windowCount: 1, page, records: (body.data ?? []).map((r: unknown) => ({ record: r, raw: r })), rejected: [], lastInWindow: last };
        if (last) break;
      }
    },
  };
}
