import type { Command } from 'commander';
import { createTokenService, type TokenStatus } from '../../auth/index.js';
import { loadConfig } from '../../config/index.js';
import { createLogger } from '../../shared/logger.js';

/** A plain table of token status rows; there is no token column, by design. */
export function formatTokenStatus(rows: TokenStatus[]): string {
  const header = ['TENANT', 'CACHED', 'STORE', 'EXPIRES', 'REFRESHES', 'LOCATION'];
  const body = rows.map((r) => [r.tenant, r.cached ? 'yes' : 'no', r.store, r.expiresAt ?? '-', r.refreshAt ?? '-', r.location]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [header, ...body].map((cols) => cols.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

async function withTokens<T>(fn: (tokens: ReturnType<typeof createTokenService>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const tokens = createTokenService({ config, logger: createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel }) });
  try {
    return await fn(tokens);
  } finally {
    await tokens.close();
  }
}

export function registerToken(program: Command): void {
  const cmd = program.command('token').description('Show token status per tenant, or force a refresh; never prints a token');
  cmd
    .command('status', { isDefault: true })
    .description('For each tenant: whether a token is cached, where, when it expires and when it will be refreshed')
    .option('--tenant <id>', 'only this tenant')
    .action(async (opts: { tenant?: string }) => {
      const rows = await withTokens((t) => t.status(opts.tenant));
      console.log(rows.length ? formatTokenStatus(rows) : 'No tenants are configured; add one under tenants in navan-bridge.config.yaml or set NAVAN_* variables.');
    });
  cmd
    .command('refresh')
    .description('Force a token refresh (re-authentication) for every tenant, or one')
    .option('--tenant <id>', 'only this tenant')
    .action(async (opts: { tenant?: string }) => {
      const rows = await withTokens(async (t) => {
        const ids = opts.tenant ? [opts.tenant] : (await t.status()).map((r) => r.tenant);
        for (const id of ids) await t.reauthenticate(id);
        return t.status(opts.tenant);
      });
      console.log(formatTokenStatus(rows));
    });
}
