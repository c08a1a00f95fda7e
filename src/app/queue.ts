import type * as SyncQueue from '../queue/index.js';
import type { Runtime } from '../runtime/index.js';

/**
 * The scaled-out roles' part of a process: BullMQ workers (role worker) or the BullMQ job
 * scheduler (role scheduler), from src/queue. The platform only starts and stops them; how
 * jobs are planned, split, retried and shared fairly between tenants is the queue's business.
 */
export interface QueuePart {
  /** Stops taking jobs, lets the current page checkpoint, closes the Redis connections. */
  close(): Promise<void>;
}

export interface QueueContext {
  runtime: Runtime;
  /** Aborted at shutdown: running jobs checkpoint their page and go back to the queue. */
  signal: AbortSignal;
}

export interface QueueRoles {
  startWorker(ctx: QueueContext): Promise<QueuePart>;
  startScheduler(ctx: QueueContext): Promise<QueuePart>;
}

export interface QueueRoleOptions {
  /** BullMQ key prefix; default src/queue's "navan-bridge:bull". Tests use a unique one. */
  prefix?: string;
  /** Redis key prefix of the engine's run lock; default "navan-bridge:". */
  lockKeyPrefix?: string;
}

// Loaded on first use: BullMQ costs a noticeable part of a second to import, which the embedded
// default and the demo (no queue) should not pay.
const loadQueue = (): Promise<typeof SyncQueue> => import('../queue/index.js');

/** The queue roles as `navan-bridge start --role worker|scheduler` runs them. */
export function bullmqRoles(options: QueueRoleOptions = {}): QueueRoles {
  const prefix = options.prefix ? { prefix: options.prefix } : {};
  return {
    startWorker: async ({ runtime, signal }) =>
      (await loadQueue()).startSyncWorker({ runtime, signal, ...prefix, ...(options.lockKeyPrefix ? { lockKeyPrefix: options.lockKeyPrefix } : {}) }),
    startScheduler: async ({ runtime }) => (await loadQueue()).startSyncScheduler({ runtime, ...prefix }),
  };
}
