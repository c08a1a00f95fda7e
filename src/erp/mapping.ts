import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Decimal } from 'decimal.js';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../shared/errors.js';
import type { ErpTargetName, ExportTransaction } from './model.js';

const oneOrMany = z.union([z.string(), z.array(z.string()).min(1)]);
const erpId = z.union([z.string().min(1), z.number().transform(String)]);

/** Navan fields a dimension can be read from. */
const SOURCE_FIELDS = ['department', 'cost_center', 'region', 'subsidiary', 'legal_entity', 'policy', 'vendor_category', 'employee_id'] as const;
type SourceField = (typeof SOURCE_FIELDS)[number];

const dimension = z.union([
  z.object({ from: z.enum(SOURCE_FIELDS), map: z.record(z.string(), erpId) }).strict(),
  z.object({ value: erpId }).strict(),
]);

const creditSideSchema = z.object({ account: erpId, vendor: erpId.optional(), transactionTypes: z.array(z.string()).min(1) }).strict();

export const mappingSchema = z
  .object({
    accounts: z
      .object({
        /** Navan's gl_code_number → ERP account id; tried first. */
        byGlCode: z.record(z.string(), erpId).default({}),
        /** Otherwise the first rule whose every condition matches. */
        rules: z
          .array(
            z
              .object({
                when: z
                  .object({ category: oneOrMany.optional(), vendorCategory: oneOrMany.optional(), bookingType: oneOrMany.optional(), policy: oneOrMany.optional() })
                  .strict()
                  .refine((w) => Object.keys(w).length > 0, 'a rule needs at least one condition'),
                account: erpId,
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    credit: z
      .object({
        /** Card programs by name, each with its liability account, the card issuer as vendor, and the Navan transaction types it covers. */
        cardPrograms: z.record(z.string(), creditSideSchema).default({}),
        /** Out-of-pocket spend: the employee reimbursement payable. */
        reimbursable: creditSideSchema.optional(),
      })
      .strict()
      .prefault({}),
    dimensions: z
      .object({ department: dimension, class: dimension, location: dimension, subsidiary: dimension, costCenter: dimension, companyCode: dimension })
      .partial()
      .strict()
      .prefault({}),
    /** ISO currency code → NetSuite currency internal id (NetSuite only). */
    currencies: z.record(z.string(), erpId).default({}),
  })
  .strict();
export type ErpMapping = z.infer<typeof mappingSchema> & { source: string };

type DimensionName = keyof ErpMapping['dimensions'];
/** Line-level and header-level dimensions each target uses. */
const TARGET_DIMENSIONS: Record<ErpTargetName, { line: DimensionName[]; header: DimensionName[]; required: DimensionName[] }> = {
  netsuite: { line: ['department', 'class', 'location'], header: ['subsidiary'], required: ['subsidiary'] },
  sap: { line: ['costCenter'], header: ['companyCode'], required: ['companyCode'] },
  csv: { line: ['department', 'class', 'location', 'costCenter'], header: ['subsidiary', 'companyCode'], required: [] },
};

/** Why a transaction cannot be mapped: the value, and the exact mapping line that would fix it. */
export interface MappingIssue {
  transactionId: string;
  field: string;
  value: string;
  message: string;
}

export interface MappedTransaction {
  tx: ExportTransaction;
  amount: Decimal;
  currency: string;
  account: string;
  dimensions: Partial<Record<DimensionName, string>>;
  funding: { key: string; account: string; vendor?: string };
}

/** Reads and validates a mapping file (YAML or JSON) or an inline mapping; errors name the file and the key. */
export function loadMapping(options: { file?: string; inline?: Record<string, unknown>; cwd?: string }): ErpMapping {
  let raw: unknown;
  let source: string;
  if (options.file) {
    source = resolve(options.cwd ?? process.cwd(), options.file);
    if (!existsSync(source)) throw new ConfigError(`erp.mappingFile: ${source} does not exist; create the mapping file or fix the path.`);
    try {
      raw = parseYaml(readFileSync(source, 'utf8'));
    } catch (err) {
      throw new ConfigError(`${source}: cannot be parsed (${(err as Error).message}); fix the YAML syntax.`);
    }
  } else if (options.inline) {
    raw = options.inline;
    source = 'erp.mapping';
  } else {
    throw new ConfigError('erp: no mapping is configured; set erp.mappingFile (or erp.mapping) for this tenant.');
  }
  const parsed = mappingSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${source}: ${issue.path.join('.') || '(top level)'}: ${issue.message}; fix the mapping.`);
  }
  return { ...parsed.data, source };
}

const TARGET_LABEL: Record<ErpTargetName, string> = { netsuite: 'NetSuite', sap: 'SAP', csv: 'ERP' };

/**
 * Maps one transaction to its account, dimensions and credit side. Every value that has no
 * mapping is reported with the line to add; nothing falls back to a default account.
 */
export interface MappingResult {
  mapped?: MappedTransaction;
  issues: MappingIssue[];
  /** What places the transaction in a document, known even when something else is unmapped. */
  currency: string;
  fundingKey: string;
}

export function mapTransaction(m: ErpMapping, target: ErpTargetName, tx: ExportTransaction, amountBasis: 'original' | 'posted'): MappingResult {
  const issues: MappingIssue[] = [];
  const where = `in ${m.source}`;
  const issue = (field: string, value: string, fix: string) =>
    issues.push({ transactionId: tx.id, field, value, message: `transaction ${tx.id}: ${field} "${value}" is not mapped; add ${fix} ${where}.` });

  const account = glAccount(m, tx);
  if (!account) {
    if (tx.gl_code_number) issue('gl_code_number', tx.gl_code_number, `"${tx.gl_code_number}": "<account id>" under accounts.byGlCode`);
    else issue('category', tx.category ?? tx.vendor_category ?? '', `a rule "- when: {vendorCategory: ${tx.vendor_category ?? '""'}}, account: <account id>" under accounts.rules`);
  }

  const dims = TARGET_DIMENSIONS[target];
  const dimensions: MappedTransaction['dimensions'] = {};
  for (const name of [...dims.line, ...dims.header]) {
    const d = m.dimensions[name];
    if (!d) {
      if (dims.required.includes(name)) issue(name, '', `dimensions.${name} (a "value:" or a "from:" field with a "map:")`);
      continue;
    }
    if ('value' in d) {
      dimensions[name] = d.value;
      continue;
    }
    const value = sourceValue(tx, d.from) ?? '';
    const id = Object.hasOwn(d.map, value) ? d.map[value] : undefined;
    if (id === undefined) issue(`${name} (from ${d.from})`, value, `"${value}": "<${TARGET_LABEL[target]} ${name} id>" under dimensions.${name}.map`);
    else dimensions[name] = id;
  }

  const funding = creditSide(m, tx.transaction_type ?? '');
  if (!funding) {
    const type = tx.transaction_type ?? '';
    issue('transaction_type', type, `"${type}" to credit.cardPrograms.<program>.transactionTypes or credit.reimbursable.transactionTypes (or to erp.excludeTransactionTypes in the config)`);
  }

  const amountText = amountBasis === 'original' ? tx.original_amount : tx.posted_amount;
  const currency = (amountBasis === 'original' ? tx.original_currency : tx.posted_currency) ?? '';
  if (target === 'netsuite' && currency && !Object.hasOwn(m.currencies, currency)) issue('currency', currency, `"${currency}": "<NetSuite currency id>" under currencies`);

  const fundingKey = funding?.key ?? `type-${tx.transaction_type ?? ''}`;
  if (issues.length || !account || !funding || amountText === null) return { issues, currency, fundingKey };
  return { mapped: { tx, amount: new Decimal(amountText).toDecimalPlaces(2, Decimal.ROUND_HALF_UP), currency, account, dimensions, funding }, issues, currency, fundingKey };
}

function glAccount(m: ErpMapping, tx: ExportTransaction): string | undefined {
  if (tx.gl_code_number && Object.hasOwn(m.accounts.byGlCode, tx.gl_code_number)) return m.accounts.byGlCode[tx.gl_code_number];
  const matches = (cond: string | string[] | undefined, value: string | null) => cond === undefined || (value !== null && (Array.isArray(cond) ? cond.includes(value) : cond === value));
  for (const rule of m.accounts.rules) {
    const w = rule.when;
    if (matches(w.category, tx.category) && matches(w.vendorCategory, tx.vendor_category) && matches(w.bookingType, tx.booking_type) && matches(w.policy, tx.policy)) return rule.account;
  }
  return undefined;
}

function creditSide(m: ErpMapping, type: string): MappedTransaction['funding'] | undefined {
  for (const [name, p] of Object.entries(m.credit.cardPrograms)) {
    if (p.transactionTypes.includes(type)) return { key: `card-${name}`, account: p.account, ...(p.vendor ? { vendor: p.vendor } : {}) };
  }
  const r = m.credit.reimbursable;
  if (r && r.transactionTypes.includes(type)) return { key: 'reimbursable', account: r.account, ...(r.vendor ? { vendor: r.vendor } : {}) };
  return undefined;
}

function sourceValue(tx: ExportTransaction, field: SourceField): string | null {
  return tx[field];
}
