import { randomBytes } from 'node:crypto';
import { Decimal } from 'decimal.js';
import pg from 'pg';
import type { Config } from '../../src/config/index.js';
import { systemClock, type Clock } from '../../src/shared/clock.js';
import type { EventBus } from '../../src/shared/events.js';
import { openWarehouse, type Warehouse } from '../../src/warehouse/index.js';
import type { SimControl, Simulator } from '../helpers/sim.js';
import { navanStack, simStackConfig, type NavanStack } from '../helpers/stack.js';

export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
/** Before the simulator's two years of bookings (its clock starts at 2026-01-15). */
export const START_DATE = '2023-12-01';

/**
 * Gateway settings for sync tests: no effective rate limit unless a test sets one (the simulator
 * has none by default), short retry budgets so a chaos run stays quick, and a floor under the
 * adaptive estimate so a run of injected 429s cannot starve the test (the AIMD behaviour itself
 * is tested in test/gateway/adaptive.test.ts).
 */
export const SYNC_TEST_GATEWAY = { observedLimitRps: 5000, minLimitRps: 500, retryMaxTotalMs: 10_000, requestTimeoutMs: 10_000 };

export function simConfig(sim: Simulator, sync: Record<string, unknown> = {}, tenant: Record<string, unknown> = {}, gateway: Record<string, unknown> = {}): Config {
  return simStackConfig(sim, { tenant: { startDate: START_DATE, ...tenant }, sync, gateway: { ...SYNC_TEST_GATEWAY, ...gateway } });
}

/** The engine's "now" is the simulator's, so windows and catch-up follow the simulated clock. */
export function simClock(sim: Simulator): Clock {
  return { now: () => sim.clock.now(), sleep: systemClock.sleep };
}

/**
 * The real layers 1–3 over HTTP to the simulator (token service, gateway with limiter, breaker
 * and retry, typed client): what the engine reads through in production. The gateway keeps real
 * time; only the engine follows the simulated clock.
 */
export function simStack(config: Config, events?: EventBus): NavanStack {
  return navanStack(config, events ? { events } : {});
}

export async function openTestWarehouse(backend: 'sqlite' | 'postgres', sqlitePath = 'sqlite::memory:'): Promise<Warehouse & { drop(): Promise<void> }> {
  const schema = `sync_${backend}_${randomBytes(4).toString('hex')}`;
  const wh = backend === 'sqlite' ? await openWarehouse({ databaseUrl: sqlitePath }) : await openWarehouse({ databaseUrl: PG_URL, pgSchema: schema });
  await wh.migrate();
  return Object.assign(wh, {
    async drop() {
      await wh.close();
      if (backend !== 'postgres') return;
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists "${schema}" cascade`);
      await c.end();
    },
  });
}

const iso = (v: unknown) => (v === null || v === undefined || v === '' ? null : new Date(typeof v === 'number' ? (v < 1e12 ? v * 1000 : v) : String(v)).toISOString());
const money = (v: unknown) => (v === null || v === undefined || v === '' ? null : new Decimal(String(v)).toString());
const len = (v: unknown) => (Array.isArray(v) ? v.length : 0);

/**
 * Differences between the warehouse and the simulator's ground truth, as readable lines (empty
 * when equal): every live booking with its status, times, amounts and child-row counts; every
 * transaction with exact amounts; every user.
 */
export async function diffAgainstTruth(wh: Warehouse, control: SimControl, tenant = 'acme', streams: ('bookings' | 'transactions' | 'users')[] = ['bookings', 'transactions', 'users']): Promise<string[]> {
  const out: string[] = [];
  const db = wh.db;
  if (streams.includes('bookings')) {
    const truth = await control.truth('bookings');
    const rows = await db.selectFrom('booking').select(['uuid', 'booking_status', 'last_modified', 'created', 'grand_total', 'usd_grand_total', 'base_price', '_deleted']).where('_tenant', '=', tenant).execute();
    const count = async (table: 'booking_passenger' | 'booking_segment' | 'booking_eticket') => {
      const r = await db.selectFrom(table).select(['booking_uuid']).select((eb) => eb.fn.countAll<number>().as('n')).where('_tenant', '=', tenant).groupBy('booking_uuid').execute();
      return new Map(r.map((x) => [x.booking_uuid, Number(x.n)]));
    };
    const [pax, seg, tix] = [await count('booking_passenger'), await count('booking_segment'), await count('booking_eticket')];
    const live = new Map(rows.filter((r) => r._deleted === 0).map((r) => [r.uuid, r]));
    const seen = new Set<string>();
    for (const b of truth) {
      seen.add(b.uuid);
      const r = live.get(b.uuid);
      if (!r) {
        out.push(`booking ${b.uuid}: missing`);
        continue;
      }
      const want = { status: b.bookingStatus, lastModified: iso(b.lastModified), created: iso(b.created), grandTotal: money(b.grandTotal), usd: money(b.usdGrandTotal), base: money(b.basePrice), pax: len(b.passengers), seg: len(b.segments), tix: len(b.etickets) };
      const got = { status: r.booking_status, lastModified: r.last_modified, created: r.created, grandTotal: money(r.grand_total), usd: money(r.usd_grand_total), base: money(r.base_price), pax: pax.get(b.uuid) ?? 0, seg: seg.get(b.uuid) ?? 0, tix: tix.get(b.uuid) ?? 0 };
      if (JSON.stringify(want) !== JSON.stringify(got)) out.push(`booking ${b.uuid}: want ${JSON.stringify(want)} got ${JSON.stringify(got)}`);
    }
    for (const uuid of live.keys()) if (!seen.has(uuid)) out.push(`booking ${uuid}: live in the warehouse but not in the truth`);
  }
  if (streams.includes('transactions')) {
    const truth = await control.truth('transactions');
    const rows = await db.selectFrom('transaction').select(['id', 'posted_amount', 'original_amount', 'modified_timestamp']).where('_tenant', '=', tenant).execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const t of truth) {
      const r = byId.get(t.id);
      byId.delete(t.id);
      if (!r) {
        out.push(`transaction ${t.id}: missing`);
        continue;
      }
      // Amounts arrive as strings: they must come back character for character.
      const want = { posted: t.posted_amount ?? null, original: t.original_amount ?? null, modified: iso(t.modified_timestamp) };
      const got = { posted: r.posted_amount, original: r.original_amount, modified: r.modified_timestamp };
      if (JSON.stringify(want) !== JSON.stringify(got)) out.push(`transaction ${t.id}: want ${JSON.stringify(want)} got ${JSON.stringify(got)}`);
    }
    for (const id of byId.keys()) out.push(`transaction ${id}: in the warehouse but not in the truth`);
  }
  if (streams.includes('users')) {
    const truth = await control.truth('users');
    const rows = await db.selectFrom('navan_user').select(['id']).where('_tenant', '=', tenant).where('_deleted', '=', 0).execute();
    const want = truth.map((u: any) => String(u.id)).sort();
    const got = rows.map((r) => r.id).sort();
    if (JSON.stringify(want) !== JSON.stringify(got)) out.push(`users: want ${want.length} ids, got ${got.length}`);
  }
  return out;
}
