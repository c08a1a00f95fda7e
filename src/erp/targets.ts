import type { Redis } from 'ioredis';
import { readSecret, type Config, type TenantConfig } from '../config/index.js';
import type { Gateway } from '../gateway/index.js';
import type { Clock } from '../shared/clock.js';
import { ConfigError } from '../shared/errors.js';
import type { EventBus } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import { Secret } from '../shared/secret.js';
import { createFileTarget } from './files.js';
import { createErpGateway } from './gateway.js';
import { loadMapping, type ErpMapping } from './mapping.js';
import type { ErpTargetName } from './model.js';
import { createNetSuiteTarget, netsuiteAuth, netsuiteBaseUrl } from './netsuite.js';
import type { ErpSettings } from './plan.js';
import { createSapTarget, sapAuth } from './sap.js';
import type { ErpTarget } from './target.js';

/** The tenant's erp section, or a clear error when it has none. */
export function settingsOf(tenant: TenantConfig): ErpSettings {
  if (!tenant.erp) throw new ConfigError(`tenants.${tenant.id}.erp: not configured; add an erp section with a target and a mappingFile to export this tenant.`);
  return tenant.erp;
}

/** The mapping for a target: its own mappingFile, else the tenant's erp.mappingFile, else the inline erp.mapping. */
export function mappingFor(tenant: TenantConfig, target: ErpTargetName, cwd: string): ErpMapping {
  const s = settingsOf(tenant);
  const file = s[target]?.mappingFile ?? s.mappingFile;
  return loadMapping({ ...(file ? { file } : {}), ...(s.mapping ? { inline: s.mapping } : {}), cwd });
}

export interface BuildTargetOptions {
  config: Config;
  tenant: TenantConfig;
  target: ErpTargetName;
  clock: Clock;
  logger: Logger;
  events?: EventBus;
  redis?: Redis;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Only render (dry run): no gateway, no secrets read. */
  preview?: boolean;
}

export interface BuiltTarget {
  target: ErpTarget;
  gateway?: Gateway;
  close(): Promise<void>;
}

/** Builds a target with its own gateway (limiter, breaker, retry, request log) and its credentials as Secrets. */
export function buildTarget(o: BuildTargetOptions): BuiltTarget {
  const s = settingsOf(o.tenant);
  const key = `tenants.${o.tenant.id}.erp`;
  const secret = (ref: Parameters<typeof readSecret>[0], name: string) => (o.preview ? new Secret('') : readSecret(ref, `${key}.${name}`, o.env, o.cwd));
  const common = { config: o.config, tenant: o.tenant, clock: o.clock, logger: o.logger, ...(o.events ? { events: o.events } : {}), ...(o.redis ? { redis: o.redis } : {}) };

  if (o.target === 'netsuite') {
    const n = s.netsuite;
    if (!n) throw new ConfigError(`${key}.netsuite: not configured; add accountId, consumerKey, consumerSecret, tokenId and tokenSecret.`);
    const baseUrl = n.baseUrl ?? netsuiteBaseUrl(n.accountId);
    const auth = netsuiteAuth(n.accountId, { consumerKey: n.consumerKey, consumerSecret: secret(n.consumerSecret, 'netsuite.consumerSecret'), tokenId: n.tokenId, tokenSecret: secret(n.tokenSecret, 'netsuite.tokenSecret') }, o.clock);
    const gateway = o.preview ? undefined : createErpGateway({ ...common, system: 'netsuite', baseUrl, settings: n.gateway, auth });
    const target = createNetSuiteTarget({ tenant: o.tenant.id, baseUrl, recordType: n.recordType, concurrency: n.concurrency, billDueDays: n.billDueDays, handler: gateway?.handler ?? unavailable });
    return { target, ...(gateway ? { gateway } : {}), close: async () => gateway?.close() };
  }
  if (o.target === 'sap') {
    const p = s.sap;
    if (!p) throw new ConfigError(`${key}.sap: not configured; add baseUrl, user and password of the communication user.`);
    const auth = sapAuth(p.user, secret(p.password, 'sap.password'));
    const gateway = o.preview ? undefined : createErpGateway({ ...common, system: 'sap', baseUrl: p.baseUrl, settings: p.gateway, auth });
    const target = createSapTarget({ tenant: o.tenant.id, baseUrl: p.baseUrl, user: p.user, logicalSystem: p.logicalSystem, concurrency: p.concurrency, handler: gateway?.handler ?? unavailable, clock: o.clock });
    return { target, ...(gateway ? { gateway } : {}), close: async () => gateway?.close() };
  }
  const c = s.csv;
  const stamp = new Date(o.clock.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const target = createFileTarget({ tenant: o.tenant.id, dir: c.dir.startsWith('/') ? c.dir : `${o.cwd}/${c.dir}`, layout: c.layout, format: c.format, runStamp: `${stamp}-${process.pid}` });
  return { target, close: async () => undefined };
}

const unavailable = async (): Promise<never> => {
  throw new Error('a dry run sends nothing');
};
