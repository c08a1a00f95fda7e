import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROLES, parseRole } from '../../src/app/index.js';
import { registerStart } from '../../src/cli/commands/start.js';
import { runCli } from './cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nb-roles-'));
  vi.spyOn(process, 'cwd').mockReturnValue(dir);
  for (const k of ['NAVAN_BASE_URL', 'NAVAN_CLIENT_ID', 'NAVAN_CLIENT_SECRET', 'DATABASE_URL', 'REDIS_URL', 'NAVAN_BRIDGE_CONFIG', 'PORT']) vi.stubEnv(k, '');
});
afterEach(() => { vi.unstubAllEnvs(); vi.restoreAllMocks(); });

const tenantEnv = { NAVAN_BASE_URL: 'http://127.0.0.1:9', NAVAN_CLIENT_ID: 'c', NAVAN_CLIENT_SECRET: 's' };

async function start(...args: string[]): Promise<void> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
  registerStart(program);
  await program.parseAsync(['node', 'navan-bridge', 'start', ...args]);
}

describe('navan-bridge start --role', () => {
  it('knows exactly the four roles, in any case', () => {
    expect(ROLES).toEqual(['all', 'server', 'worker', 'scheduler']);
    expect(parseRole('Worker')).toBe('worker');
  });

  it('refuses an unknown role with one sentence naming the choices', async () => {
    await expect(start('--role', 'web')).rejects.toThrow('--role: "web" is not a role; use all, server, worker or scheduler.');
  });

  it('refuses worker and scheduler without Redis, then without PostgreSQL', async () => {
    for (const [k, v] of Object.entries(tenantEnv)) vi.stubEnv(k, v);
    await expect(start('--role', 'worker')).rejects.toThrow('--role worker: needs Redis for the job queue; set REDIS_URL (for example redis://127.0.0.1:6379) or run --role all.');
    vi.stubEnv('REDIS_URL', 'redis://127.0.0.1:6379');
    await expect(start('--role', 'scheduler')).rejects.toThrow('--role scheduler: needs a PostgreSQL warehouse that every process shares; set DATABASE_URL to a postgres:// URL or run --role all.');
  });

  it('refuses the server role with no tenant: only role all falls back to the demo', async () => {
    await expect(start('--role', 'server')).rejects.toThrow(/^--role server: no Navan tenants are configured; set NAVAN_BASE_URL, NAVAN_CLIENT_ID and NAVAN_CLIENT_SECRET/);
  });

  it('refuses a port out of range', async () => {
    await expect(start('--port', '70000')).rejects.toThrow('--port must be a whole number from 0 to 65535 (0 picks a free port).');
  });

  it('the real CLI prints the sentence without a stack trace and exits 1', async () => {
    const cli = runCli(dir, ['start', '--role', 'worker'], tenantEnv);
    expect((await cli.exited).code).toBe(1);
    expect(cli.stderr().trim()).toBe('navan-bridge: --role worker: needs Redis for the job queue; set REDIS_URL (for example redis://127.0.0.1:6379) or run --role all.');
    expect(cli.stdout()).toBe('');
  });
});
