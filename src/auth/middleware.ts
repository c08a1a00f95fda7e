import { NavanAuthError } from '../shared/errors.js';
import { copyRequest, withHeader, type Middleware, type NavanRequest } from '../shared/http.js';
import type { Secret } from '../shared/secret.js';
import type { TokenService } from './service.js';

/** A copy of the request carrying the token; the caller's request never holds it. */
export function withBearer(req: NavanRequest, token: Secret): NavanRequest {
  const sent = copyRequest(req);
  sent.headers = withHeader(req.headers, 'authorization', `Bearer ${token.reveal()}`);
  return sent;
}

/**
 * The hook the client's HTTP pipeline calls: adds the bearer token and, on a 401, drops that
 * token, refreshes once and retries once. A 401 means Navan did not act on the request, so the
 * retry is safe even for a POST.
 */
export function authMiddleware(tokens: TokenService): Middleware {
  return async (req, next) => {
    const token = await tokens.getToken(req.tenant, { correlationId: req.correlationId });
    const res = await next(withBearer(req, token));
    if (res.status !== 401) return res;
    await tokens.invalidate(req.tenant, token);
    const fresh = await tokens.getToken(req.tenant, { correlationId: req.correlationId });
    const retried = await next(withBearer(req, fresh));
    if (retried.status === 401) {
      throw new NavanAuthError(`Navan refused a fresh token for tenant ${req.tenant} (401 twice); check or rotate the credentials.`, { correlationId: req.correlationId });
    }
    return retried;
  };
}
