import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { SyncAlreadyRunningError } from '../../src/shared/errors.js';
import { acquireDbLock, acquireRedisLock } from '../../src/sync/lock.js';
import { openWarehouse, type Warehouse } from '../../src/warehouse/index.js';

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('run lock', () => {
  let wh: Warehouse;
  let redis: Redis;
  const prefix = `test:${randomBytes(4).toString('hex')}:`;
  beforeAll(async () => {
    wh = await openWarehouse({ databaseUrl: 'sqlite::memory:' });
    await wh.migrate();
    redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
    await redis.connect();
  });
  afterAll(async () => {
    await wh.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('database: one holder at a time, free again after release', async () => {
    const clock = new ManualClock();
    const a = await acquireDbLock(wh.db, clock, 't', 'bookings');
    await expect(acquireDbLock(wh.db, clock, 't', 'bookings')).rejects.toThrow(SyncAlreadyRunningError);
    const other = await acquireDbLock(wh.db, clock, 't', 'users');
    await a.release();
    const b = await acquireDbLock(wh.db, clock, 't', 'bookings');
    await b.release();
    await other.release();
  });

  it('database: an expired lease or a killed holder on this host is taken over', async () => {
    const clock = new ManualClock();
    await wh.db.insertInto('sync_lock').values({ _tenant: 't2', stream: 'bookings', owner: 'x', host: hostname(), pid: deadPid(), expires_at: new Date(clock.now() + 60_000).toISOString() }).execute();
    const lock = await acquireDbLock(wh.db, clock, 't2', 'bookings');
    await lock.release();
    await wh.db.insertInto('sync_lock').values({ _tenant: 't3', stream: 'bookings', owner: 'y', host: 'elsewhere', pid: 1, expires_at: new Date(clock.now() + 60_000).toISOString() }).execute();
    await expect(acquireDbLock(wh.db, clock, 't3', 'bookings')).rejects.toThrow(/elsewhere/);
    await clock.advance(61_000);
    const after = await acquireDbLock(wh.db, clock, 't3', 'bookings');
    await after.release();
  });

  it('redis: one holder at a time, owner-checked release, killed holder taken over', async () => {
    const a = await acquireRedisLock(redis, prefix, 't', 'bookings');
    await expect(acquireRedisLock(redis, prefix, 't', 'bookings')).rejects.toThrow(/already running/);
    await a.renew();
    expect(await redis.pttl(`${prefix}sync-lock:t:bookings`)).toBeGreaterThan(100_000);
    await a.release();
    const b = await acquireRedisLock(redis, prefix, 't', 'bookings');
    await a.release(); // a stale owner must not free b's lock
    await expect(acquireRedisLock(redis, prefix, 't', 'bookings')).rejects.toThrow(SyncAlreadyRunningError);
    await b.release();
    await redis.set(`${prefix}sync-lock:t:users`, JSON.stringify({ owner: 'z', host: hostname(), pid: deadPid() }), 'PX', 60_000);
    const c = await acquireRedisLock(redis, prefix, 't', 'users');
    await c.release();
  });
});
