import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/auth/stores.js';
import { startTestSim, type Simulator, type SimControl } from '../helpers/sim.js';
import { uniquePrefix } from './helpers.js';

const worker = fileURLToPath(new URL('./fixtures/token-worker.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
const masterKey = randomBytes(32).toString('hex');
let sim: Simulator & { control: SimControl };
const redis = new Redis('redis://127.0.0.1:6379');
const prefixes: string[] = [];

beforeAll(async () => {
  sim = await startTestSim({ expiresIn: 3 });
});
afterAll(async () => {
  for (const p of prefixes) {
    const keys = await redis.keys(`${p}*`);
    if (keys.length) await redis.del(...keys);
  }
  await redis.quit();
  await sim.close();
});

interface Child {
  proc: ChildProcess;
  lines: { phase: number; hash: string }[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnWorker(prefix: string, extra: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', worker], {
    cwd: root,
    env: { ...process.env, TEST_PREFIX: prefix, SIM_URL: sim.url, CLIENT_ID: sim.clientId, CLIENT_SECRET: sim.clientSecret, NAVAN_BRIDGE_MASTER_KEY: masterKey, ...extra },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const child: Child = { proc, lines: [], exited: new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal }))) };
  let buf = '';
  proc.stdout!.on('data', (d) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      child.lines.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
  });
  return child;
}

async function until(cond: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting for the worker processes');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const issued = async () => (await sim.control.stats()).tokensIssued;

describe('eight OS processes sharing Redis', () => {
  it('make exactly one token request from an empty cache, and exactly one refresh at expiry', async () => {
    const prefix = uniquePrefix('procs');
    prefixes.push(prefix);
    const children = Array.from({ length: 8 }, () => spawnWorker(prefix, { LEAD_SECONDS: '1' }));
    await until(async () => Number(await redis.get(`${prefix}ready`)) === 8);
    const before = await issued();
    await redis.set(`${prefix}signal:start`, '1');
    await until(() => children.every((c) => c.lines.length === 1));
    const issuedAt = Date.now();
    expect(await issued()).toBe(before + 1);
    expect(new Set(children.map((c) => c.lines[0]!.hash)).size).toBe(1);

    // expires_in 3 s, lead 1 s: every process sees the token due after 2 s (real time: processes cannot share a fake clock).
    await new Promise((r) => setTimeout(r, Math.max(0, issuedAt + 2300 - Date.now())));
    await redis.set(`${prefix}signal:phase2`, '1');
    await until(() => children.every((c) => c.lines.length === 2));
    expect(await issued()).toBe(before + 2);
    // The one that refreshed has the new token; the others got the new one or, while the refresh was
    // in flight elsewhere, the old one, which is still valid for the lead time (they are not held up).
    const oldHash = children[0]!.lines[0]!.hash;
    const second = new Set(children.map((c) => c.lines[1]!.hash));
    expect([...second].filter((h) => h !== oldHash)).toHaveLength(1);
    expect(second.size).toBeLessThanOrEqual(2);
    for (const c of children) expect((await c.exited).code).toBe(0);
  }, 60_000);

  it('when the lock holder is killed mid-refresh, one successor takes over after the lock expires, without deadlock', async () => {
    const prefix = uniquePrefix('killed');
    prefixes.push(prefix);
    const victim = spawnWorker(prefix, { DIE_ON_TOKEN_REQUEST: '1', LOCK_TTL_MS: '1500', ONE_PHASE: '1', START_SIGNAL: 'victim' });
    const others = Array.from({ length: 7 }, () => spawnWorker(prefix, { LOCK_TTL_MS: '1500', ONE_PHASE: '1' }));
    await until(async () => Number(await redis.get(`${prefix}ready`)) === 8);
    const before = await issued();
    // The victim starts first, takes the lock, and dies just before its token request.
    await redis.set(`${prefix}signal:victim`, '1');
    const { signal } = await victim.exited;
    expect(signal).toBe('SIGKILL');
    expect(await redis.exists(redisKeys(prefix, 'acme').lock)).toBe(1);
    await redis.set(`${prefix}signal:start`, '1');
    // The seven start together and wait on the dead holder's lock until it expires; one of them is the successor.
    await until(() => others.every((c) => c.lines.length === 1));
    expect(await issued()).toBe(before + 1);
    expect(new Set(others.map((c) => c.lines[0]!.hash)).size).toBe(1);
    expect(await redis.exists(redisKeys(prefix, 'acme').lock)).toBe(0);
    for (const c of others) expect((await c.exited).code).toBe(0);
  }, 60_000);
});
