import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, expect, it, vi } from 'vitest';
import { registerKeys } from '../../src/cli/commands/keys.js';

afterEach(() => { vi.unstubAllEnvs(); vi.restoreAllMocks(); });

it('keys create prints a key once, list never shows it, revoke marks it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nb-keys-'));
  vi.spyOn(process, 'cwd').mockReturnValue(dir);
  for (const [k, v] of Object.entries({ NAVAN_BASE_URL: 'https://api.navan.com', NAVAN_CLIENT_ID: 'c', NAVAN_CLIENT_SECRET: 's', DATABASE_URL: `sqlite:${join(dir, 'wh.db')}` })) vi.stubEnv(k, v);
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => { out.push(line); });
  const run = async (...args: string[]) => { const p = new Command().exitOverride(); registerKeys(p); await p.parseAsync(['node', 'nb', 'keys', ...args]); };
  await run('create', '--tenant', 'default', '--scopes', 'read:bookings,proxy');
  const key = /key:\s+(\S+)/.exec(out.join('\n'))![1]!;
  const id = /id:\s+(\S+)/.exec(out.join('\n'))![1]!;
  await expect(run('create', '--tenant', 'default', '--scopes', 'read:nope')).rejects.toThrow(/Scope "read:nope" is unknown/);
  await expect(run('create', '--tenant', 'other')).rejects.toThrow(/Tenant "other" is not configured/);
  out.length = 0;
  await run('list');
  expect(out.join('\n')).toContain(`${id}  default  read:bookings,proxy`);
  expect(out.join('\n')).not.toContain(key);
  await run('revoke', id);
  out.length = 0;
  await run('list');
  expect(out.join('\n')).toContain('REVOKED');
  await expect(run('revoke', id)).rejects.toThrow(/No active API key/);
});
