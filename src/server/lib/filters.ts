import type { SelectQueryBuilder } from 'kysely';
import { BadParameterError } from './errors.js';
import type { Deleted } from './schemas.js';

type Qb = SelectQueryBuilder<any, any, any>;

/** Live rows by default; `true` only the rows Navan no longer returns; `any` both. */
export function whereDeleted<Q extends Qb>(qb: Q, deleted: Deleted | undefined, column = '_deleted'): Q {
  if (deleted === 'any') return qb;
  return qb.where(column, '=', deleted === 'true' ? 1 : 0) as Q;
}

/** Adds `column = value` for each parameter that was given. */
export function whereEqual<Q extends Qb>(qb: Q, pairs: [column: string, value: string | number | undefined][]): Q {
  let q: Qb = qb;
  for (const [column, value] of pairs) if (value !== undefined) q = q.where(column, '=', value);
  return q as Q;
}

export function isCalendarDate(date: string): boolean {
  const d = new Date(`${date}T00:00:00.000Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === date;
}

/** The day after a YYYY-MM-DD date, so "to" includes the whole day of a timestamp column. */
export function dayAfter(date: string): string {
  const d = new Date(`${date}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * An inclusive date range on a column. Dates compare as text (ISO), so a timestamp column gets
 * `< day after "to"` to include all of that day. A range that ends before it starts is a 400.
 */
export function whereDateRange<Q extends Qb>(qb: Q, column: string, from: { name: string; value?: string }, to: { name: string; value?: string }, timestamps = false): Q {
  for (const p of [from, to]) {
    if (p.value !== undefined && !isCalendarDate(p.value)) throw new BadParameterError(p.name, `Parameter "${p.name}" must be a real calendar date YYYY-MM-DD (got "${p.value}"); fix it and retry.`);
  }
  if (from.value && to.value && from.value > to.value) {
    throw new BadParameterError(to.name, `Parameter "${to.name}" (${to.value}) must not be before "${from.name}" (${from.value}); swap them.`);
  }
  let q: Qb = qb;
  if (from.value) q = q.where(column, '>=', from.value);
  if (to.value) q = timestamps ? q.where(column, '<', dayAfter(to.value)) : q.where(column, '<=', to.value);
  return q as Q;
}

/** Flags are 0/1 in the warehouse and booleans on the wire. */
export const bool = (v: unknown): boolean | null => (v === null || v === undefined ? null : Number(v) === 1);
