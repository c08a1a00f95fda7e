import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { createKeyStore, SCOPES, type Scope } from '../../server/index.js';
import { ConfigError } from '../../shared/errors.js';
import { openWarehouse } from '../../warehouse/index.js';

// Keys live in the warehouse only, so this opens just the warehouse, not the whole runtime.
async function withKeys<T>(fn: (keys: Awaited<ReturnType<typeof createKeyStore>>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const warehouse = await openWarehouse({ databaseUrl: config.storage.databaseUrl });
  try {
    await warehouse.migrate();
    return await fn(await createKeyStore(warehouse));
  } finally {
    await warehouse.close();
  }
}

function parseScopes(text: string | undefined): Scope[] {
  if (!text) return [...SCOPES];
  const scopes = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = scopes.find((s) => !(SCOPES as readonly string[]).includes(s));
  if (bad) throw new ConfigError(`Scope "${bad}" is unknown; use a comma-separated list of ${SCOPES.join(', ')}.`);
  return scopes as Scope[];
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('Create, list and revoke consumer API keys');
  keys
    .command('create')
    .description('Create an API key for one tenant; the key is printed once and only its hash is stored')
    .requiredOption('--tenant <id>', 'the tenant the key may read')
    .option('--scopes <list>', `comma-separated: ${SCOPES.join(', ')} (default: all)`)
    .action(async (opts: { tenant: string; scopes?: string }) => {
      const config = loadConfig();
      if (!config.tenants.some((t) => t.id === opts.tenant)) throw new ConfigError(`Tenant "${opts.tenant}" is not configured; use one of: ${config.tenants.map((t) => t.id).join(', ') || '(none)'}.`);
      const scopes = parseScopes(opts.scopes);
      const created = await withKeys((k) => k.create(opts.tenant, scopes));
      console.log(`id:     ${created.id}\nkey:    ${created.key}\nscopes: ${scopes.join(',')}\nStore the key now; it cannot be shown again.`);
    });
  keys
    .command('list')
    .description('List API keys (ids, tenants, scopes; never the keys)')
    .option('--tenant <id>', 'only this tenant')
    .action(async (opts: { tenant?: string }) => {
      for (const k of await withKeys((s) => s.list(opts.tenant))) {
        console.log(`${k.id}  ${k.tenant}  ${k.scopes.join(',')}  created ${k.createdAt}${k.revokedAt ? `  REVOKED ${k.revokedAt}` : ''}`);
      }
    });
  keys
    .command('revoke <id>')
    .description('Revoke an API key by id')
    .action(async (id: string) => {
      if (!(await withKeys((s) => s.revoke(id)))) throw new ConfigError(`No active API key has id "${id}"; see navan-bridge keys list.`);
      console.log(`revoked ${id}`);
    });
}
