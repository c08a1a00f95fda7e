import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SimCredential } from './credentials.js';
import type { SimState } from './state.js';
import { springError } from './errors.js';

export type Permission = 'bookings:read' | 'users:read' | 'expense';

/**
 * Bearer token, per-credential rate limit, then scope: the order a real API gateway checks them.
 * Sends the error reply and returns undefined when the call may not proceed.
 */
export function authorize(state: SimState, request: FastifyRequest, reply: FastifyReply, need: Permission): SimCredential | undefined {
  const header = request.headers.authorization ?? '';
  const token = /^bearer /i.test(header) ? header.slice(7).trim() : undefined;
  const check = state.credentials.check(token);
  if (!check.ok) {
    const description = { missing: 'Full authentication is required to access this resource', unknown: 'Invalid access token', expired: 'Access token expired' }[check.reason];
    reply.code(401).header('www-authenticate', `Bearer error="invalid_token", error_description="${description}"`).send({ error: 'invalid_token', error_description: description });
    return undefined;
  }
  const { credential } = check;
  const limit = state.rateLimit.take(credential.clientId);
  if (limit && state.rateLimit.headers) {
    reply.header('x-ratelimit-limit', String(limit.limit)).header('x-ratelimit-remaining', String(limit.remaining)).header('x-ratelimit-reset', String(limit.resetSeconds));
  }
  if (limit && !limit.allowed) {
    reply.header('retry-after', '1');
    springError(reply, request, 429, 'Rate limit exceeded');
    return undefined;
  }
  if (credential.scopes.length === 0) {
    reply.code(403).send({ error: 'access_denied', error_description: 'This credential has no scopes; add bookings:read or users:read to it in Navan.' });
    return undefined;
  }
  if (need === 'expense' ? !credential.expenseEnabled : !credential.scopes.includes(need)) {
    const description =
      need === 'expense'
        ? 'The expense API is not enabled for this company; ask Navan support to enable it.'
        : `Insufficient scope: this call needs ${need}; add it to the credential in Navan.`;
    reply.code(403).send({ error: need === 'expense' ? 'access_denied' : 'insufficient_scope', error_description: description, ...(need === 'expense' ? {} : { scope: need }) });
    return undefined;
  }
  return credential;
}
