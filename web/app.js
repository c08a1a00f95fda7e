// The dashboard shell: API key, a router on the URL fragment, and one module per page.
import { ApiError, clearKey, getKey, setKey, takeKeyFromFragment } from './api.js';
import { errorState, h, loadingState } from './ui.js';
import * as overview from './pages/overview.js';
import * as bookings from './pages/bookings.js';
import * as bookingDetail from './pages/booking-detail.js';
import * as transactions from './pages/transactions.js';
import * as health from './pages/health.js';

const ROUTES = [
  { pattern: /^\/?$/, page: overview, nav: 'overview' },
  { pattern: /^\/bookings\/?$/, page: bookings, nav: 'bookings' },
  { pattern: /^\/bookings\/([^/]+)$/, page: bookingDetail, nav: 'bookings' },
  { pattern: /^\/transactions\/?$/, page: transactions, nav: 'transactions' },
  { pattern: /^\/health\/?$/, page: health, nav: 'health' },
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const changeKey = document.getElementById('change-key');

if (window.Chart) {
  // Dashboards redraw on every poll: animation would only make numbers jump.
  window.Chart.defaults.animation = false;
  window.Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  window.Chart.defaults.color = '#475569';
  window.Chart.defaults.maintainAspectRatio = false;
}

/** "#/bookings?booking_type=FLIGHT" → { path: '/bookings', params } */
function currentRoute() {
  const raw = window.location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = raw.split('?');
  return { path, params: new URLSearchParams(search) };
}

let cleanups = [];
let abort = null;

function leavePage() {
  if (abort) abort.abort();
  for (const fn of cleanups.splice(0)) {
    try {
      fn();
    } catch (err) {
      console.warn('cleanup failed', err);
    }
  }
}

function showKeyForm(message) {
  leavePage();
  nav.hidden = true;
  changeKey.hidden = true;
  const input = h('input', { id: 'api-key', name: 'key', type: 'password', autocomplete: 'off', required: true, placeholder: 'nbk_…', spellcheck: 'false' });
  const form = h('form', { class: 'card key-form', 'data-testid': 'key-form' },
    h('h1', {}, 'Travel dashboard'),
    h('p', {}, 'Enter an API key for your tenant. It stays in this browser tab only.'),
    message ? h('p', { class: 'form-error', role: 'alert' }, message) : null,
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h('button', { type: 'submit', class: 'button primary' }, 'Open dashboard'),
    h('p', { class: 'hint' }, 'No key yet? Run ', h('code', {}, 'navan-bridge keys create --tenant <id>'), ', or open the link ', h('code', {}, 'navan-bridge start'), ' prints.'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!input.value.trim()) return;
    setKey(input.value);
    if (window.location.hash === '' || window.location.hash === '#/') route();
    else window.location.hash = '#/';
  });
  main.replaceChildren(form);
  input.focus();
}

async function route() {
  leavePage();
  if (!getKey()) return showKeyForm();
  nav.hidden = false;
  changeKey.hidden = false;
  const { path, params } = currentRoute();
  const found = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  for (const a of nav.querySelectorAll('a')) {
    const active = Boolean(found) && a.dataset.page === found.r.nav;
    a.classList.toggle('active', active);
    if (active) document.title = `${a.textContent} · navan-bridge`;
  }
  if (!found) {
    main.replaceChildren(errorState({ message: `There is no page at "${path}"; pick one from the menu above.` }));
    return;
  }
  abort = new window.AbortController();
  const signal = abort.signal;
  const ctx = {
    params,
    match: found.m,
    signal,
    onCleanup: (fn) => cleanups.push(fn),
    /** Every interval a page starts is stopped when the user leaves it. */
    every: (ms, fn) => {
      const id = window.setInterval(fn, ms);
      cleanups.push(() => window.clearInterval(id));
    },
  };
  const root = h('div', { class: 'page' }, loadingState());
  main.replaceChildren(root);
  try {
    await found.r.page.render(root, ctx);
  } catch (err) {
    if (signal.aborted) return;
    if (err instanceof ApiError && err.status === 401) {
      clearKey();
      return showKeyForm('This API key was not accepted. Check that you copied all of it, or create one with navan-bridge keys create --tenant <id>.');
    }
    console.warn('page failed', err);
    root.replaceChildren(errorState(err, () => route()));
  }
}

changeKey.addEventListener('click', () => {
  clearKey();
  showKeyForm();
});
window.addEventListener('hashchange', () => {
  takeKeyFromFragment(); // a pasted #key=… link: keep the key, then show the overview
  route();
});
takeKeyFromFragment();
route();
