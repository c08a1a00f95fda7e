/**
 * The enforced rate limit: at most `rps` requests per credential in any sliding one-second
 * window of wall-clock time (the simulator clock may be frozen or jumped by tests, a limit must
 * still be a limit).
 */
export class RateLimiter {
  rps: number | null;
  headers = false;
  readonly #windows = new Map<string, number[]>();

  constructor(rps: number | undefined) {
    this.rps = rps ?? null;
  }

  configure(rps: number | null, headers?: boolean): void {
    this.rps = rps;
    if (headers !== undefined) this.headers = headers;
    this.#windows.clear();
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
    const oldest = window[0] ?? now;
    return {
      allowed,
      limit: this.rps,
      remaining: Math.max(0, this.rps - window.length),
      resetSeconds: Math.max(1, Math.ceil((oldest + 1000 - now) / 1000)),
    };
  }
}
