import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerToken } from '../../src/cli/commands/token.js';
import { startTestSim, type Simulator, type SimControl } from '../helpers/sim.js';
import { tempDir } from './helpers.js';

let sim: Simulator & { control: SimControl };
const saved = { ...process.env };
const savedCwd = process.cwd();

beforeAll(async () => {
  sim = await startTestSim({ expiresIn: 43199 });
});
afterAll(async () => {
  process.env = saved;
  process.chdir(savedCwd);
  await sim.close();
});

// Runs only the token command in this process (loadConfig reads process.env), capturing everything printed.
async function tokenCli(args: string[]): Promise<string> {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const err = vi.spyOn(console, 'error').mockImplementation((...a) => void out.push(a.join(' ')));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => (out.push(String(chunk)), true));
  try {
    const program = new Command().exitOverride();
    registerToken(program);
    await program.parseAsync(['node', 'navan-bridge', 'token', ...args]);
  } finally {
    log.mockRestore();
    err.mockRestore();
    write.mockRestore();
  }
  return out.join('\n');
}

describe('navan-bridge token', () => {
  it('refresh then status print a table with expiry and refresh times and never the token or the secret', async () => {
    const dataDir = tempDir();
    process.chdir(dataDir);
    Object.assign(process.env, {
      NAVAN_BASE_URL: sim.url, NAVAN_CLIENT_ID: sim.clientId, NAVAN_CLIENT_SECRET: sim.clientSecret,
      NAVAN_BRIDGE_DATA_DIR: dataDir, NAVAN_BRIDGE_MASTER_KEY: randomBytes(32).toString('hex'), LOG_LEVEL: 'warn',
    });
    delete process.env.REDIS_URL;
    delete process.env.NAVAN_BRIDGE_CONFIG;
    const before = (await sim.control.stats()).tokensIssued;
    const refreshed = await tokenCli(['refresh']);
    expect(refreshed).toMatch(/default\s+yes\s+file/);
    expect((await sim.control.stats()).tokensIssued).toBe(before + 1);
    const status = await tokenCli(['status', '--tenant', 'default']);
    expect(status).toMatch(/TENANT\s+CACHED\s+STORE\s+EXPIRES\s+REFRESHES/);
    expect(status).toMatch(/default\s+yes\s+file\s+\d{4}-\d\d-\d\dT/);
    expect((await sim.control.stats()).tokensIssued).toBe(before + 1);
    for (const text of [refreshed, status]) {
      expect(text).not.toContain(sim.clientSecret);
      expect(text).not.toMatch(/access_token|Bearer/);
    }
  });
});
