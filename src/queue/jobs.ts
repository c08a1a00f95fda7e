import type { JobsOptions, Queue } from 'bullmq';
import type { Config } from '../config/index.js';
import type { Range, StreamName, SyncMode, WindowedStream } from '../sync/index.js';

/**
 * The jobs of the one sync queue, and how they are added. Three kinds share the queue:
 * - `tick`: made by a job scheduler on its cron; it only enqueues the `run` below (schedulers
 *   cannot deduplicate, a plain add can);
 * - `run`: one sync run of a tenant and stream. A full refresh of bookings or transactions plans
 *   its windows, adds them as children, waits for them, then marks deletes;
 * - `window`: one window of a full refresh.
 */
export const QUEUE_NAME = 'sync';
/** BullMQ key prefix unless the caller gives one (tests use a unique one per file). */
export const DEFAULT_PREFIX = 'navan-bridge:bull';

export interface TickJob {
  kind: 'tick';
  tenant: string;
  stream: StreamName;
  mode: SyncMode;
}

export interface RunJob {
  kind: 'run';
  tenant: string;
  stream: StreamName;
  mode: SyncMode;
  forceDeletes?: boolean;
  /** Windowed full refresh only: 'finish' once the windows are added as children. */
  step?: 'plan' | 'finish';
  runId?: string;
  /** Windowed full refresh only: the planned windows (each window job adds the next one of its lane). */
  windows?: Range[];
}

export interface WindowJob {
  kind: 'window';
  tenant: string;
  stream: WindowedStream;
  runId: string;
  window: Range;
  index: number;
  /** Windows of this run in flight at once (sync.queue.perTenantConcurrency): window i, when done, adds window i + lanes. */
  lanes: number;
  /** The run job these windows belong to (it holds the window list and waits for them). */
  parentId: string;
}

export type SyncJob = TickJob | RunJob | WindowJob;

/**
 * Per-tenant concurrency without busy slots: a run puts only `lanes` windows in the queue at once,
 * and each window adds the next of its lane when done, so a tenant's backlog never sits in the
 * queue waiting to be turned away.
 *
 * Priorities (lower runs first). Every run, whatever its tenant, goes before any window, so a
 * tenant's hourly transaction sync waits for at most one slot however many windows are queued.
 * Window i of every tenant shares priority 2 + i, so the windows of several full refreshes are
 * served in turn (round-robin by window) instead of one refresh after the other.
 */
export const RUN_PRIORITY = 1;
const MAX_PRIORITY = 2_097_152; // BullMQ's limit
export const windowPriority = (index: number) => Math.min(MAX_PRIORITY, 2 + index);

export const isWindowed = (stream: StreamName, mode: SyncMode): stream is WindowedStream => mode === 'full' && stream !== 'users';

/** Retries with exponential backoff; finished jobs kept a while for inspection, failed ones longer. */
export function jobOptions(config: Config): JobsOptions {
  const q = config.sync.queue;
  return {
    attempts: q.attempts,
    backoff: { type: 'exponential', delay: q.backoffMs },
    removeOnComplete: { age: 24 * 3600, count: 1000 },
    removeOnFail: { age: 30 * 24 * 3600, count: 5000 },
  };
}

export interface SyncRequest {
  tenant: string;
  stream: StreamName;
  mode: SyncMode;
  forceDeletes?: boolean;
}

/**
 * Adds a sync run. At most one run per tenant and stream exists in the queue (waiting, running,
 * or waiting for its windows): while it does, adding another is a no-op that returns the
 * existing job's id with `deduplicated: true`.
 */
export async function enqueueSync(queue: Queue, config: Config, req: SyncRequest): Promise<{ jobId: string; deduplicated: boolean }> {
  const dedupId = `${req.tenant}:${req.stream}`;
  const data: RunJob = { kind: 'run', tenant: req.tenant, stream: req.stream, mode: req.stream === 'users' ? 'full' : req.mode, ...(req.forceDeletes ? { forceDeletes: true } : {}) };
  const existing = await queue.getDeduplicationJobId(dedupId);
  const job = await queue.add(`${req.tenant}.${req.stream}.${data.mode}`, data, { ...jobOptions(config), priority: RUN_PRIORITY, deduplication: { id: dedupId } });
  return { jobId: job.id!, deduplicated: existing !== null && existing === job.id };
}
