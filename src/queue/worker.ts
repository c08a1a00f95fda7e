import { DelayedError, Queue, UnrecoverableError, WaitingChildrenError, Worker, type Job } from 'bullmq';
import { SyncAlreadyRunningError, describeError } from '../shared/errors.js';
import { EventBus, type BridgeEvents } from '../shared/events.js';
import { createSyncEngine, type SyncRunSummary, type WindowSummary } from '../sync/index.js';
import { queueConnection } from './connection.js';
import { DEFAULT_PREFIX, QUEUE_NAME, enqueueSync, isWindowed, jobOptions, windowPriority, type RunJob, type SyncJob, type TickJob, type WindowJob } from './jobs.js';
import type { QueueRuntime } from './types.js';

export interface SyncWorkerOptions {
  runtime: QueueRuntime;
  /** Jobs this process runs at once; default config.sync.queue.concurrency. */
  concurrency?: number;
  /** Aborting it stops the worker like close(). */
  signal?: AbortSignal;
  /** BullMQ key prefix; default "navan-bridge:bull". */
  prefix?: string;
  /** How long a job's lock lives without renewal: a killed worker's job is taken over after about this long. Default 30 s. */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs (of killed workers). Default 30 s. */
  stalledIntervalMs?: number;
  /** A job stalled more often than this fails for good. Default 3. */
  maxStalledCount?: number;
  /** Engine settings for its own re-reads of a failed page (tests make them short). */
  pageAttempts?: number;
  retryDelayMs?: number;
  /** Redis key prefix of the engine's run lock; default "navan-bridge:". */
  lockKeyPrefix?: string;
}

export interface SyncWorker {
  /** Stops taking jobs, lets running jobs commit their current page and hand themselves back to the queue, closes connections. */
  close(): Promise<void>;
  /** The BullMQ worker, for tests and metrics. */
  readonly worker: Worker<SyncJob>;
}

type SyncRunEvent = BridgeEvents['sync.run'][0];

/**
 * An event bus for one job's engine: everything passes through to the runtime's bus except a
 * failed `sync.run`, held back until the job fails for good, so a failure that a retry fixes
 * raises no "sync failed" alert.
 */
function jobScopedEvents(target: EventBus): { bus: EventBus; failure: () => SyncRunEvent | undefined } {
  const bus = new EventBus();
  let held: SyncRunEvent | undefined;
  bus.emit = ((name: keyof BridgeEvents, ...args: unknown[]) => {
    if (name === 'sync.run' && (args[0] as SyncRunEvent).outcome === 'failure') {
      held = args[0] as SyncRunEvent;
      return true;
    }
    return (target.emit as (n: string, ...a: unknown[]) => boolean)(name, ...args);
  }) as EventBus['emit'];
  return { bus, failure: () => held };
}

/** The job goes back to the queue without using up an attempt (shutdown, or its tenant is busy). */
async function handBack(job: Job, token: string, afterMs: number): Promise<never> {
  await job.moveToDelayed(Date.now() + afterMs, token);
  throw new DelayedError();
}

/**
 * Starts a BullMQ worker that runs sync jobs (see jobs.ts for the kinds). Every job resumes from
 * the engine's checkpoints, so a job taken over from a killed worker (BullMQ's stalled-job check)
 * continues where the last committed page left it.
 */
export function startSyncWorker(options: SyncWorkerOptions): SyncWorker {
  const { runtime } = options;
  const { config, logger, clock } = runtime;
  const q = config.sync.queue;
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const lockDuration = options.lockDurationMs ?? options.runtime.config.sync.queue.lockDurationMs;
  const connection = queueConnection(runtime, 'worker');
  const queue = new Queue<SyncJob>(QUEUE_NAME, { connection, prefix });
  const shutdown = new AbortController();

  const engineFor = (events: EventBus) =>
    createSyncEngine({
      config, warehouse: runtime.warehouse, clientFor: (id) => runtime.clientFor(id), clock, logger, events,
      ...(runtime.redis ? { redis: runtime.redis } : {}),
      redisKeyPrefix: options.lockKeyPrefix ?? 'navan-bridge:',
      ...(options.pageAttempts !== undefined ? { pageAttempts: options.pageAttempts } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    });

  function raiseFailure(data: RunJob | WindowJob, err: unknown, held?: SyncRunEvent): void {
    const event: SyncRunEvent = held ?? {
      tenant: data.tenant, stream: data.stream, mode: data.kind === 'window' ? 'full' : data.mode, outcome: 'failure',
      written: 0, quarantined: 0, deleted: 0, finishedAt: clock.now(), error: describeError(err),
    };
    runtime.events.emit('sync.run', event);
  }

  async function tick(data: TickJob): Promise<{ jobId: string; deduplicated: boolean }> {
    return enqueueSync(queue, config, { tenant: data.tenant, stream: data.stream, mode: data.mode });
  }

  async function planWindows(job: Job<SyncJob>, data: RunJob, engine: ReturnType<typeof engineFor>): Promise<void> {
    if (!isWindowed(data.stream, data.mode)) return;
    const plan = await engine.planFullRefresh({ tenant: data.tenant, stream: data.stream });
    await job.updateData({ ...data, runId: plan.runId, windows: plan.windows });
    const lanes = Math.min(q.perTenantConcurrency, plan.windows.length);
    await queue.addBulk(plan.windows.slice(0, lanes).map((window, index) => windowJob(job.id!, job.queueQualifiedName, { ...data, runId: plan.runId }, window, index, lanes)));
    await job.updateData({ ...data, step: 'finish', runId: plan.runId, windows: plan.windows });
    logger.info({ tenant: data.tenant, stream: data.stream, runId: plan.runId, windows: plan.windows.length, resumed: plan.resumed }, 'full refresh split into window jobs');
  }

  /**
   * Deterministic ids: a step retried after a crash adds no window twice. The run job's id is part
   * of it, so a later run job that resumes the same run (after this one failed) gets fresh jobs.
   */
  function windowJob(parentId: string, parentQueue: string, run: RunJob, window: WindowJob['window'], index: number, lanes: number) {
    const data: WindowJob = { kind: 'window', tenant: run.tenant, stream: run.stream as WindowJob['stream'], runId: run.runId!, window, index, lanes, parentId };
    return {
      name: `${run.tenant}.${run.stream}.window`,
      data,
      opts: {
        ...jobOptions(config), jobId: `${run.runId}.${parentId}.${index}`, priority: windowPriority(index),
        parent: { id: parentId, queue: parentQueue },
        // A window that fails for good lets the run step go on and fail the run with its reason.
        ignoreDependencyOnFailure: true,
      },
    };
  }

  /** Adds the next window of this window's lane, while this one still holds the run waiting. */
  async function nextInLane(job: Job<SyncJob>, data: WindowJob): Promise<void> {
    const parent = (await queue.getJob(data.parentId)) as Job<SyncJob> | undefined;
    const run = parent?.data.kind === 'run' ? parent.data : undefined;
    const next = run?.windows?.[data.index + data.lanes];
    if (!run || !next) return;
    const j = windowJob(data.parentId, job.queueQualifiedName, run, next, data.index + data.lanes, data.lanes);
    await queue.add(j.name, j.data, j.opts);
  }

  async function windowedRun(job: Job<SyncJob>, token: string, data: RunJob, engine: ReturnType<typeof engineFor>): Promise<SyncRunSummary> {
    if (data.step !== 'finish') await planWindows(job, data, engine);
    const runId = (job.data as RunJob).runId!;
    if (await job.moveToWaitingChildren(token)) throw new WaitingChildrenError();
    const failures = Object.values(await job.getIgnoredChildrenFailures());
    const stream = data.stream as WindowJob['stream'];
    if (failures.length) {
      // The run fails for good: say so once, on the runtime's own bus.
      const summary = await engineFor(runtime.events).failFullRefresh({ tenant: data.tenant, stream, runId, error: `${failures.length} window job(s) failed; the first: ${failures[0]}` });
      throw new UnrecoverableError(summary.error);
    }
    return engine.finishFullRefresh({ tenant: data.tenant, stream, runId, forceDeletes: data.forceDeletes ?? false });
  }

  async function run(job: Job<SyncJob>, token: string, data: RunJob, signal: AbortSignal): Promise<SyncRunSummary> {
    const scoped = jobScopedEvents(runtime.events);
    const engine = engineFor(scoped.bus);
    try {
      if (isWindowed(data.stream, data.mode)) return await windowedRun(job, token, data, engine);
      const summary = await engine.run({ tenant: data.tenant, stream: data.stream, mode: data.mode, forceDeletes: data.forceDeletes ?? false, signal });
      if (summary.status === 'failure') {
        if (signal.aborted) return await handBack(job, token, 0);
        throw new Error(summary.error ?? 'the sync run failed');
      }
      return summary;
    } catch (err) {
      if (err instanceof DelayedError || err instanceof WaitingChildrenError) throw err;
      // Another process runs this tenant and stream outside the queue (a CLI run): try again later.
      if (err instanceof SyncAlreadyRunningError) return await handBack(job, token, 5_000);
      if (signal.aborted) return await handBack(job, token, 0);
      if (err instanceof UnrecoverableError) throw err;
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) raiseFailure(data, err, scoped.failure());
      throw err;
    }
  }

  async function window(job: Job<SyncJob>, token: string, data: WindowJob, signal: AbortSignal): Promise<WindowSummary> {
    try {
      const summary = await engineFor(runtime.events).runWindow({ tenant: data.tenant, stream: data.stream, runId: data.runId, window: data.window, signal });
      await nextInLane(job, data);
      return summary;
    } catch (err) {
      if (signal.aborted) return await handBack(job, token, 0);
      // The last try: hand the lane on anyway, so one bad window does not leave the rest unread.
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await nextInLane(job, data).catch(() => undefined);
      throw err;
    }
  }

  const worker = new Worker<SyncJob>(
    QUEUE_NAME,
    async (job, token, jobSignal) => {
      const signal = jobSignal ? AbortSignal.any([shutdown.signal, jobSignal]) : shutdown.signal;
      const data = job.data;
      if (data.kind === 'tick') return tick(data);
      if (data.kind === 'window') return window(job, token!, data, signal);
      return run(job, token!, data, signal);
    },
    {
      connection, prefix,
      concurrency: options.concurrency ?? q.concurrency,
      lockDuration,
      stalledInterval: options.stalledIntervalMs ?? options.runtime.config.sync.queue.stalledIntervalMs,
      maxStalledCount: options.maxStalledCount ?? 3,
      autorun: false,
    },
  );
  // The runtime's own Redis (engine lock, rate buckets) fails fast instead of queueing commands:
  // take jobs only once it is connected, or the first jobs would fail for nothing.
  const redis = runtime.redis;
  const redisReady = redis && redis.status !== 'ready' ? new Promise<void>((resolve) => redis.once('ready', () => resolve())) : Promise.resolve();
  void redisReady.then(() => {
    if (!shutdown.signal.aborted) worker.run().catch((err: Error) => logger.error({ err: err.message }, 'sync worker stopped on an error'));
  });
  worker.on('error', (err) => logger.warn({ err: err.message }, 'sync worker error'));
  worker.on('failed', (job, err) => {
    if (!job) return;
    logger.warn({ job: job.name, id: job.id, attempt: job.attemptsMade, err: err.message }, 'sync job failed');
    // A job of killed workers too often: BullMQ fails it without calling the processor.
    if (/stalled more than/i.test(err.message) && job.data.kind !== 'tick') raiseFailure(job.data, err);
  });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      shutdown.abort();
      await worker.close();
      await queue.close();
      connection.disconnect();
      logger.info('sync worker stopped');
    })());
  options.signal?.addEventListener('abort', () => void close(), { once: true });
  return { close, worker };
}
