// Overview: spend this month against last month, bookings by type, top routes and destinations,
// out-of-policy share and carbon, over the twelve months up to the end of this month.
import { apiGet } from '../api.js';
import { count, label, money, month, percent, tonnes } from '../format.js';
import { MONTH_AXIS, PALETTE, card, chartBox, dataTable, emptyState, freshnessLine, h, isPhone, kpi, pageHeader } from '../ui.js';

const pad = (n) => String(n).padStart(2, '0');
const monthKey = (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
const addMonths = (d, n) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));

/** The twelve month keys ending with the current month, oldest first. */
function lastTwelveMonths(now) {
  return Array.from({ length: 12 }, (_, i) => monthKey(addMonths(now, i - 11)));
}

function byKey(groups) {
  return new Map((groups ?? []).map((g) => [g.key, g]));
}

function change(current, previous) {
  const cur = Number(current);
  const prev = Number(previous);
  if (!prev) return cur ? 'no spend last month' : 'no spend last month either';
  const delta = (cur - prev) / prev;
  const arrow = delta >= 0 ? '▲' : '▼';
  return `${arrow} ${percent(Math.abs(delta), 0)} vs ${money(previous, 'USD', { compact: true })} last month`;
}

export async function render(root, ctx) {
  const now = new Date();
  const months = lastTwelveMonths(now);
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0));
  const range = { from: `${months[0]}-01`, to: `${monthKey(end)}-${pad(end.getUTCDate())}` };
  const opts = { signal: ctx.signal };
  const [spend, policy, carbon, top] = await Promise.all([
    apiGet('/reports/spend', range, opts),
    apiGet('/reports/policy', range, opts),
    apiGet('/reports/carbon', range, opts),
    apiGet('/reports/top', { ...range, limit: 20 }, opts),
  ]);

  const header = pageHeader('Overview', `Trips starting ${month(months[0])} – ${month(months[11])}, in US dollars.`, freshnessLine(spend.freshness));
  if (!spend.data.count) {
    root.replaceChildren(header, emptyState('No bookings in the last twelve months', 'Run a sync (navan-bridge sync run), or check on the Health page that syncs succeed.'));
    return;
  }

  const spendByMonth = byKey(spend.data.byMonth);
  const thisMonth = spendByMonth.get(months[11])?.total ?? '0';
  const lastMonth = spendByMonth.get(months[10])?.total ?? '0';
  const kpis = h('div', { class: 'grid kpis' },
    kpi('Spend this month', money(thisMonth), change(thisMonth, lastMonth), 'kpi-spend-month'),
    kpi('Bookings', count(spend.data.count), `${money(spend.data.total, 'USD', { compact: true })} over 12 months`, 'kpi-bookings'),
    kpi('Out of policy', percent(policy.data.share), `${count(policy.data.outOfPolicy)} of ${count(policy.data.count)} bookings · ${money(policy.data.outOfPolicyTotal, 'USD', { compact: true })}`, 'kpi-policy'),
    kpi('Carbon', tonnes(carbon.data.totalKg), `CO₂e from ${count(carbon.data.count)} bookings`, 'kpi-carbon'));

  const charts = h('div', { class: 'grid two' },
    card('Spend by month', 'USD, by trip start date', spendChart(ctx, months, spendByMonth)),
    card('Bookings by type', 'Number of bookings', typeChart(ctx, spend.data.byBookingType)),
    card('Carbon by month', 'Tonnes CO₂e', carbonChart(ctx, months, byKey(carbon.data.byMonth))),
    card('Out of policy by department', 'Share of each department’s bookings', policyChart(ctx, policy.data.byDepartment)));

  const tables = h('div', { class: 'grid two' },
    card('Top routes', 'By number of bookings', topRoutes(top.data.routes)),
    card('Top destinations', 'By number of bookings', topDestinations(top.data.destinations)));

  root.replaceChildren(header, kpis, charts, tables);
}

function spendChart(ctx, months, spendByMonth) {
  const { box } = chartBox(ctx, {
    type: 'bar',
    data: {
      labels: months.map(month),
      datasets: [{
        label: 'Spend (USD)',
        data: months.map((m) => Number(spendByMonth.get(m)?.total ?? 0)),
        backgroundColor: months.map((_, i) => (i === 11 ? PALETTE[0] : '#93c5fd')),
        borderRadius: 4,
      }],
    },
    options: {
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => money(c.parsed.y) } } },
      scales: { y: { ticks: { callback: (v) => money(v, 'USD', { compact: true }) } }, x: MONTH_AXIS },
    },
  }, { label: 'Spend by month' });
  return box;
}

const legendSide = (width) => (width < 420 ? 'bottom' : 'right');

function typeChart(ctx, groups) {
  const rows = groups ?? [];
  if (!rows.length) return emptyState('No bookings by type yet');
  const { box } = chartBox(ctx, {
    type: 'doughnut',
    data: {
      labels: rows.map((g) => label(g.key)),
      datasets: [{ data: rows.map((g) => g.count), backgroundColor: rows.map((_, i) => PALETTE[i % PALETTE.length]), borderWidth: 1 }],
    },
    options: {
      cutout: '60%',
      plugins: { legend: { position: legendSide(isPhone() ? 300 : 600), labels: { boxWidth: 12 } } },
      // A narrow card has no room beside the ring: the legend moves below it.
      onResize: (chart, size) => {
        const side = legendSide(size.width);
        if (chart.options.plugins.legend.position !== side) {
          chart.options.plugins.legend.position = side;
          chart.update('none');
        }
      },
    },
  }, { label: 'Bookings by type' });
  return box;
}

function carbonChart(ctx, months, carbonByMonth) {
  const { box } = chartBox(ctx, {
    type: 'line',
    data: {
      labels: months.map(month),
      datasets: [{
        label: 'Tonnes CO₂e',
        data: months.map((m) => Number(carbonByMonth.get(m)?.kg ?? 0) / 1000),
        borderColor: PALETTE[1],
        backgroundColor: 'rgba(13, 148, 136, 0.12)',
        fill: true,
        tension: 0,
        pointRadius: 2,
      }],
    },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true }, x: MONTH_AXIS } },
  }, { label: 'Carbon by month' });
  return box;
}

function policyChart(ctx, groups) {
  const rows = (groups ?? []).filter((g) => g.count > 0).slice(0, 8);
  if (!rows.length) return emptyState('No department data yet');
  const { box } = chartBox(ctx, {
    type: 'bar',
    data: {
      labels: rows.map((g) => g.key || 'Unassigned'),
      datasets: [{ label: 'Out of policy', data: rows.map((g) => (g.outOfPolicy / g.count) * 100), backgroundColor: PALETTE[2], borderRadius: 4 }],
    },
    options: {
      indexAxis: 'y',
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => `${c.parsed.x.toFixed(1)}% of ${count(rows[c.dataIndex].count)} bookings` } } },
      scales: { x: { beginAtZero: true, ticks: { callback: (v) => `${v}%` } }, y: { grid: { display: false } } },
    },
  }, { label: 'Out of policy by department' });
  return box;
}

function topRoutes(all) {
  // A hotel or a car has the same city at both ends: that is a stay, not a route.
  const routes = (all ?? []).filter((r) => r.origin && r.destination && r.origin !== r.destination).slice(0, 8);
  if (!routes.length) return emptyState('No routes yet', 'Flights and rail bookings with an origin and destination appear here.');
  return dataTable({
    testid: 'top-routes',
    compact: true,
    columns: [
      { title: 'Route', cell: (r) => `${r.origin ?? '?'} → ${r.destination ?? '?'}` },
      { title: 'Bookings', align: 'right', cell: (r) => count(r.count) },
      { title: 'Spend', align: 'right', cell: (r) => money(r.total) },
    ],
    rows: routes,
  });
}

function topDestinations(all) {
  const destinations = (all ?? []).slice(0, 8);
  if (!destinations.length) return emptyState('No destinations yet');
  return dataTable({
    testid: 'top-destinations',
    compact: true,
    columns: [
      { title: 'City', cell: (r) => r.city ?? '—' },
      { title: 'Bookings', align: 'right', cell: (r) => count(r.count) },
      { title: 'Spend', align: 'right', cell: (r) => money(r.total) },
    ],
    rows: destinations,
  });
}
