/** The JSON of GET /__sim/stats: requests served per "METHOD /path/{template}" and status. */
export interface SimStats {
  requests: Record<string, Record<string, number>>;
  tokensIssued: number;
}

export class StatsRecorder {
  #requests = new Map<string, Map<string, number>>();
  tokensIssued = 0;

  /** `status` is an HTTP status, or "reset" when the simulator destroyed the socket on purpose. */
  record(endpoint: string, status: number | 'reset'): void {
    let byStatus = this.#requests.get(endpoint);
    if (!byStatus) this.#requests.set(endpoint, (byStatus = new Map()));
    const key = String(status);
    byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
  }

  reset(): void {
    this.#requests.clear();
    this.tokensIssued = 0;
  }

  snapshot(): SimStats {
    const requests: SimStats['requests'] = {};
    for (const [endpoint, byStatus] of this.#requests) requests[endpoint] = Object.fromEntries(byStatus);
    return { requests, tokensIssued: this.tokensIssued };
  }
}
