import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createRuntime, type Runtime } from '../../src/runtime/index.js';
import type { EventBus } from '../../src/shared/events.js';
import { silentLogger } from '../../src/shared/logger.js';
import { openWarehouse } from '../../src/warehouse/index.js';
import type { Simulator } from '../helpers/sim.js';
import { simClock } from '../sync/sim-support.js';

export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = 'redis://127.0.0.1:6379';
export const START_DATE = '2023-12-01';

/** A unique name for one test file's Redis keys, BullMQ queue and tenants. */
export function uniqueName(label: string): string {
  return `q${label}${randomBytes(3).toString('hex')}`;
}

/** A private, migrated PostgreSQL schema, and a database URL that selects it (for createRuntime). */
export async function pgSchema(name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `queue_${name}`;
  const wh = await openWarehouse({ databaseUrl: PG_URL, pgSchema: schema });
  await wh.migrate();
  await wh.close();
  return {
    url: `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists "${schema}" cascade`);
      await c.end();
    },
  };
}

export interface TenantSpec {
  id: string;
  sim: Pick<Simulator, 'url' | 'clientId' | 'clientSecret'>;
  clientId?: string;
  clientSecret?: string;
  startDate?: string;
}

export function queueConfig(opts: { name: string; databaseUrl: string; tenants: TenantSpec[]; sync?: Record<string, unknown>; gateway?: Record<string, unknown> }): Config {
  return loadConfig({
    env: {},
    cwd: '/nonexistent',
    overrides: {
      tenants: opts.tenants.map((t) => ({ id: t.id, baseUrl: t.sim.url, clientId: t.clientId ?? t.sim.clientId, clientSecret: t.clientSecret ?? t.sim.clientSecret, startDate: t.startDate ?? START_DATE })),
      storage: { databaseUrl: opts.databaseUrl, redisUrl: REDIS_URL, dataDir: mkdtempSync(join(tmpdir(), `${opts.name}-`)) },
      auth: { tokenStore: 'memory' },
      gateway: { redisKeyPrefix: `${opts.name}:gw`, ...opts.gateway },
      sync: opts.sync ?? {},
      logLevel: 'silent',
    },
  });
}

/** A runtime on the simulator's clock (it runs at wall speed from a fixed start). */
export async function queueRuntime(config: Config, sim: Simulator, events?: EventBus): Promise<Runtime> {
  return createRuntime(config, { logger: silentLogger, clock: simClock(sim), ...(events ? { events } : {}) });
}

/** Deletes every Redis key of a test file. */
export async function dropKeys(name: string): Promise<void> {
  const r = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${name}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await r.del(...keys);
  } while (cursor !== '0');
  r.disconnect();
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
