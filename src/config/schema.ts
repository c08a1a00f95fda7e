import { z } from 'zod';
import { authSection } from './sections/auth.js';
import { gatewaySection } from './sections/gateway.js';
import { syncSection } from './sections/sync.js';
import { monitorSection } from './sections/monitor.js';
import { serverSection } from './sections/server.js';
import { erpSection } from './sections/erp.js';

/** A secret is given inline, as `{env: NAME}`, or as `{file: path}` (also "env:NAME" / "file:path"). */
export const secretSource = z.union([
  z.string().min(1),
  z.object({ env: z.string().min(1) }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);

export const tenantSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a lower-case id of letters, digits, - or _ (for example "acme")'),
    baseUrl: z.string().url(),
    /** Defaults from the region: US → the base URL, EU → https://app-fra.navan.com */
    tokenUrl: z.string().url().optional(),
    region: z.enum(['US', 'EU']).default('US'),
    clientId: z.string().min(1),
    clientSecret: secretSource,
    /** The next secret during a rotation with overlap; tried when the current one gets 401. */
    nextClientSecret: secretSource.optional(),
    /** Where a full refresh of bookings starts (YYYY-MM-DD); default two years back. */
    startDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2024-01-31').optional(),
    /** How /v1/users pages: like bookings (page/size) or SCIM (startIndex/count). */
    usersPaging: z.enum(['bookings', 'scim']).default('bookings'),
    /** Whether the simulator/Navan exposes updatedFrom/updatedTo on bookings. */
    bookingsUpdatedFilters: z.boolean().default(false),
    erp: erpSection,
  })
  .strict();

export const configSchema = z
  .object({
    tenants: z.array(tenantSchema).default([]),
    storage: z
      .object({
        /** sqlite:<path> or postgres://… */
        databaseUrl: z.string().regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'sqlite:<path> or postgres://…').default('sqlite:./data/navan-bridge.db'),
        redisUrl: z.string().regex(/^rediss?:\/\//, 'redis://host:port').optional(),
        dataDir: z.string().default('./data'),
      })
      .prefault({}),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    auth: authSection,
    gateway: gatewaySection,
    sync: syncSection,
    monitor: monitorSection,
    server: serverSection,
  })
  .strict();

export type RawConfig = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type ParsedTenant = z.output<typeof tenantSchema>;
