import type { ErpSection } from '../config/index.js';
import type { Warehouse } from '../warehouse/index.js';
import { buildDocuments } from './documents.js';
import { mapTransaction, type ErpMapping } from './mapping.js';
import type { BlockedDocument, ErpDocument, ErpTargetName, ExportTransaction } from './model.js';
import { exclusionReason, loadTransactions } from './source.js';

export type ErpSettings = NonNullable<ErpSection>;

export interface Plan {
  documents: ErpDocument[];
  blocked: BlockedDocument[];
  /** Transactions left out by configuration, with the reason. */
  excluded: { id: string; date: string; reason: string }[];
  /** Every eligible transaction (mapped or not), for reconciliation. */
  eligible: ExportTransaction[];
}

/** Header dimension source field of the mapping (part of the document key), if it is read from Navan. */
function headerField(m: ErpMapping, target: ErpTargetName): keyof ExportTransaction | undefined {
  const d = target === 'sap' ? m.dimensions.companyCode : target === 'netsuite' ? m.dimensions.subsidiary : (m.dimensions.subsidiary ?? m.dimensions.companyCode);
  return d && 'from' in d ? d.from : undefined;
}

/**
 * What the ERP should hold for a tenant: documents built from the warehouse as it is now. With a
 * date range, only documents dated in it (a statement is read whole, a little wider than the range,
 * so a statement document is never rebuilt from part of its transactions).
 */
export async function planExport(warehouse: Warehouse, tenant: string, target: ErpTargetName, s: ErpSettings, mapping: ErpMapping, range: { from?: string; to?: string } = {}): Promise<Plan> {
  const widen = s.grouping === 'statement' && (range.from || range.to);
  const read = widen ? { ...(range.from ? { from: shift(range.from, -45) } : {}), ...(range.to ? { to: shift(range.to, 45) } : {}) } : range;
  const txs = await loadTransactions(warehouse.db, tenant, read);
  const excluded: Plan['excluded'] = [];
  const eligible: ExportTransaction[] = [];
  const items = [];
  for (const tx of txs) {
    const reason = exclusionReason(tx, s, s.amountBasis);
    if (reason) {
      excluded.push({ id: tx.id, date: tx.date, reason });
      continue;
    }
    eligible.push(tx);
    items.push({ tx, ...mapTransaction(mapping, target, tx, s.amountBasis) });
  }
  const built = buildDocuments({ tenant, grouping: s.grouping, items, headerField: headerField(mapping, target), ...(target === 'netsuite' ? { currencyIds: mapping.currencies } : {}) });
  const inRange = (date: string) => (!range.from || date >= range.from) && (!range.to || date <= range.to);
  const byId = new Map(txs.map((t) => [t.id, t]));
  return {
    documents: built.documents.filter((d) => inRange(d.date)),
    blocked: built.blocked.filter((b) => b.transactionIds.some((id) => inRange(byId.get(id)?.date ?? ''))),
    excluded: excluded.filter((e) => inRange(e.date)),
    eligible: eligible.filter((t) => inRange(t.date)),
  };
}

function shift(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
