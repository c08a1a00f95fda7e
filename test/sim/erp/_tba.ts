import { createHmac, randomBytes } from 'node:crypto';

/**
 * The tests' own OAuth 1.0a signer, written straight from RFC 5849 with node:crypto and sharing no
 * code with the simulator's verifier (or the connector's signer): two readings of the RFC that
 * must agree. It is itself checked against the RFC's published example in netsuite-oauth.test.ts.
 */

export interface TbaKeys {
  consumerKey: string;
  consumerSecret: string;
  tokenId: string;
  tokenSecret: string;
}

// RFC 3986 unreserved characters stay; everything else as %XX, upper-case hex.
export function rfc3986(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function baseString(method: string, url: string, oauth: Record<string, string>, extra: [string, string][] = []): string {
  const u = new URL(url);
  const pairs: [string, string][] = [...u.searchParams.entries(), ...Object.entries(oauth), ...extra].map(([k, v]) => [rfc3986(k), rfc3986(v)]);
  pairs.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1));
  const port = u.port && !((u.protocol === 'http:' && u.port === '80') || (u.protocol === 'https:' && u.port === '443')) ? `:${u.port}` : '';
  const uri = `${u.protocol.toLowerCase()}//${u.hostname.toLowerCase()}${port}${u.pathname}`;
  return `${method.toUpperCase()}&${rfc3986(uri)}&${rfc3986(pairs.map(([k, v]) => `${k}=${v}`).join('&'))}`;
}

export interface SignOptions {
  method: string;
  url: string;
  keys: TbaKeys;
  realm: string;
  timestamp?: number;
  nonce?: string;
  signatureMethod?: 'HMAC-SHA256' | 'HMAC-SHA1';
}

/** The Authorization header for a request, plus the signature alone for worked examples. */
export function signRequest(o: SignOptions): { header: string; signature: string; base: string } {
  const signatureMethod = o.signatureMethod ?? 'HMAC-SHA256';
  const oauth: Record<string, string> = {
    oauth_consumer_key: o.keys.consumerKey,
    oauth_token: o.keys.tokenId,
    oauth_signature_method: signatureMethod,
    oauth_timestamp: String(o.timestamp ?? Math.floor(Date.now() / 1000)),
    oauth_nonce: o.nonce ?? randomBytes(12).toString('hex'),
    oauth_version: '1.0',
  };
  const base = baseString(o.method, o.url, oauth);
  const key = `${rfc3986(o.keys.consumerSecret)}&${rfc3986(o.keys.tokenSecret)}`;
  const signature = createHmac(signatureMethod === 'HMAC-SHA256' ? 'sha256' : 'sha1', key).update(base).digest('base64');
  const fields = { realm: o.realm, ...oauth, oauth_signature: signature };
  const header = 'OAuth ' + Object.entries(fields).map(([k, v]) => `${k}="${rfc3986(v)}"`).join(', ');
  return { header, signature, base };
}

export interface NsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any;
}

/** A minimal signed client for the NetSuite simulator: every call gets a fresh nonce. */
export function netSuiteCaller(sim: { url: string; accountId: string; credentials: TbaKeys }, now: () => number = Date.now) {
  return async (method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH', path: string, body?: unknown, timeoutMs?: number): Promise<NsAnswer> => {
    const { request } = await import('undici');
    const url = path.startsWith('http') ? path : `${sim.url}${path}`;
    const { header } = signRequest({ method, url, keys: sim.credentials, realm: sim.accountId, timestamp: Math.floor(now() / 1000) });
    const res = await request(url, {
      method,
      headers: { authorization: header, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs),
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : undefined };
  };
}
