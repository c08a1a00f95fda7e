import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.js';
import type { Clock } from '../../src/shared/clock.js';

/** A config with no tenants and these monitor settings over the reference defaults. */
export function monitorConfig(monitor: Record<string, unknown> = {}): Config {
  return loadConfig({ env: {}, cwd: mkdtempSync(join(tmpdir(), 'nb-monitor-')), overrides: { monitor } });
}

/** A clock whose sleeps return at once but are recorded, to assert backoff and Retry-After. */
export function recordingClock(start = Date.UTC(2026, 0, 15, 12)): Clock & { slept: number[] } {
  const slept: number[] = [];
  let now = start;
  return {
    slept,
    now: () => now,
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
  };
}

export const ROUTING_KEY = 'R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY01';
