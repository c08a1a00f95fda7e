/**
 * The chaos timeline: steps at fixed offsets from the start of the sync, run one after the other
 * (a step that takes longer pushes the next one back, never overlaps it). Each step is recorded
 * with when it ran and what it did, for the summary.
 */
export interface Step {
  atMs: number;
  name: string;
  run(): Promise<string | void>;
}

export interface StepRecord {
  name: string;
  atMs: number;
  tookMs: number;
  outcome: string;
}

export async function runTimeline(t0: number, steps: Step[], shouldStop: () => boolean): Promise<StepRecord[]> {
  const records: StepRecord[] = [];
  for (const step of [...steps].sort((a, b) => a.atMs - b.atMs)) {
    if (shouldStop()) break;
    const wait = t0 + step.atMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const started = Date.now();
    let outcome: string;
    try {
      outcome = (await step.run()) ?? 'ok';
    } catch (err) {
      outcome = `FAILED: ${(err as Error).message}`;
    }
    records.push({ name: step.name, atMs: started - t0, tookMs: Date.now() - started, outcome });
  }
  return records;
}

/** Runs `tick` every `everyMs` until stopped; errors are counted, never thrown. */
export function every(everyMs: number, tick: () => Promise<void>): { stop(): Promise<void>; errors: () => number } {
  let stopped = false;
  let errors = 0;
  const loop = (async () => {
    while (!stopped) {
      try {
        await tick();
      } catch {
        errors++;
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
    errors: () => errors,
  };
}
