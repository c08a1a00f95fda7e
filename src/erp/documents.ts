import { createHash } from 'node:crypto';
import { Decimal } from 'decimal.js';
import type { MappedTransaction, MappingResult } from './mapping.js';
import type { BlockedDocument, DocumentLine, ErpDocument, ExportTransaction, Grouping } from './model.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
/** NetSuite external ids allow letters, digits, `_` and `-` only (`|` is a multi-select delimiter). */
const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');

/**
 * The document a transaction belongs to: its key (deterministic, from Navan values only, so a
 * mapping change never renames a posted document) and its external id. A document is one
 * grouping unit, one currency, one credit side and one subsidiary or company code.
 */
export function documentKey(tenant: string, grouping: Grouping, tx: ExportTransaction, fundingKey: string, headerValue: string, currency: string): { key: string; externalId: string; unit: string } {
  if (grouping === 'transaction') {
    const id = safe(tx.id);
    return { key: `t:${tx.id}`, externalId: id === tx.id ? `nb-${tenant}-t-${id}` : `nb-${tenant}-t-${id}-${sha(tx.id).slice(0, 8)}`, unit: tx.id };
  }
  const byStatement = grouping === 'statement' && tx.statement_id;
  // A transaction without a statement (some out-of-pocket spend) falls back to its day.
  const unit = byStatement ? `s:${tx.statement_id}` : `d:${tx.date}`;
  const key = [unit, currency, fundingKey, headerValue].join('|');
  const readable = safe(byStatement ? `s-${tx.statement_id}-${currency}` : `d-${tx.date}-${currency}`).slice(0, 80);
  return { key, externalId: `nb-${tenant}-${readable}-${sha(key).slice(0, 10)}`, unit };
}

export interface BuildInput {
  tenant: string;
  grouping: Grouping;
  /** Transactions to export, each mapped or with the reasons it cannot be. */
  items: ({ tx: ExportTransaction } & MappingResult)[];
  /** Navan field of the header dimension (subsidiary / company code), part of the document key. */
  headerField?: keyof ExportTransaction;
  currencyIds?: Record<string, string>;
}

/** Groups mapped transactions into balanced single-currency documents; a document with any unmapped transaction is blocked whole. */
export function buildDocuments(input: BuildInput): { documents: ErpDocument[]; blocked: BlockedDocument[] } {
  const groups = new Map<string, { externalId: string; items: BuildInput['items'] }>();
  for (const item of input.items) {
    const tx = item.tx;
    const { currency, fundingKey } = item;
    const header = input.headerField ? String(tx[input.headerField] ?? '') : '';
    const { key, externalId } = documentKey(input.tenant, input.grouping, tx, fundingKey, header, currency);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { externalId, items: [] }));
    g.items.push(item);
  }
  const documents: ErpDocument[] = [];
  const blocked: BlockedDocument[] = [];
  for (const g of groups.values()) {
    const reasons = g.items.flatMap((i) => i.issues.map((x) => x.message));
    if (reasons.length || g.items.some((i) => !i.mapped)) {
      blocked.push({ externalId: g.externalId, transactionIds: g.items.map((i) => i.tx.id), reasons });
      continue;
    }
    documents.push(toDocument(g.externalId, g.items.map((i) => i.mapped!), input.currencyIds));
  }
  documents.sort((a, b) => (a.date === b.date ? (a.externalId < b.externalId ? -1 : 1) : a.date < b.date ? -1 : 1));
  return { documents, blocked };
}

function toDocument(externalId: string, mapped: MappedTransaction[], currencyIds?: Record<string, string>): ErpDocument {
  mapped.sort((a, b) => (a.tx.id < b.tx.id ? -1 : a.tx.id > b.tx.id ? 1 : 0));
  const first = mapped[0]!;
  const lines: DocumentLine[] = mapped.map((m) => ({
    transactionId: m.tx.id,
    version: m.tx.version,
    account: m.account,
    amount: m.amount.toFixed(2),
    // The transaction id first: SAP keeps 50 characters of an item text.
    memo: `${m.tx.id} ${m.tx.vendor_name ?? m.tx.transaction_type ?? 'Navan'}`.slice(0, 200),
    ...pick(m.dimensions, ['department', 'class', 'location', 'costCenter']),
    sourceDepartment: m.tx.department ?? '',
    period: m.tx.date.slice(0, 7),
  }));
  const total = mapped.reduce((s, m) => s.plus(m.amount), new Decimal(0));
  const date = mapped.reduce((d, m) => (m.tx.date > d ? m.tx.date : d), first.tx.date);
  const currencyId = currencyIds?.[first.currency];
  const doc: Omit<ErpDocument, 'contentHash'> = {
    externalId,
    date,
    currency: first.currency,
    ...(currencyId !== undefined ? { currencyId } : {}),
    ...pick(first.dimensions, ['subsidiary', 'companyCode']),
    funding: first.funding,
    memo: mapped.length === 1 ? `Navan ${first.tx.transaction_type ?? ''} ${first.tx.id}` : `Navan ${mapped.length} transactions ${date}`,
    lines,
    total: total.toFixed(2),
  };
  // Versions are left out: a new version with the same amounts and accounts needs no correction.
  const hashed = { ...doc, lines: lines.map(({ version: _v, ...l }) => l) };
  return { ...doc, contentHash: sha(JSON.stringify(hashed)) };
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** Debits equal credits, to the cent: the expense lines against the one credit line. Throws on a bug, never silently. */
export function assertBalanced(doc: ErpDocument): void {
  const sum = doc.lines.reduce((s, l) => s.plus(l.amount), new Decimal(0));
  if (!sum.equals(doc.total)) throw new Error(`Document ${doc.externalId} is not balanced: lines ${sum.toFixed(2)} against total ${doc.total}.`);
}

/** A document's credit/debit view: expense lines (a positive amount debits) and the credit line, all non-negative. */
export function journalLines(doc: ErpDocument): { account: string; debit?: string; credit?: string; line?: DocumentLine }[] {
  const out: { account: string; debit?: string; credit?: string; line?: DocumentLine }[] = [];
  for (const l of doc.lines) {
    const a = new Decimal(l.amount);
    if (a.isZero()) continue;
    out.push(a.isPositive() ? { account: l.account, debit: a.toFixed(2), line: l } : { account: l.account, credit: a.negated().toFixed(2), line: l });
  }
  const t = new Decimal(doc.total);
  if (!t.isZero()) out.push(t.isPositive() ? { account: doc.funding.account, credit: t.toFixed(2) } : { account: doc.funding.account, debit: t.negated().toFixed(2) });
  return out;
}
