import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../shared/clock.js';
import type { Middleware } from '../shared/http.js';
import { buildUrl } from '../shared/http.js';
import type { Secret } from '../shared/secret.js';

/** NetSuite token-based authentication: OAuth 1.0a (RFC 5849) with HMAC-SHA256, the only method NetSuite still accepts. */
export interface TbaCredentials {
  /** The account id as the realm: upper case with `_` (123456_SB1). */
  realm: string;
  consumerKey: string;
  consumerSecret: Secret;
  tokenId: string;
  tokenSecret: Secret;
}

/** RFC 3986 unreserved characters stay; everything else is %XX with upper-case hex (RFC 5849 §3.6). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The signature base string (RFC 5849 §3.4.1): method, the base string URI (scheme and host lower
 * case, default port dropped, no query), and the sorted, encoded parameters from the query and the
 * oauth_* set. NetSuite's JSON body is never part of it.
 */
export function signatureBaseString(method: string, url: string, oauthParams: Record<string, string>): string {
  const u = new URL(url);
  const port = u.port && !((u.protocol === 'http:' && u.port === '80') || (u.protocol === 'https:' && u.port === '443')) ? `:${u.port}` : '';
  const baseUri = `${u.protocol}//${u.hostname.toLowerCase()}${port}${u.pathname}`;
  const pairs: [string, string][] = [];
  for (const [k, v] of u.searchParams) pairs.push([percentEncode(k), percentEncode(v)]);
  for (const [k, v] of Object.entries(oauthParams)) pairs.push([percentEncode(k), percentEncode(v)]);
  pairs.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1));
  const normalized = pairs.map(([k, v]) => `${k}=${v}`).join('&');
  return [method.toUpperCase(), percentEncode(baseUri), percentEncode(normalized)].join('&');
}

/** The `Authorization: OAuth …` header value for one request; `nonce` and `timestamp` are given so tests can fix them. */
export function tbaAuthorization(c: TbaCredentials, method: string, url: string, nonce: string, timestamp: number): string {
  const params: Record<string, string> = {
    oauth_consumer_key: c.consumerKey,
    oauth_nonce: nonce,
    oauth_signature_method: 'HMAC-SHA256',
    oauth_timestamp: String(timestamp),
    oauth_token: c.tokenId,
    oauth_version: '1.0',
  };
  const key = `${percentEncode(c.consumerSecret.reveal())}&${percentEncode(c.tokenSecret.reveal())}`;
  const signature = createHmac('sha256', key).update(signatureBaseString(method, url, params)).digest('base64');
  const fields = [`realm="${c.realm}"`, ...Object.entries({ ...params, oauth_signature: signature }).map(([k, v]) => `${k}="${percentEncode(v)}"`)];
  return `OAuth ${fields.join(',')}`;
}

/** A fresh 20-character alphanumeric nonce: NetSuite rejects a nonce it has seen, so every send (re-sends too) gets a new one. */
export function newNonce(): string {
  return randomBytes(15).toString('base64').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 20);
}

/** Signs each request on the wire; it sits inside the limiter, so a re-send after 429 is signed again with a new nonce. */
export function tbaMiddleware(c: TbaCredentials, clock: Clock): Middleware {
  return (req, next) => {
    const header = tbaAuthorization(c, req.method, buildUrl(req), newNonce(), Math.floor(clock.now() / 1000));
    return next({ ...req, headers: { ...req.headers, authorization: header } });
  };
}
