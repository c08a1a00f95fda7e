import { describe, expect, it } from 'vitest';
import pino from 'pino';
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
function limiterAt1Rps(clock: ManualClock): Limiter {
  const settings = gatewayConfig({ observedLimitRps: 1, budgetFraction: 1, burstSeconds: 1, aimdIncreaseEveryMs: 3_600_000 }).gateway;
  return new Limiter({ tenant: 'acme', settings, clock, logger: pino({ level: 'silent' }), events: new EventBus() });
}

const ok: NavanResponse = { status: 200, headers: {}, body: Buffer.from('{}') };
const throttled: NavanResponse = { status: 429, headers: { 'retry-after': '0' }, body: Buffer.from('') };
const tick = () => new Promise((r) => setImmediate(r));
/** What the promise came to by now, without waiting for one that never settles (the bug this guards against). */
const outcome = (p: Promise<unknown>) =>
  Promise.race([p.then((v) => v, (e: Error) => `rejected: ${e.message}`), tick().then(() => 'still waiting')]);

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('limiter queue', () => {
  it('serves a throttled request that goes back to the head while the pump waits for the next slot', async () => {
    const clock = new ManualClock();
    const limiter = limiterAt1Rps(clock);
    const mw = limiter.middleware();
    await tick();
    const sent: string[] = [];
    const firstAnswer = deferred<NavanResponse>();
    let aCalls = 0;
    // A goes at once and is throttled; B queues behind it for the next slot, one second out.
    const a = mw(usersRequest('http://127.0.0.1:1', { correlationId: 'a' }), async () => {
      sent.push('a');
      return ++aCalls === 1 ? firstAnswer.promise : ok;
    });
    await tick();
    const b = mw(usersRequest('http://127.0.0.1:1', { correlationId: 'b' }), async () => {
      sent.push('b');
      return ok;
    });
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
    const clock = new ManualClock();
    const limiter = limiterAt1Rps(clock);
    const mw = limiter.middleware();
    await tick();
    const sent: string[] = [];
    const send = (id: string) => async () => {
      sent.push(id);
      return ok;
    };
    const first = mw(usersRequest('http://127.0.0.1:1', { correlationId: 'first' }), send('first'));
    const leaving = new AbortController();
    const gone = mw(usersRequest('http://127.0.0.1:1', { correlationId: 'gone', signal: leaving.signal }), send('gone'));
    const last = mw(usersRequest('http://127.0.0.1:1', { correlationId: 'last' }), send('last'));
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
});
