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
  })
  .prefault({});
export type SyncSection = z.infer<typeof syncSection>;
