import { Decimal } from 'decimal.js';
import { sql } from 'kysely';
import type { FastifyPluginAsync } from 'fastify';
import type { NavanUserTable } from '../../warehouse/index.js';
import { tenantOf } from '../auth.js';
import type { ServerContext } from '../context.js';
import { sendCsv, wantsCsv } from '../lib/csv.js';
import { bool, whereDateRange, whereDeleted, whereEqual } from '../lib/filters.js';
import { freshnessOf } from '../lib/freshness.js';
import { allRows, decodeCursor, encodeCursor, fetchPage, type KeysetOrder } from '../lib/keyset.js';
import { moneyText } from '../lib/money.js';
import { cursorParam, dateParam, deletedParam, emailParam, limitParam, querySchema, textParam, type Deleted } from '../lib/schemas.js';

export const USER_COLUMNS = [
  'id', 'user_name', 'given_name', 'family_name', 'email', 'employee_id', 'department', 'cost_centre', 'region', 'subsidiary',
  'manager_email', 'policy_level', 'active', 'synced_at', 'deleted',
] as const;

export const TRIP_COLUMNS = ['trip_uuid', 'traveler_email', 'traveler_name', 'start_date', 'end_date', 'bookings', 'usd_total', 'destinations'] as const;

type UserRow = Omit<NavanUserTable, '_tenant' | '_raw'>;
const userOrder: KeysetOrder<UserRow> = { key: sql<string>`id`, id: 'id', direction: 'asc', of: (r) => [r.id, r.id] };
const userRow = (r: UserRow) => {
  const { _deleted, _synced_at, ...rest } = r;
  return { ...rest, active: bool(r.active), synced_at: _synced_at, deleted: bool(_deleted) };
};

interface TripRow {
  trip_uuid: string;
  traveler_email: string | null;
  traveler_name: string | null;
  start_date: string | null;
  end_date: string | null;
  bookings: number;
  usd_total: string;
  destinations: string[];
}

interface TripsQuery { limit: number; cursor?: string; traveler_email?: string; from?: string; to?: string; deleted?: Deleted }

export function peoplePlugin(ctx: ServerContext): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Querystring: { limit: number; cursor?: string; department?: string; email?: string; deleted?: Deleted } }>('/users', {
      config: { scope: 'read:users' },
      schema: {
        summary: "The key's tenant's Navan users, by id, keyset-paginated; Accept: text/csv streams them",
        tags: ['users'],
        querystring: querySchema({
          limit: limitParam(ctx.maxPageSize), cursor: cursorParam, department: textParam('department'), email: emailParam("the user's e-mail"), deleted: deletedParam,
        }),
      },
    }, async (req, reply) => {
      const tenant = tenantOf(req);
      const q = req.query;
      let qb = ctx.warehouse.db.selectFrom('navan_user').select([...USER_COLUMNS.filter((c) => c !== 'deleted' && c !== 'synced_at'), '_deleted', '_synced_at']).where('_tenant', '=', tenant);
      qb = whereEqual(whereDeleted(qb, q.deleted), [['department', q.department], ['email', q.email]]);
      const freshness = await freshnessOf(ctx.warehouse.db, tenant, 'users');
      if (wantsCsv(req)) return sendCsv(reply, 'users', USER_COLUMNS, allRows<UserRow>(qb, userOrder, q.cursor), userRow, freshness);
      const page = await fetchPage<UserRow>(qb, userOrder, q.limit, q.cursor);
      return { data: page.data.map(userRow), nextCursor: page.nextCursor, freshness };
    });

    app.get<{ Querystring: TripsQuery }>('/trips', {
      config: { scope: 'read:bookings' },
      schema: {
        summary: 'Bookings grouped by trip uuid, latest trip start first, keyset-paginated; Accept: text/csv gives the page as CSV',
        tags: ['bookings'],
        querystring: querySchema({
          limit: limitParam(ctx.maxPageSize), cursor: cursorParam, traveler_email: emailParam("the traveler's e-mail"),
          from: dateParam('first booking start day'), to: dateParam('last booking start day'), deleted: deletedParam,
        }),
      },
    }, async (req, reply) => {
      const tenant = tenantOf(req);
      const [page, freshness] = await Promise.all([tripsPage(ctx, tenant, req.query), freshnessOf(ctx.warehouse.db, tenant, 'bookings')]);
      if (wantsCsv(req)) return sendCsv(reply, 'trips', TRIP_COLUMNS, (async function* () { yield page.data; })(), (r) => ({ ...r, destinations: r.destinations.join('; ') }), freshness);
      return { ...page, freshness };
    });
  };
}

/**
 * Trips are not a table: a booking lists its trip uuids as JSON text, expanded here with each
 * back end's JSON function. A page of trips is found first, then their USD totals are summed
 * exactly in decimal.js from the few bookings on that page.
 */
async function tripsPage(ctx: ServerContext, tenant: string, q: TripsQuery): Promise<{ data: TripRow[]; nextCursor: string | null }> {
  const { db, dialect } = ctx.warehouse;
  const pg = dialect === 'postgres';
  const expand = pg ? sql`cross join lateral jsonb_array_elements_text(b.trip_uuids::jsonb) as j(value)` : sql`join json_each(b.trip_uuids) as j`;
  const valid = pg ? sql`b.trip_uuids like '[%'` : sql`json_valid(b.trip_uuids)`;
  const destinations = pg
    ? sql`coalesce(json_agg(distinct b.destination_city) filter (where b.destination_city is not null), '[]')::text`
    : sql`json_group_array(distinct b.destination_city) filter (where b.destination_city is not null)`;
  let inner = db.selectFrom('booking as b').select('b.uuid').where('b._tenant', '=', tenant);
  inner = whereDeleted(inner, q.deleted, 'b._deleted');
  inner = whereEqual(inner, [['b.traveler_email', q.traveler_email]]);
  inner = whereDateRange(inner, 'b.start_date', { name: 'from', value: q.from }, { name: 'to', value: q.to });
  const startKey = sql`coalesce(min(b.start_date), '')`;
  const after = q.cursor ? decodeCursor(q.cursor) : undefined;
  const rows = await sql<Omit<TripRow, 'usd_total' | 'destinations'> & { destinations: string }>`
    select j.value as trip_uuid, max(b.traveler_email) as traveler_email, max(b.traveler_name) as traveler_name,
           min(b.start_date) as start_date, max(b.end_date) as end_date, count(*) as bookings, ${destinations} as destinations
    from booking b ${expand}
    where b._tenant = ${tenant} and b.trip_uuids is not null and ${valid} and b.uuid in (${inner})
    group by j.value
    ${after ? sql`having (${startKey}, j.value) < (${after[0]}, ${after[1]})` : sql``}
    order by ${startKey} desc, j.value desc
    limit ${q.limit + 1}`.execute(db);
  const trips = rows.rows.slice(0, q.limit);
  const totals = new Map<string, Decimal>();
  if (trips.length) {
    const amounts = await sql<{ trip_uuid: string; usd: string | null }>`
      select j.value as trip_uuid, b.usd_grand_total as usd from booking b ${expand}
      where b._tenant = ${tenant} and b.trip_uuids is not null and ${valid} and b.uuid in (${inner})
        and j.value in (${sql.join(trips.map((t) => t.trip_uuid))})`.execute(db);
    for (const a of amounts.rows) totals.set(a.trip_uuid, (totals.get(a.trip_uuid) ?? new Decimal(0)).plus(a.usd ?? 0));
  }
  const last = trips[trips.length - 1];
  return {
    data: trips.map((t) => ({
      ...t, bookings: Number(t.bookings), usd_total: moneyText(totals.get(t.trip_uuid) ?? new Decimal(0)),
      destinations: (JSON.parse(t.destinations) as string[]).sort(),
    })),
    nextCursor: rows.rows.length > q.limit && last ? encodeCursor([last.start_date ?? '', last.trip_uuid]) : null,
  };
}
