// Bookings: filters, a keyset-paginated table, and a link to each booking's detail.
import { apiGet } from '../api.js';
import { date, label, money } from '../format.js';
import { badge, dataTable, emptyState, freshnessLine, h, pageHeader } from '../ui.js';
import { apiParams, filterForm, pager } from './list.js';

const PAGE_SIZE = 25;
const TYPES = ['FLIGHT', 'HOTEL', 'CAR', 'RAIL', 'TRANSPORTATION', 'BLACK_CAR'];
const STATUSES = ['TICKETED', 'CONFIRMED', 'ACCEPTED', 'CANCELED', 'VOIDED', 'REJECTED_BY_PROVIDER', 'UNKNOWN'];

const FIELDS = [
  { name: 'booking_type', label: 'Type', type: 'select', options: TYPES.map((t) => [t, label(t)]) },
  { name: 'booking_status', label: 'Status', type: 'select', options: STATUSES.map((s) => [s, label(s)]) },
  { name: 'start_from', label: 'Starts from', type: 'date' },
  { name: 'start_to', label: 'Starts until', type: 'date' },
  { name: 'traveler_email', label: 'Traveler email', type: 'email', placeholder: 'name@company.com' },
  { name: 'department', label: 'Department', type: 'text', placeholder: 'e.g. Sales' },
  { name: 'out_of_policy', label: 'Policy', type: 'select', any: 'In or out of policy', options: [['true', 'Out of policy only'], ['false', 'In policy only']] },
];

export function statusTone(status) {
  if (status === 'CANCELED' || status === 'VOIDED' || status === 'REJECTED_BY_PROVIDER') return 'muted';
  if (status === 'TICKETED' || status === 'CONFIRMED' || status === 'ACCEPTED') return 'ok';
  return 'neutral';
}

export function amountCell(row) {
  const usd = money(row.usd_grand_total);
  if (!row.currency || row.currency === 'USD' || row.grand_total === null) return usd;
  return h('span', {}, usd, h('small', { class: 'secondary' }, money(row.grand_total, row.currency)));
}

const COLUMNS = [
  { title: 'Traveler', cell: (b) => h('span', { class: 'stack' }, b.traveler_name ?? '—', h('small', { class: 'secondary' }, b.traveler_email ?? '')) },
  { title: 'Type', cell: (b) => label(b.booking_type) },
  { title: 'Route', cell: (b) => (b.origin_city && b.origin_city !== b.destination_city ? `${b.origin_city} → ${b.destination_city ?? '?'}` : b.destination_city ?? '—') },
  { title: 'Dates', cell: (b) => (b.end_date && b.end_date !== b.start_date ? `${date(b.start_date)} – ${date(b.end_date)}` : date(b.start_date)) },
  { title: 'Vendor', cell: (b) => b.vendor ?? '—' },
  { title: 'Status', cell: (b) => badge(label(b.booking_status), statusTone(b.booking_status)) },
  { title: 'Policy', cell: (b) => (b.out_of_policy ? badge('Out of policy', 'bad') : badge('In policy', 'muted')) },
  { title: 'Amount (USD)', align: 'right', cell: amountCell },
];

export async function render(root, ctx) {
  const res = await apiGet('/bookings', apiParams(FIELDS, ctx.params, PAGE_SIZE), { signal: ctx.signal });
  const filtered = FIELDS.some((f) => ctx.params.get(f.name));
  const body = res.data.length
    ? [dataTable({ testid: 'bookings-table', columns: COLUMNS, rows: res.data, rowHref: (b) => `#/bookings/${encodeURIComponent(b.uuid)}`, rowId: (b) => b.uuid }), pager('/bookings', ctx.params, res.nextCursor, res.data.length)]
    : [emptyState(filtered ? 'No bookings match these filters' : 'No bookings yet', filtered ? 'Loosen or clear the filters.' : 'Run a sync (navan-bridge sync run), then reload this page.')];
  root.replaceChildren(
    pageHeader('Bookings', 'Newest first. Select a booking for its passengers and segments.', freshnessLine(res.freshness)),
    filterForm('/bookings', FIELDS, ctx.params),
    h('section', { class: 'card flush' }, ...body));
}
