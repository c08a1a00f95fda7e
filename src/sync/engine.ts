import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import type { Config, TenantConfig } from '../config/index.js';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { ConfigError, NavanAuthError, NavanBridgeError, NavanBadRequestError, NavanForbiddenError, SyncAlreadyRunningError, describeError } from '../shared/errors.js';
import type { EventBus } from '../shared/events.js';
import { events as defaultEvents } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import { silentLogger } from '../shared/logger.js';
import type { Warehouse, WarehouseDatabase } from '../warehouse/index.js';
import { acquireDbLock, acquireRedisLock, type RunLock } from './lock.js';
import {
  clearCheckpoint, coveredRanges, gaps, loadCheckpoint, mergeRanges, quarantine, recordRange, saveCheckpoint, startRun, updateRun,
  type Range, type RunCounters,
} from './ledger.js';
import { RecordRejected, bookingToRows, transactionToRow, userToRow } from './mapping.js';
import type { SourcePage, SyncSource } from './source.js';

export type StreamName = 'bookings' | 'transactions' | 'users';
export type SyncMode = 'full' | 'incremental' | 'catch-up';
export const STREAMS: StreamName[] = ['bookings', 'transactions', 'users'];

export interface SyncProgress {
  tenant: string;
  stream: StreamName;
  mode: SyncMode;
  window: Range;
  page: number;
  read: number;
  written: number;
  quarantined: number;
  /** Share of the planned time span read so far, as done/total milliseconds (users: pages). */
  done: number;
  total: number;
}

export interface SyncRunSummary {
  runId: string;
  tenant: string;
  stream: StreamName;
  mode: SyncMode;
  status: 'success' | 'failure' | 'suspect';
  read: number;
  written: number;
  deleted: number;
  quarantined: number;
  pages: number;
  durationMs: number;
  recordsPerSecond: number;
  /** True when this run continued an interrupted one from its checkpoint. */
  resumed: boolean;
  error?: string;
}

export interface StreamStatus {
  stream: StreamName;
  lastRun?: { id: string; mode: string; status: string; startedAt: string; finishedAt: string | null; error: string | null };
  lastSuccessAt?: string;
  lastFullRefreshAt?: string;
  /** Now minus the last successful run (full or incremental); null when there was none. */
  stalenessMs: number | null;
  coveredRanges: Range[];
  /** Holes in the ledger between the tenant's start date and the end of the last covered range. */
  gaps: Range[];
  /** End of the last covered range: everything after it is not read yet (with `stalenessMs`, the tail). */
  coveredUntil?: string;
}

export interface SyncRunOptions {
  tenant: string;
  stream: StreamName;
  mode: SyncMode;
  forceDeletes?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: SyncProgress) => void;
}

export interface SyncEngine {
  run(opts: SyncRunOptions): Promise<SyncRunSummary>;
  status(tenant: string): Promise<StreamStatus[]>;
}

/** The streams whose full refresh can run as parallel window jobs (users is one small read). */
export type WindowedStream = 'bookings' | 'transactions';

/** A full refresh split into windows; each window is read by `runWindow`, possibly on another machine. */
export interface FullRefreshPlan {
  runId: string;
  tenant: string;
  stream: WindowedStream;
  windows: Range[];
  /** True when an unfinished run of the same tenant and stream was picked up instead of a new one. */
  resumed: boolean;
}

export interface WindowRunOptions {
  tenant: string;
  stream: WindowedStream;
  runId: string;
  window: Range;
  signal?: AbortSignal;
  onProgress?: (p: SyncProgress) => void;
}

export interface WindowSummary {
  runId: string;
  window: Range;
  /** 'skipped': the run this window belonged to has ended (or was replaced), nothing was read. */
  status: 'done' | 'skipped';
  read: number;
  written: number;
  quarantined: number;
  /** Pages read by this call (a resumed window does not count the pages before its checkpoint). */
  pages: number;
  resumed: boolean;
  durationMs: number;
}

/**
 * A full refresh as separate steps, for the distributed workers (src/queue): plan the windows,
 * read each window (in parallel, anywhere), then finish once every window is read, which is when
 * deletes are inferred (behind the same delete guard as `run`). Checkpoints make every step
 * resumable: a window killed mid-way continues from its last committed page.
 */
export interface WindowedFullRefresh {
  planFullRefresh(opts: { tenant: string; stream: WindowedStream }): Promise<FullRefreshPlan>;
  runWindow(opts: WindowRunOptions): Promise<WindowSummary>;
  finishFullRefresh(opts: { tenant: string; stream: WindowedStream; runId: string; forceDeletes?: boolean }): Promise<SyncRunSummary>;
  /** Marks the run failed (and says so on the event bus); its checkpoints stay, so the next full refresh resumes it. */
  failFullRefresh(opts: { tenant: string; stream: WindowedStream; runId: string; error: string }): Promise<SyncRunSummary>;
}

export interface SyncEngineOptions {
  config: Config;
  warehouse: Warehouse;
  clientFor: (tenantId: string) => SyncSource;
  clock?: Clock;
  logger?: Logger;
  events?: EventBus;
  redis?: Redis;
  /** Redis key prefix for the run lock (tests use a unique namespace). */
  redisKeyPrefix?: string;
  /** How often a run re-reads from its checkpoint after a failed page before giving up. */
  pageAttempts?: number;
  /** First pause before re-reading a failed page, doubled each time (real time: a backoff, not a schedule). */
  retryDelayMs?: number;
}

/** One planned stretch of a stream; `updated` means the booking read filters on modification time. */
interface Segment extends Range {
  updated?: Range;
}

/** The checkpoint: everything a killed run needs to resume, committed with each page. */
interface RunState {
  /** Rows written by this run are stamped at or after it; a full refresh deletes what is older. */
  runStart: string;
  startedAt: string;
  segments: Segment[];
  segIndex: number;
  /** Start of the first window of the current segment not read to its end. */
  resumeFrom: string;
  cursor?: string;
  page: number;
  counters: RunCounters;
}

type Db = Kysely<WarehouseDatabase>;
const DAY = 86_400_000;
const iso = (ms: number | Date) => new Date(ms).toISOString();

/** Cuts [from, to) into consecutive windows of `sizeMs` (the last one shorter). */
function splitRange(range: Range, sizeMs: number): Range[] {
  const out: Range[] = [];
  const end = Date.parse(range.to);
  for (let at = Date.parse(range.from); at < end; at += sizeMs) out.push({ from: iso(at), to: iso(Math.min(end, at + sizeMs)) });
  return out;
}

/** Errors a re-read cannot fix: the credentials or the request are wrong, or another run holds the lock. */
function isPermanent(err: unknown): boolean {
  return err instanceof NavanAuthError || err instanceof NavanForbiddenError || err instanceof NavanBadRequestError || err instanceof SyncAlreadyRunningError || err instanceof ConfigError;
}

/**
 * Asks for the next page while the current one is being written, so the network wait and the
 * database write overlap. Only one page ahead: memory stays flat however large the stream.
 */
async function* readAhead<T>(pages: AsyncIterable<T>): AsyncGenerator<T> {
  const it = pages[Symbol.asyncIterator]();
  let pending = it.next();
  // A failure of the page read ahead surfaces when it is awaited, not as an unhandled rejection.
  pending.catch(() => undefined);
  try {
    for (;;) {
      const r = await pending;
      if (r.done) return;
      pending = it.next();
      pending.catch(() => undefined);
      yield r.value;
    }
  } finally {
    await it.return?.().catch(() => undefined);
  }
}

export function createSyncEngine(options: SyncEngineOptions): SyncEngine & WindowedFullRefresh {
  const { config, warehouse } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const bus = options.events ?? defaultEvents;
  const pageAttempts = options.pageAttempts ?? 4;
  const retryDelayMs = options.retryDelayMs ?? 1000;

  function tenantConfig(id: string): TenantConfig {
    const t = config.tenants.find((x) => x.id === id);
    if (!t) throw new ConfigError(`tenant "${id}" is not configured; use one of: ${config.tenants.map((x) => x.id).join(', ') || '(none)'}.`);
    return t;
  }

  function startOf(t: TenantConfig): string {
    if (t.startDate) return `${t.startDate}T00:00:00.000Z`;
    // Two years back from the start of today (UTC), so windows stay day-aligned from run to run.
    const twoYears = clock.now() - 730 * DAY;
    return iso(twoYears - (twoYears % DAY));
  }

  /** The ledger stream a segment is recorded under (creation windows and modification windows differ). */
  function ledgerStream(stream: StreamName, seg: Segment): string | undefined {
    if (stream === 'users') return undefined;
    return seg.updated ? 'bookings-updated' : stream;
  }

  async function plan(t: TenantConfig, stream: StreamName, mode: SyncMode): Promise<Segment[]> {
    // Navan filters in whole seconds: a window must not claim the part of a second it cannot read.
    const now = iso(Math.floor(clock.now() / 1000) * 1000);
    const start = startOf(t);
    if (stream === 'users') return [{ from: now, to: now }];
    if (mode === 'full') return [{ from: start, to: now }];
    if (stream === 'bookings' && mode === 'incremental' && t.bookingsUpdatedFilters) {
      // Whatever changed before the end of the last covered read (by modification or a full read by
      // creation) is in the warehouse already.
      const ends = [(await coveredRanges(warehouse.db, t.id, 'bookings-updated')).at(-1)?.to, (await coveredRanges(warehouse.db, t.id, 'bookings')).at(-1)?.to];
      const lastEnd = ends.filter((x): x is string => !!x).sort().at(-1);
      const from = lastEnd ? iso(Math.max(Date.parse(start), Date.parse(lastEnd) - config.sync.bookingLookbackDays * DAY)) : start;
      return [{ from: start, to: now, updated: { from, to: now } }];
    }
    // Incremental and catch-up: every hole in the ledger, then the tail since the last covered
    // window, re-read over a lookback because Navan shows changes late.
    const covered = await coveredRanges(warehouse.db, t.id, stream);
    const lookbackMs = stream === 'bookings' ? config.sync.bookingLookbackDays * DAY : config.sync.transactionLookbackHours * 3_600_000;
    const lastEnd = covered.at(-1)?.to;
    const tailFrom = lastEnd ? iso(Math.max(Date.parse(start), Date.parse(lastEnd) - lookbackMs)) : start;
    return mergeRanges([...gaps(covered, start, now), { from: tailFrom, to: now }]);
  }

  function pagesOf(source: SyncSource, stream: StreamName, seg: Segment, state: RunState, signal?: AbortSignal): AsyncIterable<SourcePage> {
    if (stream === 'users') return source.userPages({ signal });
    if (stream === 'transactions') {
      return source.transactionPages({
        modifiedFrom: new Date(state.resumeFrom), modifiedTo: new Date(seg.to), cursor: state.cursor, pageSize: config.sync.transactionPageSize, signal,
      });
    }
    return source.bookingPages({
      createdFrom: new Date(state.resumeFrom),
      createdTo: new Date(seg.to),
      ...(seg.updated ? { updatedFrom: new Date(seg.updated.from), updatedTo: new Date(seg.updated.to) } : {}),
      windowDays: config.sync.bookingWindowDays,
      pageSize: config.sync.bookingPageSize,
      signal,
    });
  }

  /**
   * Window jobs of one stream commit ranges at the same time, and recordRange merges by read,
   * delete and insert: on PostgreSQL a transaction lock per tenant and ledger stream makes the
   * merges take turns (SQLite runs one writer at a time anyway).
   */
  async function recordRangeSerialised(trx: Db, tenant: string, ledger: string, range: Range, runId: string, at: string): Promise<void> {
    if (warehouse.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`sync_range:${tenant}:${ledger}`}))`.execute(trx);
    await recordRange(trx, tenant, ledger, range, runId, at);
  }

  /** Writes one page's records (and quarantines the bad ones) inside the page's transaction. */
  async function writePage(trx: Db, tenant: string, stream: StreamName, page: SourcePage, runId: string, stamp: string, counters: RunCounters): Promise<void> {
    const bad: { recordId?: string; reason: string; raw: unknown }[] = page.rejected.map((r) => ({ recordId: r.id, reason: r.reason, raw: r.raw }));
    const idOf = (r: unknown) => {
      const o = (r ?? {}) as Record<string, unknown>;
      const id = stream === 'bookings' ? o.uuid : o.id;
      return typeof id === 'string' && id !== '' ? id : undefined;
    };
    const map = <T>(fn: (tenant: string, record: unknown, raw: unknown, at: string) => T): T[] => {
      const out: T[] = [];
      for (const { record, raw } of page.records) {
        try {
          out.push(fn(tenant, record, raw, stamp));
        } catch (err) {
          if (!(err instanceof RecordRejected)) throw err;
          bad.push({ recordId: idOf(record), reason: err.message, raw });
        }
      }
      return out;
    };
    if (stream === 'bookings') counters.written += await warehouse.upsertBookings(map(bookingToRows), trx);
    else if (stream === 'transactions') counters.written += (await warehouse.upsertTransactions(map(transactionToRow), trx)).written;
    else counters.written += await warehouse.upsertUsers(map(userToRow), trx);
    if (bad.length) {
      await quarantine(trx, bad.map((b) => ({ ...b, tenant, stream, runId, at: stamp })));
      // A record that failed validation still exists at Navan: a full refresh must not delete it.
      const ids = bad.map((b) => b.recordId).filter((x): x is string => !!x);
      if (ids.length && stream !== 'transactions') await warehouse.touchRows(stream === 'bookings' ? 'booking' : 'navan_user', tenant, ids, stamp, trx);
    }
    counters.read += page.records.length + page.rejected.length;
    counters.quarantined += bad.length;
    counters.unidentified = (counters.unidentified ?? 0) + bad.filter((b) => !b.recordId).length;
    counters.pages += 1;
  }

  function progressOf(tenant: string, stream: StreamName, mode: SyncMode, state: RunState, window: Range): SyncProgress {
    let total = 0;
    let done = 0;
    state.segments.forEach((s, i) => {
      const span = Math.max(0, Date.parse(s.to) - Date.parse(s.from));
      total += span;
      if (i < state.segIndex) done += span;
      else if (i === state.segIndex) done += Math.max(0, Math.min(span, Date.parse(state.resumeFrom) - Date.parse(s.from)));
    });
    if (stream === 'users') {
      total = 0;
      done = state.counters.pages;
    }
    return { tenant, stream, mode, window, page: state.page, read: state.counters.read, written: state.counters.written, quarantined: state.counters.quarantined, done, total };
  }

  /**
   * Reads every planned segment; `holder.state` always equals the last committed checkpoint.
   * `checkpointMode` names the checkpoint row (a window of a full refresh has its own); `trackRun`
   * false leaves the run's counters alone (parallel windows are summed when the run finishes).
   */
  async function readAll(
    t: TenantConfig, stream: StreamName, mode: SyncMode, runId: string, holder: { state: RunState }, lock: RunLock, opts: SyncRunOptions,
    checkpointMode: string = mode, trackRun = true,
  ): Promise<RunState> {
    const source = options.clientFor(t.id);
    let state = holder.state;
    let failures = 0;
    while (state.segIndex < state.segments.length) {
      const seg = state.segments[state.segIndex]!;
      const ledger = ledgerStream(stream, seg);
      try {
        for await (const page of readAhead(pagesOf(source, stream, seg, state, opts.signal))) {
          const next: RunState = structuredClone(state);
          const stamp = iso(Math.max(clock.now(), Date.parse(state.runStart)));
          const window = { from: iso(page.window.from), to: iso(Math.min(page.window.to.getTime(), Date.parse(seg.to))) };
          await warehouse.transaction(async (trx) => {
            await writePage(trx, t.id, stream, page, runId, stamp, next.counters);
            if (page.lastInWindow) {
              if (ledger && !seg.updated) await recordRangeSerialised(trx, t.id, ledger, window, runId, stamp);
              if (stream !== 'users' && window.to > next.resumeFrom) next.resumeFrom = window.to;
              next.cursor = undefined;
              next.page = 0;
            } else {
              next.cursor = page.nextCursor ?? undefined;
              next.page = page.page + 1;
            }
            await saveCheckpoint(trx, t.id, stream, checkpointMode, runId, next, stamp);
            if (trackRun) await updateRun(trx, runId, next.counters);
          });
          state = holder.state = next;
          failures = 0;
          await lock.renew();
          const p = progressOf(t.id, stream, mode, state, window);
          opts.onProgress?.(p);
          bus.emit('sync.progress', { tenant: t.id, stream, window: `${window.from}/${window.to}`, records: p.read, done: p.done, total: p.total });
        }
        // The segment is read to its end: all of it is covered, including windows with no records.
        const next: RunState = structuredClone(state);
        next.segIndex += 1;
        next.resumeFrom = next.segments[next.segIndex]?.from ?? seg.to;
        next.cursor = undefined;
        next.page = 0;
        await warehouse.transaction(async (trx) => {
          const at = iso(clock.now());
          if (ledger) await recordRangeSerialised(trx, t.id, ledger, seg.updated ?? seg, runId, at);
          await saveCheckpoint(trx, t.id, stream, checkpointMode, runId, next, at);
        });
        state = holder.state = next;
      } catch (err) {
        if (opts.signal?.aborted || isPermanent(err) || ++failures >= pageAttempts) throw err;
        logger.warn({ tenant: t.id, stream, attempt: failures, err: describeError(err) }, 'sync page failed; re-reading from the checkpoint');
        await delay(retryDelayMs * 2 ** (failures - 1), undefined, { signal: opts.signal });
        // The in-memory state only ever advances after a commit, so it equals the checkpoint.
      }
    }
    return state;
  }

  /** After a complete full refresh: infer deletes, unless too many would go (the delete guard). */
  async function finishFull(trx: Db, tenant: string, stream: StreamName, state: RunState, forceDeletes: boolean): Promise<{ suspect?: Record<string, unknown> }> {
    if (stream === 'transactions') return {};
    const table = stream === 'bookings' ? 'booking' : 'navan_user';
    const { live, unseen } = await warehouse.countUnseen(table, tenant, state.runStart, trx);
    const fraction = live ? unseen / live : 0;
    const guard = config.sync.deleteGuardFraction;
    const unidentified = state.counters.unidentified ?? 0;
    if (unidentified > 0 && unseen > 0 && !forceDeletes) {
      // A quarantined record without its key may be one of the unseen rows: deleting them could be wrong.
      return { suspect: { live, unseen, unidentified, message: `${unidentified} quarantined ${stream} records had no usable id, so the ${unseen} not returned were not marked deleted; run the full refresh again, or with --force-deletes.` } };
    }
    if (fraction > guard && !forceDeletes) {
      return { suspect: { live, unseen, fraction, guard, message: `the refresh would delete ${unseen} of ${live} ${stream} (more than ${guard * 100}%); nothing was deleted. Check Navan, then re-run with --force-deletes if the deletes are real.` } };
    }
    state.counters.deleted += await warehouse.markUnseenDeleted(table, tenant, state.runStart, iso(Math.max(clock.now(), Date.parse(state.runStart))), trx);
    return {};
  }

  async function acquire(tenant: string, stream: StreamName): Promise<RunLock> {
    if (options.redis) return acquireRedisLock(options.redis, options.redisKeyPrefix ?? 'navan-bridge:', tenant, stream);
    return acquireDbLock(warehouse.db, clock, tenant, stream);
  }

  /**
   * Ends a run whose reading is complete, in one transaction: the quarantine check, delete
   * inference for a full refresh (behind the delete guard), the run's final row, and its
   * checkpoints (plus `windowCheckpoints`, the rows of a full refresh run as window jobs) cleared.
   */
  async function conclude(
    tenant: string, stream: StreamName, mode: SyncMode, runId: string, final: RunState, forceDeletes: boolean, windowCheckpoints: string[] = [],
  ): Promise<{ status: SyncRunSummary['status']; error?: string }> {
    return warehouse.transaction(async (trx) => {
      const q = final.counters.quarantined;
      const share = final.counters.read ? q / final.counters.read : 0;
      let status: 'success' | 'suspect' | 'failure' = 'success';
      let error: string | undefined;
      let details: Record<string, unknown> | undefined = { segments: final.segments };
      if (share > config.sync.quarantineFailFraction) {
        status = 'failure';
        error = `${q} of ${final.counters.read} ${stream} records failed validation (more than ${config.sync.quarantineFailFraction * 100}%); see the quarantine table for the reasons.`;
      } else if (mode === 'full') {
        const { suspect } = await finishFull(trx, tenant, stream, final, forceDeletes);
        if (suspect) {
          status = 'suspect';
          error = String(suspect.message);
          details = { ...details, deleteGuard: suspect };
        }
      }
      await updateRun(trx, runId, final.counters, { status, at: iso(clock.now()), error, details });
      await clearCheckpoint(trx, tenant, stream, mode);
      for (const key of windowCheckpoints) await clearCheckpoint(trx, tenant, stream, key);
      return { status, error };
    });
  }

  async function run(opts: SyncRunOptions): Promise<SyncRunSummary> {
    const t = tenantConfig(opts.tenant);
    const { stream } = opts;
    if (!STREAMS.includes(stream)) throw new ConfigError(`stream "${stream}" does not exist; use bookings, transactions or users.`);
    // Users have no incremental filter at Navan: every users run is a full refresh.
    const mode: SyncMode = stream === 'users' ? 'full' : opts.mode;
    const t0 = performance.now();
    const lock = await acquire(t.id, stream);
    let runId: string = randomUUID();
    const holder: { state?: RunState } = {};
    let state: RunState | undefined;
    let resumed = false;
    try {
      const cp = await loadCheckpoint<RunState>(warehouse.db, t.id, stream, mode);
      if (cp) {
        runId = cp.runId;
        state = cp.state;
        resumed = true;
      } else {
        const now = clock.now();
        const latest = stream === 'transactions' ? undefined : await warehouse.latestSyncedAt(stream === 'bookings' ? 'booking' : 'navan_user', t.id);
        const runStart = iso(Math.max(now, latest ? Date.parse(latest) + 1 : 0));
        const segments = await plan(t, stream, mode);
        state = { runStart, startedAt: iso(now), segments, segIndex: 0, resumeFrom: segments[0]?.from ?? iso(now), page: 0, counters: { read: 0, written: 0, quarantined: 0, deleted: 0, pages: 0 } };
      }
      const s0 = state;
      await warehouse.transaction(async (trx) => {
        await startRun(trx, { id: runId, tenant: t.id, stream, mode, at: s0.startedAt });
        await saveCheckpoint(trx, t.id, stream, mode, runId, s0, iso(clock.now()));
      });
      logger.info({ tenant: t.id, stream, mode, runId, resumed, segments: state.segments.length }, 'sync run started');
      holder.state = state;
      state = await readAll(t, stream, mode, runId, holder as { state: RunState }, lock, opts);

      const final = state;
      const outcome = await conclude(t.id, stream, mode, runId, final, opts.forceDeletes ?? false);
      return finish(t.id, stream, mode, runId, final.counters, outcome.status, t0, resumed, outcome.error);
    } catch (err) {
      if (err instanceof SyncAlreadyRunningError) throw err;
      const aborted = opts.signal?.aborted ?? false;
      const message = aborted
        ? `The ${stream} sync was stopped; the next run resumes from its checkpoint.`
        : `The ${stream} sync for tenant "${t.id}" failed: ${describeError(err)} The checkpoint is kept, so the next run resumes where this one stopped.`;
      logger.error({ tenant: t.id, stream, mode, runId, err: describeError(err) }, 'sync run failed');
      const counters = holder.state?.counters ?? state?.counters ?? { read: 0, written: 0, quarantined: 0, deleted: 0, pages: 0 };
      await updateRun(warehouse.db, runId, counters, { status: aborted ? 'interrupted' : 'failure', at: iso(clock.now()), error: message }).catch(() => undefined);
      return finish(t.id, stream, mode, runId, counters, 'failure', t0, resumed, message);
    } finally {
      await lock.release().catch(() => undefined);
    }
  }

  function finish(tenant: string, stream: StreamName, mode: SyncMode, runId: string, c: RunCounters, status: SyncRunSummary['status'], t0: number, resumed: boolean, error?: string): SyncRunSummary {
    const durationMs = Math.round(performance.now() - t0);
    const summary: SyncRunSummary = {
      runId, tenant, stream, mode, status, read: c.read, written: c.written, deleted: c.deleted, quarantined: c.quarantined, pages: c.pages,
      durationMs, recordsPerSecond: durationMs > 0 ? Math.round((c.read / durationMs) * 1000) : c.read, resumed, ...(error ? { error } : {}),
    };
    bus.emit('sync.run', { tenant, stream, mode, outcome: status, written: c.written, quarantined: c.quarantined, deleted: c.deleted, finishedAt: clock.now(), ...(error ? { error } : {}) });
    logger.info({ ...summary }, 'sync run finished');
    return summary;
  }

  /** The checkpoint row of one window of a windowed full refresh. */
  const windowKey = (w: Range) => `full@${w.from}`;
  const zero = (): RunCounters => ({ read: 0, written: 0, quarantined: 0, deleted: 0, pages: 0, unidentified: 0 });
  /** Window jobs need no run lock: the queue hands each window to one worker at a time. */
  const noLock: RunLock = { renew: async () => undefined, release: async () => undefined };

  function windowedFullRefresh(): WindowedFullRefresh {
    async function planFullRefresh(opts: { tenant: string; stream: WindowedStream }): Promise<FullRefreshPlan> {
      const t = tenantConfig(opts.tenant);
      const { stream } = opts;
      const lock = await acquire(t.id, stream);
      try {
        // The run-level checkpoint is an ordinary full-refresh checkpoint, so `run` could resume it too.
        const cp = await loadCheckpoint<RunState>(warehouse.db, t.id, stream, 'full');
        if (cp) {
          // An interrupted or failed run is picked up again: it is running once more.
          await startRun(warehouse.db, { id: cp.runId, tenant: t.id, stream, mode: 'full', at: cp.state.startedAt });
          return { runId: cp.runId, tenant: t.id, stream, windows: cp.state.segments.map(({ from, to }) => ({ from, to })), resumed: true };
        }
        const now = clock.now();
        const latest = stream === 'bookings' ? await warehouse.latestSyncedAt('booking', t.id) : undefined;
        const runStart = iso(Math.max(now, latest ? Date.parse(latest) + 1 : 0));
        const windows = splitRange((await plan(t, stream, 'full'))[0]!, config.sync.queue.windowDays * DAY);
        const runId = randomUUID();
        const state: RunState = { runStart, startedAt: iso(now), segments: windows, segIndex: 0, resumeFrom: windows[0]?.from ?? iso(now), page: 0, counters: zero() };
        await warehouse.transaction(async (trx) => {
          await startRun(trx, { id: runId, tenant: t.id, stream, mode: 'full', at: state.startedAt });
          await saveCheckpoint(trx, t.id, stream, 'full', runId, state, iso(now));
        });
        logger.info({ tenant: t.id, stream, runId, windows: windows.length }, 'windowed full refresh planned');
        return { runId, tenant: t.id, stream, windows, resumed: false };
      } finally {
        await lock.release().catch(() => undefined);
      }
    }

    async function runWindow(opts: WindowRunOptions): Promise<WindowSummary> {
      const t = tenantConfig(opts.tenant);
      const { stream, runId, window } = opts;
      const t0 = performance.now();
      const run = await loadCheckpoint<RunState>(warehouse.db, t.id, stream, 'full');
      const none = { runId, window, read: 0, written: 0, quarantined: 0, pages: 0, resumed: false };
      if (!run || run.runId !== runId) return { ...none, status: 'skipped', durationMs: 0 };
      const key = windowKey(window);
      const cp = await loadCheckpoint<RunState>(warehouse.db, t.id, stream, key);
      const resumed = cp?.runId === runId;
      const state: RunState = resumed
        ? cp.state
        : { runStart: run.state.runStart, startedAt: iso(clock.now()), segments: [window], segIndex: 0, resumeFrom: window.from, page: 0, counters: zero() };
      const before = state.counters;
      const final = await readAll(t, stream, 'full', runId, { state }, noLock, { tenant: t.id, stream, mode: 'full', signal: opts.signal, onProgress: opts.onProgress }, key, false);
      const c = final.counters;
      return {
        runId, window, status: 'done', read: c.read, written: c.written, quarantined: c.quarantined, pages: c.pages - before.pages, resumed,
        durationMs: Math.round(performance.now() - t0),
      };
    }

    async function finishFullRefresh(opts: { tenant: string; stream: WindowedStream; runId: string; forceDeletes?: boolean }): Promise<SyncRunSummary> {
      const t = tenantConfig(opts.tenant);
      const { stream, runId } = opts;
      const lock = await acquire(t.id, stream);
      try {
        const run = await loadCheckpoint<RunState>(warehouse.db, t.id, stream, 'full');
        if (!run || run.runId !== runId) return await endedRun(t.id, stream, runId);
        const counters = zero();
        const missing: Range[] = [];
        for (const w of run.state.segments) {
          const cp = await loadCheckpoint<RunState>(warehouse.db, t.id, stream, windowKey(w));
          if (!cp || cp.runId !== runId || cp.state.segIndex < cp.state.segments.length) {
            missing.push(w);
            continue;
          }
          for (const k of Object.keys(counters) as (keyof RunCounters)[]) counters[k] = (counters[k] ?? 0) + (cp.state.counters[k] ?? 0);
        }
        if (missing.length) {
          throw new NavanBridgeError('SYNC_WINDOWS_MISSING', `The ${stream} full refresh ${runId} for tenant "${t.id}" cannot finish: ${missing.length} of its ${run.state.segments.length} windows (first ${missing[0]!.from}) are not read yet; run their window jobs first.`);
        }
        const final: RunState = { ...run.state, counters };
        const outcome = await conclude(t.id, stream, 'full', runId, final, opts.forceDeletes ?? false, run.state.segments.map(windowKey));
        return finish(t.id, stream, 'full', runId, counters, outcome.status, performance.now() - (clock.now() - Date.parse(run.state.startedAt)), false, outcome.error);
      } finally {
        await lock.release().catch(() => undefined);
      }
    }

    /** The summary of a run that already ended (a finish step retried after it committed): no second event. */
    async function endedRun(tenant: string, stream: StreamName, runId: string): Promise<SyncRunSummary> {
      const row = await warehouse.db.selectFrom('sync_run').selectAll().where('id', '=', runId).executeTakeFirst();
      if (!row || row.status === 'running') {
        throw new NavanBridgeError('SYNC_RUN_UNKNOWN', `The ${stream} full refresh ${runId} for tenant "${tenant}" has no checkpoint; plan a new full refresh.`);
      }
      const status = row.status === 'success' || row.status === 'suspect' ? row.status : 'failure';
      const durationMs = row.finished_at ? Date.parse(row.finished_at) - Date.parse(row.started_at) : 0;
      return {
        runId, tenant, stream, mode: 'full', status, read: row.records_read, written: row.records_written, deleted: row.records_deleted, quarantined: row.records_quarantined,
        pages: row.pages, durationMs, recordsPerSecond: durationMs > 0 ? Math.round((row.records_read / durationMs) * 1000) : row.records_read, resumed: true,
        ...(row.error ? { error: row.error } : {}),
      };
    }

    async function failFullRefresh(opts: { tenant: string; stream: WindowedStream; runId: string; error: string }): Promise<SyncRunSummary> {
      const t = tenantConfig(opts.tenant);
      const message = `The ${opts.stream} full refresh for tenant "${t.id}" failed: ${opts.error} Its checkpoints are kept, so the next full refresh resumes the windows not read yet.`;
      const row = await warehouse.db.selectFrom('sync_run').selectAll().where('id', '=', opts.runId).executeTakeFirst();
      const counters: RunCounters = row
        ? { read: row.records_read, written: row.records_written, quarantined: row.records_quarantined, deleted: row.records_deleted, pages: row.pages }
        : zero();
      await updateRun(warehouse.db, opts.runId, counters, { status: 'failure', at: iso(clock.now()), error: message });
      return finish(t.id, opts.stream, 'full', opts.runId, counters, 'failure', performance.now(), false, message);
    }

    return { planFullRefresh, runWindow, finishFullRefresh, failFullRefresh };
  }

  async function status(tenant: string): Promise<StreamStatus[]> {
    const t = tenantConfig(tenant);
    const now = clock.now();
    const out: StreamStatus[] = [];
    for (const stream of STREAMS) {
      const runs = warehouse.db.selectFrom('sync_run').selectAll().where('_tenant', '=', t.id).where('stream', '=', stream);
      const last = await runs.orderBy('started_at', 'desc').orderBy('id').limit(1).executeTakeFirst();
      const success = await runs.where('status', '=', 'success').orderBy('finished_at', 'desc').limit(1).executeTakeFirst();
      const full = await runs.where('status', '=', 'success').where('mode', '=', 'full').orderBy('finished_at', 'desc').limit(1).executeTakeFirst();
      const covered = stream === 'users' ? [] : (await coveredRanges(warehouse.db, t.id, stream)).map(({ from, to }) => ({ from, to }));
      out.push({
        stream,
        ...(last ? { lastRun: { id: last.id, mode: last.mode, status: last.status, startedAt: last.started_at, finishedAt: last.finished_at, error: last.error } } : {}),
        ...(success?.finished_at ? { lastSuccessAt: success.finished_at } : {}),
        ...(full?.finished_at ? { lastFullRefreshAt: full.finished_at } : {}),
        stalenessMs: success?.finished_at ? Math.max(0, now - Date.parse(success.finished_at)) : null,
        coveredRanges: covered,
        gaps: covered.length ? gaps(covered, startOf(t), covered.at(-1)!.to) : [],
        ...(covered.length ? { coveredUntil: covered.at(-1)!.to } : {}),
      });
    }
    return out;
  }

  return { run, status, ...windowedFullRefresh() };
}

