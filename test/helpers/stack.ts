import { authMiddleware, createTokenService, MemoryTokenStore, type TokenService, type TokenServiceOptions } from '../../src/auth/index.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { createNavanClient, type NavanClient } from '../../src/navan/index.js';
import type { Clock } from '../../src/shared/clock.js';
import { EventBus } from '../../src/shared/events.js';
import { silentLogger, type Logger } from '../../src/shared/logger.js';

/**
 * A config for one tenant `acme` pointing at a simulator. The gateway gets a unique Redis key
 * prefix and no data dir surprises; pass `gateway`, `sync` and `tenant` overrides as needed.
 */
export function simStackConfig(
  sim: { url: string; clientId: string; clientSecret: string },
  over: { tenant?: Record<string, unknown>; gateway?: Record<string, unknown>; sync?: Record<string, unknown>; storage?: Record<string, unknown> } = {},
): Config {
  return loadConfig({
    env: {},
    cwd: '/nonexistent',
    overrides: {
      tenants: [{ id: 'acme', baseUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret, ...over.tenant }],
      auth: { tokenStore: 'memory' },
      gateway: { redisKeyPrefix: `stack-test:${process.pid}:${Math.random().toString(36).slice(2)}`, ...over.gateway },
      ...(over.sync ? { sync: over.sync } : {}),
      ...(over.storage ? { storage: over.storage } : {}),
    },
  });
}

export interface NavanStack {
  config: Config;
  client: NavanClient;
  gateway: Gateway;
  tokens: TokenService;
  events: EventBus;
  close(): Promise<void>;
}

/**
 * The production wiring of layers 1–3 for one tenant, as src/runtime builds it: token service
 * (memory store) → authMiddleware → gateway (limiter, breaker, retry, request log) → typed client.
 * Tests use it instead of stand-in readers so they exercise the code users run.
 */
export function navanStack(
  config: Config,
  opts: { tenantId?: string; clock?: Clock; events?: EventBus; logger?: Logger; tokens?: Pick<TokenServiceOptions, 'retry'> } = {},
): NavanStack {
  const tenant = opts.tenantId ? config.tenants.find((t) => t.id === opts.tenantId)! : config.tenants[0]!;
  const events = opts.events ?? new EventBus();
  const logger = opts.logger ?? silentLogger;
  const clock = opts.clock ? { clock: opts.clock } : {};
  const tokens = createTokenService({ config, store: new MemoryTokenStore(opts.clock), events, logger, ...clock, ...opts.tokens });
  const gateway = createGateway({ config, tenant, auth: authMiddleware(tokens), events, logger, ...clock });
  const client = createNavanClient({ tenant, handler: gateway.handler, logger, reauthenticate: () => tokens.reauthenticate(tenant.id) });
  return {
    config, client, gateway, tokens, events,
    close: async () => {
      await gateway.close();
      await tokens.close();
    },
  };
}
