import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitFor, type Child, type ChildSet } from './children.js';

const run = promisify(execFile);

/**
 * A private redis-server for the chaos run, on its own port and directory, so restarting it
 * never disturbs the shared Redis other test files use. AOF is on, as deploy/docker configures
 * it: a restart keeps queues, tokens and rate budgets, and tests that clients reconnect.
 */
export interface PrivateRedis {
  url: string;
  port: number;
  /** Shuts Redis down (AOF flushed), waits `downMs`, starts it again on the same port and data. */
  restart(downMs: number): Promise<void>;
  cli(...args: string[]): Promise<string>;
}

export async function startPrivateRedis(children: ChildSet, dir: string): Promise<PrivateRedis> {
  const port = await freePort();
  const dataDir = join(dir, 'redis');
  mkdirSync(dataDir, { recursive: true });
  const cli = async (...args: string[]) => (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args])).stdout.trim();
  const start = async (): Promise<Child> => {
    const child = children.spawn('redis', 'redis-server', [
      '--bind', '127.0.0.1', '--port', String(port), '--dir', dataDir, '--save', '', '--appendonly', 'yes',
      '--appendfsync', 'always', '--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--protected-mode', 'yes',
    ], { env: { PATH: process.env.PATH }, cwd: dataDir });
    await waitFor('the private redis-server to answer PING', async () => ((await cli('ping')) === 'PONG' ? true : undefined), 10_000, 100);
    return child;
  };
  let child = await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    cli,
    async restart(downMs) {
      // SHUTDOWN (not a kill) so the AOF is complete, like a planned restart of a managed Redis.
      await cli('shutdown').catch(() => undefined);
      await child.exited;
      await new Promise((r) => setTimeout(r, downMs));
      child = await start();
    },
  };
}
