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
    /** Navan can take up to 4 hours to show a transaction change. */
    transactionLookbackHours: z.number().int().min(0).default(6),
    /** A full refresh that would delete more than this fraction of bookings is held as suspect. */
    deleteGuardFraction: z.number().gt(0).max(1).default(0.2),
    batchSize: z.number().int().positive().max(5000).default(500),
  })
  .prefault({});
export type SyncSection = z.infer<typeof syncSection>;
