import type { Registry } from 'prom-client';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Snapshot {
  at: number;
  samples: Map<string, Sample>;
}

const seriesKey = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',')}}`;

/** Reads the current value of every series of the named metrics, with label values as strings. */
export async function readSamples(registry: Registry, names: string[]): Promise<Sample[]> {
  const out: Sample[] = [];
  for (const name of names) {
    const metric = registry.getSingleMetric(name);
    if (!metric) continue;
    const data = await metric.get();
    for (const v of data.values) {
      const labels: Record<string, string> = {};
      for (const [k, lv] of Object.entries(v.labels)) if (lv !== undefined) labels[k] = String(lv);
      out.push({ name: (v as { metricName?: string }).metricName ?? name, labels, value: v.value });
    }
  }
  return out;
}

/**
 * Timestamped snapshots of counters, so the evaluator can compute PromQL's `increase(x[w] offset o)`
 * the way Prometheus does from its scrapes: the value at a time is the latest snapshot at or
 * before it. Before the first snapshot a counter is taken as 0, since every counter starts at 0.
 */
export class CounterHistory {
  #snaps: Snapshot[] = [];

  add(at: number, samples: Sample[]): void {
    this.#snaps.push({ at, samples: new Map(samples.map((s) => [seriesKey(s.name, s.labels), s])) });
  }

  /** Drops snapshots no window needs any more, keeping the last one before the cut-off as a window start. */
  prune(before: number): void {
    let i = 0;
    while (i + 1 < this.#snaps.length && this.#snaps[i + 1]!.at <= before) i++;
    if (i > 0) this.#snaps.splice(0, i);
  }

  #at(t: number): Snapshot | undefined {
    let found: Snapshot | undefined;
    for (const s of this.#snaps) {
      if (s.at <= t) found = s;
      else break;
    }
    return found;
  }

  /** Per-series increase over (end - windowMs, end], for the series present at `end`. */
  increase(name: string, end: number, windowMs: number, filter: (labels: Record<string, string>) => boolean = () => true): Sample[] {
    const last = this.#at(end);
    if (!last) return [];
    const first = this.#at(end - windowMs);
    const out: Sample[] = [];
    for (const [key, s] of last.samples) {
      if (s.name !== name || !filter(s.labels)) continue;
      out.push({ ...s, value: s.value - (first?.samples.get(key)?.value ?? 0) });
    }
    return out;
  }
}

/** `sum by (label) (...)` */
export function sumBy(samples: Sample[], label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    const k = s.labels[label] ?? '';
    out.set(k, (out.get(k) ?? 0) + s.value);
  }
  return out;
}

/** Prometheus' histogram_quantile over cumulative buckets: linear interpolation inside the bucket. */
export function histogramQuantile(q: number, buckets: { le: number; count: number }[]): number {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted[sorted.length - 1]?.count ?? 0;
  if (sorted.length < 2 || total === 0) return NaN;
  const rank = q * total;
  let i = sorted.findIndex((b) => b.count >= rank);
  if (i < 0) i = sorted.length - 1;
  // In the +Inf bucket Prometheus answers the highest finite bound.
  if (!Number.isFinite(sorted[i]!.le)) return sorted[sorted.length - 2]!.le;
  const start = i === 0 ? 0 : sorted[i - 1]!.le;
  const below = i === 0 ? 0 : sorted[i - 1]!.count;
  const inBucket = sorted[i]!.count - below;
  if (inBucket === 0) return sorted[i]!.le;
  return start + (sorted[i]!.le - start) * ((rank - below) / inBucket);
}
