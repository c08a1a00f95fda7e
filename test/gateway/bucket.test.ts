import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisBucket } from '../../src/gateway/bucket.js';
import { ManualClock } from '../../src/shared/clock.js';

const redis = new Redis('redis://127.0.0.1:6379');
afterAll(() => redis.quit());

/** Books `n` slots at once and returns their send offsets from now, in ms. */
async function offsets(bucket: RedisBucket, n: number, rps: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await bucket.reserve(rps, 0, 60_000)).waitMs);
  return out;
}

describe('the shared GCRA bucket in Redis', () => {
  it('spaces sends at the budget with no burst beyond it', async () => {
    const clock = new ManualClock();
    const bucket = new RedisBucket(redis, `test:bucket:${randomUUID()}`, clock, 1000, 4);
    expect(await offsets(bucket, 5, 10)).toEqual([0, 100, 200, 300, 400]);
  });

  it('keeps to one process share while another process may still be in its Redis fallback', async () => {
    const clock = new ManualClock();
    const bucket = new RedisBucket(redis, `test:bucket:${randomUUID()}`, clock, 1000, 4);
    await bucket.markDegraded(2000);
    // 10 rps shared by 4 processes: one share is 2.5 rps, a send every 400 ms.
    expect(await offsets(bucket, 3, 10)).toEqual([0, 400, 800]);
    clock.advance(5000);
    // The degraded window is over: the whole budget again.
    const after = await offsets(bucket, 3, 10);
    expect(after[1]! - after[0]!).toBe(100);
  });
});
