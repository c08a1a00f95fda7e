import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, printableConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/shared/errors.js';

const SECRET = '0123456789abcdef0123456789abcdef';
const envTenant = { NAVAN_BASE_URL: 'https://api.navan.com', NAVAN_CLIENT_ID: 'client-1', NAVAN_CLIENT_SECRET: SECRET };

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'nb-config-'));
}

describe('loadConfig', () => {
  it('describes one tenant named default from the environment alone', () => {
    const cfg = loadConfig({ env: envTenant, cwd: dir() });
    expect(cfg.tenants).toHaveLength(1);
    expect(cfg.tenants[0]!.id).toBe('default');
    expect(cfg.tenants[0]!.clientSecret.reveal()).toBe(SECRET);
    expect(cfg.tenants[0]!.tokenUrl).toBe('https://api.navan.com');
    expect(cfg.storage.databaseUrl).toBe('sqlite:./data/navan-bridge.db');
    expect(cfg.server.port).toBe(3000);
  });

  it('uses the EU token host for an EU tenant on Navan', () => {
    const cfg = loadConfig({ env: { ...envTenant, NAVAN_REGION: 'EU' }, cwd: dir() });
    expect(cfg.tenants[0]!.tokenUrl).toBe('https://app-fra.navan.com');
    expect(cfg.tenants[0]!.region).toBe('EU');
  });

  it('reads several tenants from a YAML file, secrets from env and file', () => {
    const d = dir();
    writeFileSync(join(d, 'b.secret'), 'file-secret-value\n');
    writeFileSync(
      join(d, 'navan-bridge.config.yaml'),
      `tenants:\n  - id: acme\n    baseUrl: http://127.0.0.1:9999\n    clientId: a\n    clientSecret: { env: ACME_SECRET }\n  - id: globex\n    baseUrl: http://127.0.0.1:9998\n    clientId: b\n    clientSecret: file:b.secret\nserver:\n  port: 4000\n`,
    );
    const cfg = loadConfig({ env: { ACME_SECRET: 'env-secret-value' }, cwd: d });
    expect(cfg.tenants.map((t) => t.id)).toEqual(['acme', 'globex']);
    expect(cfg.tenants[0]!.clientSecret.reveal()).toBe('env-secret-value');
    expect(cfg.tenants[1]!.clientSecret.reveal()).toBe('file-secret-value');
    expect(cfg.server.port).toBe(4000);
  });

  it('reads JSON from NAVAN_BRIDGE_CONFIG', () => {
    const d = dir();
    const file = join(d, 'x.json');
    writeFileSync(file, JSON.stringify({ gateway: { observedLimitRps: 50 } }));
    expect(loadConfig({ env: { NAVAN_BRIDGE_CONFIG: file }, cwd: d }).gateway.observedLimitRps).toBe(50);
  });

  it.each([
    [{ gateway: { budgetFraction: 2 } }, /gateway\.budgetFraction/],
    [{ tenants: [{ id: 'Bad Id', baseUrl: 'http://x', clientId: 'a', clientSecret: 's' }] }, /tenants\[0\]\.id/],
    [{ tenants: [{ id: 'a', baseUrl: 'not a url', clientId: 'a', clientSecret: 's' }] }, /tenants\[0\]\.baseUrl/],
    [{ storage: { databaseUrl: 'mysql://x' } }, /storage\.databaseUrl.*sqlite:<path> or postgres/],
    [{ gatway: {} }, /unknown key\(s\) gatway/],
  ])('fails with one sentence naming the bad key (%j)', (overrides, pattern) => {
    expect(() => loadConfig({ env: {}, cwd: dir(), overrides })).toThrow(pattern);
    try {
      loadConfig({ env: {}, cwd: dir(), overrides });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message.split('\n')).toHaveLength(1);
    }
  });

  it('names the missing variable when the environment describes half a tenant', () => {
    expect(() => loadConfig({ env: { NAVAN_BASE_URL: 'https://api.navan.com' }, cwd: dir() })).toThrow(/NAVAN_CLIENT_ID: is not set/);
  });

  it('rejects a secret file that does not exist, naming the key', () => {
    const overrides = { tenants: [{ id: 'a', baseUrl: 'http://x.test', clientId: 'a', clientSecret: { file: '/nope/secret' } }] };
    expect(() => loadConfig({ env: {}, cwd: dir(), overrides })).toThrow(/tenants\[0\]\.clientSecret: the secret file/);
  });

  it('prints the configuration with every secret masked', () => {
    const cfg = loadConfig({
      env: { ...envTenant, NAVAN_NEXT_CLIENT_SECRET: 'next-secret-0123456789', DATABASE_URL: 'postgres://u:dbpass@127.0.0.1/test' },
      cwd: dir(),
      overrides: { monitor: { slack: { webhookUrl: 'https://hooks.slack.test/T000/B000/XYZSECRET' } } },
    });
    const text = JSON.stringify(printableConfig(cfg));
    for (const s of [SECRET, 'next-secret-0123456789', 'dbpass', 'XYZSECRET']) expect(text).not.toContain(s);
    expect(text).toContain('"clientSecret":"****"');
    // Serialising the config itself by mistake masks too.
    expect(JSON.stringify(cfg)).not.toContain(SECRET);
  });
});
