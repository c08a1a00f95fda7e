import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { ExponentialBackoff, decorrelatedJitterGenerator, type IBackoff } from 'cockatiel';
import type { GatewaySection } from '../config/index.js';
import type { Clock } from '../shared/clock.js';
import { RateLimitedError } from '../shared/errors.js';
import type { EventBus } from '../shared/events.js';
import { headerValue, type Middleware, type NavanResponse } from '../shared/http.js';
import type { Logger } from '../shared/logger.js';
import { MemoryBucket, RedisBucket } from './bucket.js';

export interface LimiterOptions {
  tenant: string;
  settings: GatewaySection;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  redis?: Redis;
  /** Where the estimate is kept without Redis. */
  dataDir?: string;
}

export interface LimiterState {
  limitRps: number;
  budgetRps: number;
  queueLength: number;
  pausedUntil?: number;
  mode: 'redis' | 'memory' | 'fallback';
}

/**
 * Sends over the last second in ten 100 ms slots: O(1) per request. (An array of send times,
 * shifted as they age, cost O(rate) per request and showed in the overhead benchmark.)
 */
class SendCounter {
  readonly #counts = new Uint32Array(10);
  #slot = -Infinity;

  add(now: number): void {
    this.#advance(now);
    this.#counts[this.#slot % 10]!++;
  }

  lastSecond(now: number): number {
    this.#advance(now);
    let n = 0;
    for (const c of this.#counts) n += c;
    return n;
  }

  #advance(now: number): void {
    const slot = Math.floor(now / 100);
    if (slot <= this.#slot) return;
    // Clear the slots that aged out since the last call (all of them after a second of silence).
    for (let s = Math.max(this.#slot + 1, slot - 9); s <= slot; s++) this.#counts[s % 10] = 0;
    this.#slot = slot;
  }
}

/**
 * One pair of listeners per Redis connection, whatever the number of tenants (a limiter each)
 * sharing it: calls every registered function when the connection is ready again after a loss.
 */
const reconnectWatchers = new WeakMap<Redis, Set<() => void>>();
function onReconnect(redis: Redis, fn: () => void): () => void {
  let watchers = reconnectWatchers.get(redis);
  if (!watchers) {
    const set = (watchers = new Set());
    reconnectWatchers.set(redis, set);
    let lost = false;
    redis.on('close', () => (lost = true));
    redis.on('ready', () => {
      if (!lost) return;
      lost = false;
      for (const f of set) f();
    });
  }
  watchers.add(fn);
  return () => void watchers.delete(fn);
}

interface Waiter {
  startedAt: number;
  correlationId: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * The per-tenant rate limiter and 429 queue. Callers wait in one FIFO queue per process; the head
 * books a send slot in the (shared) GCRA bucket and sleeps until it. A 429 pauses the bucket for
 * everyone and puts the request back at the head, so order is kept and nobody else slips past.
 */
export class Limiter {
  readonly #o: LimiterOptions;
  readonly #memory: MemoryBucket;
  readonly #redisBucket?: RedisBucket;
  #mode: LimiterState['mode'];
  #retryRedisAt = 0;
  #limit: number;
  #ceiling: number;
  #lastChange: number;
  #lastDecrease = -Infinity;
  #sentLastSecond = 0;
  /** This process's sends over the last second: what a 429 tells us the limit is below. */
  readonly #sent = new SendCounter();
  #utilisationAt = -Infinity;
  #pausedUntil = 0;
  #backoff?: IBackoff<unknown>;
  readonly #queue: Waiter[] = [];
  #pumping = false;
  #loaded: Promise<void>;
  #isLoaded = false;
  #closed = false;

  constructor(options: LimiterOptions) {
    this.#o = options;
    const s = options.settings;
    this.#limit = s.observedLimitRps;
    this.#ceiling = s.observedLimitRps;
    this.#lastChange = options.clock.now();
    this.#memory = new MemoryBucket(options.clock);
    if (options.redis) {
      this.#redisBucket = new RedisBucket(options.redis, this.#key('bucket'), options.clock, s.redisTimeoutMs, s.processCount);
    }
    this.#mode = options.redis ? 'redis' : 'memory';
    if (options.redis) this.#watchReconnects(options.redis);
    this.#loaded = this.#loadEstimate().then(() => {
      this.#isLoaded = true;
      // The monitor's budget gauge (and the utilisation alert built on it) needs a value before
      // the first change of the estimate, which may never come.
      this.#emitEstimate();
    });
  }

  #unwatch?: () => void;

  /**
   * When Redis comes back after an outage, some processes may still be on their fallback share
   * (they retry Redis only every redisRetryAfterMs), while processes that never noticed the outage
   * would go on at the whole budget in the shared bucket: together, over the limit (the chaos suite
   * caught one request too many this way). So every process whose connection comes back marks the
   * bucket degraded (one share for everyone) for long enough that every fallback has ended.
   */
  #watchReconnects(redis: Redis): void {
    this.#unwatch = onReconnect(redis, () => {
      if (!this.#closed) this.#degradeShared();
    });
  }

  /** One share for everyone in the shared bucket, for three Redis retry periods: every fallback has ended by then. */
  #degradeShared(): void {
    void this.#redisBucket?.markDegraded(3 * this.#o.settings.redisRetryAfterMs).catch(() => undefined);
  }

  #key(what: string): string {
    return `${this.#o.settings.redisKeyPrefix}:${this.#o.tenant}:${what}`;
  }

  state(): LimiterState {
    const paused = this.#pausedUntil > this.#o.clock.now() ? this.#pausedUntil : undefined;
    return { limitRps: this.#limit, budgetRps: this.budgetRps(), queueLength: this.#queue.length, mode: this.#mode, ...(paused ? { pausedUntil: paused } : {}) };
  }

  budgetRps(): number {
    const s = this.#o.settings;
    const budget = this.#limit * s.budgetFraction;
    return this.#mode === 'fallback' ? budget / s.processCount : budget;
  }

  /**
   * Waits for a send slot; rejects with RateLimitedError once the wait would pass maxQueueWaitMs.
   * Returns undefined when the slot was free at once (no await needed on the hot path).
   */
  acquire(startedAt: number, correlationId: string, front = false, signal?: AbortSignal): Promise<void> | undefined {
    signal?.throwIfAborted();
    // Fast path without Redis and without a queue: take the slot now, skip the pump's awaits.
    if (this.#mode === 'memory' && this.#isLoaded && !this.#pumping && this.#queue.length === 0) {
      const now = this.#o.clock.now();
      const r = this.#memory.reserveNow(this.budgetRps(), this.#o.settings.burstSeconds, 0);
      if (r.granted) {
        this.#recordSend(now);
        return undefined;
      }
    }
    return new Promise<void>((resolve, reject) => {
      // A caller that gives up (shutdown, a cancelled job) leaves the queue at once: a worker
      // must never wait out a rate-limit pause to stop.
      const onAbort = () => {
        if (this.#remove(w)) reject(signal!.reason);
      };
      const done = () => signal?.removeEventListener('abort', onAbort);
      const w: Waiter = {
        startedAt, correlationId,
        resolve: () => (done(), resolve()),
        reject: (err) => (done(), reject(err)),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (front) this.#queue.unshift(w);
      else this.#queue.push(w);
      // The queue-length gauge rises as callers line up, not only when one leaves.
      if (this.#queue.length > 1) this.#o.events.emit('ratelimit.queue', { tenant: this.#o.tenant, length: this.#queue.length });
      void this.#pump();
    });
  }

  /**
   * Takes this waiter out of the queue; false when it has left already. The pump removes the
   * waiter it served, never simply the first: while it slept towards that waiter's slot, a
   * throttled request may have gone back to the head (and a shift would drop it unanswered).
   */
  #remove(w: Waiter): boolean {
    const i = this.#queue.indexOf(w);
    if (i < 0) return false;
    this.#queue.splice(i, 1);
    return true;
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      await this.#loaded;
      while (this.#queue.length > 0 && !this.#closed) {
        const head = this.#queue[0]!;
        const clock = this.#o.clock;
        const waited = clock.now() - head.startedAt;
        const allowed = this.#o.settings.maxQueueWaitMs - waited;
        const r = await this.#reserve(Math.max(0, allowed));
        if (!r.granted) {
          if (this.#remove(head)) head.reject(
            new RateLimitedError(
              `Navan's rate limit kept this request waiting ${Math.round(waited)} ms with ${Math.round(r.waitMs)} ms more to go; retry later or raise gateway.maxQueueWaitMs.`,
              waited,
              { correlationId: head.correlationId },
            ),
          );
          continue;
        }
        this.#sentLastSecond = r.sentLastSecond;
        if (r.waitMs > 0) await clock.sleep(r.waitMs);
        // A 429 seen while we slept moved the pause past our slot (or Redis, restarted, lost the
        // pause): wait the pause out before booking again. Booking at once would spin, each turn
        // pushing the shared bucket's next free slot further out for every process of the tenant.
        if (this.#pausedUntil > clock.now()) {
          await clock.sleep(this.#pausedUntil - clock.now());
          continue;
        }
        // The head may have given up while we slept: its slot then goes to nobody.
        if (!this.#remove(head)) continue;
        this.#recordSend(clock.now());
        this.#o.events.emit('ratelimit.queue', { tenant: this.#o.tenant, length: this.#queue.length, waitMs: clock.now() - head.startedAt });
        head.resolve();
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #reserve(maxWaitMs: number) {
    const s = this.#o.settings;
    const now = this.#o.clock.now();
    if (this.#redisBucket && (this.#mode === 'redis' || now >= this.#retryRedisAt)) {
      try {
        const r = await this.#redisBucket.reserve(this.#budgetFor('redis'), s.burstSeconds, maxWaitMs);
        if (this.#mode === 'fallback') {
          this.#o.logger.info({ tenant: this.#o.tenant }, 'Redis is reachable again; the rate limiter shares its bucket across processes again.');
          this.#mode = 'redis';
          // Other processes may stay on their fallback share until their own next retry.
          await this.#redisBucket.markDegraded(2 * s.redisRetryAfterMs).catch(() => undefined);
        }
        return r;
      } catch (err) {
        if (this.#mode === 'redis') {
          this.#o.logger.warn(
            { tenant: this.#o.tenant, err: err instanceof Error ? err.message : String(err), processCount: s.processCount },
            'Redis is unreachable; the rate limiter falls back to this process\'s share of the budget (budget / gateway.processCount).',
          );
          this.#mode = 'fallback';
          this.#emitEstimate();
          // The shared bucket's last second still counts, and slots it granted (one per process)
          // may still be on their way: our share starts one to two of its intervals from now, at a
          // random point, so the processes falling back together do not all send at once.
          void this.#memory.pause(now + (1000 / this.budgetRps()) * (1 + Math.random()));
          // Redis may be only slow (an overloaded machine), not down: the others then go on in the
          // shared bucket. Ask them to keep to one share while we are on ours; when Redis is slow
          // this lands late, when it is down it fails at once and the reconnect marks it instead.
          this.#degradeShared();
        }
        this.#retryRedisAt = now + s.redisRetryAfterMs;
      }
    }
    return this.#memory.reserve(this.budgetRps(), s.burstSeconds, maxWaitMs);
  }

  /** The whole budget: in Redis mode the bucket is shared, so no process divides it. */
  #budgetFor(_mode: 'redis'): number {
    return this.#limit * this.#o.settings.budgetFraction;
  }

  #recordSend(now: number): void {
    this.#sent.add(now);
    // For the utilisation gauge: at most once a second, so the hot path stays a counter bump.
    if (now - this.#utilisationAt >= 1000) {
      this.#utilisationAt = now;
      this.#o.events.emit('ratelimit.utilisation', { tenant: this.#o.tenant, ratio: this.#sendingRate(now) / this.budgetRps() });
    }
  }

  /** Requests per second we were sending at: ours over the last second, or the shared bucket's count. */
  #sendingRate(now: number): number {
    return Math.max(this.#sent.lastSecond(now), this.#mode === 'redis' ? this.#sentLastSecond : 0);
  }

  /**
   * Learns from a response: rate-limit headers, additive increase, and 429 (pause + decrease).
   * Returns a promise only when it pauses the bucket, so an ordinary response costs no await.
   */
  observe(res: NavanResponse): Promise<void> | undefined {
    const now = this.#o.clock.now();
    const s = this.#o.settings;
    const limitHeader = headerValue(res.headers, 'x-ratelimit-limit');
    const headerLimit = limitHeader === undefined ? NaN : Number(limitHeader);
    if (Number.isFinite(headerLimit) && headerLimit > 0 && headerLimit !== this.#limit) {
      this.#ceiling = headerLimit;
      this.#setLimit(headerLimit, now);
    }
    if (res.status === 429) return this.#throttled(res, now);
    this.#backoff = undefined;
    let pause: Promise<void> | undefined;
    const remaining = headerValue(res.headers, 'x-ratelimit-remaining');
    if (remaining === '0') {
      const reset = Number(headerValue(res.headers, 'x-ratelimit-reset'));
      // Reset is seconds from now, or an epoch second when it is that large.
      if (Number.isFinite(reset) && reset > 0) pause = this.#pause(reset > 1e9 ? reset * 1000 : now + reset * 1000);
    }
    if (this.#limit < this.#ceiling && now - this.#lastChange >= s.aimdIncreaseEveryMs) {
      this.#setLimit(Math.min(this.#ceiling, this.#limit + s.aimdIncreaseRps), now);
    }
    return pause;
  }

  /** A 429: pause the bucket for everyone until Retry-After, and lower the estimate (once a second). */
  async #throttled(res: NavanResponse, now: number): Promise<void> {
    const s = this.#o.settings;
    const pauseMs = this.#retryAfterMs(res, now);
    this.#o.events.emit('ratelimit.throttled', { tenant: this.#o.tenant, retryAfterMs: pauseMs });
    await this.#pause(now + pauseMs);
    // Many in-flight requests hit the same 429 burst: decrease once per second, not once per response.
    if (now - this.#lastDecrease >= 1000) {
      this.#lastDecrease = now;
      // Multiplicative decrease to the rate we were sending at, but never more than halving on
      // one 429 (a nearly idle client that gets throttled has measured nothing useful).
      const sending = this.#sendingRate(now);
      this.#setLimit(Math.max(s.minLimitRps, this.#limit * 0.5, Math.min(this.#limit * 0.9, sending)), now);
    }
  }

  #retryAfterMs(res: NavanResponse, now: number): number {
    const h = headerValue(res.headers, 'retry-after');
    if (h !== undefined && h.trim() !== '') {
      const secs = Number(h);
      if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
      const at = Date.parse(h);
      if (Number.isFinite(at)) return Math.max(0, at - now);
    }
    // No Retry-After: decorrelated jitter, growing while 429s keep coming.
    this.#backoff = (this.#backoff ?? new ExponentialBackoff({ generator: decorrelatedJitterGenerator, initialDelay: 500, maxDelay: 30_000 })).next(undefined);
    return this.#backoff.duration;
  }

  async #pause(until: number): Promise<void> {
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
    await this.#memory.pause(until);
    if (this.#redisBucket && this.#mode === 'redis') await this.#redisBucket.pause(until).catch(() => undefined);
  }

  #setLimit(limit: number, now: number): void {
    this.#limit = limit;
    this.#lastChange = now;
    this.#emitEstimate();
    void this.#saveEstimate();
  }

  #emitEstimate(): void {
    this.#o.events.emit('ratelimit.estimate', { tenant: this.#o.tenant, limitRps: this.#limit, budgetRps: this.budgetRps() });
  }

  #estimateFile(): string | undefined {
    return this.#o.dataDir ? join(this.#o.dataDir, 'gateway-estimates.json') : undefined;
  }

  async #loadEstimate(): Promise<void> {
    let saved: { limitRps: number; ceilingRps: number } | undefined;
    try {
      if (this.#o.redis) {
        const raw = await Promise.race([this.#o.redis.get(this.#key('estimate')), new Promise<null>((r) => setTimeout(() => r(null), this.#o.settings.redisTimeoutMs).unref())]);
        if (raw) saved = JSON.parse(raw);
      } else if (this.#estimateFile()) {
        saved = JSON.parse(readFileSync(this.#estimateFile()!, 'utf8'))[this.#o.tenant];
      }
    } catch {
      // No estimate yet (or unreadable): start from the configured one.
    }
    if (saved && saved.limitRps > 0) {
      this.#limit = saved.limitRps;
      this.#ceiling = Math.max(saved.ceilingRps ?? 0, this.#o.settings.observedLimitRps);
    }
  }

  async #saveEstimate(): Promise<void> {
    const value = { limitRps: this.#limit, ceilingRps: this.#ceiling };
    try {
      if (this.#o.redis && this.#mode === 'redis') {
        await this.#o.redis.set(this.#key('estimate'), JSON.stringify(value));
      } else if (this.#estimateFile()) {
        const file = this.#estimateFile()!;
        mkdirSync(this.#o.dataDir!, { recursive: true });
        let all: Record<string, unknown> = {};
        try {
          all = JSON.parse(readFileSync(file, 'utf8'));
        } catch {
          all = {};
        }
        all[this.#o.tenant] = value;
        writeFileSync(`${file}.tmp`, JSON.stringify(all, null, 2));
        renameSync(`${file}.tmp`, file);
      }
    } catch (err) {
      this.#o.logger.warn({ tenant: this.#o.tenant, err: err instanceof Error ? err.message : String(err) }, 'Could not save the rate-limit estimate; it will be learned again after a restart.');
    }
  }

  /** The middleware: wait for a slot, send, and on 429 pause everyone and try again at the head. */
  middleware(): Middleware {
    return async (req, next) => {
      const clock = this.#o.clock;
      const startedAt = clock.now();
      let front = false;
      for (;;) {
        const waiting = this.acquire(startedAt, req.correlationId, front, req.signal);
        if (waiting) await waiting;
        if (req.meta) req.meta.waitMs = clock.now() - startedAt;
        const res = await next(req);
        const pausing = this.observe(res);
        if (pausing) await pausing;
        if (res.status !== 429) return res;
        front = true;
      }
    };
  }

  close(): void {
    this.#closed = true;
    this.#unwatch?.();
    for (const w of this.#queue.splice(0)) w.reject(new RateLimitedError('The gateway is shutting down; retry the request once it is running again.', 0, { correlationId: w.correlationId }));
  }
}
