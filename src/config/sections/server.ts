import { z } from 'zod';

/** Server settings (consumer API, proxy, dashboard). Owned by src/server. */
export const serverSection = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(3000),
    bodyLimitBytes: z.number().int().positive().default(1_048_576),
    maxPageSize: z.number().int().positive().default(500),
  })
  .prefault({});
export type ServerSection = z.infer<typeof serverSection>;
