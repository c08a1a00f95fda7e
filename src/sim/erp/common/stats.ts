import type { ErpSimStats } from '../index.js';

type Counter = 'documentsCreated' | 'documentsReplaced' | 'documentsDeleted' | 'documentsRejected' | 'concurrencyRejections' | 'injectedFaults';

/** The counters behind `stats()` and GET /__sim/stats. */
export class ErpStatsRecorder {
  #s: ErpSimStats = ErpStatsRecorder.#empty();

  static #empty(): ErpSimStats {
    return {
      requests: 0,
      byStatus: {},
      byEndpoint: {},
      inFlight: 0,
      maxConcurrent: 0,
      concurrencyRejections: 0,
      injectedFaults: 0,
      authFailures: {},
      documentsCreated: 0,
      documentsReplaced: 0,
      documentsDeleted: 0,
      documentsRejected: 0,
    };
  }

  arrive(): void {
    this.#s.requests++;
  }

  /** A request was let in to be processed (not refused by a fault or the concurrency limit). */
  admit(): void {
    this.#s.inFlight++;
    this.#s.maxConcurrent = Math.max(this.#s.maxConcurrent, this.#s.inFlight);
  }

  get inFlight(): number {
    return this.#s.inFlight;
  }

  end(endpoint: string, outcome: string, admitted: boolean): void {
    if (admitted) this.#s.inFlight = Math.max(0, this.#s.inFlight - 1);
    this.#s.byStatus[outcome] = (this.#s.byStatus[outcome] ?? 0) + 1;
    const e = (this.#s.byEndpoint[endpoint] ??= {});
    e[outcome] = (e[outcome] ?? 0) + 1;
  }

  count(counter: Counter): void {
    this.#s[counter]++;
  }

  authFailure(reason: string): void {
    this.#s.authFailures[reason] = (this.#s.authFailures[reason] ?? 0) + 1;
  }

  /** Clears the counters but keeps requests in flight counted, so they still end cleanly. */
  reset(): void {
    const inFlight = this.#s.inFlight;
    this.#s = ErpStatsRecorder.#empty();
    this.#s.inFlight = inFlight;
  }

  snapshot(): ErpSimStats {
    return structuredClone(this.#s);
  }
}
