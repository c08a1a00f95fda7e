// Integration health: each layer's state, polled every few seconds. The budget chart's series is
// kept here in the browser (the server reports only the present), so it survives page switches.
import { apiGet } from '../api.js';
import { ago, count, countdown, date, dateTime, duration, label, percent } from '../format.js';
import { PALETTE, badge, card, chartBox, dataTable, emptyState, h, pageHeader } from '../ui.js';

const POLL_MS = 3000;
const SERIES_POINTS = 100;
const series = [];

const BREAKER_TONE = { closed: 'ok', open: 'bad', 'half-open': 'warn' };
const RUN_TONE = { success: 'ok', failure: 'bad', suspect: 'warn', running: 'info' };

export async function render(root, ctx) {
  const first = await apiGet('/health', {}, { signal: ctx.signal });
  const slots = {
    updated: h('p', { class: 'freshness', 'data-testid': 'health-updated' }),
    problem: h('div'),
    cards: h('div', { class: 'grid kpis' }),
    streams: h('div'),
    runs: h('div'),
    alerts: h('div'),
  };
  const { box, chart } = chartBox(ctx, budgetChartConfig(), { height: 220, label: 'Rate budget utilisation' });
  let latest = first.data;

  root.replaceChildren(
    pageHeader('Integration health', 'Token, breaker and rate budget of the Navan connection, and the state of every sync.', slots.updated),
    slots.problem,
    slots.cards,
    h('div', { class: 'grid two' },
      card('Rate budget utilisation', `Sampled every ${POLL_MS / 1000} s while this page is open`, box),
      card('Alerts', 'Firing and pending', slots.alerts)),
    card('Sync status', 'Per stream: last run, staleness and the time ranges covered', slots.streams),
    card('Recent runs', 'The last 20 sync runs', slots.runs));

  const update = (health) => {
    latest = health;
    record(health);
    slots.cards.replaceChildren(tokenCard(health.token), breakerCard(health.breaker), budgetCard(health.budget), queueCard(health.budget));
    slots.streams.replaceChildren(health.streams ? streamsTable(health.streams) : emptyState('Sync status is not reported', 'This server runs without the sync engine; start navan-bridge with sync enabled.'));
    slots.runs.replaceChildren(runsTable(health.recentRuns ?? []));
    slots.alerts.replaceChildren(health.alerts ? alertsList(health.alerts) : emptyState('Alerts are not evaluated here', 'This server runs without the monitor; start navan-bridge with monitoring to see firing alerts.'));
    if (chart) {
      chart.data.labels = series.map((p) => new Date(p.t).toLocaleTimeString());
      chart.data.datasets[0].data = series.map((p) => p.utilisation);
      chart.data.datasets[1].data = series.map((p) => p.queue);
      chart.update('none');
    }
    tick();
  };
  // Countdowns and "x ago" move every second between polls.
  const tick = () => {
    slots.updated.replaceChildren(h('span', { class: 'dot live' }), `Live · updated ${ago(latest.generatedAt)}`);
    const el = root.querySelector('[data-testid="token-countdown"]');
    if (el && latest.token?.expiresAt) el.textContent = countdown(new Date(latest.token.expiresAt).getTime() - Date.now());
  };

  update(first.data);
  let polling = false;
  ctx.every(POLL_MS, async () => {
    if (polling) return;
    polling = true;
    try {
      update((await apiGet('/health', {}, { signal: ctx.signal })).data);
      slots.problem.replaceChildren();
    } catch (err) {
      if (ctx.signal.aborted) return;
      slots.problem.replaceChildren(h('p', { class: 'banner warn', role: 'status' }, `Could not refresh: ${err.message} Retrying every ${POLL_MS / 1000} s; the figures below are from ${ago(latest.generatedAt)}.`));
    } finally {
      polling = false;
    }
  });
  ctx.every(1000, tick);
}

function record(health) {
  const b = health.budget;
  if (!b) return;
  const t = new Date(health.generatedAt).getTime() || Date.now();
  if (series.length && series[series.length - 1].t >= t) return;
  const utilisation = b.utilisation === null || b.utilisation === undefined ? null : Math.round(Number(b.utilisation) * 1000) / 10;
  series.push({ t, utilisation, queue: Number(b.queueLength) || 0 });
  if (series.length > SERIES_POINTS) series.splice(0, series.length - SERIES_POINTS);
}

function budgetChartConfig() {
  return {
    type: 'line',
    data: {
      labels: [],
      datasets: [
        { label: 'Utilisation (%)', data: [], borderColor: PALETTE[0], backgroundColor: 'rgba(37, 99, 235, 0.1)', fill: true, tension: 0.25, pointRadius: 2, yAxisID: 'y' },
        { label: 'Queue (requests)', data: [], borderColor: PALETTE[2], pointRadius: 2, yAxisID: 'queue' },
      ],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: { position: 'bottom', labels: { usePointStyle: true, pointStyle: 'line' } } },
      scales: {
        y: { min: 0, suggestedMax: 100, ticks: { callback: (v) => `${v}%` } },
        queue: { position: 'right', min: 0, suggestedMax: 5, grid: { drawOnChartArea: false }, ticks: { precision: 0 } },
        x: { ticks: { maxTicksLimit: 6, maxRotation: 0 }, grid: { display: false } },
      },
    },
  };
}

function statusCard(title, value, tone, sub, testid) {
  return h('div', { class: `card kpi status ${tone}`, 'data-testid': testid },
    h('p', { class: 'kpi-label' }, title),
    h('p', { class: 'kpi-value' }, value),
    sub ? h('p', { class: 'kpi-sub' }, sub) : null);
}

function tokenCard(token) {
  if (!token) return statusCard('Access token', 'Not reported', 'neutral', 'This process does not manage tokens.', 'token-card');
  if (!token.cached || !token.expiresAt) {
    return statusCard('Access token', 'None cached', 'neutral', `A token is fetched on the next Navan call · ${token.store ?? 'memory'} store`, 'token-card');
  }
  const left = new Date(token.expiresAt).getTime() - Date.now();
  const tone = left <= 0 ? 'bad' : left < 5 * 60_000 ? 'warn' : 'ok';
  return statusCard('Token expires in', h('span', { 'data-testid': 'token-countdown' }, countdown(left)), tone,
    `${token.refreshAt ? `Refresh ${ago(token.refreshAt)}` : 'Refreshed before expiry'} · ${token.store ?? 'memory'} store`, 'token-card');
}

function breakerCard(breaker) {
  if (!breaker) return statusCard('Circuit breaker', 'Not reported', 'neutral', 'No gateway runs in this process.', 'breaker-card');
  const state = breaker.state ?? 'closed';
  const parts = [];
  if (state === 'open') parts.push(breaker.retryInMs !== undefined && breaker.retryInMs !== null ? `Navan calls paused; half-opens in ${duration(breaker.retryInMs)}` : 'Navan calls are paused');
  else if (state === 'half-open') parts.push('Trying one request to see if Navan recovered');
  else parts.push('Navan calls flow normally');
  if (breaker.consecutiveFailures) parts.push(`${breaker.consecutiveFailures} failures in a row`);
  return statusCard('Circuit breaker', h('span', { 'data-testid': 'breaker-state', 'data-state': state }, label(state)), BREAKER_TONE[state] ?? 'neutral', parts.join(' · '), 'breaker-card');
}

function budgetCard(budget) {
  if (!budget) return statusCard('Rate budget', 'Not reported', 'neutral', 'No gateway runs in this process.', 'budget-card');
  if (budget.utilisation === null || budget.utilisation === undefined) {
    return statusCard('Rate budget', `${Number(budget.targetRps).toFixed(1)} req/s`, 'neutral', `target · limit ${Number(budget.limitRps).toFixed(1)} req/s · utilisation not measured yet`, 'budget-card');
  }
  const u = Number(budget.utilisation) || 0;
  const sent = budget.sentRps !== undefined && budget.sentRps !== null ? `${Number(budget.sentRps).toFixed(1)} of ` : '';
  return statusCard('Rate budget used', percent(u, 0), u > 0.9 ? 'warn' : 'ok',
    `${sent}${Number(budget.targetRps).toFixed(1)} req/s target · limit ${Number(budget.limitRps).toFixed(1)} req/s`, 'budget-card');
}

function queueCard(budget) {
  if (!budget) return statusCard('Queue', '—', 'neutral', null, 'queue-card');
  const wait = budget.waitMsP95 !== undefined && budget.waitMsP95 !== null ? ` · p95 wait ${Math.round(budget.waitMsP95)} ms` : '';
  return statusCard('Queued requests', count(budget.queueLength), budget.queueLength > 0 ? 'warn' : 'ok',
    `${count(budget.throttled429Total)} throttled (429) so far${wait}`, 'queue-card');
}

function streamsTable(streams) {
  if (!streams.length) return emptyState('No sync has run yet', 'Run navan-bridge sync run, or start navan-bridge with the scheduler.');
  return dataTable({
    testid: 'streams',
    columns: [
      { title: 'Stream', cell: (s) => label(s.stream) },
      { title: 'Last run', cell: (s) => (s.lastRun ? h('span', {}, badge(label(s.lastRun.status), RUN_TONE[s.lastRun.status] ?? 'neutral'), ` ${label(s.lastRun.mode)} · ${ago(s.lastRun.startedAt)}`) : 'Never') },
      { title: 'Last success', cell: (s) => ago(s.lastSuccessAt) },
      { title: 'Staleness', cell: (s) => staleness(s.stalenessSeconds) },
      { title: 'Covered', cell: (s) => covered(s.ranges ?? []) },
      { title: 'Error', className: 'wrap', cell: (s) => s.lastRun?.error ?? '—' },
    ],
    rows: streams,
  });
}

function staleness(seconds) {
  if (seconds === null || seconds === undefined) return badge('Never synced', 'warn');
  const tone = seconds > 26 * 3600 ? 'bad' : seconds > 2 * 3600 ? 'warn' : 'ok';
  return badge(duration(seconds * 1000), tone, { 'data-testid': 'staleness' });
}

function covered(ranges) {
  if (!ranges.length) return '—';
  const first = ranges[0].from;
  const last = ranges[ranges.length - 1].to;
  return `${date(first)} → ${dateTime(last)}${ranges.length > 1 ? ` (${ranges.length} ranges)` : ''}`;
}

function runsTable(runs) {
  if (!runs.length) return emptyState('No runs recorded', 'Runs appear here as soon as a sync starts.');
  return dataTable({
    testid: 'recent-runs',
    columns: [
      { title: 'Started', cell: (r) => dateTime(r.startedAt) },
      { title: 'Stream', cell: (r) => label(r.stream) },
      { title: 'Mode', cell: (r) => label(r.mode) },
      { title: 'Status', cell: (r) => badge(label(r.status), RUN_TONE[r.status] ?? 'neutral') },
      { title: 'Read', align: 'right', cell: (r) => count(r.read) },
      { title: 'Written', align: 'right', cell: (r) => count(r.written) },
      { title: 'Took', align: 'right', cell: (r) => (r.finishedAt ? duration(new Date(r.finishedAt) - new Date(r.startedAt)) : 'running') },
      { title: 'Error', className: 'wrap', cell: (r) => r.error ?? '—' },
    ],
    rows: runs,
  });
}

function alertsList(alerts) {
  if (!alerts.length) return emptyState('No alerts firing', 'Alerts appear here when a rule (token expiry, breaker, staleness, throttling) trips.');
  return h('ul', { class: 'alerts', 'data-testid': 'alerts' }, alerts.map((a) => h('li', { class: a.state },
    h('div', { class: 'alert-head' }, badge(label(a.severity), a.severity === 'critical' ? 'bad' : 'warn'), h('strong', {}, a.name), h('span', { class: 'secondary' }, `${label(a.state)} ${ago(a.since)}`)),
    a.summary ? h('p', {}, a.summary) : null)));
}
