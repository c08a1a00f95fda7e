import { z } from 'zod';

/** Layer 5 settings: alert thresholds (defaults are the reference values) and notifiers. Owned by src/monitor. */
export const monitorSection = z
  .object({
    thresholds: z
      .object({
        errorRate: z.number().gt(0).max(1).default(0.05),
        errorRateWindowMinutes: z.number().int().positive().default(5),
        latencyP95Seconds: z.number().positive().default(5),
        /** Window of the p95 latency and of rate-limit utilisation. */
        latencyWindowMinutes: z.number().int().positive().default(5),
        bookingStalenessDays: z.number().positive().default(8),
        transactionStalenessDays: z.number().positive().default(2),
        userStalenessDays: z.number().positive().default(8),
        /** Requests sent per second over the window, divided by the current budget (see README, Monitoring). */
        rateLimitUtilisation: z.number().gt(0).max(1).default(0.8),
        /** Any token refresh failure within this window pages (P1). */
        tokenFailureWindowMinutes: z.number().int().positive().default(15),
        /** Sustained throttling: a 429 in each of `throttleWindows` consecutive windows of this length. */
        throttleWindowMinutes: z.number().int().positive().default(5),
        throttleWindows: z.number().int().min(1).default(3),
        /** A stream whose runs failed this many times in a row pages (P2). */
        syncFailuresInARow: z.number().int().min(1).default(2),
        /** How long the error-rate, latency and utilisation conditions must hold before firing (Prometheus `for:`). */
        forMinutes: z.number().int().min(0).default(1),
      })
      .prefault({}),
    pagerduty: z.object({ routingKey: z.string(), url: z.string().url().optional() }).optional(),
    slack: z.object({ webhookUrl: z.string().url() }).optional(),
    evaluateEverySeconds: z.number().int().positive().default(30),
    /** A still-firing alert is notified again after this long. */
    repeatIntervalMinutes: z.number().int().positive().default(240),
    /** Delivery attempts per notification (retries on 429 and 5xx only). */
    notifyMaxAttempts: z.number().int().min(1).max(10).default(4),
  })
  .prefault({});
export type MonitorSection = z.infer<typeof monitorSection>;
