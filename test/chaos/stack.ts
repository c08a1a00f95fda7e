import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { request } from 'undici';
import { stringify } from 'yaml';
import { controlFor, type SimControl } from '../helpers/sim.js';
import { ChildSet, freePort, waitFor, type Child } from './harness/children.js';
import { startPrivateRedis, type PrivateRedis } from './harness/redis.js';
import type { ChaosScale } from './scale.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const TENANTS = ['alpha', 'beta', 'gamma'] as const;
export type TenantId = (typeof TENANTS)[number];
/** A simulator process: its credential (printed on its first stdout line) and its control plane. */
export interface ChaosSim {
  url: string;
  clientId: string;
  clientSecret: string;
  control: SimControl;
  child: Child;
}

export interface RoleProcess {
  name: string;
  role: 'server' | 'worker' | 'scheduler';
  port: number;
  url: string;
  child: Child;
}

/**
 * Everything the chaos run starts: one simulator per tenant (each its own Navan company with its
 * own seed, limit and stats), a private Redis, a private PostgreSQL schema, and the navan-bridge
 * processes, all on 127.0.0.1.
 */
export class ChaosStack {
  readonly children: ChildSet;
  readonly schema = `chaos_${randomBytes(4).toString('hex')}`;
  readonly masterKey = randomBytes(32).toString('hex');
  readonly sims = new Map<TenantId, ChaosSim>();
  readonly processes: RoleProcess[] = [];
  redis!: PrivateRedis;
  configFile = '';

  constructor(readonly scale: ChaosScale, readonly dir: string) {
    mkdirSync(join(dir, 'logs'), { recursive: true });
    this.children = new ChildSet(join(dir, 'logs'));
  }

  get databaseUrl(): string {
    // pg passes `options` to the server: every connection of every process uses the private schema.
    return `${PG_URL}?options=${encodeURIComponent(`-c search_path=${this.schema}`)}`;
  }

  /**
   * One `navan-bridge sim` process per tenant, like Navan: a process of its own, so the instant it
   * stamps a request for its sliding-window limit is not delayed by the test's own work.
   */
  async startSimulators(): Promise<void> {
    await Promise.all(TENANTS.map(async (id, i) => {
      const s = this.scale;
      const child = this.children.spawn(`sim-${id}`, process.execPath, [
        join(ROOT, 'bin/navan-bridge'), 'sim', '--port', '0', '--seed', String(101 + i),
        '--bookings', String(s.bookings), '--transactions', String(s.transactions), '--users', String(s.users), '--rate-limit', String(s.limitRps),
      ], { env: { PATH: process.env.PATH, HOME: process.env.HOME, NAVAN_BRIDGE_FROM_SOURCE: '1', LOG_LEVEL: 'warn' }, cwd: ROOT });
      // Its one stdout line: {"url","clientId","clientSecret"} (a simulator credential, printed on purpose).
      const printed = await waitFor(`the simulator for ${id} to print its address`, async () => {
        if (!child.alive()) throw new Error(`the simulator exited (${String(await child.exited)}); see ${child.logFile}`);
        const line = readFileSync(child.logFile, 'utf8').split('\n').find((l) => l.startsWith('{"url"'));
        return line ? (JSON.parse(line) as { url: string; clientId: string; clientSecret: string }) : undefined;
      }, 60_000, 200);
      const sim: ChaosSim = { ...printed, control: controlFor(printed.url), child };
      this.sims.set(id, sim);
      // Headers let the gateway learn the real limit, so its estimate never probes above it.
      await sim.control.post('/__sim/ratelimit', { rps: s.limitRps, headers: true });
    }));
  }

  async startStorage(): Promise<void> {
    this.redis = await startPrivateRedis(this.children, this.dir);
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`create schema "${this.schema}"`);
    } finally {
      await c.end();
    }
  }

  async dropSchema(): Promise<void> {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`drop schema if exists "${this.schema}" cascade`);
    } finally {
      await c.end();
    }
  }

  secretEnv(id: TenantId): string {
    return `${id.toUpperCase()}_NAVAN_CLIENT_SECRET`;
  }

  writeConfig(): void {
    const threeYearsAgo = new Date(Date.now() - 3 * 365 * 86400_000).toISOString().slice(0, 10);
    const config = {
      server: { host: '127.0.0.1' },
      tenants: TENANTS.map((id) => ({ id, baseUrl: this.sims.get(id)!.url, clientId: this.sims.get(id)!.clientId, clientSecret: { env: this.secretEnv(id) }, startDate: threeYearsAgo })),
      auth: { tokenStore: 'redis' },
      gateway: {
        observedLimitRps: this.scale.limitRps,
        // 3 workers + 2 servers + the scheduler: each process's share while Redis is away.
        processCount: 6,
        // Minutes in production; seconds here so an open breaker is seen half-opening and closing.
        breakerHalfOpenAfterMs: 5_000,
        retryMaxTotalMs: 30_000,
      },
      sync: {
        bookingPageSize: this.scale.bookingPageSize,
        transactionPageSize: this.scale.transactionPageSize,
        // Retries in seconds, not the production 30 s doubling, so a job failed by a fault retries within
        // the run (1 + 2 + 4 + 8 s at most).
        queue: { attempts: 5, backoffMs: 1_000, lockDurationMs: 10_000, stalledIntervalMs: 5_000 },
      },
    };
    this.configFile = join(this.dir, 'chaos.config.yaml');
    writeFileSync(this.configFile, stringify(config));
  }

  /** The environment of every navan-bridge process: nothing inherited but PATH and HOME. */
  env(port: number): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, HOME: process.env.HOME,
      NAVAN_BRIDGE_FROM_SOURCE: '1',
      NAVAN_BRIDGE_CONFIG: this.configFile,
      NAVAN_BRIDGE_DATA_DIR: join(this.dir, 'data'),
      NAVAN_BRIDGE_MASTER_KEY: this.masterKey,
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: this.redis.url,
      PORT: String(port),
      LOG_LEVEL: 'info',
    };
    for (const id of TENANTS) env[this.secretEnv(id)] = this.sims.get(id)!.clientSecret;
    return env;
  }

  /** Starts `node bin/navan-bridge start --role <role>` and waits for its /readyz. */
  async startRole(name: string, role: RoleProcess['role'], port?: number): Promise<RoleProcess> {
    const p = port ?? (await freePort());
    const child = this.children.spawn(name, process.execPath, [join(ROOT, 'bin/navan-bridge'), 'start', '--role', role], { env: this.env(p), cwd: ROOT });
    const proc: RoleProcess = { name, role, port: p, url: `http://127.0.0.1:${p}`, child };
    const existing = this.processes.findIndex((x) => x.name === name);
    if (existing >= 0) this.processes[existing] = proc;
    else this.processes.push(proc);
    await waitFor(`${name} (--role ${role}) to answer /readyz`, async () => {
      if (!child.alive()) throw new Error(`${name} exited (${String(await child.exited)}); see ${child.logFile}`);
      const res = await request(`${proc.url}/readyz`);
      await res.body.text();
      return res.statusCode === 200 ? true : undefined;
    }, 60_000, 300);
    return proc;
  }

  /** Scrape targets for Prometheus: every process that is alive now. */
  targets(): string[] {
    return this.processes.filter((p) => p.child.alive()).map((p) => `127.0.0.1:${p.port}`);
  }

  async close(): Promise<void> {
    await this.children.stopAll();
    await this.dropSchema().catch(() => undefined);
  }
}
