import type { Config } from '../config/index.js';
import { ConfigError } from '../shared/errors.js';

/**
 * What one `navan-bridge start` process does. `all` is the embedded default (everything in one
 * process); the others split the platform so each part can run as many copies as wanted on
 * Redis and PostgreSQL.
 */
export const ROLES = ['all', 'server', 'worker', 'scheduler'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What each role runs; one table so the start-up code and the README agree. `api` is the
 * consumer API, proxy and dashboard (other roles serve only /healthz, /readyz and /metrics);
 * `schedule` the in-process croner scheduler; `queue` the BullMQ part; `alerts` the built-in
 * alert evaluator (scaled-out deployments alert from Prometheus with deploy/prometheus rules,
 * because one process there sees only its own share of the metrics).
 */
export const ROLE_PARTS: Record<Role, { api: boolean; schedule: boolean; queue?: 'worker' | 'scheduler'; alerts: boolean }> = {
  all: { api: true, schedule: true, alerts: true },
  server: { api: true, schedule: false, alerts: false },
  worker: { api: false, schedule: false, queue: 'worker', alerts: false },
  scheduler: { api: false, schedule: false, queue: 'scheduler', alerts: false },
};

export function parseRole(text: string): Role {
  const role = text.trim().toLowerCase();
  if ((ROLES as readonly string[]).includes(role)) return role as Role;
  throw new ConfigError(`--role: "${text}" is not a role; use all, server, worker or scheduler.`);
}

/**
 * Fails with one sentence when the configuration cannot serve the role: the queue roles need
 * Redis and PostgreSQL (a SQLite file cannot be shared between machines), and every role but
 * `all` needs configured tenants (only `all` can fall back to the demo).
 */
export function checkRole(role: Role, config: Config): void {
  if (role === 'worker' || role === 'scheduler') {
    if (!config.storage.redisUrl) {
      throw new ConfigError(`--role ${role}: needs Redis for the job queue; set REDIS_URL (for example redis://127.0.0.1:6379) or run --role all.`);
    }
    if (!/^postgres(ql)?:\/\//.test(config.storage.databaseUrl)) {
      throw new ConfigError(`--role ${role}: needs a PostgreSQL warehouse that every process shares; set DATABASE_URL to a postgres:// URL or run --role all.`);
    }
  }
  if (role !== 'all' && config.tenants.length === 0) {
    throw new ConfigError(`--role ${role}: no Navan tenants are configured; set NAVAN_BASE_URL, NAVAN_CLIENT_ID and NAVAN_CLIENT_SECRET (or tenants in navan-bridge.config.yaml), or run --role all for the demo.`);
  }
}
