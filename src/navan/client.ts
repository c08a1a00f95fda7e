import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { z } from 'zod';
import type { TenantConfig } from '../config/index.js';
import type { Handler, NavanRequest, NavanResponse } from '../shared/http.js';
import type { Logger } from '../shared/logger.js';
import {
  NavanAuthError, NavanBadRequestError, NavanForbiddenError, NavanNetworkError, NavanNotFoundError, NavanServerError,
} from '../shared/errors.js';
import {
  bookingSchema, transactionSchema, userSchema,
  type Booking, type BookingStatus, type BookingType, type Invoice, type NavanUser, type Transaction, type TransactionKind, type Trip,
} from './schemas.js';

export interface DateRange { from: Date; to: Date }
export interface BookingQuery {
  createdFrom: Date; createdTo: Date; bookingType?: BookingType; bookingStatus?: BookingStatus;
  startDateFrom?: Date; startDateTo?: Date; updatedFrom?: Date; updatedTo?: Date;
  pageSize?: number; windowDays?: number; signal?: AbortSignal;
}
export interface TransactionQuery {
  modifiedFrom: Date | string; modifiedTo: Date | string; kind?: TransactionKind;
  pageSize?: number; cursor?: string; signal?: AbortSignal;
}
export interface ParsedRecord<T> { record: T; raw: unknown }
export interface Rejection { id?: string; reason: string; raw: unknown }
export type RecordResult<T> = ({ ok: true } & ParsedRecord<T>) | { ok: false; rejection: Rejection };
export interface Page<T> {
  stream: 'bookings' | 'transactions' | 'users';
  window: { from: Date; to: Date };
  windowIndex: number; windowCount: number;
  page: number;
  cursor?: string; nextCursor?: string | null;
  totalElements?: number;
  records: ParsedRecord<T>[];
  rejected: Rejection[];
  lastInWindow: boolean;
}
interface UsersQuery { pageSize?: number; signal?: AbortSignal }
/** A booking, or just the fields that locate its documents: the `pdf` and `invoice` links Navan returns. */
export interface BookingRef { uuid: string; pdf?: string | null; invoice?: string | null }
export interface DocumentOptions {
  /** Creation range to search when only a uuid is given and its links were not seen yet. Default: the tenant's startDate (or 2 years back) to now. */
  range?: DateRange;
  signal?: AbortSignal;
}

export interface NavanClient {
  readonly tenant: TenantConfig;
  bookingPages(q: BookingQuery): AsyncIterable<Page<Booking>>;
  listBookings(q: BookingQuery): AsyncIterable<RecordResult<Booking>>;
  transactionPages(q: TransactionQuery): AsyncIterable<Page<Transaction>>;
  listTransactions(q: TransactionQuery): AsyncIterable<RecordResult<Transaction>>;
  userPages(q?: UsersQuery): AsyncIterable<Page<NavanUser>>;
  listUsers(q?: UsersQuery): AsyncIterable<RecordResult<NavanUser>>;
  getUserTrips(userEmail: string, range: DateRange): Promise<Trip[]>;
  getAdminTrips(range: DateRange): Promise<Trip[]>;
  getInvoices(range: DateRange): Promise<Invoice[]>;
  /**
   * The itinerary PDF, fetched from the booking's `pdf` link (never a guessed path). Pass the
   * booking (or `{uuid, pdf}`) to skip the lookup; with a bare uuid the link comes from bookings
   * this client listed recently, else from a search of `opts.range`.
   */
  getItineraryPdf(booking: string | BookingRef, opts?: DocumentOptions): Promise<Buffer>;
  /** The invoice PDF, from the booking's `invoice` link; resolved like getItineraryPdf. */
  getInvoicePdf(booking: string | BookingRef, opts?: DocumentOptions): Promise<Buffer>;
  reauthenticate(): Promise<void>;
}

export interface NavanClientOptions {
  tenant: TenantConfig;
  handler: Handler;
  pageSize?: number;
  windowDays?: number;
  newCorrelationId?: () => string;
  reauthenticate?: () => Promise<void>;
  logger?: Logger;
}

const DAY_MS = 86_400_000;
/** Links remembered from listed bookings, so getItineraryPdf(uuid) right after a listing costs no search. */
const LINK_CACHE_ENTRIES = 10_000;
const MAX_TRANSACTION_WINDOW_DAYS = 93;
const epochSeconds = (d: Date): number => Math.floor(d.getTime() / 1000);
const ymd = (d: Date | string): string => (typeof d === 'string' ? d : d.toISOString().slice(0, 10));
const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, Math.floor(n)));

function parseAll<S extends z.ZodType>(schema: S, items: unknown, idField: string): { records: ParsedRecord<z.infer<S>>[]; rejected: Rejection[] } {
  const records: ParsedRecord<z.infer<S>>[] = [];
  const rejected: Rejection[] = [];
  for (const raw of Array.isArray(items) ? items : []) {
    const r = schema.safeParse(raw);
    if (r.success) records.push({ record: r.data, raw });
    else {
      const idv = raw && typeof raw === 'object' ? (raw as Record<string, unknown>)[idField] : undefined;
      const reason = r.error.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; ');
      // Only a non-empty string is an id (see schemas.ts): a corrupt record must not pass for a real one.
      rejected.push({ ...(typeof idv === 'string' && idv !== '' ? { id: idv } : {}), reason, raw });
    }
  }
  return { records, rejected };
}

async function* flatten<T>(pages: AsyncIterable<Page<T>>): AsyncIterable<RecordResult<T>> {
  for await (const p of pages) {
    for (const r of p.records) yield { ok: true, ...r };
    for (const rejection of p.rejected) yield { ok: false, rejection };
  }
}

function groupTrips(bookings: Booking[]): Trip[] {
  const trips = new Map<string, Booking[]>();
  for (const b of bookings) {
    const ids = b.tripUuids && b.tripUuids.length > 0 ? b.tripUuids : [b.uuid];
    for (const id of ids) {
      const list = trips.get(id) ?? [];
      list.push(b);
      trips.set(id, list);
    }
  }
  return [...trips].map(([tripUuid, list]) => ({ tripUuid, bookings: list }));
}

export function createNavanClient(options: NavanClientOptions): NavanClient {
  const { tenant, handler } = options;
  const newId = options.newCorrelationId ?? randomUUID;
  const defaultWindowDays = options.windowDays ?? 30;
  // Lets json() name the request's correlation id without widening every call site.
  const correlationOf = new WeakMap<NavanResponse, string>();

  const links = new LRUCache<string, { pdf?: string; invoice?: string }>({ max: LINK_CACHE_ENTRIES });

  async function call(
    path: string, endpoint: string, query: NavanRequest['query'], scope: 'bookings' | 'users' | 'expense', signal?: AbortSignal,
    target: { baseUrl: string; accept: string } = { baseUrl: tenant.baseUrl, accept: 'application/json' },
  ): Promise<NavanResponse> {
    const correlationId = newId();
    const headers: Record<string, string> = { accept: target.accept };
    if (tenant.region === 'EU') headers['X-ta-region'] = 'EU';
    const res = await handler({
      tenant: tenant.id, method: 'GET', baseUrl: target.baseUrl, path, endpoint, query, headers, correlationId, idempotent: true,
      ...(signal ? { signal } : {}),
    });
    const o = { correlationId };
    correlationOf.set(res, correlationId);
    if (res.status >= 200 && res.status < 300) return res;
    if (res.status === 400) throw new NavanBadRequestError(`Navan refused the request to ${endpoint} as invalid (${snippet(res)}); check the query parameters.`, o);
    if (res.status === 401) throw new NavanAuthError(`Navan rejected the credentials of tenant ${tenant.id}; check or rotate the credentials.`, o);
    if (res.status === 403) {
      if (scope === 'expense') throw new NavanForbiddenError(`Navan denied ${endpoint} for tenant ${tenant.id}; ask Navan support to enable expense for this API client.`, undefined, o);
      const missing = scope === 'bookings' ? 'bookings:read' : 'users:read';
      throw new NavanForbiddenError(`Navan denied ${endpoint} for tenant ${tenant.id}; grant the ${missing} scope to the API client.`, missing, o);
    }
    if (res.status === 404) throw new NavanNotFoundError(`Navan found nothing at ${path}; check the id.`, o);
    throw new NavanServerError(`Navan answered ${res.status} for ${endpoint}; try again later.`, res.status, o);
  }

  function json(res: NavanResponse, endpoint: string): Record<string, unknown> {
    const correlationId = correlationOf.get(res);
    try {
      const v: unknown = JSON.parse(res.body.toString('utf8'));
      if (v && typeof v === 'object') return v as Record<string, unknown>;
    } catch (cause) {
      throw new NavanNetworkError(`Navan sent a body that is not JSON for ${endpoint}; try again later.`, { cause, correlationId });
    }
    throw new NavanNetworkError(`Navan sent a body that is not a JSON object for ${endpoint}; try again later.`, { correlationId });
  }

  async function* bookingPages(q: BookingQuery): AsyncIterable<Page<Booking>> {
    const size = clamp(q.pageSize ?? options.pageSize ?? 100, 1, 100);
    const windowMs = (q.windowDays ?? defaultWindowDays) * DAY_MS;
    const start = q.createdFrom.getTime();
    const end = q.createdTo.getTime();
    const windowCount = Math.max(1, Math.ceil((end - start) / windowMs));
    for (let w = 0; w < windowCount; w++) {
      const from = new Date(start + w * windowMs);
      const to = new Date(Math.min(end, start + (w + 1) * windowMs));
      // Records yielded from this window, so a re-read after the result set shifted skips them.
      const seen = new Set<string>();
      let total: number | undefined;
      let page = 0;
      for (;;) {
        const query: NavanRequest['query'] = {
          createdFrom: epochSeconds(from), createdTo: epochSeconds(to), page, size,
          bookingType: q.bookingType, bookingStatus: q.bookingStatus,
          startDateFrom: q.startDateFrom && epochSeconds(q.startDateFrom), startDateTo: q.startDateTo && epochSeconds(q.startDateTo),
          updatedFrom: q.updatedFrom && epochSeconds(q.updatedFrom), updatedTo: q.updatedTo && epochSeconds(q.updatedTo),
        };
        const res = await call('/v1/bookings', '/v1/bookings', query, 'bookings', q.signal);
        const body = json(res, '/v1/bookings');
        const meta = (body.page ?? {}) as { totalElements?: number; totalPages?: number };
        if (total !== undefined && meta.totalElements !== undefined && meta.totalElements !== total) {
          // The window changed under us (a booking created or deleted): page offsets moved, so restart it.
          total = meta.totalElements;
          page = 0;
          continue;
        }
        total ??= meta.totalElements;
        const parsed = parseAll(bookingSchema, body.data, 'uuid');
        const records = parsed.records.filter((r) => !seen.has(r.record.uuid));
        for (const r of records) {
          seen.add(r.record.uuid);
          rememberLinks(r.record);
        }
        const rejected = parsed.rejected.filter((r) => !r.id || !seen.has(r.id));
        for (const r of rejected) if (r.id) seen.add(r.id);
        const totalPages = meta.totalPages ?? 0;
        const lastInWindow = page + 1 >= totalPages || (Array.isArray(body.data) ? body.data.length : 0) < size;
        yield {
          stream: 'bookings', window: { from, to }, windowIndex: w, windowCount, page,
          ...(meta.totalElements !== undefined ? { totalElements: meta.totalElements } : {}),
          records, rejected, lastInWindow,
        };
        if (lastInWindow) break;
        page++;
      }
    }
  }

  async function* transactionPages(q: TransactionQuery): AsyncIterable<Page<Transaction>> {
    const kind = q.kind ?? 'transactions';
    const endpoint = `/v1/expense/{kind}`;
    const size = clamp(q.pageSize ?? options.pageSize ?? 500, 1, 500);
    const startMs = Date.parse(`${ymd(q.modifiedFrom)}T00:00:00Z`);
    const endMs = Date.parse(`${ymd(q.modifiedTo)}T00:00:00Z`);
    const days = Math.floor((endMs - startMs) / DAY_MS) + 1;
    const windowCount = Math.max(1, Math.ceil(days / MAX_TRANSACTION_WINDOW_DAYS));
    let seq = 0;
    for (let w = 0; w < windowCount; w++) {
      const from = new Date(startMs + w * MAX_TRANSACTION_WINDOW_DAYS * DAY_MS);
      const to = new Date(Math.min(endMs, from.getTime() + (MAX_TRANSACTION_WINDOW_DAYS - 1) * DAY_MS));
      let cursor: string | undefined = w === 0 ? q.cursor : undefined;
      for (;;) {
        const res = await call(`/v1/expense/${kind}`, endpoint, {
          'date_modified.from': ymd(from), 'date_modified.to': ymd(to), page_size: size, cursor,
        }, 'expense', q.signal);
        const body = json(res, endpoint);
        const { records, rejected } = parseAll(transactionSchema, body.content, 'id');
        const nextCursor = typeof body.next_cursor === 'string' ? body.next_cursor : null;
        const lastInWindow = body.has_next !== true || !nextCursor;
        yield {
          stream: 'transactions', window: { from, to }, windowIndex: w, windowCount, page: seq++,
          ...(cursor ? { cursor } : {}), nextCursor, records, rejected, lastInWindow,
        };
        if (lastInWindow) break;
        cursor = nextCursor ?? undefined;
      }
    }
  }

  async function* userPages(q: UsersQuery = {}): AsyncIterable<Page<NavanUser>> {
    const size = clamp(q.pageSize ?? 100, 1, 100);
    const now = new Date();
    const scim = tenant.usersPaging === 'scim';
    for (let page = 0; ; page++) {
      const query = scim ? { startIndex: page * size + 1, count: size } : { page, size };
      const res = await call('/v1/users', '/v1/users', query, 'users', q.signal);
      const body = json(res, '/v1/users');
      const items = scim ? body.Resources : body.data;
      const total = scim ? (body.totalResults as number | undefined) : (body.page as { totalElements?: number } | undefined)?.totalElements;
      const { records, rejected } = parseAll(userSchema, items, 'id');
      const count = Array.isArray(items) ? items.length : 0;
      const lastInWindow = count < size || (total !== undefined && (page + 1) * size >= total);
      yield {
        stream: 'users', window: { from: now, to: now }, windowIndex: 0, windowCount: 1, page,
        ...(total !== undefined ? { totalElements: total } : {}), records, rejected, lastInWindow,
      };
      if (lastInWindow) return;
    }
  }

  async function allBookings(range: DateRange): Promise<Booking[]> {
    const out: Booking[] = [];
    for await (const r of flatten(bookingPages({ createdFrom: range.from, createdTo: range.to }))) if (r.ok) out.push(r.record);
    return out;
  }

  function rememberLinks(b: Booking): void {
    if (b.pdf || b.invoice) links.set(b.uuid, { ...(b.pdf ? { pdf: b.pdf } : {}), ...(b.invoice ? { invoice: b.invoice } : {}) });
  }

  /** The booking's link of this kind: given, remembered from a listing, or found by searching a creation range. */
  async function linkOf(booking: string | BookingRef, kind: 'pdf' | 'invoice', opts: DocumentOptions): Promise<string | undefined> {
    const uuid = typeof booking === 'string' ? booking : booking.uuid;
    if (typeof booking !== 'string' && booking[kind]) return booking[kind] ?? undefined;
    const known = links.get(uuid)?.[kind];
    if (known) return known;
    const to = opts.range?.to ?? new Date();
    const from = opts.range?.from ?? (tenant.startDate ? new Date(`${tenant.startDate}T00:00:00Z`) : new Date(to.getTime() - 730 * DAY_MS));
    for await (const p of bookingPages({ createdFrom: from, createdTo: to, ...(opts.signal ? { signal: opts.signal } : {}) })) {
      const hit = p.records.find((r) => r.record.uuid === uuid);
      if (hit) return hit.record[kind] ?? undefined;
    }
    return undefined;
  }

  async function document(booking: string | BookingRef, kind: 'pdf' | 'invoice', opts: DocumentOptions = {}): Promise<Buffer> {
    const uuid = typeof booking === 'string' ? booking : booking.uuid;
    const what = kind === 'pdf' ? 'itinerary PDF' : 'invoice';
    const link = await linkOf(booking, kind, opts);
    if (!link) throw new NavanNotFoundError(`Navan returned no ${what} link for booking ${uuid}; check the booking uuid (and the search range).`);
    let url: URL;
    try {
      url = new URL(link, tenant.baseUrl);
    } catch {
      throw new NavanBadRequestError(`The ${what} link of booking ${uuid} is not a valid URL; report it to Navan support.`);
    }
    // The link gets our bearer token: only ever send it to the tenant's own Navan hosts.
    const allowed = new Set([new URL(tenant.baseUrl).origin, new URL(tenant.tokenUrl).origin]);
    if (!allowed.has(url.origin)) {
      throw new NavanBadRequestError(`The ${what} link of booking ${uuid} points at ${url.host}, not the tenant's Navan host, so no credentials are sent there; fetch it yourself if you trust that host.`);
    }
    const query = Object.fromEntries(url.searchParams);
    const endpoint = url.pathname.replace(encodeURIComponent(uuid), '{uuid}').replace(uuid, '{uuid}');
    const res = await call(url.pathname, endpoint, query, 'bookings', opts.signal, { baseUrl: url.origin, accept: 'application/pdf' });
    return res.body;
  }

  return {
    tenant,
    bookingPages,
    listBookings: (q) => flatten(bookingPages(q)),
    transactionPages,
    listTransactions: (q) => flatten(transactionPages(q)),
    userPages,
    listUsers: (q) => flatten(userPages(q)),
    async getUserTrips(userEmail, range) {
      const email = userEmail.toLowerCase();
      const mine = (await allBookings(range)).filter(
        (b) => b.booker?.email?.toLowerCase() === email || (b.passengers ?? []).some((p) => p.person?.email?.toLowerCase() === email),
      );
      return groupTrips(mine);
    },
    async getAdminTrips(range) {
      return groupTrips(await allBookings(range));
    },
    async getInvoices(range) {
      return (await allBookings(range))
        .filter((b) => typeof b.invoice === 'string' && b.invoice.length > 0)
        .map((b) => ({
          bookingUuid: b.uuid, bookingId: (b as Record<string, unknown>).bookingId as string | null | undefined,
          url: b.invoice as string, grandTotal: b.grandTotal, currency: b.currency, created: b.created,
        }));
    },
    getItineraryPdf: (booking, opts) => document(booking, 'pdf', opts),
    getInvoicePdf: (booking, opts) => document(booking, 'invoice', opts),
    async reauthenticate() {
      await options.reauthenticate?.();
    },
  };
}

function snippet(res: NavanResponse): string {
  const text = res.body.toString('utf8').slice(0, 200);
  try {
    const v = JSON.parse(text) as { message?: string; error?: string };
    return v.message ?? v.error ?? text;
  } catch {
    return text;
  }
}
