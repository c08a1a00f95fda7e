import { hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { KMSClient } from '@aws-sdk/client-kms';
import { ConfigError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { Secret } from '../shared/secret.js';

/** Gives the 32-byte AES key for one tenant's cache entries. Each tenant has its own key. */
export interface KeyProvider {
  dataKey(tenantId: string): Promise<Buffer>;
  /** For `token status` and logs: what kind of provider, never key material. */
  describe(): string;
}

/** Per-tenant keys derived with HKDF-SHA256 from one master key (which never leaves this object). */
export class LocalKeyProvider implements KeyProvider {
  readonly #master: Secret;
  readonly #keys = new Map<string, Buffer>();
  constructor(masterKey: Secret) {
    const raw = Buffer.from(masterKey.reveal(), 'base64');
    if (raw.length !== 32) throw new ConfigError('The master key must be 32 bytes (64 hex or 44 base64 characters); generate one with `openssl rand -hex 32`.');
    this.#master = masterKey;
  }
  /** A throwaway key for the memory store, where nothing outlives the process. */
  static ephemeral(): LocalKeyProvider {
    return new LocalKeyProvider(new Secret(randomBytes(32).toString('base64')));
  }
  async dataKey(tenantId: string): Promise<Buffer> {
    let key = this.#keys.get(tenantId);
    if (!key) {
      const ikm = Buffer.from(this.#master.reveal(), 'base64');
      key = Buffer.from(hkdfSync('sha256', ikm, 'navan-bridge', `token-cache/${tenantId}`, 32));
      this.#keys.set(tenantId, key);
    }
    return key;
  }
  describe(): string {
    return 'local (HKDF from the master key)';
  }
}

/** Accepts 64 hex characters or base64 of 32 bytes; returns base64 wrapped in a Secret. */
export function parseMasterKey(text: string, where: string): Secret {
  const t = text.trim();
  const raw = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (raw.length !== 32) throw new ConfigError(`${where}: the master key must be 32 bytes as 64 hex or 44 base64 characters; generate one with \`openssl rand -hex 32\`.`);
  return new Secret(raw.toString('base64'));
}

/**
 * The master key, from NAVAN_BRIDGE_MASTER_KEY, the configured key file, or (embedded default)
 * a key generated once into the data directory with mode 0600. Tokens are never stored in clear.
 */
export function loadMasterKey(opts: { env?: NodeJS.ProcessEnv; keyFile?: string; dataDir: string; logger: Logger }): Secret {
  const env = opts.env ?? process.env;
  if (env.NAVAN_BRIDGE_MASTER_KEY) return parseMasterKey(env.NAVAN_BRIDGE_MASTER_KEY, 'NAVAN_BRIDGE_MASTER_KEY');
  if (opts.keyFile) {
    const p = resolve(opts.keyFile);
    if (!existsSync(p)) throw new ConfigError(`auth.masterKeyFile: the file ${p} does not exist; create it with \`openssl rand -hex 32 > ${p}\` or fix the path.`);
    return parseMasterKey(readFileSync(p, 'utf8'), `auth.masterKeyFile (${p})`);
  }
  const p = resolve(join(opts.dataDir, 'master.key'));
  if (existsSync(p)) return parseMasterKey(readFileSync(p, 'utf8'), p);
  mkdirSync(dirname(p), { recursive: true });
  try {
    // O_EXCL: when several processes start at once, the first one's key wins and the rest read it.
    writeFileSync(p, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(p, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return parseMasterKey(readFileSync(p, 'utf8'), p);
  }
  opts.logger.warn({ path: p }, 'No master key was configured, so one was generated with mode 0600; back it up, or set NAVAN_BRIDGE_MASTER_KEY, or tokens cached with it cannot be read.');
  return parseMasterKey(readFileSync(p, 'utf8'), p);
}

/** Where the KMS-wrapped data keys are kept (they are useless without KMS). */
export interface WrappedKeyStore {
  get(tenantId: string): Promise<Buffer | null>;
  set(tenantId: string, wrapped: Buffer): Promise<void>;
}

/** Wrapped data keys in one JSON file, written atomically. */
export class FileWrappedKeyStore implements WrappedKeyStore {
  constructor(readonly path: string) {}
  #read(): Record<string, string> {
    return existsSync(this.path) ? JSON.parse(readFileSync(this.path, 'utf8')) : {};
  }
  async get(tenantId: string): Promise<Buffer | null> {
    const v = this.#read()[tenantId];
    return v ? Buffer.from(v, 'base64') : null;
  }
  async set(tenantId: string, wrapped: Buffer): Promise<void> {
    const all = { ...this.#read(), [tenantId]: wrapped.toString('base64') };
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(all), { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}

/** The subset of KMSClient used here, so tests can pass a local fake (no real KMS is reachable in tests). */
export type KmsLike = Pick<KMSClient, 'send'>;

/**
 * Envelope encryption with AWS KMS: each tenant gets its own data key from GenerateDataKey, bound
 * to the tenant by the KMS encryption context; only the wrapped form is stored. Tested against
 * this interface with a local fake KMS client, not against real KMS.
 */
export class AwsKmsKeyProvider implements KeyProvider {
  readonly #keys = new Map<string, Promise<Buffer>>();
  constructor(private readonly opts: { client: KmsLike; keyId: string; wrappedKeys: WrappedKeyStore }) {}
  dataKey(tenantId: string): Promise<Buffer> {
    let key = this.#keys.get(tenantId);
    if (!key) {
      key = this.#unwrapOrCreate(tenantId);
      key.catch(() => this.#keys.delete(tenantId));
      this.#keys.set(tenantId, key);
    }
    return key;
  }
  async #unwrapOrCreate(tenantId: string): Promise<Buffer> {
    // Loaded on first use: the AWS SDK takes about half a second to import, which every process
    // (each CLI command, each sync worker) would pay even without KMS configured.
    const { DecryptCommand, GenerateDataKeyCommand } = await import('@aws-sdk/client-kms');
    const context = { 'navan-bridge:tenant': tenantId };
    const wrapped = await this.opts.wrappedKeys.get(tenantId);
    if (wrapped) {
      const out = await this.opts.client.send(new DecryptCommand({ CiphertextBlob: wrapped, EncryptionContext: context, KeyId: this.opts.keyId }));
      if (!out.Plaintext) throw new ConfigError(`KMS returned no key for tenant ${tenantId}; check the key policy of ${this.opts.keyId}.`);
      return Buffer.from(out.Plaintext);
    }
    const out = await this.opts.client.send(new GenerateDataKeyCommand({ KeyId: this.opts.keyId, KeySpec: 'AES_256', EncryptionContext: context }));
    if (!out.Plaintext || !out.CiphertextBlob) throw new ConfigError(`KMS returned no data key for tenant ${tenantId}; check the key policy of ${this.opts.keyId}.`);
    await this.opts.wrappedKeys.set(tenantId, Buffer.from(out.CiphertextBlob));
    return Buffer.from(out.Plaintext);
  }
  describe(): string {
    return `aws-kms (${this.opts.keyId})`;
  }
}
