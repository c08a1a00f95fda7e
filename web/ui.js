// Small DOM helpers shared by the pages. Text always goes in as text nodes, never as HTML, so a
// vendor name or traveler field holding markup is shown, not run.
import { ago } from './format.js';

/** h('p', { class: 'x', onclick: fn }, 'text', child, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(typeof child === 'object' ? child : String(child));
  }
}

export function pageHeader(title, subtitle, ...extra) {
  return h('div', { class: 'page-header' },
    h('div', {}, h('h1', {}, title), subtitle ? h('p', { class: 'subtitle' }, subtitle) : null),
    h('div', { class: 'page-header-extra' }, ...extra));
}

const STREAM_NAMES = { bookings: 'Bookings', transactions: 'Transactions', users: 'Users' };

/** "Bookings synced 3 min ago", from the `freshness` every data response carries. */
export function freshnessLine(freshness) {
  if (!freshness) return null;
  const name = STREAM_NAMES[freshness.stream] ?? freshness.stream;
  if (!freshness.syncedAt) {
    return h('p', { class: 'freshness warn', 'data-testid': 'freshness' }, `${name} not synced yet: run navan-bridge sync.`);
  }
  return h('p', { class: 'freshness', 'data-testid': 'freshness', title: new Date(freshness.syncedAt).toISOString() },
    h('span', { class: 'dot' }), `${name} synced ${ago(freshness.syncedAt)}`);
}

export function loadingState(text = 'Loading…') {
  return h('div', { class: 'state loading', role: 'status', 'data-testid': 'loading' }, h('span', { class: 'spinner' }), text);
}

export function emptyState(title, hint) {
  return h('div', { class: 'state empty', 'data-testid': 'empty' }, h('strong', {}, title), hint ? h('p', {}, hint) : null);
}

export function errorState(err, onRetry) {
  return h('div', { class: 'state error', role: 'alert', 'data-testid': 'error' },
    h('strong', {}, 'Something went wrong'),
    h('p', {}, err && err.message ? err.message : 'The page failed to load; reload it, and check the server log if it happens again.'),
    onRetry ? h('button', { type: 'button', class: 'button', onclick: onRetry }, 'Try again') : null);
}

export function badge(text, tone = 'neutral', attrs = {}) {
  return h('span', { class: `badge ${tone}`, ...attrs }, text);
}

export function kpi(label, value, sub, testid) {
  return h('div', { class: 'card kpi', 'data-testid': testid },
    h('p', { class: 'kpi-label' }, label),
    h('p', { class: 'kpi-value' }, value),
    sub ? h('p', { class: 'kpi-sub' }, sub) : null);
}

export function card(title, subtitle, ...body) {
  return h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', {}, title), subtitle ? h('p', { class: 'card-sub' }, subtitle) : null),
    ...body);
}

/**
 * A table that turns into stacked cards below 700 px (each cell labelled by its column title),
 * unless `compact` (few narrow columns that fit a phone as they are).
 * columns: [{ title, cell(row) → node|string, align: 'right', className }]; rowHref(row) links rows;
 * rowId(row) marks each row with data-id.
 */
export function dataTable({ columns, rows, rowHref, rowId, testid, caption, compact = false }) {
  const head = h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.align === 'right' ? 'num' : null }, c.title))));
  const body = h('tbody', {}, rows.map((row) => {
    const href = rowHref ? rowHref(row) : null;
    const tr = h('tr', { class: href ? 'linked' : null, 'data-id': rowId ? rowId(row) : null }, columns.map((c, i) => {
      let content = c.cell(row);
      const blank = content === '—' || content === '' || content === null || content === undefined;
      if (href && i === 0) content = h('a', { href }, content);
      // A blank cell is dropped from the phone card layout: a card of dashes says nothing.
      return h('td', { 'data-label': c.title, class: [c.align === 'right' ? 'num' : '', c.className ?? '', blank ? 'blank' : ''].join(' ').trim() || null }, content);
    }));
    // The whole row is a target with the mouse; the link in the first cell serves keyboards and readers.
    if (href) tr.addEventListener('click', (e) => { if (!e.target.closest('a')) window.location.hash = href.slice(1); });
    return tr;
  }));
  return h('div', { class: 'table-wrap' }, h('table', { class: compact ? 'data' : 'data cards', 'data-testid': testid }, caption ? h('caption', {}, caption) : null, head, body));
}

/** A definition list of [label, value] pairs, in a responsive grid. */
export function facts(pairs, testid) {
  return h('dl', { class: 'facts', 'data-testid': testid }, pairs.filter(Boolean).map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v ?? '—'))));
}

// One restrained palette for every chart, in the order series are drawn.
export const isPhone = () => window.matchMedia('(max-width: 700px)').matches;

// Month labels stay horizontal and thin out on narrow charts instead of tilting.
export const MONTH_AXIS = { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 8 } };

export const PALETTE = ['#2563eb', '#0d9488', '#f59e0b', '#7c3aed', '#db2777', '#64748b', '#16a34a', '#ea580c'];

/** A chart in a fixed-height box; destroyed with the page so navigating never leaks canvases. */
export function chartBox(ctx, config, { height = 260, label } = {}) {
  const canvas = h('canvas', { role: 'img', 'aria-label': label ?? 'chart' });
  const box = h('div', { class: 'chart-box' }, canvas);
  box.style.height = `${height}px`; // through the CSSOM: the page's CSP forbids style attributes
  if (!window.Chart) {
    box.replaceChildren(emptyState('Charts are unavailable', 'chart.js did not load from /vendor/chart.umd.js; check the server log and reload.'));
    return { box, chart: null };
  }
  const chart = new window.Chart(canvas, config);
  ctx.onCleanup(() => chart.destroy());
  return { box, chart };
}
