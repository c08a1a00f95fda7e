import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { Clock } from '../shared/clock.js';

/** One reservation: when the request may go, or a refusal when that is further off than allowed. */
export interface Reservation {
  granted: boolean;
  waitMs: number;
  /** Requests sent in the previous whole second (all processes sharing the bucket). */
  sentLastSecond: number;
}

/** A GCRA bucket: `reserve` books the next free send slot, so queued callers never poll. */
export interface Bucket {
  reserve(rps: number, burstSeconds: number, maxWaitMs: number): Promise<Reservation>;
  pause(untilMs: number): Promise<void>;
  pausedUntil(): Promise<number>;
}

function gcra(rps: number, burstSeconds: number): { interval: number; tau: number } {
  const interval = 1000 / rps;
  // A burst of n requests means n - 1 intervals of tolerance; at least one request always fits.
  const tau = Math.max(0, Math.floor(rps * burstSeconds) - 1) * interval;
  return { interval, tau };
}

export class MemoryBucket implements Bucket {
  #tat = 0;
  #paused = 0;
  readonly #slots = new Map<number, number>();
  constructor(private readonly clock: Clock) {}

  async reserve(rps: number, burstSeconds: number, maxWaitMs: number): Promise<Reservation> {
    return this.reserveNow(rps, burstSeconds, maxWaitMs);
  }
  /** The same, synchronously: the limiter's fast path when nobody is queued. */
  reserveNow(rps: number, burstSeconds: number, maxWaitMs: number): Reservation {
    const now = this.clock.now();
    const { interval, tau } = gcra(rps, burstSeconds);
    const sendAt = Math.max(now, this.#tat - tau, this.#paused);
    const waitMs = sendAt - now;
    if (waitMs > maxWaitMs) return { granted: false, waitMs, sentLastSecond: 0 };
    this.#tat = Math.max(this.#tat, sendAt) + interval;
    const slot = Math.floor(sendAt / 1000);
    this.#slots.set(slot, (this.#slots.get(slot) ?? 0) + 1);
    for (const k of this.#slots.keys()) if (k < slot - 2) this.#slots.delete(k);
    return { granted: true, waitMs, sentLastSecond: this.#slots.get(slot - 1) ?? 0 };
  }
  async pause(untilMs: number): Promise<void> {
    this.#paused = Math.max(this.#paused, untilMs);
  }
  async pausedUntil(): Promise<number> {
    return this.#paused;
  }
}

type GcraCommand = (tat: string, paused: string, slots: string, degraded: string, ...args: (string | number)[]) => Promise<[number, number, number, number]>;

/** Loads a script from ./lua by name, the way BullMQ keeps its commands; the build copies .lua files to dist. */
function lua(name: string): string {
  return readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
}

/** The shared bucket: every process of every machine books slots in the same Redis keys. */
export class RedisBucket implements Bucket {
  readonly #keys: { tat: string; paused: string; slots: string; degraded: string };
  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly processCount = 1,
  ) {
    this.#keys = { tat: `${prefix}:tat`, paused: `${prefix}:paused`, slots: `${prefix}:sent:`, degraded: `${prefix}:degraded` };
    if (!(redis as unknown as Record<string, unknown>).navanGcraReserve) {
      redis.defineCommand('navanGcraReserve', { numberOfKeys: 4, lua: lua('gcra-reserve') });
    }
  }

  /** A dead Redis must not hang the caller: the limiter falls back when this rejects. */
  #bounded<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  async reserve(rps: number, burstSeconds: number, maxWaitMs: number): Promise<Reservation> {
    const { interval, tau } = gcra(rps, burstSeconds);
    const cmd = (this.redis as unknown as { navanGcraReserve: GcraCommand }).navanGcraReserve.bind(this.redis);
    const [granted, waitMs, prev] = await this.#bounded(
      cmd(this.#keys.tat, this.#keys.paused, this.#keys.slots, this.#keys.degraded, this.clock.now(), interval, tau, Math.max(0, Math.floor(maxWaitMs)), this.processCount),
    );
    return { granted: granted === 1, waitMs, sentLastSecond: prev };
  }
  /**
   * Called by a process back from its fallback: others may still be on theirs until their next
   * retry, so for `forMs` everyone sharing the bucket keeps to one process's share.
   */
  async markDegraded(forMs: number): Promise<void> {
    const until = this.clock.now() + forMs;
    await this.#bounded(this.redis.set(this.#keys.degraded, String(until), 'PX', Math.max(1, Math.ceil(forMs))));
  }
  async pause(untilMs: number): Promise<void> {
    const ttl = Math.max(1, Math.ceil(untilMs - this.clock.now()) + 1000);
    // Only ever extend a pause: a later 429 with a shorter Retry-After must not cut another's short.
    const current = Number((await this.#bounded(this.redis.get(this.#keys.paused))) ?? 0);
    if (untilMs > current) await this.#bounded(this.redis.set(this.#keys.paused, String(untilMs), 'PX', ttl));
  }
  async pausedUntil(): Promise<number> {
    return Number((await this.#bounded(this.redis.get(this.#keys.paused))) ?? 0);
  }
}
