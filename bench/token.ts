/**
 * getToken on a warm cache, ops/s: with the memory store against a bare Map.get, and with the
 * Redis store (GET + AES-GCM open + JSON parse) against a bare redis GET of a value of the same
 * size, in the same run. Sequential calls, one at a time: this is per-call latency, not throughput
 * under concurrency. Needs Redis at 127.0.0.1:6379.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createTokenService, MemoryTokenStore, RedisTokenStore } from '../src/auth/index.js';
import { loadConfig } from '../src/config/index.js';
import type { Handler } from '../src/shared/http.js';
import { repeat, report } from './lib.js';

const MEMORY_N = 100_000;
const REDIS_N = 5_000;

const tokenEndpoint: Handler = async () => ({
  status: 200,
  headers: {},
  body: Buffer.from(JSON.stringify({ access_token: randomBytes(24).toString('base64url'), expires_in: 43199 })),
});

async function opsPerSecond(n: number, fn: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

export async function run(): Promise<void> {
  const config = loadConfig({ env: {}, cwd: '/tmp', overrides: { tenants: [{ id: 'acme', baseUrl: 'http://127.0.0.1:9', clientId: 'bench', clientSecret: 'bench-secret' }] } });
  const redis = new Redis('redis://127.0.0.1:6379');
  const prefix = `bench:token:${process.pid}:`;
  const memory = createTokenService({ config, store: new MemoryTokenStore(), transport: tokenEndpoint });
  const viaRedis = createTokenService({ config, redis, keyPrefix: prefix, store: new RedisTokenStore(redis, prefix), transport: tokenEndpoint });
  await memory.getToken('acme');
  await viaRedis.getToken('acme');
  const map = new Map([['acme', randomBytes(150)]]);
  const rawKey = `${prefix}baseline`;
  await redis.set(rawKey, randomBytes(150));

  // Warm-up so the JIT and the connection have settled.
  await opsPerSecond(MEMORY_N / 10, () => memory.getToken('acme'));
  await opsPerSecond(REDIS_N / 10, () => viaRedis.getToken('acme'));
  const figures = await repeat(5, async () => ({
    map_get_ops_s: await opsPerSecond(MEMORY_N, () => map.get('acme')),
    memory_getToken_ops_s: await opsPerSecond(MEMORY_N, () => memory.getToken('acme')),
    redis_get_ops_s: await opsPerSecond(REDIS_N, () => redis.getBuffer(rawKey)),
    redis_getToken_ops_s: await opsPerSecond(REDIS_N, () => viaRedis.getToken('acme')),
  }));
  await memory.close();
  await viaRedis.close();
  await redis.del(rawKey, `${prefix}tenant:acme:token`);
  await redis.quit();
  report({
    name: 'token',
    figures,
    ratio: figures.redis_getToken_ops_s! / figures.redis_get_ops_s!,
    notes: `median of 5; sequential awaited calls (memory ${MEMORY_N}, redis ${REDIS_N}); ratio = redis getToken / bare redis GET`,
  });
}
