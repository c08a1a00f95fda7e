import { z } from 'zod';

/** ERP export settings per tenant. Owned by src/erp; the mapping file is validated there. */
export const erpSection = z
  .object({
    target: z.enum(['netsuite', 'sap', 'csv']).optional(),
    mappingFile: z.string().optional(),
    grouping: z.enum(['transaction', 'day', 'statement']).default('transaction'),
    netsuite: z.record(z.string(), z.unknown()).optional(),
    sap: z.record(z.string(), z.unknown()).optional(),
    csv: z.record(z.string(), z.unknown()).optional(),
  })
  .optional();
export type ErpSection = z.infer<typeof erpSection>;
