import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../shared/errors.js';
import { Secret, maskSecret } from '../shared/secret.js';
import { configSchema, type ParsedConfig, type ParsedTenant, type secretSource } from './schema.js';

/** A tenant as the rest of the program sees it: URLs resolved, secrets loaded and wrapped. */
export interface TenantConfig extends Omit<ParsedTenant, 'clientSecret' | 'nextClientSecret' | 'tokenUrl'> {
  tokenUrl: string;
  clientSecret: Secret;
  nextClientSecret?: Secret;
}

export interface Config extends Omit<ParsedConfig, 'tenants'> {
  tenants: TenantConfig[];
  /** Where the config came from, for `config show`. */
  source: string;
}

export const EU_TOKEN_URL = 'https://app-fra.navan.com';

/**
 * Every environment variable the loader reads (besides the ones a config file names in
 * `{ env: NAME }`). Deployment files are checked against this list (test/deploy/manifests.test.ts).
 */
export const CONFIG_ENV_VARS = [
  'NAVAN_BRIDGE_CONFIG', 'DATABASE_URL', 'REDIS_URL', 'NAVAN_BRIDGE_DATA_DIR', 'LOG_LEVEL', 'PORT',
  'NAVAN_BASE_URL', 'NAVAN_CLIENT_ID', 'NAVAN_CLIENT_SECRET', 'NAVAN_NEXT_CLIENT_SECRET', 'NAVAN_TOKEN_URL', 'NAVAN_REGION',
] as const;

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Explicit config file; otherwise NAVAN_BRIDGE_CONFIG, then ./navan-bridge.config.{yaml,yml,json}. */
  file?: string;
  cwd?: string;
  /** Extra settings merged over the file (used by demo mode and tests). */
  overrides?: Record<string, unknown>;
}

/** Loads, merges and validates the configuration. Fails with one sentence naming the bad key. */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = findConfigFile(options.file ?? env.NAVAN_BRIDGE_CONFIG, cwd);
  const raw: Record<string, any> = file ? readConfigFile(file) : {};
  applyEnv(raw, env);
  deepMerge(raw, options.overrides ?? {});

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(explainIssue(parsed.error, file));
  const cfg = parsed.data;

  const ids = new Set<string>();
  for (const t of cfg.tenants) {
    if (ids.has(t.id)) throw new ConfigError(`tenants: the id "${t.id}" is used twice; give each tenant its own id.`);
    ids.add(t.id);
  }
  const tenants = cfg.tenants.map((t, i) => resolveTenant(t, i, env, cwd));
  return { ...cfg, tenants, source: file ?? 'environment' };
}

function findConfigFile(explicit: string | undefined, cwd: string): string | undefined {
  if (explicit) {
    const p = resolve(cwd, explicit);
    if (!existsSync(p)) throw new ConfigError(`NAVAN_BRIDGE_CONFIG: the file ${p} does not exist; fix the path or unset the variable.`);
    return p;
  }
  for (const name of ['navan-bridge.config.yaml', 'navan-bridge.config.yml', 'navan-bridge.config.json']) {
    const p = resolve(cwd, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function readConfigFile(file: string): Record<string, any> {
  const text = readFileSync(file, 'utf8');
  try {
    const data = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (data === null || data === undefined) return {};
    if (typeof data !== 'object' || Array.isArray(data)) throw new Error('the top level must be a mapping');
    return data;
  } catch (err) {
    throw new ConfigError(`${file}: cannot be parsed (${(err as Error).message}); fix the syntax.`);
  }
}

/** Environment variables: storage and server settings, and one tenant named `default`. */
function applyEnv(raw: Record<string, any>, env: NodeJS.ProcessEnv): void {
  raw.storage ??= {};
  if (env.DATABASE_URL) raw.storage.databaseUrl = env.DATABASE_URL;
  if (env.REDIS_URL) raw.storage.redisUrl = env.REDIS_URL;
  if (env.NAVAN_BRIDGE_DATA_DIR) raw.storage.dataDir = env.NAVAN_BRIDGE_DATA_DIR;
  if (env.LOG_LEVEL) raw.logLevel = env.LOG_LEVEL;
  if (env.PORT !== undefined && env.PORT !== '') {
    raw.server ??= {};
    const port = Number(env.PORT);
    if (!Number.isInteger(port)) throw new ConfigError(`PORT: "${env.PORT}" is not a port number; use an integer from 0 to 65535.`);
    raw.server.port = port;
  }
  const fromEnv = ['NAVAN_BASE_URL', 'NAVAN_CLIENT_ID', 'NAVAN_CLIENT_SECRET'].filter((k) => env[k]);
  if (fromEnv.length === 0) return;
  const missing = ['NAVAN_BASE_URL', 'NAVAN_CLIENT_ID', 'NAVAN_CLIENT_SECRET'].filter((k) => !env[k]);
  if (missing.length) {
    throw new ConfigError(`${missing[0]}: is not set, but ${fromEnv.join(', ')} is; set all three of NAVAN_BASE_URL, NAVAN_CLIENT_ID and NAVAN_CLIENT_SECRET to describe the default tenant.`);
  }
  raw.tenants = Array.isArray(raw.tenants) ? raw.tenants.filter((t: any) => t?.id !== 'default') : [];
  raw.tenants.unshift({
    id: 'default',
    baseUrl: env.NAVAN_BASE_URL,
    clientId: env.NAVAN_CLIENT_ID,
    clientSecret: { env: 'NAVAN_CLIENT_SECRET' },
    ...(env.NAVAN_NEXT_CLIENT_SECRET ? { nextClientSecret: { env: 'NAVAN_NEXT_CLIENT_SECRET' } } : {}),
    ...(env.NAVAN_TOKEN_URL ? { tokenUrl: env.NAVAN_TOKEN_URL } : {}),
    ...(env.NAVAN_REGION ? { region: env.NAVAN_REGION.toUpperCase() } : {}),
  });
}

function resolveTenant(t: ParsedTenant, i: number, env: NodeJS.ProcessEnv, cwd: string): TenantConfig {
  const tokenUrl = t.tokenUrl ?? (t.region === 'EU' && isNavanHost(t.baseUrl) ? EU_TOKEN_URL : t.baseUrl);
  return {
    ...t,
    tokenUrl,
    clientSecret: readSecret(t.clientSecret, `tenants[${i}].clientSecret`, env, cwd),
    nextClientSecret: t.nextClientSecret ? readSecret(t.nextClientSecret, `tenants[${i}].nextClientSecret`, env, cwd) : undefined,
  };
}

function isNavanHost(url: string): boolean {
  return /(^|\.)(navan|tripactions)\.com$/.test(new URL(url).hostname);
}

/** Reads a secret reference (inline, env:NAME, file:path); also used for ERP credentials. `key` names it in errors. */
export function readSecret(source: z.infer<typeof secretSource>, key: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Secret {
  let ref: { env: string } | { file: string } | undefined;
  if (typeof source === 'string') {
    if (source.startsWith('env:')) ref = { env: source.slice(4) };
    else if (source.startsWith('file:')) ref = { file: source.slice(5) };
    else return new Secret(source);
  } else ref = source;
  if ('env' in ref) {
    const v = env[ref.env];
    if (!v) throw new ConfigError(`${key}: the environment variable ${ref.env} is empty or unset; set it to the secret.`);
    return new Secret(v);
  }
  const p = resolve(cwd, ref.file);
  if (!existsSync(p)) throw new ConfigError(`${key}: the secret file ${p} does not exist; create it or fix the path.`);
  const v = readFileSync(p, 'utf8').trim();
  if (!v) throw new ConfigError(`${key}: the secret file ${p} is empty; put the secret in it.`);
  return new Secret(v);
}

function explainIssue(error: z.ZodError, file: string | undefined): string {
  const issue = error.issues[0]!;
  const key = issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(top level)';
  let expected = issue.message;
  if (issue.code === 'unrecognized_keys') expected = `unknown key(s) ${issue.keys.join(', ')}; remove them or check the spelling`;
  else if (issue.code === 'invalid_type') expected = `expected ${issue.expected}`;
  const where = file ? ` in ${file}` : '';
  return `${key}${where}: ${expected}.`.replace(/\.\.$/, '.');
}

function deepMerge(target: Record<string, any>, source: Record<string, any>): void {
  for (const [k, v] of Object.entries(source)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && target[k] && typeof target[k] === 'object' && !Array.isArray(target[k])) deepMerge(target[k], v);
    else target[k] = v;
  }
}

/** The configuration as it may be shown to a person: every secret masked. */
export function printableConfig(cfg: Config): Record<string, unknown> {
  return {
    ...cfg,
    storage: { ...cfg.storage, databaseUrl: maskUrlPassword(cfg.storage.databaseUrl), redisUrl: cfg.storage.redisUrl && maskUrlPassword(cfg.storage.redisUrl) },
    monitor: {
      ...cfg.monitor,
      pagerduty: cfg.monitor.pagerduty && { ...cfg.monitor.pagerduty, routingKey: maskSecret(cfg.monitor.pagerduty.routingKey) },
      slack: cfg.monitor.slack && { webhookUrl: maskSecret(cfg.monitor.slack.webhookUrl) },
    },
    tenants: cfg.tenants.map((t) => ({
      ...t,
      clientSecret: maskSecret(t.clientSecret),
      nextClientSecret: t.nextClientSecret ? maskSecret(t.nextClientSecret) : undefined,
      erp: t.erp && {
        ...t.erp,
        netsuite: t.erp.netsuite && { ...t.erp.netsuite, consumerSecret: maskRef(t.erp.netsuite.consumerSecret), tokenSecret: maskRef(t.erp.netsuite.tokenSecret) },
        sap: t.erp.sap && { ...t.erp.sap, password: maskRef(t.erp.sap.password) },
      },
    })),
  };
}

/** A secret reference shows where the secret comes from (env/file) but never an inline value. */
function maskRef(ref: z.infer<typeof secretSource>): unknown {
  if (typeof ref !== 'string') return ref;
  return ref.startsWith('env:') || ref.startsWith('file:') ? ref : maskSecret(ref);
}

function maskUrlPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return url;
  }
}
