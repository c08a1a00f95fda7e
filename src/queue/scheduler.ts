import { Queue } from 'bullmq';
import type { StreamName, SyncMode } from '../sync/index.js';
import { queueConnection } from './connection.js';
import { DEFAULT_PREFIX, QUEUE_NAME, RUN_PRIORITY, enqueueSync, type SyncJob, type TickJob } from './jobs.js';
import type { QueueRuntime } from './types.js';

export interface SyncSchedulerOptions {
  runtime: QueueRuntime;
  /** BullMQ key prefix; default "navan-bridge:bull". */
  prefix?: string;
  /** Enqueue a catch-up of bookings and transactions per tenant at start (what the ledger misses). Default true. */
  catchUpOnStart?: boolean;
}

export interface SyncScheduler {
  /** The ids of the job schedulers it holds, one per tenant, stream and mode. */
  readonly schedulerIds: string[];
  close(): Promise<void>;
}

interface Schedule {
  tenant: string;
  stream: StreamName;
  mode: SyncMode;
  pattern: string;
}

/** The reference schedules (config.sync.schedules, UTC cron) for every tenant. */
export function schedulesOf(runtime: Pick<QueueRuntime, 'config'>): Schedule[] {
  const s = runtime.config.sync.schedules;
  return runtime.config.tenants.flatMap((t) => [
    { tenant: t.id, stream: 'bookings' as const, mode: 'incremental' as const, pattern: s.bookingsIncremental },
    { tenant: t.id, stream: 'bookings' as const, mode: 'full' as const, pattern: s.bookingsFull },
    { tenant: t.id, stream: 'transactions' as const, mode: 'incremental' as const, pattern: s.transactions },
    { tenant: t.id, stream: 'users' as const, mode: 'full' as const, pattern: s.users },
  ]);
}

/** Deterministic, so any number of schedulers upsert the same few schedulers and never add one twice. */
export const schedulerId = (s: Pick<Schedule, 'tenant' | 'stream' | 'mode'>) => `schedule.${s.tenant}.${s.stream}.${s.mode}`;

/**
 * The scheduler role: BullMQ job schedulers hold the schedules in Redis, and each cron tick adds a
 * `tick` job that a worker turns into a deduplicated run. Upserting is idempotent, so running two
 * schedulers (for availability) duplicates nothing; schedulers of tenants no longer configured are
 * removed.
 */
export async function startSyncScheduler(options: SyncSchedulerOptions): Promise<SyncScheduler> {
  const { runtime } = options;
  const connection = queueConnection(runtime, 'scheduler');
  const queue = new Queue<SyncJob>(QUEUE_NAME, { connection, prefix: options.prefix ?? DEFAULT_PREFIX });
  try {
    const schedules = schedulesOf(runtime);
    const ids = schedules.map(schedulerId);
    for (const s of schedules) {
      const data: TickJob = { kind: 'tick', tenant: s.tenant, stream: s.stream, mode: s.mode };
      await queue.upsertJobScheduler(schedulerId(s), { pattern: s.pattern, tz: 'UTC' }, {
        name: `${s.tenant}.${s.stream}.${s.mode}.tick`, data,
        opts: { priority: RUN_PRIORITY, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
      });
    }
    for (const old of await queue.getJobSchedulers(0, -1)) {
      if (old.key.startsWith('schedule.') && !ids.includes(old.key)) await queue.removeJobScheduler(old.key);
    }
    if (options.catchUpOnStart ?? true) {
      for (const t of runtime.config.tenants) {
        for (const stream of ['bookings', 'transactions'] as const) await enqueueSync(queue, runtime.config, { tenant: t.id, stream, mode: 'catch-up' });
      }
    }
    runtime.logger.info({ schedulers: ids.length }, 'sync job schedulers in place');
    return {
      schedulerIds: ids,
      close: async () => {
        await queue.close();
        connection.disconnect();
      },
    };
  } catch (err) {
    await queue.close().catch(() => undefined);
    connection.disconnect();
    throw err;
  }
}
