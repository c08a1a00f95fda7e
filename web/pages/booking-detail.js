// One booking: the figures that matter first, then passengers, segments, e-tickets, custom fields
// and every other column.
import { ApiError, apiGet } from '../api.js';
import { date, dateTime, label, money } from '../format.js';
import { badge, card, dataTable, emptyState, facts, freshnessLine, h, pageHeader } from '../ui.js';
import { statusTone } from './bookings.js';

const SHOWN = new Set(['uuid', 'booking_type', 'booking_status', 'passengers', 'segments', 'etickets', 'custom_fields']);

function title(b) {
  const where = b.origin_city && b.origin_city !== b.destination_city ? `${b.origin_city} → ${b.destination_city ?? '?'}` : b.destination_city;
  return [label(b.booking_type), where].filter((x) => x && x !== '—').join(' · ');
}

function amount(b) {
  if (!b.currency || b.currency === 'USD') return money(b.usd_grand_total ?? b.grand_total);
  return `${money(b.grand_total, b.currency)} (${money(b.usd_grand_total)})`;
}

export async function render(root, ctx) {
  const uuid = decodeURIComponent(ctx.match[1]);
  const back = h('a', { class: 'back', href: '#/bookings' }, '← All bookings');
  let res;
  try {
    res = await apiGet(`/bookings/${encodeURIComponent(uuid)}`, {}, { signal: ctx.signal });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      root.replaceChildren(back, emptyState('This booking is not in the warehouse', 'It may belong to another tenant or not be synced yet; go back to the list and pick another.'));
      return;
    }
    throw err;
  }
  const b = res.data;
  const summary = facts([
    ['Traveler', b.traveler_name ? `${b.traveler_name}${b.traveler_email ? ` · ${b.traveler_email}` : ''}` : b.traveler_email],
    ['Department', b.department],
    ['Cost center', b.cost_center],
    ['Dates', b.end_date && b.end_date !== b.start_date ? `${date(b.start_date)} – ${date(b.end_date)}` : date(b.start_date)],
    ['Vendor', b.vendor],
    ['Amount', amount(b)],
    ['Policy', b.out_of_policy ? badge('Out of policy', 'bad') : badge('In policy', 'muted')],
    ['Carbon', b.carbon_emissions !== null && b.carbon_emissions !== undefined ? `${Number(b.carbon_emissions).toFixed(1)} kg CO₂e` : null],
    ['Created', dateTime(b.created)],
    ['Booked by', b.booker_name ?? b.booker_email],
    ['Confirmation', b.confirmation_number],
    ['Booking id', b.uuid],
  ], 'booking-summary');

  const everything = Object.entries(b)
    .filter(([k, v]) => !SHOWN.has(k) && !k.startsWith('_') && (v === null || typeof v !== 'object'))
    .map(([k, v]) => [label(k), v === null || v === '' ? '—' : String(v)]);

  root.replaceChildren(
    back,
    pageHeader(title(b), null, badge(label(b.booking_status), statusTone(b.booking_status)), freshnessLine(res.freshness)),
    card('Summary', null, summary),
    card('Passengers', null, passengers(b.passengers ?? [])),
    card('Segments', null, segments(b.segments ?? [])),
    extras(b),
    h('details', { class: 'card all-fields' }, h('summary', {}, `All fields (${everything.length})`), facts(everything)));
}

function passengers(rows) {
  if (!rows.length) return emptyState('No passengers recorded', 'Navan sent this booking without passenger details.');
  return dataTable({
    testid: 'passengers',
    columns: [
      { title: 'Name', cell: (p) => p.name ?? '—' },
      { title: 'Email', cell: (p) => p.email ?? '—' },
      { title: 'Type', cell: (p) => label(p.traveler_type) },
      { title: 'Department', cell: (p) => p.department ?? '—' },
      { title: 'Status', cell: (p) => label(p.status) },
    ],
    rows,
  });
}

function place(city, code) {
  return [city, code ? `(${code})` : null].filter(Boolean).join(' ') || '—';
}

function segments(rows) {
  if (!rows.length) return emptyState('No segments recorded', 'Some booking types (a car, a transfer) come without segments.');
  return dataTable({
    testid: 'segments',
    columns: [
      { title: 'From', cell: (s) => place(s.departure_city, s.departure_airport_code) },
      { title: 'To', cell: (s) => place(s.arrival_city, s.arrival_airport_code) },
      { title: 'Departs', cell: (s) => dateTime(s.start_timestamp) },
      { title: 'Arrives', cell: (s) => dateTime(s.end_timestamp) },
      { title: 'Provider', cell: (s) => [s.provider_name ?? s.hotel_chain, s.flight_number].filter(Boolean).join(' ') || '—' },
      { title: 'Cabin', cell: (s) => label(s.cabin) },
    ],
    rows,
  });
}

function extras(b) {
  const tickets = (b.etickets ?? []).map((t) => t.eticket).filter(Boolean);
  const custom = (b.custom_fields ?? []).map((f) => [f.name ?? '—', f.value ?? '—']);
  if (!tickets.length && !custom.length) return null;
  return card('Tickets and custom fields', null, facts([tickets.length ? ['E-tickets', tickets.join(', ')] : null, ...custom]));
}
