import type { SourceBookingQuery, SourcePage, SourceTransactionQuery, SyncSource } from '../../src/sync/index.js';

/**
 * An in-memory Navan for engine tests that need exact control (page failures, bad records)
 * without HTTP: creation windows and page/size paging for bookings, 93-day modification windows
 * with cursors for transactions. The simulator-backed tests cover the real wire.
 */
export interface FakeBooking { uuid?: string; created: string; [k: string]: unknown }
export interface FakeTransaction { id: string; modified_timestamp: string; [k: string]: unknown }

const DAY = 86_400_000;

export class FakeSource implements SyncSource {
  bookings = new Map<string, FakeBooking>();
  transactions = new Map<string, FakeTransaction>();
  users = new Map<string, Record<string, unknown>>();
  /** Page fetches so far; `failAt` makes fetch number N (1-based) throw once. */
  fetches = 0;
  failAt = new Set<number>();
  pageSize = 10;

  private maybeFail(): void {
    this.fetches++;
    if (this.failAt.has(this.fetches)) {
      this.failAt.delete(this.fetches);
      throw new Error(`injected failure on fetch ${this.fetches}`);
    }
  }

  async *bookingPages(q: SourceBookingQuery): AsyncIterable<SourcePage> {
    const size = q.pageSize ?? this.pageSize;
    const step = (q.windowDays ?? 30) * DAY;
    const windows: { from: Date; to: Date }[] = [];
    for (let f = q.createdFrom.getTime(); f < q.createdTo.getTime(); f += step) windows.push({ from: new Date(f), to: new Date(Math.min(f + step, q.createdTo.getTime())) });
    for (const [windowIndex, window] of windows.entries()) {
      const rows = [...this.bookings.values()]
        .filter((b) => Date.parse(b.created) >= window.from.getTime() && Date.parse(b.created) < window.to.getTime())
        .filter((b) => !q.updatedFrom || (Date.parse(String(b.lastModified ?? b.created)) >= q.updatedFrom.getTime() && Date.parse(String(b.lastModified ?? b.created)) < q.updatedTo!.getTime()))
        .sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : String(a.uuid) < String(b.uuid) ? -1 : 1));
      const pages = Math.max(1, Math.ceil(rows.length / size));
      for (let page = 0; page < pages; page++) {
        this.maybeFail();
        const slice = rows.slice(page * size, (page + 1) * size).map((r) => structuredClone(r));
        yield {
          stream: 'bookings', window, windowIndex, windowCount: windows.length, page, totalElements: rows.length,
          records: slice.map((r) => ({ record: r, raw: r })), rejected: [], lastInWindow: page === pages - 1,
        };
      }
    }
  }

  async *transactionPages(q: SourceTransactionQuery): AsyncIterable<SourcePage> {
    const size = q.pageSize ?? this.pageSize;
    const from = new Date(q.modifiedFrom).getTime();
    const to = new Date(q.modifiedTo).getTime();
    let cursor = q.cursor;
    for (let f = from, windowIndex = 0; f < to; f += 93 * DAY, windowIndex++) {
      const window = { from: new Date(f), to: new Date(Math.min(f + 93 * DAY, to)) };
      const rows = [...this.transactions.values()]
        .filter((t) => Date.parse(t.modified_timestamp) >= window.from.getTime() && Date.parse(t.modified_timestamp) < window.to.getTime())
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      let offset = cursor ? Number(cursor) : 0;
      cursor = undefined;
      do {
        this.maybeFail();
        const slice = rows.slice(offset, offset + size).map((r) => structuredClone(r));
        const nextOffset = offset + size;
        const last = nextOffset >= rows.length;
        yield {
          stream: 'transactions', window, windowIndex, windowCount: Math.ceil((to - from) / (93 * DAY)), page: offset / size,
          cursor: String(offset), nextCursor: last ? undefined : String(nextOffset),
          records: slice.map((r) => ({ record: r, raw: r })), rejected: [], lastInWindow: last,
        };
        offset = nextOffset;
      } while (offset < rows.length);
    }
  }

  async *userPages(): AsyncIterable<SourcePage> {
    const rows = [...this.users.values()];
    const now = new Date();
    const pages = Math.max(1, Math.ceil(rows.length / this.pageSize));
    for (let page = 0; page < pages; page++) {
      this.maybeFail();
      const slice = rows.slice(page * this.pageSize, (page + 1) * this.pageSize);
      yield { stream: 'users', window: { from: now, to: now }, windowIndex: 0, windowCount: 1, page, records: slice.map((r) => ({ record: r, raw: r })), rejected: [], lastInWindow: page === pages - 1 };
    }
  }
}

export function fakeBooking(i: number, created: number, over: Record<string, unknown> = {}): FakeBooking {
  return {
    uuid: `bk-${String(i).padStart(6, '0')}`,
    created: new Date(created).toISOString(),
    bookingType: ['FLIGHT', 'HOTEL', 'CAR', 'RAIL'][i % 4],
    grandTotal: `${i}.${String(i % 100).padStart(2, '0')}`,
    passengers: [{ travelerType: 'PASSENGER', status: 'ENABLED', person: { uuid: `p-${i}`, name: `Traveller ${i}`, email: `t${i}@example.com`, department: 'Sales' } }],
    segments: i % 4 === 0 ? [{ startTimestamp: Math.floor(created / 1000), departure: { airportCode: 'SFO' }, arrival: { airportCode: 'JFK' }, flightNumber: `UA${i}` }] : [],
    etickets: i % 4 === 0 ? [`016-${i}`] : [],
    outOfPolicyViolationTypes: [],
    ...over,
  };
}
