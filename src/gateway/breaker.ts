import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleType, type CircuitBreakerPolicy } from 'cockatiel';
import { CircuitOpenError, NavanNetworkError } from '../shared/errors.js';
import type { EventBus } from '../shared/events.js';
import { baseOf, type Middleware, type NavanResponse } from '../shared/http.js';

export type BreakerState = { state: 'closed' | 'open' | 'half-open'; retryInMs?: number };

const NAMES: Record<CircuitState, 'closed' | 'open' | 'half-open'> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/**
 * One cockatiel breaker per Navan host of a tenant. cockatiel reads Date.now for the half-open
 * timer, so tests drive it with vi.useFakeTimers({ toFake: ['Date'] }). While a half-open probe is
 * in flight, cockatiel makes every other caller wait for its outcome, so exactly one request
 * reaches Navan.
 */
export class Breakers {
  readonly #byHost = new Map<string, { policy: CircuitBreakerPolicy; openedAt: number }>();
  constructor(
    private readonly tenant: string,
    private readonly threshold: number,
    private readonly halfOpenAfterMs: number,
    private readonly events: EventBus,
  ) {}

  #get(host: string) {
    let entry = this.#byHost.get(host);
    if (!entry) {
      // 5xx and network failures/timeouts count; 4xx (and 429, queued below us) do not.
      const policy = circuitBreaker(handleType(NavanNetworkError).orWhenResult((r) => (r as NavanResponse).status >= 500), {
        halfOpenAfter: this.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(this.threshold),
      });
      const e = { policy, openedAt: 0 };
      policy.onBreak(() => (e.openedAt = Date.now()));
      policy.onStateChange((s) => this.events.emit('breaker.state', { tenant: this.tenant, host, state: NAMES[s] }));
      this.#byHost.set(host, (entry = e));
    }
    return entry;
  }

  state(host: string): BreakerState {
    const e = this.#get(host);
    const state = NAMES[e.policy.state];
    if (state !== 'open') return { state };
    return { state, retryInMs: Math.max(0, e.openedAt + this.halfOpenAfterMs - Date.now()) };
  }

  middleware(): Middleware {
    return async (req, next) => {
      const host = baseOf(req.baseUrl).host;
      const e = this.#get(host);
      if (req.meta) req.meta.breaker = NAMES[e.policy.state];
      try {
        return await e.policy.execute(() => next(req));
      } catch (err) {
        if (err instanceof BrokenCircuitError) {
          const retryInMs = Math.max(0, e.openedAt + this.halfOpenAfterMs - Date.now());
          throw new CircuitOpenError(
            `Navan at ${host} is failing, so calls for tenant ${this.tenant} are paused for ${Math.ceil(retryInMs / 1000)} s more; retry after that.`,
            'open',
            retryInMs,
            { correlationId: req.correlationId },
          );
        }
        throw err;
      }
    };
  }
}
