import { performance } from 'node:perf_hooks';
import { dirname, relative } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { assertPortFree, checkRole, createPlatform, createShutdown, demoApiKey, firstSync, isDemo, parseRole, startDemo, DEMO_DATA, DEMO_TENANT, type Role, type Shutdown } from '../../app/index.js';
import { loadConfig, printableConfig, type Config } from '../../config/index.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import type { SyncRunSummary } from '../../sync/index.js';
import { progressReporter } from '../progress.js';

interface StartCommandOptions {
  role: string;
  port?: number;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('--port must be a whole number from 0 to 65535 (0 picks a free port).');
  return n;
}

/**
 * `navan-bridge start` (what `npm start` runs): the platform for every configured tenant, or,
 * with none, the demo on the built-in simulator. Runs until SIGINT/SIGTERM, then stops
 * gracefully (see src/app/shutdown.ts).
 */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Start the platform (server, scheduler, monitoring); with no Navan credentials, a demo on the built-in simulator')
    .option('--role <role>', 'all (one process), server (API, proxy, dashboard), worker or scheduler (BullMQ; need REDIS_URL and a postgres DATABASE_URL)', 'all')
    .option('--port <n>', 'port of the server (default: PORT, then server.port, 3000)', port)
    .action(async (opts: StartCommandOptions) => {
      const role = parseRole(opts.role);
      const base = loadConfig();
      checkRole(role, base);
      // Before the first sync, not after it: a taken port should cost no waiting.
      await assertPortFree(base.server.host, opts.port ?? base.server.port);
      if (isDemo(base)) await startDemoMode(base, opts.port);
      else await startWithTenants(base, role, opts.port);
    });
}

/** Runs `body` with signal handling; a failure during start-up closes what was started, then reports. */
async function withShutdown(level: string, body: (shutdown: Shutdown, logger: Logger) => Promise<void>): Promise<void> {
  const logger = createLogger({ level });
  const shutdown = createShutdown({ logger });
  try {
    await body(shutdown, logger);
  } catch (err) {
    // A Ctrl-C during start-up closes parts under the running steps; their errors are expected.
    if (shutdown.signal.aborted) return;
    await shutdown.stop('start-up failed');
    shutdown.dispose();
    throw err;
  }
}

async function startDemoMode(base: Config, portOption: number | undefined): Promise<void> {
  await withShutdown(process.env.LOG_LEVEL ?? 'warn', async (shutdown, logger) => {
    say('');
    say('navan-bridge demo: no Navan credentials are configured, so this runs on the built-in Navan');
    say('simulator with generated data. Nothing leaves this machine.');
    say('');
    const demo = await startDemo(base);
    shutdown.onClose('simulator', () => demo.close());
    const dataDir = dirname(demo.databaseFile);
    row('simulator', `${demo.sim.url}  (${n(DEMO_DATA.bookings)} bookings, ${n(DEMO_DATA.transactions)} transactions, ${n(DEMO_DATA.users)} users)`);
    row('warehouse', `${shortPath(demo.databaseFile)}  (SQLite, demo data only)`);
    if (shutdown.signal.aborted) return;

    const platform = await createPlatform({ config: demo.config, role: 'all', logger });
    shutdown.onClose('platform', () => platform.close());
    say('');
    say('First sync (full refresh of every stream):');
    const summaries = await firstSync(platform.engine, {
      signal: shutdown.signal,
      progress: (stream) => progressReporter(`  ${stream}`, { clearOnStop: true }),
      done: (s) => say(syncLine(s)),
    });
    if (shutdown.signal.aborted) return;
    if (summaries.some((s) => s.status === 'failure')) {
      say('  Some streams did not sync completely; the dashboard shows what arrived, and the scheduler retries.');
    }

    const { key, reused, file: keyFile } = await demoApiKey(platform.runtime.warehouse, dataDir);
    const { url } = await platform.start({ ...(portOption !== undefined ? { port: portOption } : {}), catchUpOnStart: false });
    if (shutdown.signal.aborted) return;
    const auth = `-H "Authorization: Bearer ${key}"`;
    say('');
    say(`Ready in ${seconds(sinceProcessStart())}.`);
    say('');
    row('dashboard', `${url}/#key=${key}`);
    row('API key', `${key}`);
    row('', `(tenant "${DEMO_TENANT}", every scope; ${reused ? 'the same key as last time' : 'new'}, kept in ${shortPath(keyFile)})`);
    row('API', `${url}/api/v1  (OpenAPI: ${url}/api/v1/openapi.json)`);
    row('metrics', `${url}/metrics`);
    row('simulator', `${demo.sim.url}/__sim/stats  (the fake Navan; control plane in README)`);
    say('');
    say('Try:');
    say(`  curl ${auth} '${url}/api/v1/bookings?limit=3'`);
    say(`  curl ${auth} '${url}/api/v1/reports/spend'`);
    say(`  curl ${auth} '${url}/api/v1/sync/status'`);
    say('');
    say('Ctrl-C stops everything (a second Ctrl-C forces it).');
  });
}

async function startWithTenants(config: Config, role: Role, portOption: number | undefined): Promise<void> {
  await withShutdown(config.logLevel, async (shutdown, logger) => {
    const platform = await createPlatform({ config, role, logger });
    shutdown.onClose('platform', () => platform.close());
    if (shutdown.signal.aborted) return;
    const { url } = await platform.start(portOption !== undefined ? { port: portOption } : {});
    if (shutdown.signal.aborted) return;
    const tenants = config.tenants.map((t) => t.id);
    say('');
    say(`navan-bridge started as role "${role}" in ${seconds(sinceProcessStart())}, for ${tenants.length === 1 ? 'tenant' : 'tenants'} ${tenants.join(', ')}.`);
    say('');
    row('warehouse', (printableConfig(config).storage as { databaseUrl: string }).databaseUrl);
    if (role === 'all' || role === 'server') {
      row('dashboard', `${url}/  (give it a key: navan-bridge keys create --tenant ${tenants[0]})`);
      row('API', `${url}/api/v1  (OpenAPI: ${url}/api/v1/openapi.json)`);
      row('proxy', `${url}/navan/…  (keys with the proxy scope)`);
    } else {
      row('health', `${url}/healthz, ${url}/readyz`);
    }
    row('metrics', `${url}/metrics`);
    if (role === 'all') {
      row('sync', 'in-process scheduler; missed windows and never-synced streams are read now, in the background');
    }
    say('');
    say('Ctrl-C (or SIGTERM) stops gracefully.');
  });
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** One aligned "label  value" line of the summary. */
function row(label: string, value: string): void {
  say(`  ${label.padEnd(11)}${value}`);
}

function syncLine(s: SyncRunSummary): string {
  const outcome = s.status === 'success' ? (s.resumed ? 'done (resumed from the checkpoint)' : 'done') : s.status === 'suspect' ? 'held by the delete guard' : `stopped: ${s.error ?? 'failed'}`;
  return `  ${s.stream.padEnd(13)}${n(s.read).padStart(7)} records  ${seconds(s.durationMs).padStart(6)}  ${outcome}`;
}

/** performance.now() counts from the process start, so this includes loading Node and the code. */
function sinceProcessStart(): number {
  return performance.now();
}

function n(value: number): string {
  return value.toLocaleString('en-US');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function shortPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel.startsWith('..') ? p : `./${rel}`;
}
