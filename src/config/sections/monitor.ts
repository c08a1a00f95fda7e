import { z } from 'zod';

/** Layer 5 settings: alert thresholds (defaults are the reference values) and notifiers. Owned by src/monitor. */
export const monitorSection = z
  .object({
    thresholds: z
      .object({
        errorRate: z.number().gt(0).max(1).default(0.05),
        errorRateWindowMinutes: z.number().int().positive().default(5),
        latencyP95Seconds: z.number().positive().default(5),
        bookingStalenessDays: z.number().positive().default(8),
        transactionStalenessDays: z.number().positive().default(2),
        userStalenessDays: z.number().positive().default(8),
        rateLimitUtilisation: z.number().gt(0).max(1).default(0.8),
      })
      .prefault({}),
    pagerduty: z.object({ routingKey: z.string(), url: z.string().url().optional() }).optional(),
    slack: z.object({ webhookUrl: z.string().url() }).optional(),
    evaluateEverySeconds: z.number().int().positive().default(30),
  })
  .prefault({});
export type MonitorSection = z.infer<typeof monitorSection>;
