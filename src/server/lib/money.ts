import { Decimal } from 'decimal.js';
import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from '../../warehouse/index.js';

/**
 * Exact sums of money in SQL, so a report over a million bookings never ships its rows to Node.
 *
 * PostgreSQL stores money as NUMERIC, and sum(numeric) is exact: it is summed there and read back
 * as text. SQLite stores money as TEXT (it has no decimal type, and REAL would drift by cents), so
 * a value like "-123.4" is split in SQL into a signed integer part (-123) and a signed fraction
 * scaled to 9 digits (-400000000), and each is summed as a 64-bit integer, exactly. Node joins
 * the two with decimal.js. Anything the split cannot represent (more than 9 decimals, exponent
 * notation) is counted in `odd`; the caller then sums those groups in JS instead. SQLite raises an
 * error on integer overflow rather than wrapping, and the sums come back as text (a JS number would
 * round above 2^53), so a sum is exact or it fails, never wrong.
 */
export const FRACTION_DIGITS = 9;
const SCALE = new Decimal(10).pow(FRACTION_DIGITS);

export interface MoneySum {
  /** Select expressions, aliased `${alias}`, `${alias}__f` and `${alias}__x` for SQLite. */
  select: RawBuilder<unknown>[];
  read(row: Record<string, unknown>): { total: Decimal; odd: boolean };
}

export function moneySum(dialect: Dialect, value: RawBuilder<unknown>, alias: string): MoneySum {
  if (dialect === 'postgres') {
    return {
      select: [sql`coalesce(sum(${value}), 0)::text`.as(alias) as unknown as RawBuilder<unknown>],
      read: (row) => ({ total: new Decimal(String(row[alias] ?? '0')), odd: false }),
    };
  }
  const abs = sql`ltrim(${value}, '-')`;
  const dot = sql`instr(${abs} || '.', '.')`;
  const sign = sql`(case when substr(${value}, 1, 1) = '-' then -1 else 1 end)`;
  const whole = sql`cast(substr(${abs}, 1, ${dot} - 1) as integer)`;
  const fraction = sql`substr(${abs}, ${dot} + 1)`;
  const scaled = sql`cast(substr(${fraction} || '000000000', 1, ${sql.raw(String(FRACTION_DIGITS))}) as integer)`;
  const odd = sql`(${value} glob '*[^0-9.-]*' or length(${fraction}) > ${sql.raw(String(FRACTION_DIGITS))})`;
  return {
    select: [
      sql`cast(coalesce(sum(${sign} * ${whole}), 0) as text)`.as(alias) as unknown as RawBuilder<unknown>,
      sql`cast(coalesce(sum(${sign} * ${scaled}), 0) as text)`.as(`${alias}__f`) as unknown as RawBuilder<unknown>,
      sql`coalesce(sum(case when ${value} is not null and ${odd} then 1 else 0 end), 0)`.as(`${alias}__x`) as unknown as RawBuilder<unknown>,
    ],
    read: (row) => ({
      total: new Decimal(String(row[alias] ?? 0)).plus(new Decimal(String(row[`${alias}__f`] ?? 0)).div(SCALE)),
      odd: Number(row[`${alias}__x`] ?? 0) > 0,
    }),
  };
}

/** A decimal as the API shows money: at least 2 decimals, all the digits it has, never exponent notation. */
export function moneyText(d: Decimal): string {
  return d.decimalPlaces() <= 2 ? d.toFixed(2) : d.toFixed();
}
