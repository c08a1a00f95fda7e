/**
 * The platform composition behind `navan-bridge start`: which layers a role runs
 * (platform.ts), the demo on the built-in simulator (demo.ts), and graceful shutdown
 * (shutdown.ts). The CLI command only parses options and prints.
 */
export { createPlatform } from './platform.js';
export type { Platform, PlatformOptions, StartOptions } from './platform.js';
export { ROLES, ROLE_PARTS, parseRole, checkRole } from './roles.js';
export type { Role } from './roles.js';
export { DEMO_DATA, DEMO_TENANT, demoApiKey, firstSync, isDemo, startDemo } from './demo.js';
export type { Demo, FirstSyncOptions } from './demo.js';
export { createShutdown, flushLogger } from './shutdown.js';
export type { Shutdown, ShutdownOptions } from './shutdown.js';
export { assertPortFree, listenOn } from './listen.js';
export { buildOpsServer } from './ops-server.js';
export type { OpsServerOptions } from './ops-server.js';
export { bullmqRoles } from './queue.js';
export type { QueueContext, QueuePart, QueueRoleOptions, QueueRoles } from './queue.js';
