// Number, money and time formatting, in the browser's locale.

const moneyFormats = new Map();

/** Money arrives as exact decimal strings; formatting to cents for display is the only rounding. */
export function money(amount, currency = 'USD', { compact = false } = {}) {
  if (amount === null || amount === undefined || amount === '') return '—';
  const key = `${currency}|${compact}`;
  if (!moneyFormats.has(key)) {
    try {
      moneyFormats.set(key, new Intl.NumberFormat(undefined, compact
        ? { style: 'currency', currency, notation: 'compact', maximumFractionDigits: 1 }
        : { style: 'currency', currency }));
    } catch {
      // An unknown currency code: show the figure with the code rather than fail.
      moneyFormats.set(key, { format: (n) => `${n.toFixed(2)} ${currency}` });
    }
  }
  return moneyFormats.get(key).format(Number(amount));
}

const integer = new Intl.NumberFormat();
export function count(n) {
  return n === null || n === undefined ? '—' : integer.format(Number(n));
}

export function percent(share, digits = 1) {
  if (share === null || share === undefined || Number.isNaN(Number(share))) return '—';
  return `${(Number(share) * 100).toFixed(digits)}%`;
}

export function tonnes(kg) {
  const t = Number(kg) / 1000;
  return `${t >= 100 ? integer.format(Math.round(t)) : t.toFixed(1)} t`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const monthFormat = new Intl.DateTimeFormat(undefined, { year: '2-digit', month: 'short', timeZone: 'UTC' });

/** A date-only value (YYYY-MM-DD) or the date part of a timestamp, without shifting time zones. */
export function date(value) {
  if (!value) return '—';
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  return Number.isNaN(d.getTime()) ? String(value) : dateFormat.format(d);
}

export function dateTime(value) {
  if (!value) return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : dateTimeFormat.format(d);
}

/** "2026-03" → "Mar 26". */
export function month(key) {
  return monthFormat.format(new Date(`${key}-01T00:00:00Z`));
}

/** A span of time in words: "45 s", "12 min", "3 h 5 min", "4 days". */
export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} days`;
}

/** "3 min ago" / "in 5 min" relative to now. */
export function ago(value, now = Date.now()) {
  if (!value) return 'never';
  const t = new Date(value).getTime();
  if (Number.isNaN(t)) return String(value);
  const diff = now - t;
  if (Math.abs(diff) < 5000) return 'just now';
  return diff > 0 ? `${duration(diff)} ago` : `in ${duration(-diff)}`;
}

/** mm:ss or h:mm:ss for a ticking countdown. */
export function countdown(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n) => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  return h > 0 ? `${h}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}` : `${pad(Math.floor(s / 60))}:${pad(s % 60)}`;
}

/** Upper-case API enums ("BLACK_CAR") as words ("Black car"). */
export function label(value) {
  if (value === null || value === undefined || value === '') return '—';
  const text = String(value).replace(/_/g, ' ').toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}
