import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Config, TenantConfig } from '../config/index.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { ConfigError, NavanAuthError, TokenRefreshError, TokenStoreUnavailableError } from '../shared/errors.js';
import { events as processEvents, type EventBus } from '../shared/events.js';
import type { Handler } from '../shared/http.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import { Secret } from '../shared/secret.js';
import { createTransport } from '../shared/transport.js';
import { open, seal } from './crypto.js';
import { CredentialRejected, requestToken, type EndpointRetry, type TokenGrant } from './endpoint.js';
import { AwsKmsKeyProvider, FileWrappedKeyStore, LocalKeyProvider, loadMasterKey, type KeyProvider, type KmsLike } from './keys.js';
import type { KMSClient } from '@aws-sdk/client-kms';
import { RefreshLock } from './lock.js';
import { FileTokenStore, MemoryTokenStore, RedisTokenStore, type TokenStore } from './stores.js';

export interface TokenServiceOptions {
  config: Config;
  redis?: Redis;
  store?: TokenStore;
  keyProvider?: KeyProvider;
  clock?: Clock;
  logger?: Logger;
  events?: EventBus;
  transport?: Handler;
  random?: () => number;
  /** Redis key prefix; tests use a unique one each. Default "navan-bridge:". */
  keyPrefix?: string;
  /** Token endpoint retries (5xx, timeouts). Default 4 attempts, 500 ms doubling to 8 s. */
  retry?: Partial<EndpointRetry>;
  /** How long a refresh may hold the cross-process lock; a dead holder's lock frees after this. */
  lockTtlMs?: number;
  /** How often waiters look for the token another process is fetching. */
  lockPollMs?: number;
}

export interface TokenStatus {
  tenant: string;
  cached: boolean;
  store: 'memory' | 'file' | 'redis';
  location: string;
  /** ISO 8601, when a token is cached. */
  expiresAt?: string;
  refreshAt?: string;
}

export interface TokenService {
  getToken(tenantId: string, opts?: { correlationId?: string }): Promise<Secret>;
  invalidate(tenantId: string, rejected?: Secret): Promise<void>;
  reauthenticate(tenantId: string): Promise<void>;
  status(tenantId?: string): Promise<TokenStatus[]>;
  close(): Promise<void>;
}

/** What is sealed into the store. `id` tells waiters that a new token has arrived. */
interface Entry {
  id: string;
  tenant: string;
  accessToken: string;
  obtainedAt: number;
  expiresAt: number;
  refreshAt: number;
}

// Navan says ~12 h; anything past a week, or not positive, is treated as nonsense.
const MAX_SANE_LIFE_SECONDS = 7 * 24 * 3600;

/** A KMS client created (and the AWS SDK imported) on the first call, so processes without KMS never load it. */
function lazyKmsClient(region: string | undefined): KmsLike & { destroy(): void } {
  let client: Promise<KMSClient> | undefined;
  return {
    send: (async (command: Parameters<KMSClient['send']>[0]) => {
      client ??= import('@aws-sdk/client-kms').then(({ KMSClient: Client }) => new Client(region ? { region } : {}));
      return (await client).send(command);
    }) as KmsLike['send'],
    destroy: () => void client?.then((c) => c.destroy(), () => undefined),
  };
}

export function createTokenService(options: TokenServiceOptions): TokenService {
  return new CachingTokenService(options);
}

class CachingTokenService implements TokenService {
  readonly #config: Config;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #events: EventBus;
  readonly #random: () => number;
  readonly #transport: Handler;
  readonly #store: TokenStore;
  readonly #keys: KeyProvider;
  readonly #lock?: RefreshLock;
  readonly #retry: EndpointRetry;
  readonly #lockTtlMs: number;
  readonly #lockPollMs: number;
  readonly #closers: (() => Promise<unknown>)[] = [];
  readonly #inflight = new Map<string, Promise<Entry>>();
  /** The last entry opened per tenant, with the sealed bytes it came from (see #load). */
  readonly #opened = new Map<string, { sealed: Buffer; entry: Entry }>();
  /** Tenants whose current secret was refused but whose next secret works (rotation half done). */
  readonly #useNextSecret = new Set<string>();

  constructor(o: TokenServiceOptions) {
    this.#config = o.config;
    this.#clock = o.clock ?? systemClock;
    this.#logger = (o.logger ?? silentLogger).child({ layer: 'auth' });
    this.#events = o.events ?? processEvents;
    this.#random = o.random ?? Math.random;
    this.#retry = { attempts: 4, baseDelayMs: 500, maxDelayMs: 8000, ...o.retry };
    this.#lockTtlMs = o.lockTtlMs ?? 15_000;
    this.#lockPollMs = o.lockPollMs ?? 100;
    const prefix = o.keyPrefix ?? 'navan-bridge:';
    if (o.transport) this.#transport = o.transport;
    else {
      const t = createTransport({ timeoutMs: 10_000 });
      this.#closers.push(() => t.close());
      this.#transport = t;
    }
    let redis = o.redis;
    const kind = o.store ? undefined : (o.config.auth.tokenStore ?? (redis || o.config.storage.redisUrl ? 'redis' : 'file'));
    if (kind === 'redis' && !redis && !o.config.storage.redisUrl) {
      throw new ConfigError('auth.tokenStore: "redis" needs storage.redisUrl (or REDIS_URL); set it or choose "file".');
    }
    // With an explicit store, a configured Redis still provides the cross-process lock.
    if (!redis && o.config.storage.redisUrl && (o.store || kind === 'redis')) {
      const created = new Redis(o.config.storage.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
      this.#closers.push(() => created.quit());
      redis = created;
    }
    if (redis) this.#lock = new RefreshLock(redis, prefix);
    const dataDir = o.config.storage.dataDir;
    this.#store =
      o.store ??
      (kind === 'memory' ? new MemoryTokenStore(this.#clock) : kind === 'redis' ? new RedisTokenStore(redis!, prefix) : new FileTokenStore(dataDir, this.#clock));
    this.#keys = o.keyProvider ?? this.#defaultKeyProvider(dataDir);
  }

  #defaultKeyProvider(dataDir: string): KeyProvider {
    const auth = this.#config.auth;
    if (auth.keyProvider === 'aws-kms') {
      if (!auth.kmsKeyId) throw new ConfigError('auth.kmsKeyId: is required with keyProvider "aws-kms"; set it to the KMS key id or ARN.');
      const client = lazyKmsClient(auth.kmsRegion);
      this.#closers.push(async () => client.destroy());
      return new AwsKmsKeyProvider({ client, keyId: auth.kmsKeyId, wrappedKeys: new FileWrappedKeyStore(join(dataDir, 'kms-data-keys.json')) });
    }
    // Nothing in the memory store outlives the process, so a throwaway key is enough unless one is configured.
    if (this.#store instanceof MemoryTokenStore && !process.env.NAVAN_BRIDGE_MASTER_KEY && !auth.masterKeyFile) return LocalKeyProvider.ephemeral();
    return new LocalKeyProvider(loadMasterKey({ keyFile: auth.masterKeyFile, dataDir, logger: this.#logger }));
  }

  #tenant(tenantId: string): TenantConfig {
    const t = this.#config.tenants.find((x) => x.id === tenantId);
    if (!t) throw new ConfigError(`Tenant "${tenantId}" is not configured; add it under tenants or check the id.`);
    return t;
  }

  async getToken(tenantId: string, opts: { correlationId?: string } = {}): Promise<Secret> {
    this.#tenant(tenantId);
    const entry = await this.#load(tenantId);
    const now = this.#clock.now();
    if (entry && now < entry.refreshAt) return new Secret(entry.accessToken);
    try {
      const fresh = await this.#refresh(tenantId, entry?.id, opts.correlationId, entry ? 'proactive' : 'missing');
      return new Secret(fresh.accessToken);
    } catch (err) {
      // A failed proactive refresh is not fatal while the old token still works; the failure event pages.
      if (entry && now < entry.expiresAt && !(err instanceof NavanAuthError)) {
        this.#logger.warn({ tenant: tenantId, expiresAt: new Date(entry.expiresAt).toISOString() }, 'Token refresh failed; using the current token until it expires.');
        return new Secret(entry.accessToken);
      }
      throw err;
    }
  }

  async invalidate(tenantId: string, rejected?: Secret): Promise<void> {
    const entry = await this.#load(tenantId);
    if (!entry) return;
    // Another caller may already have replaced the rejected token; dropping the new one would waste a refresh.
    if (rejected && entry.accessToken !== rejected.reveal()) return;
    await this.#store.delete(tenantId);
    this.#logger.info({ tenant: tenantId }, 'Dropped the cached token after Navan rejected it.');
  }

  async reauthenticate(tenantId: string): Promise<void> {
    this.#tenant(tenantId);
    const entry = await this.#load(tenantId);
    await this.#refresh(tenantId, entry?.id, undefined, 'forced');
  }

  async status(tenantId?: string): Promise<TokenStatus[]> {
    const tenants = tenantId ? [this.#tenant(tenantId)] : this.#config.tenants;
    const { kind, location } = this.#store.describe();
    const out: TokenStatus[] = [];
    for (const t of tenants) {
      const e = await this.#load(t.id);
      out.push({
        tenant: t.id,
        cached: !!e,
        store: kind,
        location,
        ...(e ? { expiresAt: new Date(e.expiresAt).toISOString(), refreshAt: new Date(e.refreshAt).toISOString() } : {}),
      });
      if (e) this.#events.emit('token.expiry', { tenant: t.id, expiresAt: e.expiresAt });
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#inflight.values()]);
    for (const c of this.#closers.splice(0)) await c().catch(() => undefined);
  }

  /** Reads and opens the cached entry; an entry that does not open is discarded, never returned. */
  async #load(tenantId: string): Promise<Entry | null> {
    let sealed: Buffer | null;
    try {
      sealed = await this.#store.get(tenantId);
    } catch (err) {
      // The shared cache is down (Redis restarting): the token this process last opened is still
      // good until it expires, so calls go on; without one the caller gets the typed error (503).
      const known = this.#opened.get(tenantId);
      if (err instanceof TokenStoreUnavailableError && known && this.#clock.now() < known.entry.expiresAt) return known.entry;
      throw err;
    }
    if (!sealed) return null;
    // The same sealed bytes open to the same entry: skip AES-GCM and JSON on every API call while
    // the cached token is unchanged. Different bytes (a refresh, another process's write, tampering)
    // are opened and authenticated in full. Nothing here outlives the process.
    const known = this.#opened.get(tenantId);
    if (known && known.sealed.equals(sealed)) return this.#clock.now() >= known.entry.expiresAt ? null : known.entry;
    this.#opened.delete(tenantId);
    try {
      const entry = JSON.parse(open(await this.#keys.dataKey(tenantId), tenantId, sealed).toString('utf8')) as Entry;
      if (entry.tenant !== tenantId) throw new Error('entry sealed for another tenant');
      if (this.#clock.now() >= entry.expiresAt) return null;
      this.#opened.set(tenantId, { sealed: Buffer.from(sealed), entry });
      return entry;
    } catch {
      this.#logger.warn({ tenant: tenantId, store: this.#store.describe().kind }, 'A cached token entry could not be decrypted (tampered, another tenant\'s, or another key); discarding it and fetching a new token.');
      await this.#store.delete(tenantId);
      return null;
    }
  }

  /** One refresh per tenant in this process; concurrent callers share it. */
  #refresh(tenantId: string, staleId: string | undefined, correlationId: string | undefined, reason: string): Promise<Entry> {
    let p = this.#inflight.get(tenantId);
    if (!p) {
      p = this.#refreshAcrossProcesses(tenantId, staleId, correlationId ?? randomUUID(), reason).finally(() => this.#inflight.delete(tenantId));
      this.#inflight.set(tenantId, p);
    }
    return p;
  }

  /** A usable entry that is not the one being replaced. */
  #newEntry(e: Entry | null, staleId: string | undefined): Entry | undefined {
    return e && e.id !== staleId && this.#clock.now() < e.refreshAt ? e : undefined;
  }

  async #refreshAcrossProcesses(tenantId: string, staleId: string | undefined, correlationId: string, reason: string): Promise<Entry> {
    if (!this.#lock) return this.#fetchAndStore(tenantId, correlationId, reason);
    const deadline = Date.now() + this.#lockTtlMs * 3;
    for (;;) {
      const owner = await this.#lock.acquire(tenantId, this.#lockTtlMs);
      if (owner) {
        try {
          // Another process may have stored a new token between our read and our lock.
          const current = await this.#load(tenantId);
          const fresh = this.#newEntry(current, staleId);
          if (fresh) return fresh;
          return await this.#fetchAndStore(tenantId, correlationId, reason);
        } finally {
          await this.#lock.release(tenantId, owner).catch(() => undefined);
        }
      }
      // Another process is refreshing: wait for its token, or for its lock to go (done, failed or dead).
      while (await this.#lock.isHeld(tenantId)) {
        const current = await this.#load(tenantId);
        const fresh = this.#newEntry(current, staleId);
        if (fresh) return fresh;
        // An early (proactive) refresh elsewhere need not hold this caller up: the old token is still valid.
        if (reason === 'proactive' && current && current.id === staleId && this.#clock.now() < current.expiresAt) return current;
        if (Date.now() > deadline) {
          throw new TokenRefreshError(`Timed out waiting for another process to refresh the token of tenant ${tenantId}; check the other navan-bridge processes and Redis.`, { correlationId });
        }
        await this.#clock.sleep(this.#lockPollMs);
      }
      const current = await this.#load(tenantId);
      const fresh = this.#newEntry(current, staleId);
      if (fresh) return fresh;
    }
  }

  async #fetchAndStore(tenantId: string, correlationId: string, reason: string): Promise<Entry> {
    const tenant = this.#tenant(tenantId);
    this.#logger.debug({ tenant: tenantId, reason, correlationId }, 'Requesting a token.');
    let grant: TokenGrant;
    try {
      grant = await this.#grant(tenant, correlationId);
    } catch (err) {
      const code = err instanceof Error && 'code' in err ? String((err as { code: unknown }).code) : 'error';
      this.#events.emit('token.refresh', { tenant: tenantId, outcome: 'failure', reason: code });
      this.#logger.error({ tenant: tenantId, correlationId, code }, 'Token refresh failed.');
      throw err;
    }
    const entry = this.#entryFor(tenantId, grant);
    const sealed = seal(await this.#keys.dataKey(tenantId), tenantId, Buffer.from(JSON.stringify(entry)));
    await this.#store.set(tenantId, sealed, entry.expiresAt - this.#clock.now());
    // The next #load of these same bytes skips decryption, and a store outage can fall back to it.
    this.#opened.set(tenantId, { sealed: Buffer.from(sealed), entry });
    this.#events.emit('token.refresh', { tenant: tenantId, outcome: 'success', reason, expiresAt: entry.expiresAt });
    this.#events.emit('token.expiry', { tenant: tenantId, expiresAt: entry.expiresAt });
    this.#logger.info({ tenant: tenantId, reason, expiresAt: new Date(entry.expiresAt).toISOString(), refreshAt: new Date(entry.refreshAt).toISOString() }, 'Token refreshed.');
    return entry;
  }

  /** Tries the current secret, then the next one during a rotation. */
  async #grant(tenant: TenantConfig, correlationId: string): Promise<TokenGrant> {
    const secrets: { which: 'current' | 'next'; secret: Secret }[] = [{ which: 'current', secret: tenant.clientSecret }];
    if (tenant.nextClientSecret) {
      const next = { which: 'next' as const, secret: tenant.nextClientSecret };
      if (this.#useNextSecret.has(tenant.id)) secrets.unshift(next);
      else secrets.push(next);
    }
    for (const { which, secret } of secrets) {
      try {
        const grant = await requestToken({
          transport: this.#transport,
          tenant,
          secret,
          clock: this.#clock,
          retry: this.#retry,
          random: this.#random,
          correlationId,
          onAttemptFailed: (why) => {
            this.#events.emit('token.refresh', { tenant: tenant.id, outcome: 'retry', reason: why });
            this.#logger.warn({ tenant: tenant.id, correlationId, reason: why }, 'Token request attempt failed; retrying with backoff.');
          },
        });
        if (which === 'next') {
          this.#useNextSecret.add(tenant.id);
          this.#logger.warn({ tenant: tenant.id }, 'Navan refused the current client secret but accepted the next one; complete the rotation by making the next secret the current one.');
        }
        return grant;
      } catch (err) {
        if (!(err instanceof CredentialRejected)) throw err;
        this.#logger.warn({ tenant: tenant.id, secret: which, status: err.status }, 'Navan refused a client secret.');
      }
    }
    throw new NavanAuthError(`Navan refused the client credentials of tenant ${tenant.id} (401); check or rotate the credentials.`, { correlationId });
  }

  #entryFor(tenantId: string, grant: TokenGrant): Entry {
    const auth = this.#config.auth;
    let life = grant.expiresIn;
    if (life === undefined || !(life > 0) || life > MAX_SANE_LIFE_SECONDS) {
      this.#logger.warn({ tenant: tenantId, expiresIn: life ?? null, assumedSeconds: auth.fallbackTokenLifeSeconds }, 'The token answer had a missing or implausible expires_in; assuming a short life so the token is refreshed in time.');
      life = auth.fallbackTokenLifeSeconds;
    }
    const now = this.#clock.now();
    const lifeMs = life * 1000;
    const leadMs = auth.refreshLeadSeconds * 1000 + this.#random() * auth.refreshJitterSeconds * 1000;
    // A token shorter-lived than the lead time would otherwise be "due" at once, on every call.
    const refreshAt = now + Math.max(lifeMs - leadMs, lifeMs / 2);
    return { id: randomBytes(8).toString('hex'), tenant: tenantId, accessToken: grant.accessToken.reveal(), obtainedAt: now, expiresAt: now + lifeMs, refreshAt };
  }
}
