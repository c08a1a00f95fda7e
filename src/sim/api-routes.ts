import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BOOKING_STATUSES, BOOKING_TYPES } from './booking-generator.js';
import { bareServerError, springError } from './errors.js';
import { authorize } from './guard.js';
import { buildPdf } from './pdf.js';
import { metaOf } from './request-meta.js';
import type { SimState } from './state.js';
import { TRANSACTION_LISTS } from './transactions.js';
import { DAY_MS } from './world.js';

type Query = Record<string, string | string[] | undefined>;

/** Thrown by parameter parsing; `bare` is the live API's unexplained 500 (e.g. ISO dates). */
class ParamError extends Error {
  constructor(message: string, readonly bare = false) {
    super(message);
  }
}

function one(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** Epoch seconds; anything else (ISO dates above all) fails the way Navan does: a bare 500. */
function epochSeconds(q: Query, name: string): number | undefined {
  const v = one(q, name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new ParamError(`${name} must be epoch seconds`, true);
  return Number(v) * 1000;
}

function integer(q: Query, name: string, dflt: number, min: number, max: number): number {
  const v = one(q, name);
  if (v === undefined || v === '') return dflt;
  if (!/^-?\d+$/.test(v)) throw new ParamError(`${name} must be an integer`);
  const n = Number(v);
  if (n < min || n > max) throw new ParamError(`${name} must be between ${min} and ${max}`);
  return n;
}

function enumSet(q: Query, name: string, allowed: readonly string[]): Set<string> | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  const values = (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).filter(Boolean);
  for (const s of values) if (!allowed.includes(s)) throw new ParamError(`${name} must be one of ${allowed.join(', ')}`);
  return values.length ? new Set(values) : undefined;
}

function yyyymmdd(q: Query, name: string): number | undefined {
  const v = one(q, name);
  if (v === undefined || v === '') return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : NaN;
  if (Number.isNaN(ms)) throw new ParamError(`${name} must be a date as YYYY-MM-DD`);
  return ms;
}

function sendJson(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.type('application/json').send(JSON.stringify(body));
}

function handleParamError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof ParamError) return err.bare ? bareServerError(reply, request) : springError(reply, request, 400, err.message);
  throw err;
}

/**
 * Corrupts some records of an otherwise valid page, as a fault rule's malformedRate asks:
 * a missing id, a field of the wrong type, or a null where an object belongs.
 */
function corrupt<T extends Record<string, unknown>>(state: SimState, request: FastifyRequest, records: T[], idField: string): T[] {
  const rate = metaOf(request)?.fault?.malformedRate ?? 0;
  if (rate <= 0) return records;
  return records.map((r) => {
    if (!state.faults.roll(rate)) return r;
    const copy: Record<string, unknown> = { ...r };
    const kind = state.faults.pick(3);
    if (kind === 0) delete copy[idField];
    else if (kind === 1) copy[idField] = 12345;
    else for (const k of ['created', 'modified_timestamp', 'grandTotal', 'posted_amount', 'name']) if (k in copy) copy[k] = { unexpected: true };
    return copy as T;
  });
}

export function registerApiRoutes(app: FastifyInstance, state: SimState): void {
  app.get('/v1/bookings', (request, reply) => {
    if (!authorize(state, request, reply, 'bookings:read')) return reply;
    const q = request.query as Query;
    try {
      const createdFromMs = epochSeconds(q, 'createdFrom');
      const createdToMs = epochSeconds(q, 'createdTo');
      const updatedFromMs = state.config.updatedFilters ? epochSeconds(q, 'updatedFrom') : undefined;
      const updatedToMs = state.config.updatedFilters ? epochSeconds(q, 'updatedTo') : undefined;
      const hasCreated = createdFromMs !== undefined && createdToMs !== undefined;
      const hasUpdated = updatedFromMs !== undefined && updatedToMs !== undefined;
      if (!hasCreated && !hasUpdated) {
        throw new ParamError(state.config.updatedFilters ? 'createdFrom and createdTo (or updatedFrom and updatedTo) are required' : 'createdFrom and createdTo are required');
      }
      const page = integer(q, 'page', 0, 0, Number.MAX_SAFE_INTEGER);
      const size = integer(q, 'size', 10, 1, 100);
      const result = state.bookings.query({
        createdFromMs,
        createdToMs,
        updatedFromMs,
        updatedToMs,
        types: enumSet(q, 'bookingType', BOOKING_TYPES),
        statuses: enumSet(q, 'bookingStatus', BOOKING_STATUSES),
        startFromMs: epochSeconds(q, 'startDateFrom'),
        startToMs: epochSeconds(q, 'startDateTo'),
        page,
        size,
      });
      return sendJson(reply, {
        data: corrupt(state, request, result.records, 'uuid'),
        page: { totalPages: Math.ceil(result.total / size), currentPage: page, pageSize: size, totalElements: result.total },
      });
    } catch (err) {
      return handleParamError(err, request, reply);
    }
  });

  for (const file of ['invoice.pdf', 'itinerary.pdf'] as const) {
    app.get(`/v1/bookings/:uuid/${file}`, (request, reply) => {
      if (!authorize(state, request, reply, 'bookings:read')) return reply;
      const { uuid } = request.params as { uuid: string };
      const b = state.bookings.get(uuid);
      if (!b) return springError(reply, request, 404, `No booking ${uuid}`);
      const traveler = (b.passengers as { person?: { name?: string } }[] | undefined)?.[0]?.person?.name ?? '';
      const lines =
        file === 'invoice.pdf'
          ? [`Booking ${b.uuid}`, `Invoice ${String(b.invoiceNumber ?? '')}`, `Vendor ${String(b.vendor ?? '')}`, `Traveler ${traveler}`, `Total ${String(b.grandTotal)} ${String(b.currency)}`]
          : [`Booking ${b.uuid}`, `${String(b.bookingType)} ${String(b.bookingStatus)}`, `Vendor ${String(b.vendor ?? '')}`, `Traveler ${traveler}`, `From ${String(b.startDate)} to ${String(b.endDate)}`];
      return reply.type('application/pdf').header('content-disposition', `inline; filename="${uuid}-${file}"`).send(buildPdf(file === 'invoice.pdf' ? 'Navan invoice' : 'Navan itinerary', lines));
    });
  }

  app.get('/v1/users', (request, reply) => {
    if (!authorize(state, request, reply, 'users:read')) return reply;
    const q = request.query as Query;
    const n = state.users.count;
    try {
      if (state.config.usersPaging === 'scim') {
        const startIndex = integer(q, 'startIndex', 1, 1, Number.MAX_SAFE_INTEGER);
        const count = integer(q, 'count', 100, 1, 100);
        const resources = [];
        for (let i = startIndex - 1; i < Math.min(n, startIndex - 1 + count); i++) resources.push(state.users.user(i));
        return sendJson(reply, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
          totalResults: n,
          startIndex,
          itemsPerPage: resources.length,
          Resources: corrupt(state, request, resources as unknown as Record<string, unknown>[], 'id'),
        });
      }
      const page = integer(q, 'page', 0, 0, Number.MAX_SAFE_INTEGER);
      const size = integer(q, 'size', 10, 1, 100);
      const data = [];
      for (let i = page * size; i < Math.min(n, (page + 1) * size); i++) data.push(state.users.user(i));
      return sendJson(reply, {
        data: corrupt(state, request, data as unknown as Record<string, unknown>[], 'id'),
        page: { totalPages: Math.ceil(n / size), currentPage: page, pageSize: size, totalElements: n },
      });
    } catch (err) {
      return handleParamError(err, request, reply);
    }
  });

  for (const [list, type] of Object.entries(TRANSACTION_LISTS)) {
    app.get(`/v1/expense/${list}`, (request, reply) => {
      if (!authorize(state, request, reply, 'expense')) return reply;
      const q = request.query as Query;
      try {
        const from = yyyymmdd(q, 'date_modified.from');
        const to = yyyymmdd(q, 'date_modified.to');
        if (from !== undefined && to !== undefined) {
          if (to < from) throw new ParamError('date_modified.to must not be before date_modified.from');
          // Both ends count: 2024-01-01..2024-04-02 is 93 days, one more day is refused.
          if ((to - from) / DAY_MS + 1 > 93) throw new ParamError('The date_modified window must be at most 93 days');
        }
        const pageSize = integer(q, 'page_size', 100, 1, 500);
        const cursor = one(q, 'cursor');
        const after = cursor ? decodeCursor(cursor) : undefined;
        const result = state.transactions.query({
          fromMs: from,
          toMs: to === undefined ? undefined : to + DAY_MS,
          type,
          after,
          pageSize,
          now: state.clock.now(),
          delayMs: state.config.visibilityDelayHours * 3_600_000,
        });
        return sendJson(reply, {
          content: corrupt(state, request, result.records, 'id'),
          next_cursor: result.next ? encodeCursor(result.next) : null,
          has_next: result.hasNext,
          has_previous: result.hasPrevious,
          page_size: pageSize,
          content_size: result.records.length,
        });
      } catch (err) {
        return handleParamError(err, request, reply);
      }
    });
  }

  app.get('/v1/expense/transactions/:id', (request, reply) => {
    if (!authorize(state, request, reply, 'expense')) return reply;
    const { id } = request.params as { id: string };
    const t = state.transactions.get(id);
    if (!t) return springError(reply, request, 404, `No transaction ${id}`);
    return sendJson(reply, t);
  });

  for (const [path, items] of [['custom-fields', () => state.transactions.customFields()], ['gl-codes', () => state.transactions.glCodes()]] as const) {
    app.get(`/v1/expense/${path}`, (request, reply) => {
      if (!authorize(state, request, reply, 'expense')) return reply;
      const content = items();
      return sendJson(reply, { content, next_cursor: null, has_next: false, has_previous: false, page_size: content.length, content_size: content.length });
    });
  }
}

function encodeCursor(key: { ms: number; id: string }): string {
  return Buffer.from(JSON.stringify([key.ms, key.id])).toString('base64url');
}

function decodeCursor(cursor: string): { ms: number; id: string } {
  try {
    const [ms, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof ms === 'number' && typeof id === 'string') return { ms, id };
  } catch {
    // fall through to the 400
  }
  throw new ParamError('cursor is not valid; pass next_cursor from the previous page unchanged');
}
