export { createSyncEngine, STREAMS } from './engine.js';
export type {
  StreamName, SyncMode, SyncEngine, SyncEngineOptions, SyncRunOptions, SyncRunSummary, SyncProgress, StreamStatus,
  WindowedStream, WindowedFullRefresh, FullRefreshPlan, WindowRunOptions, WindowSummary,
} from './engine.js';
export { createScheduler } from './scheduler.js';
export type { Scheduler, SchedulerOptions, ScheduledRun } from './scheduler.js';
export type { SyncSource, SourcePage, SourceBookingQuery, SourceTransactionQuery } from './source.js';
export type { Range } from './ledger.js';
