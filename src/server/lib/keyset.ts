import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import { BadParameterError } from './errors.js';

/**
 * Keyset pagination: a page is "the next `limit` rows after this key" in a fixed total order, so
 * page 1000 costs the same as page 1 and rows inserted meanwhile never shift or repeat a page.
 * The order is (sort key, id), the id breaking ties; the cursor carries the last row's pair.
 */
export interface KeysetOrder<Row> {
  /** SQL of the sort key, never null (wrap nullable columns in coalesce), matching an index. */
  key: RawBuilder<string>;
  /** The unique tie-breaker column. */
  id: string;
  direction: 'asc' | 'desc';
  /** The (key, id) pair of a fetched row, as the cursor stores it. */
  of(row: Row): [string, string];
}

export function encodeCursor(pair: [string, string]): string {
  return Buffer.from(JSON.stringify(pair), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): [string, string] {
  try {
    const pair = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(pair) && pair.length === 2 && pair.every((v) => typeof v === 'string')) return pair as [string, string];
  } catch {
    // falls through to the 400 below
  }
  throw new BadParameterError('cursor', 'Parameter "cursor" must be the nextCursor of a previous page, unchanged; start again without it.');
}

/**
 * Adds "after this pair" and the order. Spelled `key <= k and (key < k or id < i)` (for descending)
 * rather than the row value `(key, id) < (k, i)`: SQLite does not seek an expression index on a row
 * value, but it does on the plain `key <= k`, and PostgreSQL seeks on either.
 */
export function afterKey<Q extends SelectQueryBuilder<any, any, any>>(qb: Q, order: KeysetOrder<unknown>, after: [string, string] | undefined): Q {
  const [within, beyond] = order.direction === 'desc' ? [sql.raw('<='), sql.raw('<')] : [sql.raw('>='), sql.raw('>')];
  let q = qb as SelectQueryBuilder<any, any, any>;
  if (after) q = q.where(sql<boolean>`${order.key} ${within} ${after[0]} and (${order.key} ${beyond} ${after[0]} or ${sql.ref(order.id)} ${beyond} ${after[1]})`);
  return q.orderBy(order.key, order.direction).orderBy(sql.ref(order.id), order.direction) as Q;
}

export interface Page<Row> {
  data: Row[];
  nextCursor: string | null;
}

/** One page: fetches limit + 1 rows to know whether another page follows without counting. */
export async function fetchPage<Row>(qb: SelectQueryBuilder<any, any, any>, order: KeysetOrder<any>, limit: number, cursor: string | undefined): Promise<Page<Row>> {
  const rows = (await afterKey(qb, order, cursor ? decodeCursor(cursor) : undefined).limit(limit + 1).execute()) as Row[];
  const data = rows.slice(0, limit);
  return { data, nextCursor: rows.length > limit ? encodeCursor(order.of(data[data.length - 1]!)) : null };
}

/** Every row after `cursor`, in chunks, for streamed exports that must never hold a whole table. */
export async function* allRows<Row>(qb: SelectQueryBuilder<any, any, any>, order: KeysetOrder<any>, cursor: string | undefined, chunk = 1000): AsyncGenerator<Row[]> {
  let after = cursor ? decodeCursor(cursor) : undefined;
  for (;;) {
    const rows = (await afterKey(qb, order, after).limit(chunk).execute()) as Row[];
    if (rows.length) yield rows;
    if (rows.length < chunk) return;
    after = order.of(rows[rows.length - 1]!);
  }
}
