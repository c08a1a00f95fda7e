import { z } from 'zod';

/** Layer 4 settings: schedules and windows. Owned by src/sync. */
export const syncSection = z
  .object({
    /** Cron expressions (UTC). Reference: BOOKING incremental daily, full refresh weekly. */
    schedules: z
      .object({
        bookingsIncremental: z.string().default('0 2 * * *'),
        bookingsFull: z.string().default('0 3 * * 0'),
        transactions: z.string().default('15 * * * *'),
        users: z.string().default('30 4 * * *'),
      })
      .prefault({}),
    bookingWindowDays: z.number().int().positive().max(366).default(30),
    bookingLookbackDays: z.number().int().min(0).default(3),
    /** The trailing window every transaction run re-reads: Navan can take hours to show a change (issue 5: one day). */
    transactionLookbackHours: z.number().int().min(0).default(24),
    /** A full refresh that would delete more than this fraction of bookings is held as suspect. */
    deleteGuardFraction: z.number().gt(0).max(1).default(0.1),
    batchSize: z.number().int().positive().max(5000).default(500),
    /** A run fails when more than this fraction of the records read was quarantined. */
    quarantineFailFraction: z.number().min(0).max(1).default(0.05),
    /** Navan page size for bookings (max 100) and transactions (max 500). */
    bookingPageSize: z.number().int().min(1).max(100).default(100),
    transactionPageSize: z.number().int().min(1).max(500).default(500),
    /** The BullMQ workers (role worker): a full refresh of bookings or transactions runs as one job per window. */
    queue: z
      .object({
        /** Jobs one worker process runs at once. */
        concurrency: z.number().int().positive().max(256).default(4),
        /** Window jobs of one tenant running at once across all workers, so one tenant's backlog cannot hold every slot. */
        perTenantConcurrency: z.number().int().positive().max(256).default(2),
        /** Tries per job before it lands in the failed set (and the "sync failed" alert fires). */
        attempts: z.number().int().positive().max(100).default(3),
        /** First retry pause, doubled on each further try. */
        backoffMs: z.number().int().min(0).default(30_000),
        /** Span of one window job; a killed job resumes inside it from the last committed page (bookings: the last whole bookingWindowDays window). */
        windowDays: z.number().int().positive().max(3660).default(90),
        /** How long a worker's hold on a job lasts without renewal; a killed worker's job is free again after it. */
        lockDurationMs: z.number().int().min(1000).default(30_000),
        /** How often workers look for jobs whose holder died (BullMQ's stalled-job check). */
        stalledIntervalMs: z.number().int().min(1000).default(30_000),
      })
      .prefault({}),
  })
  .prefault({});
export type SyncSection = z.infer<typeof syncSection>;
