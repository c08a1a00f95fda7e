import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ErpSimClock } from '../index.js';

/**
 * The simulator's own OAuth 1.0a (RFC 5849) verifier for NetSuite token-based authentication.
 * Deliberately written apart from the connector's signer, so a test that passes proves two
 * independent readings of the RFC agree.
 */

export interface TbaCredentials {
  consumerKey: string;
  consumerSecret: string;
  tokenId: string;
  tokenSecret: string;
}

export type AuthVerdict = { ok: true } | { ok: false; reason: string; consumerKey?: string; tokenId?: string };

/** RFC 5849 §3.6: unreserved characters stay, everything else is %XX with upper-case hex. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** application/x-www-form-urlencoded decoding of one query name or value; undefined when malformed. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The parameters of an `Authorization: OAuth …` header, or undefined when it is not well formed. */
export function parseOAuthHeader(header: string | undefined): Map<string, string> | undefined {
  if (!header) return undefined;
  const match = /^\s*OAuth\s+(.*)$/is.exec(header);
  if (!match) return undefined;
  const params = new Map<string, string>();
  const pair = /\s*([A-Za-z0-9_.~-]+)\s*=\s*"([^"]*)"\s*(?:,|$)/gy;
  const text = match[1]!;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = pair.exec(text)) !== null) {
    consumed = pair.lastIndex;
    const name = formDecodeStrict(m[1]!);
    const value = formDecodeStrict(m[2]!);
    if (name === undefined || value === undefined || params.has(name)) return undefined;
    params.set(name, value);
    if (consumed >= text.length) break;
  }
  if (text.slice(consumed).trim() !== '') return undefined;
  return params;
}

/** Header values are percent-encoded (not form-encoded: '+' is a plus). */
function formDecodeStrict(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** RFC 5849 §3.4.1: METHOD & encoded base URI & encoded normalized parameters. */
export function signatureBaseString(method: string, baseUri: string, params: [string, string][]): string {
  const normalized = params
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return [method.toUpperCase(), percentEncode(baseUri), percentEncode(normalized)].join('&');
}

/** RFC 5849 §3.4.1.2: lower-case scheme and host, the port only when not the default. */
export function baseStringUri(scheme: string, hostHeader: string, rawPath: string): string {
  const lowerScheme = scheme.toLowerCase();
  let host = hostHeader.toLowerCase();
  if ((lowerScheme === 'http' && host.endsWith(':80')) || (lowerScheme === 'https' && host.endsWith(':443'))) host = host.replace(/:\d+$/, '');
  return `${lowerScheme}://${host}${rawPath}`;
}

/** Query parameters as sent, decoded; undefined when one is malformed. */
function queryParams(rawQuery: string): [string, string][] | undefined {
  const out: [string, string][] = [];
  if (!rawQuery) return out;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = formDecode(eq < 0 ? part : part.slice(0, eq));
    const value = formDecode(eq < 0 ? '' : part.slice(eq + 1));
    if (name === undefined || value === undefined) return undefined;
    out.push([name, value]);
  }
  return out;
}

export function hmacSha256Base64(key: string, text: string): string {
  return createHmac('sha256', key).update(text).digest('base64');
}

/** Nonces seen per token, kept as long as their timestamp could still be accepted. */
class NonceRegistry {
  #seen = new Map<string, number>();

  /** Records the nonce; false when it was already used. */
  remember(key: string, timestampSec: number, nowSec: number, windowSec: number): boolean {
    if (this.#seen.size > 10_000) this.#prune(nowSec, windowSec);
    if (this.#seen.has(key)) return false;
    this.#seen.set(key, timestampSec);
    return true;
  }

  #prune(nowSec: number, windowSec: number): void {
    for (const [key, ts] of this.#seen) if (ts < nowSec - windowSec) this.#seen.delete(key);
  }

  clear(): void {
    this.#seen.clear();
  }
}

export interface SignedRequest {
  method: string;
  /** Host header as received, e.g. "127.0.0.1:41234". */
  host: string;
  /** Request target as received: raw path plus raw query. */
  rawUrl: string;
  authorization: string | undefined;
}

/** Verifies NetSuite TBA headers: realm, keys, HMAC-SHA256 signature, timestamp window, nonce reuse. */
export class TbaVerifier {
  #credentials: TbaCredentials;
  #realm: string;
  #toleranceSec: number;
  #clock: ErpSimClock;
  #nonces = new NonceRegistry();

  constructor(credentials: TbaCredentials, realm: string, toleranceSec: number, clock: ErpSimClock) {
    this.#credentials = credentials;
    this.#realm = realm;
    this.#toleranceSec = toleranceSec;
    this.#clock = clock;
  }

  verify(request: SignedRequest): AuthVerdict {
    const p = parseOAuthHeader(request.authorization);
    if (!p) return { ok: false, reason: request.authorization ? 'malformed_header' : 'missing_header' };
    const consumerKey = p.get('oauth_consumer_key');
    const tokenId = p.get('oauth_token');
    const fail = (reason: string): AuthVerdict => ({ ok: false, reason, consumerKey, tokenId });
    for (const required of ['realm', 'oauth_consumer_key', 'oauth_token', 'oauth_signature_method', 'oauth_timestamp', 'oauth_nonce', 'oauth_signature']) {
      if (!p.has(required)) return fail(`missing_${required}`);
    }
    if (p.get('realm') !== this.#realm) return fail('wrong_realm');
    if (p.get('oauth_signature_method') !== 'HMAC-SHA256') return fail('unsupported_signature_method');
    if (p.has('oauth_version') && p.get('oauth_version') !== '1.0') return fail('bad_version');
    if (consumerKey !== this.#credentials.consumerKey) return fail('unknown_consumer');
    if (tokenId !== this.#credentials.tokenId) return fail('unknown_token');
    const ts = p.get('oauth_timestamp')!;
    const nowSec = Math.floor(this.#clock.now() / 1000);
    if (!/^\d{1,12}$/.test(ts) || Math.abs(nowSec - Number(ts)) > this.#toleranceSec) return fail('stale_timestamp');
    const nonce = p.get('oauth_nonce')!;
    if (nonce.length < 6) return fail('short_nonce');
    const expected = this.expectedSignature(request, p);
    if (expected === undefined) return fail('malformed_query');
    const given = Buffer.from(p.get('oauth_signature')!);
    const wanted = Buffer.from(expected);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return fail('bad_signature');
    if (!this.#nonces.remember(`${consumerKey}\n${tokenId}\n${nonce}`, Number(ts), nowSec, this.#toleranceSec * 2)) return fail('nonce_reused');
    return { ok: true };
  }

  /** The signature the request should carry; undefined when its query cannot be decoded. */
  expectedSignature(request: SignedRequest, oauth: Map<string, string>): string | undefined {
    const q = request.rawUrl.indexOf('?');
    const rawPath = q < 0 ? request.rawUrl : request.rawUrl.slice(0, q);
    const query = queryParams(q < 0 ? '' : request.rawUrl.slice(q + 1));
    if (!query) return undefined;
    const params: [string, string][] = [...query];
    for (const [k, v] of oauth) if (k !== 'realm' && k !== 'oauth_signature') params.push([k, v]);
    const base = signatureBaseString(request.method, baseStringUri('http', request.host, rawPath), params);
    const key = `${percentEncode(this.#credentials.consumerSecret)}&${percentEncode(this.#credentials.tokenSecret)}`;
    return hmacSha256Base64(key, base);
  }

  forgetNonces(): void {
    this.#nonces.clear();
  }
}
