import type { Redis } from 'ioredis';
import type { Config, TenantConfig } from '../config/index.js';
import { createGateway, CircuitOpenError, RateLimitedError, type Gateway } from '../gateway/index.js';
import type { Clock } from '../shared/clock.js';
import { NavanNetworkError } from '../shared/errors.js';
import type { EventBus } from '../shared/events.js';
import type { Handler, Middleware, NavanRequest, NavanResponse } from '../shared/http.js';
import type { Logger } from '../shared/logger.js';
import { ErpUnavailableError } from './errors.js';

export interface ErpGatewaySettings {
  observedLimitRps: number;
  breakerThreshold?: number;
  breakerHalfOpenAfterMs?: number;
  retryMaxAttempts?: number;
  retryMaxTotalMs?: number;
  requestTimeoutMs?: number;
}

export interface ErpGatewayOptions {
  config: Config;
  tenant: TenantConfig;
  /** "netsuite" or "sap": the gateway's own name, so its limiter, breaker and log lines are apart from Navan's. */
  system: string;
  baseUrl: string;
  settings: ErpGatewaySettings;
  auth: Middleware;
  clock?: Clock;
  logger?: Logger;
  events?: EventBus;
  redis?: Redis;
  transport?: Handler;
}

/**
 * The same gateway pipeline as Navan's (limiter, 429 queue, breaker, retry on 5xx, request log),
 * in its own instance for one ERP of one tenant: it is built for an ERP-shaped tenant whose id is
 * "<tenant>-<system>" and whose base URL is the ERP's, so the limiter budget, the Redis keys and
 * the breaker are the ERP's alone, and a NetSuite or SAP outage opens only this breaker.
 */
export function createErpGateway(o: ErpGatewayOptions): Gateway & { system: string } {
  const s = o.settings;
  const gateway = {
    ...o.config.gateway,
    observedLimitRps: s.observedLimitRps,
    // ERPs send no rate headers; the estimate must not persist over Navan's, so it gets its own key prefix.
    redisKeyPrefix: `${o.config.gateway.redisKeyPrefix}:erp`,
    ...(s.breakerThreshold !== undefined ? { breakerThreshold: s.breakerThreshold } : {}),
    ...(s.breakerHalfOpenAfterMs !== undefined ? { breakerHalfOpenAfterMs: s.breakerHalfOpenAfterMs } : {}),
    ...(s.retryMaxAttempts !== undefined ? { retryMaxAttempts: s.retryMaxAttempts } : {}),
    ...(s.retryMaxTotalMs !== undefined ? { retryMaxTotalMs: s.retryMaxTotalMs } : {}),
    ...(s.requestTimeoutMs !== undefined ? { requestTimeoutMs: s.requestTimeoutMs } : {}),
  };
  const tenant: TenantConfig = { ...o.tenant, id: `${o.tenant.id}-${o.system}`, baseUrl: o.baseUrl };
  const g = createGateway({
    config: { ...o.config, gateway },
    tenant,
    auth: o.auth,
    ...(o.transport ? { transport: o.transport } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.events ? { events: o.events } : {}),
    ...(o.redis ? { redis: o.redis } : {}),
  });
  return { ...g, system: o.system };
}

/** Sends through the gateway and turns its Navan-worded failures into ERP-worded ones. */
export async function sendToErp(handler: Handler, label: string, req: NavanRequest): Promise<NavanResponse> {
  try {
    return await handler(req);
  } catch (err) {
    if (err instanceof CircuitOpenError) {
      throw new ErpUnavailableError(`${label} is failing, so the export is paused for ${Math.ceil(err.retryInMs / 1000)} s; run it again after that and it resumes where it stopped.`, { cause: err, correlationId: req.correlationId });
    }
    if (err instanceof NavanNetworkError) {
      throw new ErpUnavailableError(`Could not reach ${label} at ${req.baseUrl} (${(err.cause as Error | undefined)?.message ?? err.message}); check the network and the ERP base URL, then run the export again.`, { cause: err, correlationId: req.correlationId });
    }
    if (err instanceof RateLimitedError) {
      throw new ErpUnavailableError(`${label} kept throttling the export; run it again later and it resumes where it stopped.`, { cause: err, correlationId: req.correlationId });
    }
    throw err;
  }
}
