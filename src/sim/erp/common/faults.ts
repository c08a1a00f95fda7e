import type { ErpFault, ErpFaultControl, ErpFaultKind } from '../index.js';

const KINDS: ErpFaultKind[] = ['429', '500', '502', '503', 'timeout', 'reset'];

/** Checks a rule from the control plane; returns a sentence saying what is wrong, or undefined. */
export function validateErpFault(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'Send a JSON object such as {"kind":"429","count":2}.';
  const f = raw as Record<string, unknown>;
  if (!KINDS.includes(f.kind as ErpFaultKind)) return `Set kind to one of ${KINDS.join(', ')}.`;
  for (const key of ['count', 'everyNth'] as const) {
    const v = f[key];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1)) return `Set ${key} to a whole number, 1 or more.`;
  }
  if (f.phase !== undefined && f.phase !== 'before' && f.phase !== 'after') return 'Set phase to "before" or "after".';
  if (f.holdMs !== undefined && (typeof f.holdMs !== 'number' || f.holdMs < 0)) return 'Set holdMs to a number of milliseconds, 0 or more.';
  if (f.paths !== undefined && (!Array.isArray(f.paths) || f.paths.some((p) => typeof p !== 'string'))) return 'Set paths to a list of path prefixes.';
  return undefined;
}

interface ActiveRule {
  fault: ErpFault;
  remaining: number;
  seen: number;
}

/**
 * Deterministic fault rules: a rule breaks the next `count` matching requests, or every n-th one.
 * No dice, so a failing test replays exactly.
 */
export class ErpFaultInjector implements ErpFaultControl {
  #rules: ActiveRule[] = [];

  inject(fault: ErpFault): void {
    const problem = validateErpFault(fault);
    if (problem) throw new TypeError(problem);
    const remaining = fault.count ?? (fault.everyNth ? Infinity : 1);
    this.#rules.push({ fault: { ...fault }, remaining, seen: 0 });
  }

  clear(): void {
    this.#rules = [];
  }

  list(): (ErpFault & { remaining: number; seen: number })[] {
    return this.#rules.map((r) => ({ ...r.fault, remaining: r.remaining, seen: r.seen }));
  }

  /** The fault for this request, if any; the first matching rule that fires wins. */
  decide(path: string): ErpFault | undefined {
    let chosen: ErpFault | undefined;
    for (const rule of this.#rules) {
      if (rule.fault.paths && !rule.fault.paths.some((p) => path.startsWith(p))) continue;
      rule.seen++;
      if (chosen) continue;
      const nth = rule.fault.everyNth;
      if (nth && rule.seen % nth !== 0) continue;
      rule.remaining--;
      chosen = rule.fault;
    }
    this.#rules = this.#rules.filter((r) => r.remaining > 0);
    return chosen;
  }
}
