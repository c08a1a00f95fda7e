import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SimState } from './state.js';

/** POST /ta-auth/oauth/token: client credentials as form fields or HTTP Basic. */
export function registerOAuth(app: FastifyInstance, state: SimState): void {
  app.post('/ta-auth/oauth/token', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, string | undefined>;
    const basic = parseBasic(request);
    const clientId = basic?.clientId ?? body.client_id;
    const clientSecret = basic?.clientSecret ?? body.client_secret;
    if (body.grant_type !== 'client_credentials') {
      return reply.code(400).send({ error: 'unsupported_grant_type' });
    }
    const credential = state.credentials.authenticate(clientId, clientSecret);
    if (!credential) return reply.code(401).send({ error: 'invalid_client' });
    const expiresIn = state.config.expiresIn;
    const accessToken = state.credentials.issue(credential, expiresIn);
    state.stats.tokensIssued++;
    return reply.header('cache-control', 'no-store').send({
      access_token: accessToken,
      token_type: 'bearer',
      expires_in: expiresIn,
      scope: credential.scopes.join(' '),
      company_uuid: state.credentials.companyUuid,
      allowed_ips: null,
    });
  });
}

function parseBasic(request: FastifyRequest): { clientId: string; clientSecret: string } | undefined {
  const header = request.headers.authorization;
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
  const unescape = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { clientId: unescape(decoded.slice(0, colon)), clientSecret: unescape(decoded.slice(colon + 1)) };
}
