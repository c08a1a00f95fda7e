import { Cron } from 'croner';
import type { Config } from '../config/index.js';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { SyncAlreadyRunningError, describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { silentLogger } from '../shared/logger.js';
import type { StreamName, SyncEngine, SyncMode } from './engine.js';

export interface ScheduledRun {
  tenant: string;
  stream: StreamName;
  mode: SyncMode;
  at: Date;
}

export interface Scheduler {
  start(): void;
  /** Stops the timers and waits for runs in flight. */
  stop(): Promise<void>;
  /** The next planned run of every job, soonest first. */
  next(): ScheduledRun[];
}

export interface SchedulerOptions {
  config: Config;
  engine: SyncEngine;
  clock?: Clock;
  logger?: Logger;
  /** On start, read whatever the ledger misses (the scheduler was down): default true. */
  catchUpOnStart?: boolean;
}

/**
 * The in-process scheduler (croner, UTC): the reference schedules from `config.sync.schedules`
 * for every tenant. croner's `protect` skips a tick while the previous run of the same job is
 * still going; the engine's lock covers runs started elsewhere.
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { config, engine } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const s = config.sync.schedules;
  const jobs: { tenant: string; stream: StreamName; mode: SyncMode; pattern: string; cron?: Cron }[] = [];
  for (const t of config.tenants) {
    jobs.push({ tenant: t.id, stream: 'bookings', mode: 'incremental', pattern: s.bookingsIncremental });
    jobs.push({ tenant: t.id, stream: 'bookings', mode: 'full', pattern: s.bookingsFull });
    jobs.push({ tenant: t.id, stream: 'transactions', mode: 'incremental', pattern: s.transactions });
    jobs.push({ tenant: t.id, stream: 'users', mode: 'full', pattern: s.users });
  }
  const inFlight = new Set<Promise<unknown>>();

  function launch(tenant: string, stream: StreamName, mode: SyncMode): Promise<void> {
    const p = engine
      .run({ tenant, stream, mode })
      .then((summary) => {
        if (summary.status !== 'success') logger.warn({ summary }, 'scheduled sync did not succeed');
      })
      .catch((err) => {
        if (err instanceof SyncAlreadyRunningError) logger.info({ tenant, stream, mode }, describeError(err));
        else logger.error({ tenant, stream, mode, err: describeError(err) }, 'scheduled sync failed');
      });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  }

  return {
    start() {
      for (const job of jobs) {
        job.cron ??= new Cron(job.pattern, { timezone: 'UTC', protect: true, name: `${job.tenant}:${job.stream}:${job.mode}` }, () => launch(job.tenant, job.stream, job.mode));
      }
      if (options.catchUpOnStart ?? true) {
        for (const t of config.tenants) {
          void launch(t.id, 'bookings', 'catch-up');
          void launch(t.id, 'transactions', 'catch-up');
        }
      }
      logger.info({ jobs: jobs.length }, 'sync scheduler started');
    },
    async stop() {
      for (const job of jobs) {
        job.cron?.stop();
        job.cron = undefined;
      }
      await Promise.allSettled([...inFlight]);
    },
    next() {
      const now = new Date(clock.now());
      return jobs
        .map((j) => ({ tenant: j.tenant, stream: j.stream, mode: j.mode, at: new Cron(j.pattern, { timezone: 'UTC', paused: true }).nextRun(now) }))
        .filter((r): r is ScheduledRun => r.at !== null)
        .sort((a, b) => a.at.getTime() - b.at.getTime());
    },
  };
}
