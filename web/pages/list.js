// What the bookings and transactions pages share: a filter form kept in the URL fragment, and
// keyset paging ("Next page" follows nextCursor; the cursor lives in the fragment too, so Back works).
import { h } from '../ui.js';

/**
 * fields: [{ name, label, type: 'select'|'date'|'email'|'text', options: [[value, text]], placeholder }]
 * Submitting navigates to `#<path>?<filters>`; the router renders the page again from the fragment.
 */
export function filterForm(path, fields, params) {
  const controls = fields.map((f) => {
    const id = `filter-${f.name}`;
    const value = params.get(f.name) ?? '';
    const control = f.type === 'select'
      ? h('select', { id, name: f.name }, [['', f.any ?? 'Any'], ...f.options].map(([v, text]) => h('option', { value: v, selected: v === value }, text)))
      : h('input', { id, name: f.name, type: f.type, value, placeholder: f.placeholder, autocomplete: 'off' });
    return h('div', { class: 'field' }, h('label', { for: id }, f.label), control);
  });
  const active = fields.filter((f) => params.get(f.name)).length;
  const form = h('form', { class: 'filters', 'data-testid': 'filters' },
    h('div', { class: 'fields' }, controls),
    h('div', { class: 'filter-actions' },
      h('button', { type: 'submit', class: 'button primary' }, 'Apply filters'),
      active ? h('a', { class: 'button', href: `#${path}` }, 'Clear') : null));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const f of fields) {
      const v = String(new window.FormData(form).get(f.name) ?? '').trim();
      if (v) next.set(f.name, v);
    }
    const qs = next.toString();
    window.location.hash = `${path}${qs ? `?${qs}` : ''}`;
  });
  // Open on wide screens; on a phone the table comes first and the filters fold away.
  const details = h('details', { class: 'card filter-panel', open: active > 0 || window.matchMedia('(min-width: 700px)').matches },
    h('summary', {}, 'Filters', active ? h('span', { class: 'badge info' }, `${active} active`) : null), form);
  return details;
}

/** The API parameters from the fragment: the filters plus the cursor. */
export function apiParams(fields, params, limit) {
  const out = { limit };
  for (const f of fields) if (params.get(f.name)) out[f.name] = params.get(f.name);
  if (params.get('cursor')) out.cursor = params.get('cursor');
  return out;
}

export function pager(path, params, nextCursor, shown) {
  const page = Number(params.get('page') ?? '1') || 1;
  const base = new URLSearchParams(params);
  base.delete('cursor');
  base.delete('page');
  const next = new URLSearchParams(base);
  if (nextCursor) {
    next.set('cursor', nextCursor);
    next.set('page', String(page + 1));
  }
  const qs = (p) => (p.toString() ? `?${p}` : '');
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    page > 1 ? h('a', { class: 'button', href: `#${path}${qs(base)}` }, '← First page') : h('span'),
    h('span', { class: 'pager-info' }, `Page ${page} · ${shown} rows`),
    nextCursor ? h('a', { class: 'button', href: `#${path}${qs(next)}`, 'data-testid': 'next-page' }, 'Next page →') : h('span', { class: 'pager-end' }, 'End of list'));
}
