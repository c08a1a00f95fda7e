import { sql } from 'kysely';
import type { FastifyPluginAsync } from 'fastify';
import type { BookingTable } from '../../warehouse/index.js';
import { tenantOf } from '../auth.js';
import type { ServerContext } from '../context.js';
import { sendCsv, wantsCsv } from '../lib/csv.js';
import { bool, whereDateRange, whereDeleted, whereEqual } from '../lib/filters.js';
import { freshnessOf } from '../lib/freshness.js';
import { allRows, fetchPage, type KeysetOrder } from '../lib/keyset.js';
import { booleanParam, cursorParam, dateParam, deletedParam, emailParam, idParam, limitParam, paramsSchema, querySchema, textParam, type Deleted } from '../lib/schemas.js';

export const BOOKING_LIST_COLUMNS = [
  'uuid', 'booking_type', 'booking_status', 'created', 'start_date', 'end_date', 'vendor', 'traveler_name', 'traveler_email',
  'department', 'cost_center', 'origin_city', 'destination_city', 'currency', 'grand_total', 'usd_grand_total', 'out_of_policy',
  'carbon_emissions', 'deleted',
] as const;

/** Flag columns of a booking, shown as booleans. */
const FLAGS = ['preferred_vendor', 'company_payment_method', 'expensed', 'out_of_policy'] as const;

export interface BookingsQuery {
  limit: number;
  cursor?: string;
  booking_type?: string;
  booking_status?: string;
  traveler_email?: string;
  department?: string;
  cost_center?: string;
  out_of_policy?: boolean;
  deleted?: Deleted;
  created_from?: string;
  created_to?: string;
  start_from?: string;
  start_to?: string;
  from?: string;
  to?: string;
  q?: string;
}

export function bookingsQuerySchema(maxPageSize: number) {
  return querySchema({
    limit: limitParam(maxPageSize),
    cursor: cursorParam,
    booking_type: textParam('booking type, e.g. FLIGHT', 40),
    booking_status: textParam('booking status, e.g. TICKETED', 40),
    traveler_email: emailParam("the traveler's e-mail"),
    department: textParam('department'),
    cost_center: textParam('cost center'),
    out_of_policy: booleanParam('out-of-policy bookings only, or in-policy only'),
    deleted: deletedParam,
    created_from: dateParam('first creation day'),
    created_to: dateParam('last creation day'),
    start_from: dateParam('first travel start day'),
    start_to: dateParam('last travel start day'),
    from: dateParam('alias of start_from'),
    to: dateParam('alias of start_to'),
    q: textParam('free text matched against traveler name and e-mail, cities and vendor', 100),
  });
}

/** Newest created first; `coalesce` gives bookings without a creation time a place (last). */
export const bookingOrder: KeysetOrder<{ created: string | null; uuid: string }> = {
  key: sql<string>`coalesce(created, '')`,
  id: 'uuid',
  direction: 'desc',
  of: (r) => [r.created ?? '', r.uuid],
};

type ListRow = Pick<BookingTable, Exclude<(typeof BOOKING_LIST_COLUMNS)[number], 'deleted'> | '_deleted'>;

function listRow(r: ListRow) {
  const { _deleted, ...rest } = r;
  return { ...rest, out_of_policy: bool(r.out_of_policy), deleted: bool(_deleted) };
}

/** The filtered bookings of one tenant, unordered: the list, the CSV export and the trips share it. */
export function filteredBookings(ctx: ServerContext, tenant: string, q: Omit<BookingsQuery, 'limit' | 'cursor'>) {
  let qb = ctx.warehouse.db.selectFrom('booking').where('_tenant', '=', tenant);
  qb = whereDeleted(qb, q.deleted);
  qb = whereEqual(qb, [
    ['booking_type', q.booking_type], ['booking_status', q.booking_status], ['traveler_email', q.traveler_email],
    ['department', q.department], ['cost_center', q.cost_center],
    ['out_of_policy', q.out_of_policy === undefined ? undefined : q.out_of_policy ? 1 : 0],
  ]);
  qb = whereDateRange(qb, 'created', { name: 'created_from', value: q.created_from }, { name: 'created_to', value: q.created_to }, true);
  qb = whereDateRange(qb, 'start_date', { name: q.start_from ? 'start_from' : 'from', value: q.start_from ?? q.from }, { name: q.start_to ? 'start_to' : 'to', value: q.start_to ?? q.to });
  if (q.q) {
    // A scan within the tenant's other filters; LIKE is case-insensitive for ASCII in SQLite, so lower() both sides everywhere.
    const like = `%${q.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    qb = qb.where((eb) => eb.or(['traveler_name', 'traveler_email', 'origin_city', 'destination_city', 'vendor'].map((c) => eb(sql`lower(${sql.ref(c)})`, 'like', sql`${like} escape '\\'`))));
  }
  return qb;
}

export function bookingsPlugin(ctx: ServerContext): FastifyPluginAsync {
  return async (app) => {
    const select = [...BOOKING_LIST_COLUMNS.filter((c) => c !== 'deleted'), '_deleted'] as const;

    app.get<{ Querystring: BookingsQuery }>('/bookings', {
      config: { scope: 'read:bookings' },
      schema: {
        summary: "The key's tenant's bookings, newest created first, keyset-paginated; Accept: text/csv streams every matching row",
        tags: ['bookings'],
        querystring: bookingsQuerySchema(ctx.maxPageSize),
      },
    }, async (req, reply) => {
      const tenant = tenantOf(req);
      const { limit, cursor, ...filters } = req.query;
      const qb = filteredBookings(ctx, tenant, filters).select(select);
      const freshness = await freshnessOf(ctx.warehouse.db, tenant, 'bookings');
      if (wantsCsv(req)) return sendCsv(reply, 'bookings', BOOKING_LIST_COLUMNS, allRows<ListRow>(qb, bookingOrder, cursor), listRow, freshness);
      const page = await fetchPage<ListRow>(qb, bookingOrder, limit, cursor);
      return { data: page.data.map(listRow), nextCursor: page.nextCursor, freshness };
    });

    app.get<{ Params: { uuid: string } }>('/bookings/:uuid', {
      config: { scope: 'read:bookings' },
      schema: {
        summary: 'One booking with its passengers, segments, e-tickets and custom fields',
        tags: ['bookings'],
        params: paramsSchema({ uuid: idParam('the booking uuid') }),
        querystring: querySchema({}),
      },
    }, async (req, reply) => {
      const tenant = tenantOf(req);
      const db = ctx.warehouse.db;
      const booking = await db.selectFrom('booking').selectAll().where('_tenant', '=', tenant).where('uuid', '=', req.params.uuid).executeTakeFirst();
      if (!booking) return reply.code(404).send({ error: 'NOT_FOUND', message: `No booking ${req.params.uuid} for this tenant; check the uuid (list them with /api/v1/bookings).` });
      const children = async (table: 'booking_passenger' | 'booking_segment' | 'booking_eticket' | 'booking_custom_field') => {
        const rows = await db.selectFrom(table).selectAll().where('_tenant', '=', tenant).where('booking_uuid', '=', req.params.uuid).orderBy('idx').execute();
        return rows.map((r) => {
          const { _tenant, _raw, _synced_at, booking_uuid: _booking, ...rest } = r as Record<string, unknown>;
          return rest;
        });
      };
      const [passengers, segments, etickets, customFields, freshness] = await Promise.all([
        children('booking_passenger'), children('booking_segment'), children('booking_eticket'), children('booking_custom_field'),
        freshnessOf(db, tenant, 'bookings'),
      ]);
      const { _tenant, _raw, _deleted, _synced_at, ...columns } = booking;
      const flags = Object.fromEntries(FLAGS.map((f) => [f, bool(booking[f])]));
      return {
        data: { ...columns, ...flags, deleted: bool(_deleted), synced_at: _synced_at, passengers, segments, etickets, custom_fields: customFields },
        freshness,
      };
    });
  };
}
