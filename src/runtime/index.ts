import { Redis } from 'ioredis';
import { createTokenService, authMiddleware, type TokenService } from '../auth/index.js';
import type { Config, TenantConfig } from '../config/index.js';
import { createGateway, type Gateway } from '../gateway/index.js';
import { createNavanClient, type NavanClient } from '../navan/index.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { ConfigError } from '../shared/errors.js';
import { events as processEvents, type EventBus } from '../shared/events.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { openWarehouse, type Warehouse } from '../warehouse/index.js';

export interface RuntimeOptions {
  logger?: Logger;
  events?: EventBus;
  clock?: Clock;
  /** A shared Redis connection; by default one is opened when storage.redisUrl is set. */
  redis?: Redis;
  /** Skip migrations (read-only callers that know the warehouse is current). Default false. */
  skipMigrations?: boolean;
}

/**
 * The layers wired together once, for every command that talks to Navan or the warehouse:
 * token service (layer 2) → gateway per tenant (layer 1) → typed client per tenant (layer 3),
 * plus the migrated warehouse (layer 4). Gateways and clients are built on first use and kept,
 * so a tenant's rate budget and breaker are shared by everything in the process.
 */
export interface Runtime {
  config: Config;
  logger: Logger;
  events: EventBus;
  clock: Clock;
  warehouse: Warehouse;
  tokens: TokenService;
  redis?: Redis;
  /** The tenant with this id, or the only/first tenant when id is omitted. */
  tenant(id?: string): TenantConfig;
  gatewayFor(tenantId: string): Gateway;
  clientFor(tenantId: string): NavanClient;
  close(): Promise<void>;
}

export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const events = options.events ?? processEvents;
  const clock = options.clock ?? systemClock;
  let ownRedis: Redis | undefined;
  let redis = options.redis;
  if (!redis && config.storage.redisUrl) {
    // Commands fail fast rather than queue forever when Redis is down; each layer has its own fallback.
    ownRedis = redis = new Redis(config.storage.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    ownRedis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
    // Without the offline queue, a command sent before the connection is up fails at once; wait
    // for it briefly so the first calls succeed, and carry on (each layer falls back) if Redis is down.
    const ready = await waitForReady(ownRedis, 3000);
    if (!ready) logger.warn({ redis: 'unreachable' }, 'Redis did not answer within 3 s; the limiter runs on its per-process share until it does');
  }
  const warehouse = await openWarehouse({ databaseUrl: config.storage.databaseUrl, logger });
  try {
    if (!options.skipMigrations) await warehouse.migrate();
  } catch (err) {
    await warehouse.close();
    throw err;
  }
  const tokens = createTokenService({ config, logger, events, clock, ...(redis ? { redis } : {}) });
  const gateways = new Map<string, Gateway>();
  const clients = new Map<string, NavanClient>();

  const tenant = (id?: string): TenantConfig => {
    if (config.tenants.length === 0) {
      throw new ConfigError('tenants: none configured; set NAVAN_BASE_URL, NAVAN_CLIENT_ID and NAVAN_CLIENT_SECRET, or add tenants to navan-bridge.config.yaml.');
    }
    if (id === undefined) return config.tenants[0]!;
    const found = config.tenants.find((t) => t.id === id);
    if (!found) throw new ConfigError(`--tenant: "${id}" is not configured; known tenants are ${config.tenants.map((t) => t.id).join(', ')}.`);
    return found;
  };
  const gatewayFor = (tenantId: string): Gateway => {
    let g = gateways.get(tenantId);
    if (!g) {
      g = createGateway({ config, tenant: tenant(tenantId), auth: authMiddleware(tokens), clock, logger, events, ...(redis ? { redis } : {}) });
      gateways.set(tenantId, g);
    }
    return g;
  };
  const clientFor = (tenantId: string): NavanClient => {
    let c = clients.get(tenantId);
    if (!c) {
      c = createNavanClient({ tenant: tenant(tenantId), handler: gatewayFor(tenantId).handler, logger, reauthenticate: () => tokens.reauthenticate(tenantId) });
      clients.set(tenantId, c);
    }
    return c;
  };
  return {
    config, logger, events, clock, warehouse, tokens, ...(redis ? { redis } : {}),
    tenant, gatewayFor, clientFor,
    close: async () => {
      await Promise.allSettled([...gateways.values()].map((g) => g.close()));
      await tokens.close();
      await warehouse.close();
      ownRedis?.disconnect();
    },
  };
}

function waitForReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    redis.once('ready', onReady);
  });
}
