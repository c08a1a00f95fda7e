import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { configSchema, type Config, type TenantConfig } from '../../src/config/index.js';
import type { GatewaySection } from '../../src/config/index.js';
import { Secret } from '../../src/shared/secret.js';
import type { NavanRequest } from '../../src/shared/http.js';
import { REDACT_PATHS, type Logger } from '../../src/shared/logger.js';

export function gatewayConfig(gateway: Partial<GatewaySection> = {}, storage: { redisUrl?: string; dataDir?: string } = {}): Config {
  const parsed = configSchema.parse({ tenants: [], storage: { dataDir: join(tmpdir(), `gwtest-${randomUUID()}`), ...storage }, gateway: { redisKeyPrefix: `gwtest:${randomUUID()}`, ...gateway } });
  return { ...(parsed as unknown as Config), tenants: [], source: 'test' };
}

export function simTenant(sim: { url: string; clientId: string; clientSecret: string }, id = 'acme'): TenantConfig {
  return { id, baseUrl: sim.url, tokenUrl: sim.url, region: 'US', clientId: sim.clientId, clientSecret: new Secret(sim.clientSecret), usersPaging: 'bookings' } as unknown as TenantConfig;
}

export function usersRequest(baseUrl: string, extra: Partial<NavanRequest> = {}): NavanRequest {
  return {
    tenant: 'acme', method: 'GET', baseUrl, path: '/v1/users', endpoint: '/v1/users',
    query: { page: 0, size: 1 }, headers: {}, correlationId: '', idempotent: true, ...extra,
  };
}

/** A logger configured like the real one, writing into a string so tests can read every line. */
export function captureLogger(): { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  let out = '';
  const stream = new Writable({ write(chunk, _enc, cb) { out += chunk.toString(); cb(); } });
  const logger = pino({ level: 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: undefined }, stream);
  return { logger, text: () => out, lines: () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

export function countOf(stats: any, key: string, status: string): number {
  return stats?.requests?.[key]?.[status] ?? 0;
}
