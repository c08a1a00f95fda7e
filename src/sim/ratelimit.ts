/** One request refused as above the limit, with what the window held: for finding out why. */
export interface LimitRefusal {
  at: string;
  clientId: string;
  /** How long ago (ms) each request still in the one-second window was counted, oldest first. */
  windowMsAgo: number[];
  /**
   * The simulator's own event-loop lag (ms) at its worst over the last 1.5 s: a simulator that
   * stalled counts the requests it then catches up on as arriving together.
   */
  loopLagMs: number;
}

/**
 * How late this process's timers fire, sampled every 20 ms (only while a limit is set): the
 * simulator counts a request when its event loop gets to it, not when it reached the socket.
 */
class LoopLag {
  readonly #samples: { at: number; lag: number }[] = [];
  #timer?: NodeJS.Timeout;
  start(): void {
    if (this.#timer) return;
    let expected = performance.now() + 20;
    this.#timer = setInterval(() => {
      const now = performance.now();
      this.#samples.push({ at: now, lag: Math.max(0, now - expected) });
      if (this.#samples.length > 100) this.#samples.shift();
      expected = now + 20;
    }, 20);
    this.#timer.unref();
  }
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
  worstSince(t: number): number {
    let worst = 0;
    for (const s of this.#samples) if (s.at >= t) worst = Math.max(worst, s.lag);
    return Math.round(worst);
  }
}

/**
 * The enforced rate limit: at most `rps` requests per credential in any sliding one-second
 * window of wall-clock time (the simulator clock may be frozen or jumped by tests, a limit must
 * still be a limit).
 */
export class RateLimiter {
  rps: number | null;
  headers = false;
  readonly #windows = new Map<string, number[]>();
  readonly #refusals: LimitRefusal[] = [];
  readonly #lag = new LoopLag();

  constructor(rps: number | undefined) {
    this.rps = rps ?? null;
    if (this.rps !== null) this.#lag.start();
  }

  configure(rps: number | null, headers?: boolean): void {
    this.rps = rps;
    if (headers !== undefined) this.headers = headers;
    this.#windows.clear();
    this.#refusals.length = 0;
    if (rps === null) this.#lag.stop();
    else this.#lag.start();
  }

  /** The last 50 requests refused as above the limit (GET /__sim/ratelimit/refusals). */
  refusals(): LimitRefusal[] {
    return [...this.#refusals];
  }

  /** Counts one request; `allowed` false means answer 429. */
  take(clientId: string): { allowed: boolean; limit: number; remaining: number; resetSeconds: number } | undefined {
    if (this.rps === null) return undefined;
    const now = performance.now();
    let window = this.#windows.get(clientId);
    if (!window) this.#windows.set(clientId, (window = []));
    while (window.length > 0 && window[0]! <= now - 1000) window.shift();
    const allowed = window.length < this.rps;
    if (allowed) window.push(now);
    else {
      this.#refusals.push({ at: new Date().toISOString(), clientId, windowMsAgo: window.map((t) => Math.round(now - t)), loopLagMs: this.#lag.worstSince(now - 1500) });
      if (this.#refusals.length > 50) this.#refusals.shift();
    }
    const oldest = window[0] ?? now;
    return {
      allowed,
      limit: this.rps,
      remaining: Math.max(0, this.rps - window.length),
      resetSeconds: Math.max(1, Math.ceil((oldest + 1000 - now) / 1000)),
    };
  }
}
