export { loadConfig, printableConfig, readSecret, EU_TOKEN_URL, CONFIG_ENV_VARS } from './load.js';
export type { Config, TenantConfig, LoadOptions } from './load.js';
export { configSchema, tenantSchema } from './schema.js';
export type { AuthSection } from './sections/auth.js';
export type { GatewaySection } from './sections/gateway.js';
export type { SyncSection } from './sections/sync.js';
export type { MonitorSection } from './sections/monitor.js';
export type { ServerSection } from './sections/server.js';
export type { ErpSection } from './sections/erp.js';
