import { z } from 'zod';

/** A secret given inline, as `{env: NAME}`, `{file: path}`, or "env:NAME" / "file:path" (same forms as a tenant's clientSecret). */
const secretRef = z.union([
  z.string().min(1),
  z.object({ env: z.string().min(1) }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);

/** Gateway settings for the ERP's own pipeline (its own limiter and breaker); unset keys take the tenant's gateway defaults. */
const erpGateway = z
  .object({
    observedLimitRps: z.number().positive().default(50),
    breakerThreshold: z.number().int().positive().optional(),
    breakerHalfOpenAfterMs: z.number().int().positive().optional(),
    retryMaxAttempts: z.number().int().min(1).optional(),
    retryMaxTotalMs: z.number().int().positive().optional(),
    requestTimeoutMs: z.number().int().positive().optional(),
  })
  .strict()
  .prefault({});

const netsuite = z
  .object({
    /** The NetSuite account id, e.g. 1234567 or 1234567_SB1 (the OAuth realm). */
    accountId: z.string().regex(/^[A-Za-z0-9_-]+$/, 'a NetSuite account id like 1234567 or 1234567_SB1'),
    /** Default https://<account>.suitetalk.api.netsuite.com; set it for a simulator or a proxy. */
    baseUrl: z.string().url().optional(),
    consumerKey: z.string().min(1),
    consumerSecret: secretRef,
    tokenId: z.string().min(1),
    tokenSecret: secretRef,
    recordType: z.enum(['journalentry', 'vendorbill']).default('journalentry'),
    /** Requests in flight at once; keep it under the account's concurrency limit (5 on developer accounts). */
    concurrency: z.number().int().min(1).max(50).default(4),
    /** Days from the transaction date to a vendor bill's due date. */
    billDueDays: z.number().int().min(0).default(30),
    mappingFile: z.string().optional(),
    gateway: erpGateway,
  })
  .strict();

const sap = z
  .object({
    /** The -api host, e.g. https://my123456-api.s4hana.cloud.sap */
    baseUrl: z.string().url(),
    user: z.string().min(1),
    password: secretRef,
    /** OriginalReferenceDocumentLogicalSystem. */
    logicalSystem: z.string().min(1).max(10).default('NAVANBRDG'),
    concurrency: z.number().int().min(1).max(20).default(2),
    mappingFile: z.string().optional(),
    gateway: erpGateway,
  })
  .strict();

const csv = z
  .object({
    /** Folder the files are written to. */
    dir: z.string().default('./data/erp-export'),
    /** generic: one row per journal line; netsuite: NetSuite's journal entry CSV import layout. */
    layout: z.enum(['generic', 'netsuite']).default('generic'),
    format: z.enum(['csv', 'json']).default('csv'),
    mappingFile: z.string().optional(),
  })
  .strict();

/** ERP export settings per tenant. Owned by src/erp; the mapping (file or inline) is validated there. */
export const erpSection = z
  .object({
    /** The default target of `erp export` and of the export after each sync. */
    target: z.enum(['netsuite', 'sap', 'csv']).optional(),
    /** YAML or JSON mapping file (accounts, dimensions, credit side), relative to the working directory. */
    mappingFile: z.string().optional(),
    /** The mapping inline instead of a file. */
    mapping: z.record(z.string(), z.unknown()).optional(),
    grouping: z.enum(['transaction', 'day', 'statement']).default('transaction'),
    /** Which amount is booked: the transaction currency (original_*) or the card's settlement currency (posted_*). */
    amountBasis: z.enum(['original', 'posted']).default('original'),
    /** Only transactions in these approval states are exported. */
    approvalStatuses: z.array(z.string()).default(['APPROVED', 'AUTO_APPROVED']),
    /** Transaction types that are never exported (cash movements between the company and the card issuer). */
    excludeTransactionTypes: z.array(z.string()).default(['REPAYMENT', 'STATEMENT_PAYMENT']),
    /** Export to the default target after each successful transaction sync. */
    exportAfterSync: z.boolean().default(false),
    netsuite: netsuite.optional(),
    sap: sap.optional(),
    csv: csv.prefault({}),
  })
  .strict()
  .optional();
export type ErpSection = z.infer<typeof erpSection>;
