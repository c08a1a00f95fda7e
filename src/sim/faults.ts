import { Rng } from './rng.js';

/** One fault rule as POSTed to /__sim/faults. */
export interface FaultRule {
  rate5xx?: number;
  status5xx?: 500 | 502 | 503;
  rate429?: number;
  retryAfter?: { seconds: number; httpDate?: boolean } | null;
  latencyMs?: number;
  resetRate?: number;
  truncateRate?: number;
  malformedRate?: number;
  /** Path prefixes; default every API path. */
  paths?: string[];
  /** Default false: the token endpoint is spared. */
  includeToken?: boolean;
  /** Apply to the next n matching requests only. */
  count?: number;
}

/** What the injector decided for one request. */
export interface FaultDecision {
  latencyMs: number;
  reset: boolean;
  status?: number;
  retryAfter?: { seconds: number; httpDate?: boolean };
  truncate: boolean;
  malformedRate: number;
}

const RATES = ['rate5xx', 'rate429', 'resetRate', 'truncateRate', 'malformedRate'] as const;

/** Checks a POSTed rule; returns a sentence saying what is wrong, or undefined. */
export function validateFaultRule(rule: unknown): string | undefined {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return 'Send a JSON object describing one fault rule.';
  const r = rule as Record<string, unknown>;
  for (const key of RATES) {
    const v = r[key];
    if (v !== undefined && (typeof v !== 'number' || v < 0 || v > 1)) return `Set ${key} to a number between 0 and 1.`;
  }
  if (r.status5xx !== undefined && ![500, 502, 503].includes(r.status5xx as number)) return 'Set status5xx to 500, 502 or 503.';
  if (r.latencyMs !== undefined && (typeof r.latencyMs !== 'number' || r.latencyMs < 0)) return 'Set latencyMs to a number of milliseconds, 0 or more.';
  if (r.count !== undefined && (!Number.isInteger(r.count) || (r.count as number) < 1)) return 'Set count to a whole number of requests, 1 or more.';
  if (r.paths !== undefined && (!Array.isArray(r.paths) || r.paths.some((p) => typeof p !== 'string'))) return 'Set paths to a list of path prefixes such as ["/v1/bookings"].';
  const ra = r.retryAfter;
  if (ra !== undefined && ra !== null && (typeof ra !== 'object' || typeof (ra as { seconds?: unknown }).seconds !== 'number')) {
    return 'Set retryAfter to {"seconds": n}, {"seconds": n, "httpDate": true} or null.';
  }
  return undefined;
}

/**
 * The active fault rules. Dice come from a seeded generator so a failing test replays the same
 * faults; `count` makes a rule fully deterministic (it applies to exactly the next n requests).
 */
export class FaultInjector {
  #rules: { rule: FaultRule; remaining: number }[] = [];
  #rng: Rng;

  constructor(seed: number) {
    this.#rng = Rng.for(seed, 0xfa17, 0);
  }

  add(rule: FaultRule): void {
    this.#rules.push({ rule, remaining: rule.count ?? Infinity });
  }

  clear(): void {
    this.#rules = [];
  }

  list(): FaultRule[] {
    return this.#rules.map((r) => r.rule);
  }

  decide(path: string, isTokenEndpoint: boolean): FaultDecision | undefined {
    if (this.#rules.length === 0) return undefined;
    const d: FaultDecision = { latencyMs: 0, reset: false, truncate: false, malformedRate: 0 };
    let matched = false;
    for (const entry of this.#rules) {
      const { rule } = entry;
      if (isTokenEndpoint && !rule.includeToken) continue;
      if (rule.paths && !rule.paths.some((p) => path.startsWith(p))) continue;
      if (entry.remaining <= 0) continue;
      entry.remaining--;
      matched = true;
      d.latencyMs += rule.latencyMs ?? 0;
      if (!d.reset && this.#roll(rule.resetRate)) d.reset = true;
      if (d.status === undefined && this.#roll(rule.rate5xx)) d.status = rule.status5xx ?? 503;
      if (d.status === undefined && this.#roll(rule.rate429)) {
        d.status = 429;
        d.retryAfter = rule.retryAfter === undefined ? { seconds: 1 } : (rule.retryAfter ?? undefined);
      }
      if (this.#roll(rule.truncateRate)) d.truncate = true;
      d.malformedRate = Math.max(d.malformedRate, rule.malformedRate ?? 0);
    }
    this.#rules = this.#rules.filter((r) => r.remaining > 0);
    return matched ? d : undefined;
  }

  /** For per-record corruption of a page. */
  roll(rate: number): boolean {
    return this.#roll(rate);
  }

  pick(n: number): number {
    return this.#rng.int(n);
  }

  #roll(rate: number | undefined): boolean {
    // Rate 1 never consults the generator, so `count` rules stay deterministic.
    if (!rate) return false;
    if (rate >= 1) return true;
    return this.#rng.next() < rate;
  }
}
