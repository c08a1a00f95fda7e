import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyInfo, KeyStore, Scope } from './keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: ApiKeyInfo;
  }
  interface FastifyContextConfig {
    /** The scope a route needs; 'any' = any valid key; absent = public. */
    scope?: Scope | 'any';
  }
}

/** The tenant of the request's key. Only routes with a scope call it, after `authenticate`. */
export function tenantOf(req: FastifyRequest): string {
  return req.apiKey!.tenant;
}

function presentedKey(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const header = req.headers['x-api-key'];
  return typeof header === 'string' ? header.trim() : undefined;
}

/**
 * onRequest hook: checks the key and the route's scope before anything else runs. The tenant
 * always comes from the key, never from the request, so no parameter can reach another tenant.
 */
export function authenticate(keys: KeyStore) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const scope = req.routeOptions.config.scope;
    if (!scope) return;
    const raw = presentedKey(req);
    const key = raw && raw.length <= 200 ? await keys.verify(raw) : undefined;
    if (!key) {
      return reply.code(401).send({ error: 'UNAUTHORIZED', message: 'Send a valid API key as "Authorization: Bearer <key>" or "X-Api-Key"; create one with navan-bridge keys create --tenant <id>.' });
    }
    if (scope !== 'any' && !key.scopes.includes(scope)) {
      return reply.code(403).send({ error: 'FORBIDDEN', message: `This API key lacks the "${scope}" scope; create a key with --scopes ${scope}.` });
    }
    req.apiKey = key;
  };
}
