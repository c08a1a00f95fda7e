import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, type Config, type LoadOptions } from '../config/index.js';
import { createKeyStore } from '../server/index.js';
import { silentLogger } from '../shared/logger.js';
import { startSimulator, type Simulator } from '../sim/index.js';
import { STREAMS, type StreamName, type SyncEngine, type SyncProgress, type SyncRunSummary } from '../sync/index.js';
import type { Warehouse } from '../warehouse/index.js';

export const DEMO_TENANT = 'demo';

/**
 * The demo's size: large enough that the dashboard's charts look like a real company's year
 * (thousands of bookings over two years, transactions every day), small enough that the first
 * full sync takes a few seconds on two cores (measured: about 5 s).
 */
export const DEMO_DATA = { bookings: 3000, transactions: 8000, users: 300, seed: 7 } as const;

/**
 * The simulator answers 429 above this rate, like Navan; the gateway starts from the same
 * estimate, so the health page shows a realistic budget instead of an unlimited one.
 */
const DEMO_RATE_LIMIT_RPS = 50;

export interface Demo {
  sim: Simulator;
  /** The configuration with the demo tenant pointed at the simulator. */
  config: Config;
  /** The demo's own SQLite file, so a real warehouse is never mixed with generated data. */
  databaseFile: string;
  close(): Promise<void>;
}

/** True when `start` has no Navan tenant to serve and falls back to the demo. */
export function isDemo(config: Config): boolean {
  return config.tenants.length === 0;
}

/**
 * Starts the built-in simulator with generated data and returns a configuration whose only
 * tenant is `demo`, pointed at it: SQLite under the data directory, tokens in memory (the
 * simulator's tokens die with it), logs at warn unless LOG_LEVEL says otherwise.
 */
export async function startDemo(base: Config, load: LoadOptions = {}): Promise<Demo> {
  const env = load.env ?? process.env;
  const dataDir = resolve(load.cwd ?? process.cwd(), base.storage.dataDir);
  const databaseFile = join(dataDir, 'demo.db');
  const sim = await startSimulator({ ...DEMO_DATA, rateLimitRps: DEMO_RATE_LIMIT_RPS, logger: silentLogger });
  try {
    const config = loadConfig({
      ...load,
      overrides: {
        ...load.overrides,
        logLevel: env.LOG_LEVEL ?? 'warn',
        storage: { databaseUrl: `sqlite:${databaseFile}`, redisUrl: undefined, dataDir },
        auth: { tokenStore: 'memory' },
        gateway: { observedLimitRps: DEMO_RATE_LIMIT_RPS },
        tenants: [{ id: DEMO_TENANT, baseUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret }],
      },
    });
    return { sim, config, databaseFile, close: () => sim.close() };
  } catch (err) {
    await sim.close();
    throw err;
  }
}

/**
 * The demo's API key, the same on every start so a bookmarked dashboard URL keeps working. The
 * key store keeps only hashes, so the key itself is kept next to the demo warehouse (mode 0600);
 * when that file is gone or its key was revoked, a new key is made.
 */
export async function demoApiKey(warehouse: Warehouse, dataDir: string): Promise<{ key: string; reused: boolean; file: string }> {
  const keys = await createKeyStore(warehouse);
  const file = join(dataDir, 'demo.key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    const info = key ? await keys.verify(key) : undefined;
    if (info?.tenant === DEMO_TENANT) return { key, reused: true, file };
  }
  const created = await keys.create(DEMO_TENANT);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${created.key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { key: created.key, reused: false, file };
}

export interface FirstSyncOptions {
  signal?: AbortSignal;
  /** Called before each stream: returns the progress callback for it and how to end it. */
  progress?: (stream: StreamName) => { update: (p: SyncProgress) => void; stop: () => void };
  /** Called after each stream with its summary. */
  done?: (summary: SyncRunSummary) => void;
}

/**
 * A full refresh of every stream, one after the other. Always full, also on a later start: the
 * simulator generates its data relative to today, so only a full refresh keeps the demo
 * warehouse equal to it (and it takes seconds). An interrupted one resumes from its checkpoint.
 */
export async function firstSync(engine: SyncEngine, options: FirstSyncOptions = {}): Promise<SyncRunSummary[]> {
  const summaries: SyncRunSummary[] = [];
  for (const stream of STREAMS) {
    if (options.signal?.aborted) break;
    const progress = options.progress?.(stream);
    let summary: SyncRunSummary;
    try {
      summary = await engine.run({ tenant: DEMO_TENANT, stream, mode: 'full', ...(options.signal ? { signal: options.signal } : {}), ...(progress ? { onProgress: progress.update } : {}) });
    } finally {
      // The bar goes before the stream's summary line is printed, so the two never share a line.
      progress?.stop();
    }
    summaries.push(summary);
    options.done?.(summary);
  }
  return summaries;
}
