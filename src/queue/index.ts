/**
 * The distributed sync queue (BullMQ on Redis) for the scaled-out roles: the scheduler role holds
 * the schedules, worker processes run the sync jobs, and anything can enqueue a run.
 */
import { Queue, type Job } from 'bullmq';
import { queueConnection } from './connection.js';
import { DEFAULT_PREFIX, QUEUE_NAME, enqueueSync, type SyncJob, type SyncRequest } from './jobs.js';
import type { QueueRuntime } from './types.js';

export { startSyncWorker } from './worker.js';
export type { SyncWorker, SyncWorkerOptions } from './worker.js';
export { startSyncScheduler, schedulerId, schedulesOf } from './scheduler.js';
export type { SyncScheduler, SyncSchedulerOptions } from './scheduler.js';
export { QUEUE_NAME, DEFAULT_PREFIX, enqueueSync } from './jobs.js';
export type { SyncJob, SyncRequest, RunJob, WindowJob, TickJob } from './jobs.js';
export type { QueueRuntime } from './types.js';

export interface SyncQueue {
  readonly queue: Queue<SyncJob>;
  /** Adds a run (a no-op while one of the same tenant and stream is queued or running). */
  enqueue(req: SyncRequest): Promise<{ jobId: string; deduplicated: boolean }>;
  /** Jobs in the failed set, newest first, with their errors. */
  failed(): Promise<{ id: string; name: string; data: SyncJob; reason: string; attempts: number }[]>;
  /** Jobs waiting, running, waiting for their windows or delayed for a retry (not the schedules' next ticks): 0 means idle. */
  pending(): Promise<number>;
  close(): Promise<void>;
}

/** A handle on the sync queue for producers and tools (CLI, tests, the chaos driver). */
export function openSyncQueue(options: { runtime: Pick<QueueRuntime, 'config' | 'redis' | 'logger'>; prefix?: string }): SyncQueue {
  const connection = queueConnection(options.runtime, 'queue');
  const queue = new Queue<SyncJob>(QUEUE_NAME, { connection, prefix: options.prefix ?? DEFAULT_PREFIX });
  return {
    queue,
    enqueue: (req) => enqueueSync(queue, options.runtime.config, req),
    failed: async () =>
      ((await queue.getFailed(0, -1)) as Job<SyncJob>[]).map((j) => ({ id: j.id!, name: j.name, data: j.data, reason: j.failedReason, attempts: j.attemptsMade })),
    pending: async () => {
      const c = await queue.getJobCounts('wait', 'prioritized', 'active', 'waiting-children', 'paused');
      // Delayed jobs are retries and hand-backs, but also every schedule's next tick: those do not count.
      const delayed = (await queue.getDelayed(0, -1)).filter((j) => j.data.kind !== 'tick').length;
      return Object.values(c).reduce((a, b) => a + b, 0) + delayed;
    },
    close: async () => {
      await queue.close();
      connection.disconnect();
    },
  };
}
