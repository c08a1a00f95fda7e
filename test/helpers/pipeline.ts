import { request } from 'undici';
import type { Handler, Middleware } from '../../src/shared/http.js';
import { compose } from '../../src/shared/http.js';
import { createTransport } from '../../src/shared/transport.js';

/**
 * A minimal bearer-token middleware for tests of layers that do not care about token management:
 * one client-credentials request, cached until a 401. The real one is src/auth's authMiddleware.
 */
export function simpleTokenMiddleware(opts: { tokenUrl: string; clientId: string; clientSecret: string }): Middleware {
  let token: Promise<string> | undefined;
  const fetchToken = async () => {
    const res = await request(new URL('/ta-auth/oauth/token', opts.tokenUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: opts.clientId, client_secret: opts.clientSecret }).toString(),
    });
    const body = (await res.body.json()) as { access_token?: string };
    if (res.statusCode !== 200 || !body.access_token) throw new Error(`token request failed with ${res.statusCode}`);
    return body.access_token;
  };
  return async (req, next) => {
    token ??= fetchToken();
    const t = await token.catch((err) => {
      token = undefined;
      throw err;
    });
    const res = await next({ ...req, headers: { ...req.headers, authorization: `Bearer ${t}` } });
    if (res.status === 401) token = undefined;
    return res;
  };
}

/** Transport plus the simple token middleware: enough to drive the typed client in tests. */
export function simplePipeline(opts: { tokenUrl: string; clientId: string; clientSecret: string }, extra: Middleware[] = []): Handler {
  return compose([...extra, simpleTokenMiddleware(opts)], createTransport());
}
