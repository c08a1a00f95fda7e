import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authMiddleware, createTokenService, FileTokenStore, LocalKeyProvider, MemoryTokenStore, RedisTokenStore, type TokenService } from '../../src/auth/index.js';
import { redisKeys } from '../../src/auth/stores.js';
import { ManualClock, systemClock } from '../../src/shared/clock.js';
import { NavanAuthError, TokenRefreshError, TokenStoreUnavailableError } from '../../src/shared/errors.js';
import { EventBus, type BridgeEvents } from '../../src/shared/events.js';
import { compose, type Handler, type NavanRequest } from '../../src/shared/http.js';
import { Secret } from '../../src/shared/secret.js';
import { createTransport } from '../../src/shared/transport.js';
import { startTestSim, type Simulator, type SimControl } from '../helpers/sim.js';
import { capturingLogger, testConfig, uniquePrefix } from './helpers.js';

let sim: Simulator & { control: SimControl };
const redis = new Redis('redis://127.0.0.1:6379');
const prefix = uniquePrefix('service');
const transport = createTransport({ timeoutMs: 5000 });
const services: TokenService[] = [];

beforeAll(async () => {
  sim = await startTestSim({ expiresIn: 3600 });
});
afterAll(async () => {
  for (const s of services) await s.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  await transport.close();
  await sim.close();
});
beforeEach(async () => {
  await sim.control.post('/config', { expiresIn: 3600 });
});

const issued = async () => (await sim.control.stats()).tokensIssued;

function tenant(id: string, extra: Record<string, unknown> = {}) {
  return { id, baseUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret, ...extra };
}

function service(opts: Partial<Parameters<typeof createTokenService>[0]> & { tenants?: Record<string, unknown>[] } = {}) {
  const { tenants, ...rest } = opts;
  const s = createTokenService({
    config: testConfig(tenants ?? [tenant('acme')], { auth: { refreshLeadSeconds: 300, refreshJitterSeconds: 30 } }),
    store: new MemoryTokenStore(),
    transport,
    random: () => 0,
    keyPrefix: prefix,
    retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    ...rest,
  });
  services.push(s);
  return s;
}

/** Calls GET /v1/bookings through the auth middleware. */
function apiCall(tokens: TokenService, tenantId = 'acme', inner: Handler = transport) {
  const handler = compose([authMiddleware(tokens)], inner);
  const now = Math.floor(sim.clock.now() / 1000);
  const req: NavanRequest = {
    tenant: tenantId, method: 'GET', baseUrl: sim.url, path: '/v1/bookings', endpoint: '/v1/bookings',
    query: { createdFrom: now - 86400, createdTo: now, size: 1 }, headers: {}, correlationId: `test-${randomBytes(4).toString('hex')}`, idempotent: true,
  };
  return handler(req);
}

describe('getToken', () => {
  it('refreshes proactively at expiry minus the lead time, on a fake clock', async () => {
    const clock = new ManualClock(sim.clock.now());
    const store = new MemoryTokenStore(clock);
    const tokens = service({ clock, store });
    const before = await issued();
    const first = await tokens.getToken('acme');
    expect(await issued()).toBe(before + 1);
    // Just before expiry - 5 min: still the cached token.
    const justBefore = 3600_000 - 300_000 - 1000;
    await clock.advance(justBefore);
    sim.clock.advance(justBefore);
    expect((await tokens.getToken('acme')).reveal()).toBe(first.reveal());
    expect(await issued()).toBe(before + 1);
    await clock.advance(2000);
    sim.clock.advance(2000);
    const second = await tokens.getToken('acme');
    expect(second.reveal()).not.toBe(first.reveal());
    expect(await issued()).toBe(before + 2);
    const [st] = await tokens.status('acme');
    expect(st!.cached).toBe(true);
    expect(Date.parse(st!.refreshAt!)).toBe(clock.now() + 3600_000 - 300_000);
  });

  it('adds jitter to the lead time', async () => {
    const clock = new ManualClock(sim.clock.now());
    const tokens = service({ clock, store: new MemoryTokenStore(clock), random: () => 1 });
    await tokens.getToken('acme');
    const [st] = await tokens.status('acme');
    expect(Date.parse(st!.refreshAt!)).toBe(clock.now() + 3600_000 - 330_000);
  });

  it('200 concurrent callers in one process share one token request', async () => {
    for (const tokens of [service(), service({ redis, store: new RedisTokenStore(redis, prefix + 'c200:') })]) {
      const before = await issued();
      const all = await Promise.all(Array.from({ length: 200 }, () => tokens.getToken('acme')));
      expect(new Set(all.map((t) => t.reveal())).size).toBe(1);
      expect(await issued()).toBe(before + 1);
    }
  });

  it('assumes a short life, with a warning, when expires_in is missing or absurd', async () => {
    for (const body of [{ access_token: 'tok-a' }, { access_token: 'tok-b', expires_in: -5 }, { access_token: 'tok-c', expires_in: 10 ** 12 }]) {
      const cap = capturingLogger();
      const clock = new ManualClock();
      const fake: Handler = async () => ({ status: 200, headers: {}, body: Buffer.from(JSON.stringify(body)) });
      const tokens = service({ clock, store: new MemoryTokenStore(clock), transport: fake, logger: cap.logger });
      await tokens.getToken('acme');
      const [st] = await tokens.status('acme');
      // fallbackTokenLifeSeconds (3300) is the default.
      expect(Date.parse(st!.expiresAt!)).toBe(clock.now() + 3300_000);
      expect(cap.text()).toContain('expires_in');
    }
  });
});

describe('stores across restarts', () => {
  it('a restarted process reuses the cached token from the file store and from Redis', async () => {
    const masterKey = new Secret(randomBytes(32).toString('base64'));
    const cfg = testConfig([tenant('acme')]);
    for (const makeStore of [() => new FileTokenStore(cfg.storage.dataDir), () => new RedisTokenStore(redis, prefix + 'restart:')]) {
      const first = service({ config: cfg, store: makeStore(), keyProvider: new LocalKeyProvider(masterKey), redis });
      const before = await issued();
      const t1 = await first.getToken('acme');
      await first.close();
      const second = service({ config: cfg, store: makeStore(), keyProvider: new LocalKeyProvider(masterKey), redis });
      expect((await second.getToken('acme')).reveal()).toBe(t1.reveal());
      expect(await issued()).toBe(before + 1);
    }
  });

  it('while Redis is down a process keeps its last token until it expires; without one it gets a typed, transient error', async () => {
    const masterKey = new Secret(randomBytes(32).toString('base64'));
    const cfg = testConfig([tenant('acme')]);
    // Like the runtime's connection: no offline queue, so a dead Redis fails at once.
    const flaky = new Redis('redis://127.0.0.1:6379', { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    await new Promise((r) => flaky.once('ready', r));
    const store = () => new RedisTokenStore(flaky, prefix + 'down:');
    const warm = service({ config: cfg, store: store(), keyProvider: new LocalKeyProvider(masterKey), redis: flaky });
    const t1 = await warm.getToken('acme');
    flaky.disconnect();
    const before = await issued();
    expect((await warm.getToken('acme')).reveal()).toBe(t1.reveal());
    const cold = service({ config: cfg, store: store(), keyProvider: new LocalKeyProvider(masterKey), redis: flaky });
    const err = await cold.getToken('acme').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenStoreUnavailableError);
    expect((err as Error).message).toMatch(/did not answer.*retry in a few seconds/);
    expect(await issued()).toBe(before);
  });

  it('the default store is the file store with a generated master key, and it survives a restart', async () => {
    const cfg = testConfig([tenant('acme')]);
    const before = await issued();
    const a = service({ config: cfg, store: undefined });
    const t = await a.getToken('acme');
    const b = service({ config: cfg, store: undefined });
    expect((await b.getToken('acme')).reveal()).toBe(t.reveal());
    expect(await issued()).toBe(before + 1);
    expect((await b.status())[0]!.store).toBe('file');
  });

  it('the raw Redis value and the raw file hold neither the token nor its base64', async () => {
    const cfg = testConfig([tenant('acme')]);
    const p = prefix + 'atrest:';
    const viaRedis = service({ config: cfg, redis, store: new RedisTokenStore(redis, p) });
    const viaFile = service({ config: cfg, store: new FileTokenStore(cfg.storage.dataDir) });
    const t1 = (await viaRedis.getToken('acme')).reveal();
    const t2 = (await viaFile.getToken('acme')).reveal();
    const rawRedis = (await redis.getBuffer(redisKeys(p, 'acme').token))!;
    const rawFile = readFileSync(join(cfg.storage.dataDir, 'tokens', 'acme.token'));
    for (const [raw, tok] of [[rawRedis, t1], [rawFile, t2]] as const) {
      expect(raw.length).toBeGreaterThan(20);
      for (const needle of [tok, Buffer.from(tok).toString('base64'), Buffer.from(tok).toString('base64url')]) {
        expect(raw.includes(Buffer.from(needle))).toBe(false);
        expect(raw.toString('latin1')).not.toContain(needle);
      }
    }
  });

  it('a tampered entry is discarded with a warning and refreshed, not a crash', async () => {
    const cap = capturingLogger();
    const p = prefix + 'tamper:';
    const tokens = service({ redis, store: new RedisTokenStore(redis, p), logger: cap.logger });
    const t1 = await tokens.getToken('acme');
    const key = redisKeys(p, 'acme').token;
    const raw = (await redis.getBuffer(key))!;
    raw[raw.length - 3] ^= 0xff;
    await redis.set(key, raw, 'PX', 60_000);
    const before = await issued();
    const t2 = await tokens.getToken('acme');
    expect(t2.reveal()).not.toBe(t1.reveal());
    expect(await issued()).toBe(before + 1);
    expect(cap.text()).toContain('could not be decrypted');
  });

  it("tenant isolation: acme's entry copied under globex's key is refused, and globex gets its own token", async () => {
    const p = prefix + 'iso:';
    const tokens = service({ redis, store: new RedisTokenStore(redis, p), tenants: [tenant('acme'), tenant('globex')] });
    const acme = await tokens.getToken('acme');
    await redis.copy(redisKeys(p, 'acme').token, redisKeys(p, 'globex').token, 'REPLACE');
    const before = await issued();
    const globex = await tokens.getToken('globex');
    expect(globex.reveal()).not.toBe(acme.reveal());
    expect(await issued()).toBe(before + 1);
  });
});

describe('401, revocation, rotation, regions', () => {
  it('a 401 from an API call leads to one refresh and one retry', async () => {
    const tokens = service();
    expect((await apiCall(tokens)).status).toBe(200);
    await sim.control.post('/tokens/revoke', {});
    const before = await issued();
    expect((await apiCall(tokens)).status).toBe(200);
    expect(await issued()).toBe(before + 1);
  });

  it('a second 401 is a NavanAuthError telling the user to check or rotate the credentials', async () => {
    const tokens = service();
    let calls = 0;
    const always401: Handler = async (req) => (req.path.startsWith('/v1/') ? (calls++, { status: 401, headers: {}, body: Buffer.from('{}') }) : transport(req));
    const err = await apiCall(tokens, 'acme', always401).catch((e) => e);
    expect(err).toBeInstanceOf(NavanAuthError);
    expect(err.message).toContain('check or rotate the credentials');
    expect(calls).toBe(2);
  });

  it('revoked credentials produce a clear NavanAuthError', async () => {
    const cred = await sim.control.post('/credentials', {});
    const tokens = service({ tenants: [tenant('acme', { clientId: cred.clientId, clientSecret: cred.clientSecret })] });
    await tokens.getToken('acme');
    await sim.control.del(`/credentials/${cred.clientId}`);
    const err = await apiCall(tokens).catch((e) => e);
    expect(err).toBeInstanceOf(NavanAuthError);
    expect(err.message).toMatch(/refused the client credentials of tenant acme.*check or rotate the credentials/);
  });

  it('rotation: when the current secret is refused, the next one is used and the log says to complete the rotation', async () => {
    const cred = await sim.control.post('/credentials', {});
    const cap = capturingLogger();
    const tokens = service({ logger: cap.logger, tenants: [tenant('acme', { clientId: cred.clientId, clientSecret: 'f'.repeat(32), nextClientSecret: cred.clientSecret })] });
    expect((await apiCall(tokens)).status).toBe(200);
    expect(cap.text()).toContain('complete the rotation');
  });

  it('EU tenants get their token from app-fra.navan.com', async () => {
    const hosts: string[] = [];
    // Stands in for DNS: app-fra.navan.com is answered by the local simulator.
    const toSim: Handler = (req) => {
      hosts.push(new URL(req.baseUrl).host);
      return transport({ ...req, baseUrl: sim.url });
    };
    const tokens = service({ transport: toSim, tenants: [tenant('eu', { baseUrl: 'https://api.navan.com', region: 'EU' })] });
    expect((await tokens.getToken('eu')).length).toBeGreaterThan(10);
    expect(hosts).toEqual(['app-fra.navan.com']);
  });
});

describe('token endpoint failures', () => {
  it('retries 5xx with backoff, emits an event per attempt, and succeeds', async () => {
    const bus = new EventBus();
    const seen: BridgeEvents['token.refresh'][0][] = [];
    bus.on('token.refresh', (e) => seen.push(e));
    const expiries: number[] = [];
    bus.on('token.expiry', (e) => expiries.push(e.expiresAt));
    await sim.control.post('/faults', { rate5xx: 1, count: 2, includeToken: true, paths: ['/ta-auth'] });
    const tokens = service({ events: bus, clock: systemClock });
    await tokens.getToken('acme');
    expect(seen.map((e) => e.outcome)).toEqual(['retry', 'retry', 'success']);
    expect(expiries).toHaveLength(1);
  });

  it('a persistent failure is a TokenRefreshError after a bounded number of attempts', async () => {
    await sim.control.post('/faults', { rate5xx: 1, count: 3, includeToken: true, paths: ['/ta-auth'] });
    const bus = new EventBus();
    const outcomes: string[] = [];
    bus.on('token.refresh', (e) => outcomes.push(e.outcome));
    const tokens = service({ clock: systemClock, events: bus });
    const err = await tokens.getToken('acme').catch((e) => e);
    expect(err).toBeInstanceOf(TokenRefreshError);
    // Only the final give-up is a 'failure' (the monitor pages on it); retried attempts are 'retry'.
    expect(outcomes).toEqual(['retry', 'retry', 'retry', 'failure']);
    expect(err.message).toContain('after 3 attempts');
  });
});

describe('secrets never leak', () => {
  it('a full lifecycle at debug level logs, throws and reports no secret, token or key', async () => {
    const cap = capturingLogger();
    const cred = await sim.control.post('/credentials', {});
    const masterKey = randomBytes(32);
    const clock = new ManualClock(sim.clock.now());
    const seenTokens: string[] = [];
    const recording: Handler = async (req) => {
      const res = await transport(req);
      if (req.path === '/ta-auth/oauth/token' && res.status === 200) seenTokens.push(JSON.parse(res.body.toString()).access_token);
      return res;
    };
    const bus = new EventBus();
    const evs: unknown[] = [];
    bus.on('token.refresh', (e) => evs.push(e));
    bus.on('token.expiry', (e) => evs.push(e));
    const tokens = service({
      logger: cap.logger, clock, events: bus, redis, transport: recording,
      store: new RedisTokenStore(redis, prefix + 'leak:'),
      keyProvider: new LocalKeyProvider(new Secret(masterKey.toString('base64'))),
      tenants: [tenant('acme', { clientId: cred.clientId, clientSecret: 'e'.repeat(32), nextClientSecret: cred.clientSecret })],
    });
    const output: string[] = [];
    await tokens.getToken('acme');
    await sim.control.post('/tokens/revoke', {});
    await apiCall(tokens);
    await tokens.reauthenticate('acme');
    await clock.advance(3600_000);
    sim.clock.advance(3600_000);
    await tokens.getToken('acme');
    output.push(JSON.stringify(await tokens.status()));
    await sim.control.del(`/credentials/${cred.clientId}`);
    await tokens.invalidate('acme');
    const err = await tokens.getToken('acme').catch((e) => e);
    output.push(String(err), err.message, err.stack, JSON.stringify(err), JSON.stringify(evs));
    const all = cap.text() + output.join('\n');
    expect(seenTokens.length).toBeGreaterThanOrEqual(3);
    expect(cap.lines.some((l) => l.includes('"level":20'))).toBe(true);
    const needles = [cred.clientSecret, masterKey.toString('hex'), masterKey.toString('base64'), ...seenTokens];
    for (const n of needles) {
      for (const form of [n, Buffer.from(n).toString('base64'), Buffer.from(n).toString('base64url')]) expect(all).not.toContain(form);
    }
  });
});
