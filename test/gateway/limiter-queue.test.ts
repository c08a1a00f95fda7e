import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Redis } from 'ioredis';
import { Limiter } from '../../src/gateway/limiter.js';
import { ManualClock } from '../../src/shared/clock.js';
import { EventBus } from '../../src/shared/events.js';
import type { NavanResponse } from '../../src/shared/http.js';
import { gatewayConfig, usersRequest } from './setup.js';

/**
 * The limiter's queue under races that HTTP timing makes rare: a throttled request going back to
 * the head of the queue while the pump sleeps towards the head's slot, and callers that give up
 * (shutdown) while they wait. A scripted `next` makes the order exact; the HTTP behaviour of the
 * queue is in queue.test.ts.
 */
const ok: NavanResponse = { status: 200, headers: {}, body: Buffer.from('{}') };
const throttled: NavanResponse = { status: 429, headers: { 'retry-after': '0' }, body: Buffer.from('') };
const tick = () => new Promise((r) => setImmediate(r));
/** What the promise came to by now, without waiting for one that never settles (the bug this guards against). */
const outcome = (p: Promise<unknown>) =>
  Promise.race([p.then((v) => v, (e: Error) => `rejected: ${e.message}`), tick().then(() => 'still waiting')]);

/**
 * A limiter at 1 rps on a manual clock and a scripted Navan: `call(id)` sends a request through the
 * limiter's middleware whose answer is `answer()` (200 by default), and `sent` lists the ids in the
 * order they reached Navan.
 */
async function queueAt1Rps() {
  const clock = new ManualClock();
  const settings = gatewayConfig({ observedLimitRps: 1, budgetFraction: 1, burstSeconds: 1, aimdIncreaseEveryMs: 3_600_000 }).gateway;
  const limiter = new Limiter({ tenant: 'acme', settings, clock, logger: pino({ level: 'silent' }), events: new EventBus() });
  const mw = limiter.middleware();
  await tick();
  const sent: string[] = [];
  const call = (id: string, answer: () => Promise<NavanResponse> = async () => ok, signal?: AbortSignal) =>
    mw(usersRequest('http://127.0.0.1:1', { correlationId: id, ...(signal ? { signal } : {}) }), async () => {
      sent.push(id);
      return answer();
    });
  return { clock, limiter, sent, call };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('limiter queue', () => {
  it('serves a throttled request that goes back to the head while the pump waits for the next slot', async () => {
    const { clock, limiter, sent, call } = await queueAt1Rps();
    const firstAnswer = deferred<NavanResponse>();
    let aCalls = 0;
    // A goes at once and is throttled; B queues behind it for the next slot, one second out.
    const a = call('a', async () => (++aCalls === 1 ? firstAnswer.promise : ok));
    await tick();
    const b = call('b');
    await tick();
    expect(limiter.state().queueLength).toBe(1);
    // While the pump sleeps towards B's slot, A's 429 puts A back at the head of the queue.
    firstAnswer.resolve(throttled);
    await tick();
    expect(limiter.state().queueLength).toBe(2);
    for (let i = 0; i < 5 && sent.length < 3; i++) await clock.advance(1000);
    expect(await outcome(a)).toEqual(ok);
    expect(await outcome(b)).toEqual(ok);
    expect(sent.sort()).toEqual(['a', 'a', 'b']);
    expect(limiter.state().queueLength).toBe(0);
    limiter.close();
  });

  it('lets a caller that gives up leave the queue at once, and the others keep their turns', async () => {
    const { clock, limiter, sent, call } = await queueAt1Rps();
    const first = call('first');
    const leaving = new AbortController();
    const gone = call('gone', undefined, leaving.signal);
    const last = call('last');
    await tick();
    expect(await first).toEqual(ok);
    expect(limiter.state().queueLength).toBe(2);
    leaving.abort(new Error('shutting down'));
    expect(await outcome(gone)).toBe('rejected: shutting down');
    expect(limiter.state().queueLength).toBe(1);
    for (let i = 0; i < 4 && sent.length < 2; i++) await clock.advance(1000);
    expect(await outcome(last)).toEqual(ok);
    expect(sent).toEqual(['first', 'last']);
    limiter.close();
  });

  it('marks the shared bucket degraded when its Redis connection comes back, not when it first connects', async () => {
    const redis = new Redis('redis://127.0.0.1:6379', { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    try {
      await once(redis, 'ready');
      const settings = gatewayConfig({ redisRetryAfterMs: 2000 }).gateway;
      const limiter = new Limiter({ tenant: 'acme', settings, clock: new ManualClock(Date.now()), logger: pino({ level: 'silent' }), events: new EventBus(), redis });
      const key = `${settings.redisKeyPrefix}:acme:bucket:degraded`;
      await tick();
      expect(await redis.exists(key)).toBe(0);
      // Redis restarting looks like this to a client: the connection closes, then is ready again.
      redis.disconnect(true);
      await once(redis, 'ready');
      for (let i = 0; i < 50 && !(await redis.exists(key)); i++) await new Promise((r) => setTimeout(r, 10));
      // Three retry periods: every process still on its fallback share has come back by then.
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(5000);
      expect(ttl).toBeLessThanOrEqual(6000);
      limiter.close();
      await redis.del(key);
      redis.disconnect(true);
      await once(redis, 'ready');
      await tick();
      expect(await redis.exists(key)).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});
