import { randomBytes } from 'node:crypto';
import { Rng } from './rng.js';

export const DEFAULT_SCOPES = ['bookings:read', 'users:read'] as const;

export interface SimCredential {
  clientId: string;
  clientSecret: string;
  scopes: string[];
  expenseEnabled: boolean;
}

export interface IssuedToken {
  clientId: string;
  expiresAt: number;
}

export type TokenCheck =
  | { ok: true; credential: SimCredential }
  | { ok: false; reason: 'missing' | 'unknown' | 'expired' };

/**
 * OAuth client credentials and the opaque tokens issued for them. Expiry is measured on the
 * simulator clock so tests can jump past it.
 */
export class CredentialStore {
  readonly #credentials = new Map<string, SimCredential>();
  readonly #tokens = new Map<string, IssuedToken>();
  readonly companyUuid: string;
  readonly defaultCredential: SimCredential;

  constructor(seed: number, private readonly now: () => number) {
    const rng = Rng.for(seed, 0xc4ed, 0);
    this.companyUuid = rng.uuid();
    this.defaultCredential = this.add({ clientId: rng.uuid(), clientSecret: rng.hex(32) });
  }

  add(input: Partial<SimCredential>): SimCredential {
    const credential: SimCredential = {
      clientId: input.clientId ?? newUuid(),
      clientSecret: input.clientSecret ?? randomBytes(16).toString('hex'),
      scopes: input.scopes ?? [...DEFAULT_SCOPES],
      expenseEnabled: input.expenseEnabled ?? true,
    };
    this.#credentials.set(credential.clientId, credential);
    return credential;
  }

  /** Deletes the credential and every token issued for it. */
  remove(clientId: string): boolean {
    this.revokeTokens(clientId);
    return this.#credentials.delete(clientId);
  }

  authenticate(clientId: string | undefined, clientSecret: string | undefined): SimCredential | undefined {
    if (!clientId || clientSecret === undefined) return undefined;
    const credential = this.#credentials.get(clientId);
    return credential && credential.clientSecret === clientSecret ? credential : undefined;
  }

  issue(credential: SimCredential, expiresInSeconds: number): string {
    this.#pruneExpired();
    const token = randomBytes(24).toString('base64url');
    this.#tokens.set(token, { clientId: credential.clientId, expiresAt: this.now() + expiresInSeconds * 1000 });
    return token;
  }

  check(token: string | undefined): TokenCheck {
    if (!token) return { ok: false, reason: 'missing' };
    const issued = this.#tokens.get(token);
    const credential = issued && this.#credentials.get(issued.clientId);
    if (!issued || !credential) return { ok: false, reason: 'unknown' };
    if (this.now() >= issued.expiresAt) return { ok: false, reason: 'expired' };
    return { ok: true, credential };
  }

  /** Revokes issued tokens: all of them, or one client's. The credentials stay valid. */
  revokeTokens(clientId?: string): number {
    let n = 0;
    for (const [token, issued] of this.#tokens) {
      if (clientId === undefined || issued.clientId === clientId) {
        this.#tokens.delete(token);
        n++;
      }
    }
    return n;
  }

  // Long demo runs issue many tokens; forgetting expired ones keeps memory flat. Kept for a day
  // past expiry so a late call still gets "expired" rather than "unknown" (both are 401 anyway).
  #pruneExpired(): void {
    if (this.#tokens.size < 10_000) return;
    const cutoff = this.now() - 86_400_000;
    for (const [token, issued] of this.#tokens) if (issued.expiresAt < cutoff) this.#tokens.delete(token);
  }
}

function newUuid(): string {
  return new Rng(randomBytes(4).readUInt32LE(0)).uuid();
}
