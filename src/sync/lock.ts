import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { SyncAlreadyRunningError } from '../shared/errors.js';
import type { Clock } from '../shared/clock.js';
import type { WarehouseDatabase } from '../warehouse/index.js';

/**
 * One run per tenant and stream at a time, across processes. A lease that the holder renews with
 * every page; a holder on this host whose process is gone (killed) is taken over at once.
 * With Redis the lease lives there (SET NX PX, owner-checked renew and release); otherwise in the
 * `sync_lock` table.
 */
export interface RunLock {
  renew(): Promise<void>;
  release(): Promise<void>;
}

export const LOCK_LEASE_MS = 120_000;

interface Holder {
  owner: string;
  host: string;
  pid: number;
}

function holderIsDead(h: Holder): boolean {
  if (h.host !== hostname()) return false;
  if (h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function busy(tenant: string, stream: string, h: Holder): SyncAlreadyRunningError {
  return new SyncAlreadyRunningError(
    `A ${stream} sync for tenant "${tenant}" is already running (process ${h.pid} on ${h.host}); wait for it to finish, or stop it first.`,
  );
}

export async function acquireDbLock(db: Kysely<WarehouseDatabase>, clock: Clock, tenant: string, stream: string): Promise<RunLock> {
  const me: Holder = { owner: randomUUID(), host: hostname(), pid: process.pid };
  const expires = () => new Date(clock.now() + LOCK_LEASE_MS).toISOString();
  await db.transaction().execute(async (trx) => {
    const cur = await trx.selectFrom('sync_lock').selectAll().where('_tenant', '=', tenant).where('stream', '=', stream).executeTakeFirst();
    if (cur) {
      const expired = cur.expires_at <= new Date(clock.now()).toISOString();
      if (!expired && !holderIsDead(cur)) throw busy(tenant, stream, cur);
      // Compare-and-delete, so two takers of a stale lock cannot both win.
      const res = await trx.deleteFrom('sync_lock').where('_tenant', '=', tenant).where('stream', '=', stream).where('owner', '=', cur.owner).executeTakeFirst();
      if (Number(res.numDeletedRows) !== 1) throw busy(tenant, stream, cur);
    }
    await trx.insertInto('sync_lock').values({ _tenant: tenant, stream, owner: me.owner, host: me.host, pid: me.pid, expires_at: expires() }).execute();
  }).catch((err) => {
    // Two processes inserting at once: the loser sees a key violation, which means "busy".
    if (err instanceof SyncAlreadyRunningError) throw err;
    if (/unique|duplicate/i.test(String((err as Error).message))) throw busy(tenant, stream, { owner: '?', host: 'another process', pid: 0 });
    throw err;
  });
  return {
    renew: async () => {
      await db.updateTable('sync_lock').set({ expires_at: expires() }).where('_tenant', '=', tenant).where('stream', '=', stream).where('owner', '=', me.owner).execute();
    },
    release: async () => {
      await db.deleteFrom('sync_lock').where('_tenant', '=', tenant).where('stream', '=', stream).where('owner', '=', me.owner).execute();
    },
  };
}

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const TAKEOVER = `if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 else return 0 end`;

export async function acquireRedisLock(redis: Redis, keyPrefix: string, tenant: string, stream: string): Promise<RunLock> {
  const key = `${keyPrefix}sync-lock:${tenant}:${stream}`;
  const me: Holder = { owner: randomUUID(), host: hostname(), pid: process.pid };
  const value = JSON.stringify(me);
  const ok = await redis.set(key, value, 'PX', LOCK_LEASE_MS, 'NX');
  if (ok !== 'OK') {
    const cur = await redis.get(key);
    const holder: Holder = cur ? (JSON.parse(cur) as Holder) : { owner: '?', host: 'another process', pid: 0 };
    const taken = cur !== null && holderIsDead(holder) && (await redis.eval(TAKEOVER, 1, key, cur, value, LOCK_LEASE_MS)) === 1;
    if (!taken) throw busy(tenant, stream, holder);
  }
  return {
    renew: async () => {
      await redis.eval(RENEW, 1, key, value, LOCK_LEASE_MS);
    },
    release: async () => {
      await redis.eval(RELEASE, 1, key, value);
    },
  };
}
