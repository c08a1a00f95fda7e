import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { TokenStoreUnavailableError } from '../shared/errors.js';

/** Holds sealed (encrypted) cache entries per tenant; it never sees a token in clear. */
export interface TokenStore {
  get(tenant: string): Promise<Buffer | null>;
  set(tenant: string, ciphertext: Buffer, ttlMs: number): Promise<void>;
  delete(tenant: string): Promise<void>;
  describe(): { kind: 'memory' | 'file' | 'redis'; location: string };
}

/** For tests and single runs: nothing survives the process. */
export class MemoryTokenStore implements TokenStore {
  readonly #entries = new Map<string, { value: Buffer; expiresAt: number }>();
  constructor(private readonly clock: Clock = systemClock) {}
  async get(tenant: string): Promise<Buffer | null> {
    const e = this.#entries.get(tenant);
    if (!e) return null;
    if (e.expiresAt <= this.clock.now()) {
      this.#entries.delete(tenant);
      return null;
    }
    return e.value;
  }
  async set(tenant: string, ciphertext: Buffer, ttlMs: number): Promise<void> {
    this.#entries.set(tenant, { value: ciphertext, expiresAt: this.clock.now() + ttlMs });
  }
  async delete(tenant: string): Promise<void> {
    this.#entries.delete(tenant);
  }
  describe() {
    return { kind: 'memory' as const, location: 'process memory' };
  }
}

/**
 * The embedded default: one file per tenant under <dataDir>/tokens, written to a temporary file
 * and renamed, so a reader never sees half an entry. Layout: expiry (8 bytes, ms) | sealed entry.
 */
export class FileTokenStore implements TokenStore {
  readonly dir: string;
  constructor(dataDir: string, private readonly clock: Clock = systemClock) {
    this.dir = resolve(join(dataDir, 'tokens'));
  }
  #path(tenant: string): string {
    return join(this.dir, `${tenant}.token`);
  }
  async get(tenant: string): Promise<Buffer | null> {
    const p = this.#path(tenant);
    if (!existsSync(p)) return null;
    const raw = readFileSync(p);
    if (raw.length < 8 || Number(raw.readBigUInt64BE(0)) <= this.clock.now()) return null;
    return raw.subarray(8);
  }
  async set(tenant: string, ciphertext: Buffer, ttlMs: number): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const header = Buffer.alloc(8);
    header.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(this.clock.now() + ttlMs))));
    const tmp = `${this.#path(tenant)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, Buffer.concat([header, ciphertext]), { mode: 0o600 });
    renameSync(tmp, this.#path(tenant));
  }
  async delete(tenant: string): Promise<void> {
    rmSync(this.#path(tenant), { force: true });
  }
  describe() {
    return { kind: 'file' as const, location: this.dir };
  }
}

/** Key names, in one place so that the store and the lock agree. The tenant is in every key. */
export function redisKeys(prefix: string, tenant: string): { token: string; lock: string } {
  const base = `${prefix}tenant:${tenant}:`;
  return { token: `${base}token`, lock: `${base}refresh-lock` };
}

/** host:port of a Redis connection, for messages and descriptions. */
function redisAddress(redis: Redis): string {
  const o = redis.options;
  return `${o.host ?? '127.0.0.1'}:${o.port ?? 6379}`;
}

/**
 * Runs one Redis command of the token cache; a Redis failure (down, restarting) becomes a typed,
 * transient TokenStoreUnavailableError instead of ioredis' own error, so callers can tell it apart
 * from a bug (the proxy answers 503, not 500).
 */
export async function tokenRedis<T>(redis: Redis, command: Promise<T>): Promise<T> {
  try {
    return await command;
  } catch (err) {
    throw new TokenStoreUnavailableError(
      `The token cache in Redis (${redisAddress(redis)}) did not answer (${err instanceof Error ? err.message : String(err)}); retry in a few seconds, and check Redis if it persists.`,
      { cause: err },
    );
  }
}

/** Shared by every process; Redis expires the entry with the token. */
export class RedisTokenStore implements TokenStore {
  constructor(private readonly redis: Redis, private readonly prefix = 'navan-bridge:') {}
  async get(tenant: string): Promise<Buffer | null> {
    return tokenRedis(this.redis, this.redis.getBuffer(redisKeys(this.prefix, tenant).token));
  }
  async set(tenant: string, ciphertext: Buffer, ttlMs: number): Promise<void> {
    await tokenRedis(this.redis, this.redis.set(redisKeys(this.prefix, tenant).token, ciphertext, 'PX', Math.max(1, Math.floor(ttlMs))));
  }
  async delete(tenant: string): Promise<void> {
    await tokenRedis(this.redis, this.redis.del(redisKeys(this.prefix, tenant).token));
  }
  describe() {
    return { kind: 'redis' as const, location: `redis://${redisAddress(this.redis)}/${this.redis.options.db ?? 0} ${this.prefix}tenant:*` };
  }
}
