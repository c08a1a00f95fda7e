import type { Config } from '../config/index.js';
import type { Gateway } from '../gateway/index.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { StreamStatus } from '../sync/index.js';
import type { Warehouse } from '../warehouse/index.js';
import type { IntegrationHealth } from './integration-health.js';
import type { KeyStore } from './keys.js';

export interface BuildServerOptions {
  config: Config;
  warehouse: Warehouse;
  logger?: Logger;
  /** The sync engine's status (createSyncEngine(...).status); without it /sync/status answers 503. */
  syncStatus?: (tenant: string) => Promise<StreamStatus[]>;
  /** The tenant's gateway (runtime.gatewayFor); without it the Navan proxy answers 503. */
  gatewayFor?: (tenantId: string) => Gateway;
  /** Each layer's state for /api/v1/health; build it with collectIntegrationHealth(deps). */
  integrationHealth?: (tenant: string) => Promise<IntegrationHealth>;
  metrics?: { contentType: string; text(): Promise<string> };
  /** Extra details for /healthz. */
  health?: () => Promise<unknown>;
  clock?: Clock;
}

/** What every route plugin gets: the options plus the pieces built once by buildServer. */
export interface ServerContext {
  options: BuildServerOptions;
  config: Config;
  warehouse: Warehouse;
  keys: KeyStore;
  maxPageSize: number;
  clock: Clock;
}

declare module 'fastify' {
  /** Documentation keys read by the OpenAPI builder (lib/openapi.ts); Fastify ignores them. */
  interface FastifySchema {
    summary?: string;
    tags?: string[];
  }
}
