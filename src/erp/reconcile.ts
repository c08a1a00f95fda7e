import { Decimal } from 'decimal.js';
import type { Warehouse } from '../warehouse/index.js';
import { erpDb, type Posting } from './ledger.js';
import { mapTransaction, type ErpMapping } from './mapping.js';
import type { ErpTargetName } from './model.js';
import { planExport, type ErpSettings } from './plan.js';
import type { ErpTarget } from './target.js';

export interface ReconcileRow {
  account: string;
  department: string;
  currency: string;
  warehouse: string;
  posted: string;
  difference: string;
}

export interface ReconcileReport {
  tenant: string;
  target: ErpTargetName;
  period: string;
  /** True when the books match: every row equal and every exportable transaction posted at its current version. */
  balanced: boolean;
  rows: ReconcileRow[];
  /** Exportable transactions of the period that are not in the ERP at their current version, and why. */
  notPosted: { transactionId: string; amount: string; currency: string; reason: string }[];
  /** Transactions in the ERP that should not be (deleted, rejected or made personal in Navan since). */
  postedButExcluded: { transactionId: string; externalId: string; reason: string }[];
  /** Transactions left out by configuration, counted by reason. */
  excluded: Record<string, number>;
  /** With verification: documents whose lines in the ERP (read back) differ from the ledger. */
  erpDifferences?: string[];
}

/** Reads each posted document of the period back from the ERP. */
export interface ReconcileVerification {
  target: ErpTarget;
  postings: Map<string, Posting>;
}

const UNMAPPED = '(unmapped)';

/** The warehouse against the ledger of what the ERP confirmed, for one period (YYYY-MM of the transaction date), by account, department and currency. */
export async function reconcilePeriod(warehouse: Warehouse, tenant: string, target: ErpTargetName, s: ErpSettings, mapping: ErpMapping, period: string, verify?: ReconcileVerification): Promise<ReconcileReport> {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) throw new Error(`--period: "${period}" is not a month; use YYYY-MM, e.g. 2026-10.`);
  const from = `${period}-01`;
  const to = new Date(Date.UTC(Number(period.slice(0, 4)), Number(period.slice(5, 7)), 0)).toISOString().slice(0, 10);
  const plan = await planExport(warehouse, tenant, target, s, mapping, { from, to });
  const blockedReason = new Map<string, string>();
  for (const b of plan.blocked) for (const id of b.transactionIds) blockedReason.set(id, `document ${b.externalId} is not posted: ${b.reasons.join(' ') || 'it is blocked'}`);

  const items = await erpDb(warehouse)
    .selectFrom('erp_posting_item')
    .selectAll()
    .where('_tenant', '=', tenant)
    .where('target', '=', target)
    .where('period', '=', period)
    .execute();
  const postedByTx = new Map(items.map((i) => [i.transaction_id, i]));

  const buckets = new Map<string, { account: string; department: string; currency: string; warehouse: Decimal; posted: Decimal }>();
  const bucket = (account: string, department: string, currency: string) => {
    const k = `${account}\n${department}\n${currency}`;
    let b = buckets.get(k);
    if (!b) buckets.set(k, (b = { account, department, currency, warehouse: new Decimal(0), posted: new Decimal(0) }));
    return b;
  };

  const notPosted: ReconcileReport['notPosted'] = [];
  const eligible = new Set<string>();
  for (const tx of plan.eligible) {
    eligible.add(tx.id);
    const { mapped, issues } = mapTransaction(mapping, target, tx, s.amountBasis);
    const amountText = (s.amountBasis === 'original' ? tx.original_amount : tx.posted_amount) ?? '0';
    const amount = mapped?.amount ?? new Decimal(amountText);
    const currency = mapped?.currency ?? (s.amountBasis === 'original' ? tx.original_currency : tx.posted_currency) ?? '';
    bucket(mapped?.account ?? UNMAPPED, tx.department ?? '', currency).warehouse = bucket(mapped?.account ?? UNMAPPED, tx.department ?? '', currency).warehouse.plus(amount);
    const item = postedByTx.get(tx.id);
    const current = item && item.version_hash === tx.version && mapped && item.account === mapped.account && new Decimal(item.amount).equals(amount) && item.currency === currency;
    if (current) continue;
    const reason = issues.length
      ? issues.map((i) => i.message).join(' ')
      : blockedReason.get(tx.id) ?? (item ? `changed in Navan since it was posted in ${item.external_id}; run erp export` : 'not exported yet; run erp export');
    notPosted.push({ transactionId: tx.id, amount: amount.toFixed(2), currency, reason });
  }
  const excludedById = new Map(plan.excluded.map((e) => [e.id, e.reason]));
  const postedButExcluded: ReconcileReport['postedButExcluded'] = [];
  for (const i of items) {
    const b = bucket(i.account, i.department, i.currency);
    b.posted = b.posted.plus(i.amount);
    if (!eligible.has(i.transaction_id)) postedButExcluded.push({ transactionId: i.transaction_id, externalId: i.external_id, reason: excludedById.get(i.transaction_id) ?? 'no longer in this period or in the warehouse' });
  }

  const rows = [...buckets.values()]
    .sort((a, b) => a.account.localeCompare(b.account) || a.department.localeCompare(b.department) || a.currency.localeCompare(b.currency))
    .map((b) => ({ account: b.account, department: b.department, currency: b.currency, warehouse: b.warehouse.toFixed(2), posted: b.posted.toFixed(2), difference: b.warehouse.minus(b.posted).toFixed(2) }));
  const excluded: Record<string, number> = {};
  for (const e of plan.excluded) excluded[e.reason] = (excluded[e.reason] ?? 0) + 1;
  const erpDifferences = verify ? await readBackDifferences(verify, items) : undefined;
  const balanced = rows.every((r) => new Decimal(r.difference).isZero()) && notPosted.length === 0 && postedButExcluded.length === 0 && !erpDifferences?.length;
  return { tenant, target, period, balanced, rows, notPosted, postedButExcluded, excluded, ...(erpDifferences ? { erpDifferences } : {}) };
}

/** Every document the ledger says is posted, read back from the ERP: the amount of each of its transactions must be there. */
async function readBackDifferences(v: ReconcileVerification, items: { external_id: string; transaction_id: string; amount: string }[]): Promise<string[]> {
  const byDoc = new Map<string, Map<string, Decimal>>();
  for (const i of items) {
    const m = byDoc.get(i.external_id) ?? new Map<string, Decimal>();
    m.set(i.transaction_id, new Decimal(i.amount));
    byDoc.set(i.external_id, m);
  }
  const out: string[] = [];
  for (const [externalId, expected] of byDoc) {
    const p = v.postings.get(externalId);
    const recordId = v.target.mode === 'reference' ? p?.reference : (p?.reference ?? externalId);
    const lines = recordId ? await v.target.readBack!(recordId) : undefined;
    if (!lines) {
      out.push(`document ${externalId}: the ledger says it is posted as ${recordId ?? '(no reference)'}, but ${v.target.label} does not have it.`);
      continue;
    }
    const found = new Map<string, Decimal>();
    for (const l of lines) {
      const id = l.text.split(' ')[0] ?? '';
      if (expected.has(id)) found.set(id, (found.get(id) ?? new Decimal(0)).plus(l.amount));
    }
    for (const [id, amount] of expected) {
      const got = found.get(id);
      if (!got?.equals(amount)) out.push(`document ${externalId}: transaction ${id} is ${amount.toFixed(2)} in the ledger but ${got?.toFixed(2) ?? 'missing'} in ${v.target.label}.`);
    }
  }
  return out;
}
