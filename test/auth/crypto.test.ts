import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { open, seal } from '../../src/auth/crypto.js';
import { AwsKmsKeyProvider, FileWrappedKeyStore, LocalKeyProvider, loadMasterKey, parseMasterKey } from '../../src/auth/index.js';
import { RefreshLock } from '../../src/auth/lock.js';
import { FileTokenStore, MemoryTokenStore, redisKeys } from '../../src/auth/stores.js';
import { ManualClock } from '../../src/shared/clock.js';
import { ConfigError } from '../../src/shared/errors.js';
import { Secret } from '../../src/shared/secret.js';
import { capturingLogger, tempDir, uniquePrefix } from './helpers.js';

const key = randomBytes(32);

describe('sealing', () => {
  it('round-trips and uses a fresh IV per write', () => {
    const a = seal(key, 'acme', Buffer.from('hello'));
    const b = seal(key, 'acme', Buffer.from('hello'));
    expect(a.equals(b)).toBe(false);
    expect(open(key, 'acme', a).toString()).toBe('hello');
  });
  it('refuses a ciphertext opened for another tenant, tampered, or with another key', () => {
    const s = seal(key, 'acme', Buffer.from('hello'));
    expect(() => open(key, 'globex', s)).toThrow();
    const t = Buffer.from(s);
    t[t.length - 1] ^= 1;
    expect(() => open(key, 'acme', t)).toThrow();
    expect(() => open(randomBytes(32), 'acme', s)).toThrow();
  });
});

describe('key providers', () => {
  it('derives a different key per tenant, stable for one master key', async () => {
    const master = new Secret(randomBytes(32).toString('base64'));
    const p = new LocalKeyProvider(master);
    const a = await p.dataKey('acme');
    expect(a).toHaveLength(32);
    expect(a.equals(await p.dataKey('globex'))).toBe(false);
    expect(a.equals(await new LocalKeyProvider(master).dataKey('acme'))).toBe(true);
  });
  it('parses hex and base64 master keys and rejects other lengths', () => {
    const raw = randomBytes(32);
    expect(parseMasterKey(raw.toString('hex'), 'x').reveal()).toBe(raw.toString('base64'));
    expect(parseMasterKey(raw.toString('base64'), 'x').reveal()).toBe(raw.toString('base64'));
    expect(() => parseMasterKey('abcd', 'x')).toThrow(ConfigError);
  });
  it('generates a master key once into the data dir with mode 0600 and says so', () => {
    const dir = tempDir();
    const cap = capturingLogger();
    const k1 = loadMasterKey({ env: {}, dataDir: dir, logger: cap.logger });
    const p = join(dir, 'master.key');
    expect(existsSync(p)).toBe(true);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    expect(cap.text()).toContain('generated');
    expect(cap.text()).not.toContain(readFileSync(p, 'utf8').trim());
    const k2 = loadMasterKey({ env: {}, dataDir: dir, logger: cap.logger });
    expect(k2.reveal()).toBe(k1.reveal());
  });
  it('prefers NAVAN_BRIDGE_MASTER_KEY over the data dir', () => {
    const hex = randomBytes(32).toString('hex');
    const dir = tempDir();
    const k = loadMasterKey({ env: { NAVAN_BRIDGE_MASTER_KEY: hex }, dataDir: dir, logger: capturingLogger().logger });
    expect(Buffer.from(k.reveal(), 'base64').toString('hex')).toBe(hex);
    expect(existsSync(join(dir, 'master.key'))).toBe(false);
  });

  it('AWS KMS envelope: one GenerateDataKey per tenant, Decrypt after a restart, tenant in the encryption context (local fake KMS)', async () => {
    // A local fake of the KMS API: real KMS cannot be reached from tests.
    const wrappingKey = randomBytes(32);
    const calls: string[] = [];
    const fake = {
      send: async (cmd: any) => {
        const ctx = JSON.stringify(cmd.input.EncryptionContext);
        if (cmd instanceof GenerateDataKeyCommand) {
          calls.push('generate');
          const plain = randomBytes(32);
          return { Plaintext: plain, CiphertextBlob: seal(wrappingKey, ctx, plain) };
        }
        if (cmd instanceof DecryptCommand) {
          calls.push('decrypt');
          return { Plaintext: open(wrappingKey, ctx, Buffer.from(cmd.input.CiphertextBlob as Uint8Array)) };
        }
        throw new Error('unexpected command');
      },
    };
    const wrappedKeys = new FileWrappedKeyStore(join(tempDir(), 'kms.json'));
    const p1 = new AwsKmsKeyProvider({ client: fake as any, keyId: 'alias/test', wrappedKeys });
    const a = await p1.dataKey('acme');
    expect((await p1.dataKey('acme')).equals(a)).toBe(true);
    expect((await p1.dataKey('globex')).equals(a)).toBe(false);
    expect(calls).toEqual(['generate', 'generate']);
    const p2 = new AwsKmsKeyProvider({ client: fake as any, keyId: 'alias/test', wrappedKeys });
    expect((await p2.dataKey('acme')).equals(a)).toBe(true);
    expect(calls).toEqual(['generate', 'generate', 'decrypt']);
    // The wrapped blob of one tenant does not unwrap for another (encryption context).
    const blob = (await wrappedKeys.get('acme'))!;
    await wrappedKeys.set('globex', blob);
    await expect(new AwsKmsKeyProvider({ client: fake as any, keyId: 'alias/test', wrappedKeys }).dataKey('globex')).rejects.toThrow();
  });
});

describe('stores', () => {
  it('memory and file stores expire entries on the clock; the file store writes atomically with mode 0600', async () => {
    const clock = new ManualClock();
    for (const store of [new MemoryTokenStore(clock), new FileTokenStore(tempDir(), clock)]) {
      await store.set('acme', Buffer.from('sealed'), 1000);
      expect((await store.get('acme'))?.toString()).toBe('sealed');
      expect(await store.get('globex')).toBeNull();
      clock.set(clock.now() + 1000);
      expect(await store.get('acme')).toBeNull();
      await store.set('acme', Buffer.from('x'), 1000);
      await store.delete('acme');
      expect(await store.get('acme')).toBeNull();
    }
    const dir = tempDir();
    const fs = new FileTokenStore(dir, clock);
    await fs.set('acme', Buffer.from('sealed'), 1000);
    expect(statSync(join(dir, 'tokens', 'acme.token')).mode & 0o777).toBe(0o600);
  });
});

describe('refresh lock (Redis)', () => {
  const redis = new Redis('redis://127.0.0.1:6379');
  const prefix = uniquePrefix('lock');
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('lets only one owner hold it, and a non-owner cannot release it', async () => {
    const lock = new RefreshLock(redis, prefix);
    const owner = await lock.acquire('acme', 5000);
    expect(owner).toBeTruthy();
    expect(await lock.acquire('acme', 5000)).toBeNull();
    // Nango's bug: a process whose lock expired deletes the new holder's lock. Here it cannot.
    expect(await lock.release('acme', 'not-the-owner')).toBe(false);
    expect(await redis.get(redisKeys(prefix, 'acme').lock)).toBe(owner);
    expect(await lock.release('acme', owner!)).toBe(true);
    expect(await lock.isHeld('acme')).toBe(false);
  });

  it('expires, so a dead holder does not block the next one', async () => {
    const lock = new RefreshLock(redis, prefix);
    const first = await lock.acquire('globex', 50);
    expect(first).toBeTruthy();
    await new Promise((r) => setTimeout(r, 80));
    const second = await lock.acquire('globex', 5000);
    expect(second).toBeTruthy();
    expect(await lock.release('globex', first!)).toBe(false);
    expect(await lock.release('globex', second!)).toBe(true);
  });
});
