import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tokenRequest } from './_client.js';

const entry = fileURLToPath(new URL('./fixtures/sim-cli.ts', import.meta.url));
// An absolute loader path, so a child started in another directory still finds tsx.
const tsx = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
const run = (args: string[]) => spawn(process.execPath, ['--import', tsx, entry, ...args], { env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });

describe('navan-bridge sim', () => {
  it('prints exactly one JSON line, serves the API, logs to stderr and exits 0 on SIGTERM', async () => {
    const child = run(['sim', '--port', '0', '--bookings', '20', '--seed', '3', '--expires-in', '600']);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c) => {
        stdout += c;
        if (stdout.includes('\n')) resolve(stdout.split('\n')[0]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const printed = JSON.parse(line);
    expect(Object.keys(printed)).toEqual(['url', 'clientId', 'clientSecret']);
    expect(printed.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = await tokenRequest(printed.url, printed);
    expect(token.status).toBe(200);
    expect((token.json as any).expires_in).toBe(600);
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('Navan simulator listening');
    expect(stderr).not.toContain(printed.clientSecret);
  });

  it('refuses a bad option with one sentence', async () => {
    const child = run(['sim', '--region', 'MARS']);
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('--region must be US or EU');
  });

  // `start` itself is the full demo platform now: test/app/start-demo.test.ts covers it.
});
