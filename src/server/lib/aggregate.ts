import { Decimal } from 'decimal.js';
import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { Dialect } from '../../warehouse/index.js';
import { moneySum } from './money.js';

/** Per-row SQL expressions to total per group: money exactly, counts as 0/1 flags. */
export interface Measures {
  money: Record<string, RawBuilder<unknown>>;
  counts?: Record<string, RawBuilder<unknown>>;
}

export interface GroupTotals {
  /** The group's key columns; null keys become "UNKNOWN". */
  keys: string[];
  count: number;
  money: Record<string, Decimal>;
  counts: Record<string, number>;
}

export const UNKNOWN = 'UNKNOWN';

/**
 * Groups the rows of `base` by the key expressions (plain column SQL, never parameters, so
 * PostgreSQL can match SELECT and GROUP BY) and totals the measures in SQL. When SQLite finds a
 * money value its exact split cannot take (see money.ts), the same grouping is summed in
 * decimal.js from the rows instead: slower, still exact.
 */
export async function aggregate(dialect: Dialect, base: SelectQueryBuilder<any, any, any>, keys: string[], m: Measures): Promise<GroupTotals[]> {
  const sums = Object.entries(m.money).map(([alias, expr]) => [alias, moneySum(dialect, expr, alias)] as const);
  const counts = Object.entries(m.counts ?? {});
  const keySql = keys.map((k) => sql.raw(k));
  let q = base.select([
    ...keySql.map((k, i) => k.as(`k${i}`)),
    sql<number>`count(*)`.as('n'),
    ...sums.flatMap(([, s]) => s.select as any[]),
    ...counts.map(([alias, expr]) => sql`sum(${expr})`.as(alias)),
  ]);
  if (keySql.length) q = q.groupBy(keySql);
  const rows = (await q.execute()) as Record<string, unknown>[];
  const keyOf = (r: Record<string, unknown>) => keys.map((_, i) => (r[`k${i}`] === null || r[`k${i}`] === undefined ? UNKNOWN : String(r[`k${i}`])));
  let exact = true;
  const out = rows.map((r) => {
    const money: Record<string, Decimal> = {};
    for (const [alias, s] of sums) {
      const read = s.read(r);
      if (read.odd) exact = false;
      money[alias] = read.total;
    }
    return { keys: keyOf(r), count: Number(r.n), money, counts: Object.fromEntries(counts.map(([alias]) => [alias, Number(r[alias] ?? 0)])) };
  });
  return exact ? out : aggregateInJs(base, keys, m);
}

async function aggregateInJs(base: SelectQueryBuilder<any, any, any>, keys: string[], m: Measures): Promise<GroupTotals[]> {
  const rows = (await base.select([
    ...keys.map((k, i) => sql.raw(k).as(`k${i}`)),
    ...Object.entries(m.money).map(([alias, expr]) => sql`${expr}`.as(alias)),
    ...Object.entries(m.counts ?? {}).map(([alias, expr]) => sql`${expr}`.as(alias)),
  ]).execute()) as Record<string, unknown>[];
  const groups = new Map<string, GroupTotals>();
  for (const r of rows) {
    const k = keys.map((_, i) => (r[`k${i}`] === null || r[`k${i}`] === undefined ? UNKNOWN : String(r[`k${i}`])));
    const id = k.join('\u0000');
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { keys: k, count: 0, money: Object.fromEntries(Object.keys(m.money).map((a) => [a, new Decimal(0)])), counts: Object.fromEntries(Object.keys(m.counts ?? {}).map((a) => [a, 0])) }));
    g.count++;
    for (const alias of Object.keys(m.money)) if (r[alias] !== null && r[alias] !== undefined) g.money[alias] = g.money[alias]!.plus(String(r[alias]));
    for (const alias of Object.keys(m.counts ?? {})) g.counts[alias]! += Number(r[alias] ?? 0);
  }
  return [...groups.values()];
}

/**
 * Re-groups fine groups by one of their keys (or by none, for the grand total). A report asks SQL
 * for one grouping by several small-cardinality keys at once (month × type × currency) and rolls
 * it up here: one scan of the bookings instead of one per grouping. Exact: decimal.js sums.
 */
export function rollUp(groups: GroupTotals[], keyIndex: number | null): GroupTotals[] {
  const out = new Map<string, GroupTotals>();
  for (const g of groups) {
    const key = keyIndex === null ? '' : g.keys[keyIndex]!;
    const r = out.get(key);
    if (!r) {
      out.set(key, { keys: [key], count: g.count, money: { ...g.money }, counts: { ...g.counts } });
      continue;
    }
    r.count += g.count;
    for (const [a, v] of Object.entries(g.money)) r.money[a] = (r.money[a] ?? new Decimal(0)).plus(v);
    for (const [a, v] of Object.entries(g.counts)) r.counts[a] = (r.counts[a] ?? 0) + v;
  }
  return [...out.values()];
}
