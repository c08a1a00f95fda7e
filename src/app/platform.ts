import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';
import { createErpExporter, exportAfterEachSync, type ErpExporter } from '../erp/index.js';
import { createAlertEvaluator, createMetrics, loadLastSuccess, notifiersFromConfig, type AlertEvaluator, type Metrics } from '../monitor/index.js';
import { createRuntime, type Runtime } from '../runtime/index.js';
import { buildServer, collectIntegrationHealth } from '../server/index.js';
import type { Clock } from '../shared/clock.js';
import { NavanBridgeError, describeError } from '../shared/errors.js';
import type { EventBus } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import { createScheduler, createSyncEngine, type Scheduler, type SyncEngine, type SyncRunSummary } from '../sync/index.js';
import { listenOn } from './listen.js';
import { buildOpsServer } from './ops-server.js';
import { bullmqRoles, type QueuePart, type QueueRoles } from './queue.js';
import { ROLE_PARTS, checkRole, type Role } from './roles.js';

export interface PlatformOptions {
  config: Config;
  role: Role;
  logger: Logger;
  events?: EventBus;
  clock?: Clock;
  /** The BullMQ parts of the worker and scheduler roles; default bullmqRoles() (tests pass a private prefix). */
  queue?: QueueRoles;
}

export interface StartOptions {
  /** Default config.server.port (PORT); 0 picks a free port. */
  port?: number;
  host?: string;
  /**
   * When the in-process scheduler starts, read what the ledger misses (bookings, transactions)
   * and users never synced. Default true: with real credentials that is the first sync.
   */
  catchUpOnStart?: boolean;
}

/**
 * The layers of one `navan-bridge start` process, composed for a role. `createPlatform` opens
 * the runtime and builds the sync engine and metrics without starting anything, so a caller
 * (the demo) can run a first sync before `start` opens the server and the schedules.
 */
export interface Platform {
  readonly role: Role;
  readonly config: Config;
  readonly runtime: Runtime;
  readonly metrics: Metrics;
  /** The sync engine; every run through it is aborted (and checkpointed) when the platform closes. */
  readonly engine: SyncEngine;
  start(options?: StartOptions): Promise<{ url: string }>;
  /** Graceful: no new runs, running syncs checkpoint and stop, the server drains, then connections close. */
  close(): Promise<void>;
}

export async function createPlatform(options: PlatformOptions): Promise<Platform> {
  const { config, role, logger } = options;
  checkRole(role, config);
  const parts = ROLE_PARTS[role];
  const runtime = await createRuntime(config, { logger, ...(options.events ? { events: options.events } : {}), ...(options.clock ? { clock: options.clock } : {}) });
  const tenants = config.tenants.map((t) => t.id);
  const metrics = createMetrics({ events: runtime.events, tenants, clock: runtime.clock });
  try {
    // Staleness survives a restart: the gauges start from the warehouse's history, not from zero.
    metrics.restoreLastSuccess(await loadLastSuccess(runtime.warehouse.db));
  } catch (err) {
    metrics.close();
    await runtime.close();
    throw err;
  }
  const syncs = new AbortController();
  const runs = new Set<Promise<SyncRunSummary>>();
  const engine = abortable(
    createSyncEngine({ config, warehouse: runtime.warehouse, clientFor: (id) => runtime.clientFor(id), clock: runtime.clock, logger, events: runtime.events, ...(runtime.redis ? { redis: runtime.redis } : {}) }),
    syncs.signal,
    runs,
  );

  let server: FastifyInstance | undefined;
  let scheduler: Scheduler | undefined;
  let evaluator: AlertEvaluator | undefined;
  const queueParts: QueuePart[] = [];
  let erp: { exporter: ErpExporter; unhook: () => void } | undefined;
  let closing: Promise<void> | undefined;

  async function start(opts: StartOptions = {}): Promise<{ url: string }> {
    const host = opts.host ?? config.server.host;
    const port = opts.port ?? config.server.port;
    if (parts.alerts) {
      evaluator = createAlertEvaluator({ config, metrics, events: runtime.events, notifiers: notifiersFromConfig(config, { logger, metrics }), clock: runtime.clock, logger });
    }
    server = parts.api
      ? await buildApiServer()
      : buildOpsServer({ role, warehouse: runtime.warehouse, metrics, logger });
    const url = await listenOn(server, host, port);
    evaluator?.start();
    if (parts.schedule || parts.queue === 'worker') {
      // Posts to the ERP after each successful transaction sync; a no-op for tenants without erp.exportAfterSync.
      const exporter = createErpExporter({ config, warehouse: runtime.warehouse, logger, events: runtime.events, clock: runtime.clock, ...(runtime.redis ? { redis: runtime.redis } : {}) });
      erp = { exporter, unhook: exportAfterEachSync(runtime.events, exporter, logger) };
    }
    const queue = options.queue ?? bullmqRoles();
    const ctx = { runtime, signal: syncs.signal };
    if (parts.queue === 'worker') queueParts.push(await queue.startWorker(ctx));
    if (parts.queue === 'scheduler') queueParts.push(await queue.startScheduler(ctx));
    if (parts.schedule && tenants.length > 0) {
      // The embedded default: croner in this process. With Redis the engine's run lock lives
      // there, so an `all` process next to queue workers never runs a stream twice.
      const catchUp = opts.catchUpOnStart ?? true;
      scheduler = createScheduler({ config, engine, clock: runtime.clock, logger, catchUpOnStart: catchUp });
      scheduler.start();
      if (catchUp) await syncUsersNeverSynced();
    }
    logger.info({ role, url, tenants }, 'navan-bridge started');
    return { url };
  }

  /** The consumer API, proxy, probes, metrics and dashboard, over this process's layers. */
  function buildApiServer(): Promise<FastifyInstance> {
    const syncStatus = (tenant: string) => engine.status(tenant);
    const gatewayFor = (id: string) => runtime.gatewayFor(id);
    return buildServer({
      config,
      warehouse: runtime.warehouse,
      logger,
      clock: runtime.clock,
      syncStatus,
      gatewayFor,
      integrationHealth: collectIntegrationHealth({
        warehouse: runtime.warehouse, tokens: runtime.tokens, gatewayFor, syncStatus, metrics, clock: runtime.clock, ...(evaluator ? { alerts: evaluator } : {}),
      }),
      metrics,
      health: async () => ({ role, tenants, firingAlerts: evaluator?.firing().length ?? 0 }),
    });
  }

  /** The scheduler's catch-up covers bookings and transactions; users have no ledger, so a first run starts here. */
  async function syncUsersNeverSynced(): Promise<void> {
    for (const tenant of tenants) {
      const users = (await engine.status(tenant)).find((s) => s.stream === 'users');
      if (users?.lastSuccessAt) continue;
      engine.run({ tenant, stream: 'users', mode: 'full' }).catch((err) => logger.warn({ tenant, err: describeError(err) }, 'first users sync did not run'));
    }
  }

  async function close(): Promise<void> {
    closing ??= (async () => {
      // Order matters: stop planning new runs before aborting the running ones, so nothing
      // starts against a closing warehouse; the scheduler's stop waits for its runs to checkpoint.
      const schedulerStopped = scheduler?.stop();
      syncs.abort(new Error('navan-bridge is shutting down'));
      evaluator?.stop();
      await Promise.allSettled([
        schedulerStopped,
        ...queueParts.map((p) => p.close()),
        ...[...runs],
        server?.close(),
      ]);
      erp?.unhook();
      await erp?.exporter.close();
      metrics.close();
      await runtime.close();
    })();
    return closing;
  }

  return { role, config, runtime, metrics, engine, start, close };
}

/**
 * The engine as the rest of the platform sees it: every run also listens to the platform's
 * shutdown signal, so a Ctrl-C makes it commit the current page as a checkpoint and return.
 */
function abortable(engine: SyncEngine, shutdown: AbortSignal, runs: Set<Promise<SyncRunSummary>>): SyncEngine {
  return {
    status: (tenant) => engine.status(tenant),
    run: (opts) => {
      if (shutdown.aborted) return Promise.reject(new NavanBridgeError('SHUTTING_DOWN', 'navan-bridge is shutting down, so no new sync starts; the next start runs it.'));
      const signal = opts.signal ? AbortSignal.any([opts.signal, shutdown]) : shutdown;
      const run = engine.run({ ...opts, signal });
      runs.add(run);
      const forget = () => runs.delete(run);
      run.then(forget, forget);
      return run;
    },
  };
}
