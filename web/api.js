// The one place that talks to the consumer API: the API key, the fetch, and errors as sentences.

const KEY_NAME = 'navan-bridge.apiKey';

/**
 * `#key=<key>` in the address: the fragment never reaches the server or its logs. Keep the key for
 * this tab only (sessionStorage) and drop it from the address bar, history and any bookmark.
 */
export function takeKeyFromFragment() {
  const match = /^#(?:.*&)?key=([^&]+)/.exec(window.location.hash);
  if (!match) return false;
  setKey(decodeURIComponent(match[1]));
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}#/`);
  return true;
}

export function getKey() {
  return window.sessionStorage.getItem(KEY_NAME);
}

export function setKey(key) {
  window.sessionStorage.setItem(KEY_NAME, key.trim());
}

export function clearKey() {
  window.sessionStorage.removeItem(KEY_NAME);
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

const FALLBACK = {
  401: 'This API key was not accepted; enter a valid key (navan-bridge keys create --tenant <id>).',
  403: 'This API key lacks the scope this page needs; create a key with more scopes.',
  404: 'navan-bridge does not know this address; check the link or upgrade the server.',
  429: 'navan-bridge is busy; wait a few seconds and reload.',
  503: 'navan-bridge is not ready to answer this yet; check the server log, then reload.',
};

function query(params) {
  const qs = new URLSearchParams();
  for (const [name, value] of Object.entries(params ?? {})) {
    if (value !== undefined && value !== null && value !== '') qs.set(name, String(value));
  }
  const text = qs.toString();
  return text ? `?${text}` : '';
}

/** GET /api/v1<path> as JSON; throws ApiError whose message tells the user what to do. */
export async function apiGet(path, params, { signal } = {}) {
  const key = getKey();
  if (!key) throw new ApiError(401, 'NO_KEY', 'Enter an API key to see your data.');
  let res;
  try {
    res = await fetch(`/api/v1${path}${query(params)}`, {
      headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
      signal,
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', 'navan-bridge did not answer; check that the server is running, then reload the page.');
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) {
    const message = body && typeof body.message === 'string' ? body.message : FALLBACK[res.status] ?? `navan-bridge answered ${res.status}; check the server log, then reload.`;
    throw new ApiError(res.status, body && body.error ? body.error : `HTTP_${res.status}`, message);
  }
  return body;
}
