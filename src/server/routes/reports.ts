import { Decimal } from 'decimal.js';
import { sql, type Kysely } from 'kysely';
import type { FastifyPluginAsync } from 'fastify';
import { tenantOf } from '../auth.js';
import type { ServerContext } from '../context.js';
import { aggregate, rollUp, type GroupTotals } from '../lib/aggregate.js';
import { whereDateRange } from '../lib/filters.js';
import { freshnessOf } from '../lib/freshness.js';
import { moneyText } from '../lib/money.js';
import { dateParam, querySchema } from '../lib/schemas.js';

interface RangeQuery { from?: string; to?: string }

const rangeQuery = querySchema({ from: dateParam('first travel start day'), to: dateParam('last travel start day') });
const USD = sql`usd_grand_total`;
const OOP = sql`case when out_of_policy = 1 then 1 else 0 end`;
const OOP_USD = sql`case when out_of_policy = 1 then usd_grand_total end`;
const MONTH = 'substr(start_date, 1, 7)';

const byTotalDesc = (a: { total: Decimal; key: string }, b: { total: Decimal; key: string }) => b.total.comparedTo(a.total) || a.key.localeCompare(b.key);

function groups(rows: GroupTotals[], sort: 'key' | 'total', money = 'usd') {
  const list = rows.map((r) => ({ key: r.keys[0]!, total: r.money[money]!, count: r.count }));
  list.sort(sort === 'key' ? (a, b) => a.key.localeCompare(b.key) : byTotalDesc);
  return list.map((g) => ({ key: g.key, total: moneyText(g.total), count: g.count }));
}

export function reportsPlugin(ctx: ServerContext): FastifyPluginAsync {
  const { warehouse } = ctx;
  // Every report reads the live bookings of a tenant whose travel starts in the range. SQLite's
  // planner prefers an index that yields the GROUP BY order (booking type) and then reads every
  // booking row; pinning the covering report index keeps a report to one index scan.
  const table = warehouse.dialect === 'sqlite' ? sql`booking indexed by booking_report_idx` : sql`booking`;
  const base = (tenant: string, q: RangeQuery) =>
    whereDateRange((warehouse.db as Kysely<any>).selectFrom(table as any).where('_tenant', '=', tenant).where('_deleted', '=', 0), 'start_date', { name: 'from', value: q.from }, { name: 'to', value: q.to });
  const agg = (tenant: string, q: RangeQuery, keys: string[], money: Parameters<typeof aggregate>[3]) => aggregate(warehouse.dialect, base(tenant, q), keys, money);
  const opts = (summary: string) => ({ config: { scope: 'read:bookings' as const }, schema: { summary, tags: ['reports'], querystring: rangeQuery } });

  return async (app) => {
    app.get<{ Querystring: RangeQuery }>('/reports/spend', opts('USD spend of live bookings by month, department, cost center, booking type, and by original currency; exact decimal strings'), async (req) => {
      const tenant = tenantOf(req);
      const q = req.query;
      // Two scans: month × type × currency (few combinations) and department × cost center
      // (correlated, so few too); every grouping is rolled up from them in decimal.js.
      const [byTime, byOrg, freshness] = await Promise.all([
        agg(tenant, q, [MONTH, 'booking_type', 'currency'], { money: { usd: USD, local: sql`grand_total` } }),
        agg(tenant, q, ['department', 'cost_center'], { money: { usd: USD } }),
        freshnessOf(warehouse.db, tenant, 'bookings'),
      ]);
      const [byMonth, byType, byCurrency, byDepartment, byCostCenter] = [rollUp(byTime, 0), rollUp(byTime, 1), rollUp(byTime, 2), rollUp(byOrg, 0), rollUp(byOrg, 1)];
      const total = byType.reduce((s, g) => s.plus(g.money.usd!), new Decimal(0));
      return {
        data: {
          currency: 'USD', total: moneyText(total), count: byType.reduce((n, g) => n + g.count, 0),
          byMonth: groups(byMonth, 'key'), byDepartment: groups(byDepartment, 'total'), byCostCenter: groups(byCostCenter, 'total'),
          byBookingType: groups(byType, 'total'), byCurrency: groups(byCurrency, 'total', 'local'),
        },
        freshness,
      };
    });

    app.get<{ Querystring: RangeQuery }>('/reports/policy', opts('Out-of-policy counts and USD amounts of live bookings, overall, by department and by booking type'), async (req) => {
      const tenant = tenantOf(req);
      const m = { money: { usd: USD, oopUsd: OOP_USD }, counts: { oop: OOP } };
      const [fine, freshness] = await Promise.all([agg(tenant, req.query, ['department', 'booking_type'], m), freshnessOf(warehouse.db, tenant, 'bookings')]);
      const [byDepartment, byType] = [rollUp(fine, 0), rollUp(fine, 1)];
      const shape = (rows: GroupTotals[]) => rows
        .map((g) => ({ key: g.keys[0]!, count: g.count, outOfPolicy: g.counts.oop!, total: g.money.oopUsd! }))
        .sort((a, b) => b.outOfPolicy - a.outOfPolicy || byTotalDesc(a, b))
        .map(({ total, ...g }) => ({ ...g, outOfPolicyTotal: moneyText(total) }));
      const count = byType.reduce((n, g) => n + g.count, 0);
      const outOfPolicy = byType.reduce((n, g) => n + g.counts.oop!, 0);
      return {
        data: {
          count, outOfPolicy, share: count ? outOfPolicy / count : 0,
          total: moneyText(byType.reduce((s, g) => s.plus(g.money.usd!), new Decimal(0))),
          outOfPolicyTotal: moneyText(byType.reduce((s, g) => s.plus(g.money.oopUsd!), new Decimal(0))),
          byDepartment: shape(byDepartment), byBookingType: shape(byType),
        },
        freshness,
      };
    });

    app.get<{ Querystring: RangeQuery }>('/reports/carbon', opts('Carbon emissions (kg) of live bookings by booking type and by month'), async (req) => {
      const tenant = tenantOf(req);
      const m = { money: { kg: sql`carbon_emissions` } };
      const [fine, freshness] = await Promise.all([agg(tenant, req.query, ['booking_type', MONTH], m), freshnessOf(warehouse.db, tenant, 'bookings')]);
      const [byType, byMonth] = [rollUp(fine, 0), rollUp(fine, 1)];
      const kg = (g: GroupTotals) => g.money.kg!.toNumber();
      return {
        data: {
          totalKg: byType.reduce((s, g) => s.plus(g.money.kg!), new Decimal(0)).toNumber(),
          count: byType.reduce((n, g) => n + g.count, 0),
          byBookingType: byType.map((g) => ({ key: g.keys[0]!, kg: kg(g), count: g.count })).sort((a, b) => b.kg - a.kg),
          byMonth: byMonth.map((g) => ({ key: g.keys[0]!, kg: kg(g), count: g.count })).sort((a, b) => a.key.localeCompare(b.key)),
        },
        freshness,
      };
    });

    app.get<{ Querystring: RangeQuery & { limit: number } }>('/reports/top', {
      config: { scope: 'read:bookings' },
      schema: {
        summary: 'The most booked routes (origin → destination city) and destinations, with their USD totals',
        tags: ['reports'],
        querystring: querySchema({ ...rangeQuery.properties, limit: { type: 'integer', minimum: 1, maximum: 100, default: 10, description: 'an integer from 1 to 100 (entries per list, default 10)' } }),
      },
    }, async (req) => {
      const tenant = tenantOf(req);
      const usd = { money: { usd: USD } };
      const [routes, freshness] = await Promise.all([agg(tenant, req.query, ['origin_city', 'destination_city'], usd), freshnessOf(warehouse.db, tenant, 'bookings')]);
      // A destination's figures are the sum of the routes into it.
      const destinations = rollUp(routes, 1);
      const top = <T extends { count: number; keys: string[]; money: Record<string, Decimal> }>(rows: T[]) => rows
        .filter((g) => !g.keys.includes('UNKNOWN'))
        .sort((a, b) => b.count - a.count || b.money.usd!.comparedTo(a.money.usd!) || a.keys.join().localeCompare(b.keys.join()))
        .slice(0, req.query.limit);
      return {
        data: {
          routes: top(routes).map((g) => ({ origin: g.keys[0]!, destination: g.keys[1]!, count: g.count, total: moneyText(g.money.usd!) })),
          destinations: top(destinations).map((g) => ({ city: g.keys[0]!, count: g.count, total: moneyText(g.money.usd!) })),
        },
        freshness,
      };
    });
  };
}
