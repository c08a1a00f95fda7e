/**
 * Shared helpers for benchmarks: repeat a measurement, take medians, print a small table and
 * write bench/results/<name>.json. A benchmark always measures its own baseline in the same run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Runs `fn` `repetitions` times, one after another, and returns every result. */
export async function runs<T>(repetitions: number, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < repetitions; i++) out.push(await fn());
  return out;
}

/** Runs `fn` `repetitions` times and returns every figure's median across the repetitions. */
export async function repeat(repetitions: number, fn: () => Promise<Record<string, number>>): Promise<Record<string, number>> {
  const results = await runs(repetitions, fn);
  const out: Record<string, number> = {};
  for (const key of Object.keys(results[0] ?? {})) out[key] = median(results.map((r) => r[key]!));
  return out;
}

export interface BenchResult {
  name: string;
  figures: Record<string, number>;
  ratio?: number;
  target?: number;
  notes?: string;
}

export function report(result: BenchResult): void {
  const machine = `${availableParallelism()} cores`;
  const full = { ...result, machine };
  console.log(`\n${result.name}`);
  const rows = Object.entries(result.figures).map(([k, v]) => [k, Number.isInteger(v) ? String(v) : v.toFixed(3)]);
  if (result.ratio !== undefined) rows.push(['ratio', result.ratio.toFixed(3) + (result.target !== undefined ? ` (target ${result.target})` : '')]);
  const w = Math.max(...rows.map((r) => r[0]!.length));
  for (const [k, v] of rows) console.log(`  ${k!.padEnd(w)}  ${v}`);
  if (result.notes) console.log(`  ${result.notes}`);
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${result.name}.json`), JSON.stringify(full, null, 2) + '\n');
}
