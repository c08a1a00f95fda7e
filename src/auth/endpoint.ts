import type { TenantConfig } from '../config/index.js';
import type { Clock } from '../shared/clock.js';
import { NavanAuthError, NavanBridgeError, TokenRefreshError } from '../shared/errors.js';
import type { Handler } from '../shared/http.js';
import { Secret } from '../shared/secret.js';

export interface TokenGrant {
  accessToken: Secret;
  /** Seconds, as Navan sent it; undefined when missing or not a number. */
  expiresIn?: number;
}

export interface EndpointRetry {
  /** Attempts per secret for 5xx and network failures. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The credential was refused (401/400 invalid_client); retrying the same secret will not help. */
export class CredentialRejected extends Error {
  constructor(readonly status: number) {
    super(`the token endpoint refused the credential (${status})`);
  }
}

/**
 * One client-credentials grant with bounded exponential backoff on 5xx and network failures.
 * Hand-written rather than cockatiel because the waits must follow the injected clock, so tests
 * with a manual clock stay deterministic.
 */
export async function requestToken(opts: {
  transport: Handler;
  tenant: TenantConfig;
  secret: Secret;
  clock: Clock;
  retry: EndpointRetry;
  random: () => number;
  correlationId: string;
  onAttemptFailed: (reason: string) => void;
}): Promise<TokenGrant> {
  const { tenant, retry } = opts;
  let lastReason = 'no attempt was made';
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    let status: number | undefined;
    let body: Buffer | undefined;
    try {
      const res = await opts.transport({
        tenant: tenant.id,
        method: 'POST',
        baseUrl: tenant.tokenUrl,
        path: '/ta-auth/oauth/token',
        endpoint: '/ta-auth/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: tenant.clientId, client_secret: opts.secret.reveal() }).toString(),
        correlationId: opts.correlationId,
        idempotent: true,
      });
      status = res.status;
      body = res.body;
    } catch (err) {
      // Only the error's class and status go into the reason: a transport message could echo the body.
      lastReason = err instanceof NavanBridgeError ? err.code : 'network error';
    }
    if (status === 200 && body) {
      const parsed = safeJson(body);
      const token = parsed?.access_token;
      if (typeof token === 'string' && token.length > 0) {
        const e = parsed?.expires_in;
        const n = typeof e === 'number' ? e : typeof e === 'string' && e.trim() !== '' ? Number(e) : undefined;
        return { accessToken: new Secret(token), expiresIn: n !== undefined && Number.isFinite(n) ? n : undefined };
      }
      lastReason = 'answer without access_token';
    } else if (status === 401 || (status === 400 && safeJson(body)?.error === 'invalid_client')) {
      throw new CredentialRejected(status);
    } else if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
      throw new NavanAuthError(`The token endpoint of tenant ${tenant.id} answered ${status}; check the tenant's tokenUrl, region and client id.`, { correlationId: opts.correlationId });
    } else if (status !== undefined) {
      lastReason = `status ${status}`;
    }
    opts.onAttemptFailed(lastReason);
    if (attempt < retry.attempts) {
      const delay = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
      await opts.clock.sleep(delay / 2 + (opts.random() * delay) / 2);
    }
  }
  throw new TokenRefreshError(
    `Could not get a token for tenant ${tenant.id} after ${retry.attempts} attempts (last: ${lastReason}); check that ${tenant.tokenUrl} is reachable.`,
    { correlationId: opts.correlationId },
  );
}

function safeJson(body: Buffer | undefined): Record<string, unknown> | undefined {
  if (!body) return undefined;
  try {
    const v = JSON.parse(body.toString('utf8'));
    return v && typeof v === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}
