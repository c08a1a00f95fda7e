import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { redisKeys, tokenRedis } from './stores.js';

const scripts = new Map<string, string>();
/** Lua scripts live in ./lua as .lua files (the build copies them beside the compiled code). */
export function luaScript(name: string): string {
  let text = scripts.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
    scripts.set(name, text);
  }
  return text;
}

type RedisWithRelease = Redis & { navanBridgeReleaseLock(key: string, owner: string): Promise<number> };

/**
 * The cross-process refresh lock for one tenant: SET NX PX with a random owner token, released
 * by an owner-checked compare-and-delete, so a holder that outlived its lock cannot free the
 * lock of the process that took over (the bug in Nango's lock).
 */
export class RefreshLock {
  readonly #redis: RedisWithRelease;
  constructor(redis: Redis, private readonly prefix: string) {
    if (!(redis as unknown as Partial<RedisWithRelease>).navanBridgeReleaseLock) {
      redis.defineCommand('navanBridgeReleaseLock', { numberOfKeys: 1, lua: luaScript('release-lock') });
    }
    this.#redis = redis as unknown as RedisWithRelease;
  }
  /** Returns the owner token when the lock was taken, or null when another process holds it. */
  async acquire(tenant: string, ttlMs: number): Promise<string | null> {
    const owner = randomBytes(16).toString('hex');
    const ok = await tokenRedis(this.#redis, this.#redis.set(redisKeys(this.prefix, tenant).lock, owner, 'PX', ttlMs, 'NX'));
    return ok === 'OK' ? owner : null;
  }
  /** True when this owner still held the lock and released it. */
  async release(tenant: string, owner: string): Promise<boolean> {
    return (await tokenRedis(this.#redis, this.#redis.navanBridgeReleaseLock(redisKeys(this.prefix, tenant).lock, owner))) === 1;
  }
  async isHeld(tenant: string): Promise<boolean> {
    return (await tokenRedis(this.#redis, this.#redis.exists(redisKeys(this.prefix, tenant).lock))) === 1;
  }
}
