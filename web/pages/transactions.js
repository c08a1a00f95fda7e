// Expense transactions: filters and a keyset-paginated table.
import { apiGet } from '../api.js';
import { date, label, money } from '../format.js';
import { badge, dataTable, emptyState, freshnessLine, h, pageHeader } from '../ui.js';
import { apiParams, filterForm, pager } from './list.js';

const PAGE_SIZE = 25;
const KINDS = ['CARD', 'MANUAL', 'CONNECT', 'REPAYMENT', 'FEE', 'ADJUSTMENT', 'DAILY_REBATE', 'DISPUTE', 'STATEMENT_PAYMENT'];

const FIELDS = [
  { name: 'kind', label: 'Kind', type: 'select', options: KINDS.map((k) => [k, label(k)]) },
  { name: 'from', label: 'From', type: 'date' },
  { name: 'to', label: 'To', type: 'date' },
  { name: 'user_email', label: 'Cardholder email', type: 'email', placeholder: 'name@company.com' },
  { name: 'department', label: 'Department', type: 'text', placeholder: 'e.g. Sales' },
  { name: 'currency', label: 'Currency', type: 'text', placeholder: 'e.g. EUR' },
];

function approvalTone(status) {
  if (!status) return 'neutral';
  if (/APPROVED|COMPLETE|PAID/.test(status)) return 'ok';
  if (/REJECT|DECLIN|FLAG/.test(status)) return 'bad';
  return 'neutral';
}

function amount(t) {
  const posted = money(t.posted_amount, t.posted_currency ?? 'USD');
  if (!t.original_currency || t.original_currency === t.posted_currency || t.original_amount === null) return posted;
  return h('span', {}, posted, h('small', { class: 'secondary' }, money(t.original_amount, t.original_currency)));
}

const COLUMNS = [
  { title: 'Date', cell: (t) => date(t.transaction_date ?? t.posted_date) },
  { title: 'Merchant', cell: (t) => h('span', { class: 'stack' }, t.vendor_name ?? t.transaction_description ?? '—', h('small', { class: 'secondary' }, label(t.vendor_category ?? ''))) },
  { title: 'Kind', cell: (t) => label(t.transaction_type) },
  { title: 'Cardholder', cell: (t) => h('span', { class: 'stack' }, t.cardholder ?? '—', h('small', { class: 'secondary' }, t.cardholder_email ?? '')) },
  { title: 'Department', cell: (t) => t.department ?? '—' },
  { title: 'Approval', cell: (t) => (t.approval_status ? badge(label(t.approval_status), approvalTone(t.approval_status)) : '—') },
  { title: 'Amount', align: 'right', cell: amount },
];

export async function render(root, ctx) {
  const res = await apiGet('/transactions', apiParams(FIELDS, ctx.params, PAGE_SIZE), { signal: ctx.signal });
  const filtered = FIELDS.some((f) => ctx.params.get(f.name));
  const body = res.data.length
    ? [dataTable({ testid: 'transactions-table', columns: COLUMNS, rows: res.data, rowId: (t) => t.id }), pager('/transactions', ctx.params, res.nextCursor, res.data.length)]
    : [emptyState(filtered ? 'No transactions match these filters' : 'No transactions yet', filtered ? 'Loosen or clear the filters.' : 'Run a sync of the transactions stream (navan-bridge sync run --stream transactions), then reload.')];
  root.replaceChildren(
    pageHeader('Transactions', 'Expense card and reimbursement transactions, newest first.', freshnessLine(res.freshness)),
    filterForm('/transactions', FIELDS, ctx.params),
    h('section', { class: 'card flush' }, ...body));
}
