import { Decimal } from 'decimal.js';
import type { Kysely } from 'kysely';
import type { WarehouseDatabase } from '../warehouse/index.js';
import type { ExportTransaction } from './model.js';

/** Reads the tenant's transactions (optionally with a transaction date in [from, to]) with the booking type of their linked booking. */
export async function loadTransactions(db: Kysely<WarehouseDatabase>, tenant: string, range: { from?: string; to?: string } = {}): Promise<ExportTransaction[]> {
  let q = db
    .selectFrom('transaction')
    .select([
      'id', '_version_hash', 'transaction_type', 'transaction_date', 'posted_date', 'posted_amount', 'posted_currency', 'original_amount', 'original_currency',
      'gl_code_number', 'vendor_name', 'vendor_category', 'policy', 'statement_id', 'department', 'cost_center', 'region', 'subsidiary', 'legal_entity',
      'employee_id', 'cardholder', 'approval_status', 'personal', '_deleted', 'navan_booking_uuids', '_raw',
    ])
    .where('_tenant', '=', tenant);
  // Dates are ISO text, so text comparison is date order.
  if (range.from) q = q.where('transaction_date', '>=', range.from);
  if (range.to) q = q.where('transaction_date', '<', nextDay(range.to));
  const rows = await q.orderBy('id').execute();

  const bookingUuids = new Set<string>();
  const linked = rows.map((r) => {
    const uuids = r.navan_booking_uuids ? (JSON.parse(r.navan_booking_uuids) as string[]) : [];
    for (const u of uuids) bookingUuids.add(u);
    return uuids;
  });
  const bookingTypes = new Map<string, string | null>();
  const all = [...bookingUuids];
  for (let i = 0; i < all.length; i += 500) {
    const chunk = await db.selectFrom('booking').select(['uuid', 'booking_type']).where('_tenant', '=', tenant).where('uuid', 'in', all.slice(i, i + 500)).execute();
    for (const b of chunk) bookingTypes.set(b.uuid, b.booking_type);
  }

  return rows.map((r, i) => {
    const raw = JSON.parse(r._raw) as Record<string, unknown>;
    const category = typeof raw.category === 'string' ? raw.category : typeof raw.expense_category === 'string' ? raw.expense_category : null;
    const date = (r.transaction_date ?? r.posted_date ?? '').slice(0, 10);
    return {
      id: r.id,
      version: r._version_hash,
      transaction_type: r.transaction_type,
      date,
      posted_amount: r.posted_amount,
      posted_currency: r.posted_currency,
      original_amount: r.original_amount,
      original_currency: r.original_currency,
      gl_code_number: r.gl_code_number,
      category,
      vendor_name: r.vendor_name,
      vendor_category: r.vendor_category,
      policy: r.policy,
      booking_type: linked[i]!.map((u) => bookingTypes.get(u)).find((t) => t) ?? null,
      statement_id: r.statement_id,
      department: r.department,
      cost_center: r.cost_center,
      region: r.region,
      subsidiary: r.subsidiary,
      legal_entity: r.legal_entity,
      employee_id: r.employee_id,
      cardholder: r.cardholder,
      approval_status: r.approval_status,
      personal: Number(r.personal) === 1,
      deleted: Number(r._deleted) === 1,
    };
  });
}

export function nextDay(date: string): string {
  return new Date(Date.parse(`${date.slice(0, 10)}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** Why a transaction is not exported at all (not an error: by configuration), or undefined when it is. */
export function exclusionReason(tx: ExportTransaction, s: { approvalStatuses: string[]; excludeTransactionTypes: string[] }, amountBasis: 'original' | 'posted'): string | undefined {
  if (tx.deleted) return 'deleted in Navan';
  if (tx.personal) return 'personal spend';
  if (tx.transaction_type && s.excludeTransactionTypes.includes(tx.transaction_type)) return `type ${tx.transaction_type} is not exported`;
  if (!s.approvalStatuses.includes(tx.approval_status ?? '')) return `approval status ${tx.approval_status ?? 'none'}`;
  if (!tx.date) return 'no transaction date';
  const amount = amountBasis === 'original' ? tx.original_amount : tx.posted_amount;
  const currency = amountBasis === 'original' ? tx.original_currency : tx.posted_currency;
  if (amount === null || !currency) return 'no amount or currency';
  if (new Decimal(amount).isZero()) return 'zero amount';
  return undefined;
}
