import type { Redis } from 'ioredis';
import type { Config, TenantConfig } from '../config/index.js';
import { ConfigError, describeError } from '../shared/errors.js';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import type { EventBus } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import { silentLogger } from '../shared/logger.js';
import { runMigrations, type Warehouse } from '../warehouse/index.js';
import { assertBalanced } from './documents.js';
import { ErpAuthError, ErpDocumentRejectedError, ErpPeriodClosedError, ErpUnavailableError } from './errors.js';
import { acquireExportLock, erpDb, erpMigrations, PostingLedger, type Posting } from './ledger.js';
import type { BlockedDocument, ErpDocument, ErpTargetName } from './model.js';
import { planExport, type ErpSettings } from './plan.js';
import { reconcilePeriod, type ReconcileReport, type ReconcileVerification } from './reconcile.js';
import { buildTarget, mappingFor, settingsOf, type BuiltTarget } from './targets.js';
import type { ErpTarget, Posted } from './target.js';

export interface ErpExporterOptions {
  config: Config;
  warehouse: Warehouse;
  logger?: Logger;
  events?: EventBus;
  clock?: Clock;
  redis?: Redis;
  /** Where secret references and mapping files are resolved (default: the process's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ErpExportOptions {
  tenant: string;
  /** Default: the tenant's erp.target. */
  target?: ErpTargetName;
  /** Documents dated from (inclusive) … to (inclusive), YYYY-MM-DD. */
  from?: string;
  to?: string;
  /** Build and print the documents; post nothing and write nothing. */
  dryRun?: boolean;
  onProgress?: (p: ErpExportProgress) => void;
}

export interface ErpExportProgress {
  total: number;
  done: number;
  posted: number;
  failed: number;
}

export type ErpAction = 'create' | 'update' | 'correct' | 'remove' | 'refresh';

export interface ErpExportReport {
  tenant: string;
  target: ErpTargetName;
  recordType: string;
  grouping: string;
  dryRun: boolean;
  /** success: everything planned is in the ERP; partial: some documents are blocked or failed; interrupted: the ERP became unavailable and the run stopped (it resumes next time). */
  status: 'success' | 'partial' | 'interrupted';
  documents: number;
  created: number;
  updated: number;
  corrected: number;
  removed: number;
  unchanged: number;
  /** Documents settled from a previous run that stopped between the ERP's answer and our commit. */
  recovered: number;
  failed: { externalId: string; message: string }[];
  blocked: BlockedDocument[];
  excluded: Record<string, number>;
  error?: string;
  durationMs: number;
  documentsPerSecond: number;
  /** --dry-run: what would be sent. */
  preview?: { action: ErpAction; externalId: string; payload: unknown }[];
}

export interface ErpExporter {
  export(o: ErpExportOptions): Promise<ErpExportReport>;
  /**
   * The scheduling hook: call after each successful transaction sync of a tenant. Exports to the
   * tenant's erp.target when erp.exportAfterSync is on; otherwise does nothing and returns undefined.
   * Never throws: a failure is in the report's status and error.
   */
  exportAfterSync(tenant: string): Promise<ErpExportReport | undefined>;
  /** `verify`: also read every posted document of the period back from the ERP (NetSuite, SAP) and compare. */
  reconcile(o: { tenant: string; period: string; target?: ErpTargetName; verify?: boolean }): Promise<ReconcileReport>;
  /** The ERP gateway of a tenant and target once built (breaker and limiter state). */
  gatewayState(tenant: string, target: ErpTargetName): { breaker: string; limiter: unknown } | undefined;
  close(): Promise<void>;
}

const LEASE_MS = 120_000;

export function createErpExporter(options: ErpExporterOptions): ErpExporter {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const built = new Map<string, BuiltTarget>();
  let migrated: Promise<void> | undefined;
  const migrate = () => (migrated ??= runMigrations(options.warehouse.db, options.warehouse.dialect, 'erp', erpMigrations));
  const running = new Map<string, Promise<unknown>>();
  const afterSync = new Map<string, { running?: Promise<ErpExportReport>; queued?: Promise<ErpExportReport> }>();

  const tenantOf = (id: string): TenantConfig => {
    const t = options.config.tenants.find((x) => x.id === id);
    if (!t) throw new ConfigError(`--tenant: "${id}" is not configured; known tenants are ${options.config.tenants.map((x) => x.id).join(', ') || '(none)'}.`);
    return t;
  };
  const targetFor = (tenant: TenantConfig, name: ErpTargetName): BuiltTarget => {
    const key = `${tenant.id}\n${name}`;
    let b = built.get(key);
    if (!b) {
      b = buildTarget({ config: options.config, tenant, target: name, clock, logger, ...(options.events ? { events: options.events } : {}), ...(options.redis ? { redis: options.redis } : {}), env: options.env ?? process.env, cwd: options.cwd ?? process.cwd() });
      built.set(key, b);
    }
    return b;
  };

  const runExport = async (o: ErpExportOptions): Promise<ErpExportReport> => {
    const started = clock.now();
    const tenant = tenantOf(o.tenant);
    const s = settingsOf(tenant);
    const targetName = o.target ?? s.target;
    if (!targetName) throw new ConfigError(`tenants.${tenant.id}.erp.target: not set; pass --target netsuite|sap|csv or set the tenant's default target.`);
    for (const [k, v] of [['--from', o.from], ['--to', o.to]] as const) {
      if (v !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new ConfigError(`${k}: "${v}" is not a date; use YYYY-MM-DD.`);
    }
    const mapping = mappingFor(tenant, targetName, options.cwd ?? process.cwd());
    await migrate();
    const plan = await planExport(options.warehouse, tenant.id, targetName, s, mapping, { ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}) });
    const { target } = o.dryRun ? { target: previewTarget(tenant, targetName, s, options) } : targetFor(tenant, targetName);

    const blocked = [...plan.blocked];
    const documents: ErpDocument[] = [];
    for (const doc of plan.documents) {
      assertBalanced(doc);
      const reasons = target.validate(doc);
      if (reasons.length) blocked.push({ externalId: doc.externalId, transactionIds: doc.lines.map((l) => l.transactionId), reasons });
      else documents.push(doc);
    }
    const excluded: Record<string, number> = {};
    for (const e of plan.excluded) excluded[e.reason] = (excluded[e.reason] ?? 0) + 1;

    const ledger = new PostingLedger(erpDb(options.warehouse), tenant.id, targetName, () => new Date(clock.now()).toISOString());
    const report: ErpExportReport = {
      tenant: tenant.id, target: targetName, recordType: target.recordType, grouping: s.grouping, dryRun: !!o.dryRun, status: 'success',
      documents: documents.length, created: 0, updated: 0, corrected: 0, removed: 0, unchanged: 0, recovered: 0, failed: [], blocked, excluded,
      durationMs: 0, documentsPerSecond: 0,
    };
    const finish = () => {
      report.durationMs = clock.now() - started;
      const touched = report.created + report.updated + report.corrected + report.removed;
      report.documentsPerSecond = report.durationMs > 0 ? Math.round((touched / report.durationMs) * 100_000) / 100 : 0;
      if (report.status === 'success' && (report.failed.length || report.blocked.length)) report.status = 'partial';
      logger.info({ tenant: tenant.id, target: targetName, status: report.status, created: report.created, updated: report.updated, corrected: report.corrected, removed: report.removed, blocked: report.blocked.length, failed: report.failed.length }, 'erp.export');
      return report;
    };

    if (o.dryRun) {
      const postings = await ledger.all();
      const actions = planActions(documents, postings, target, blocked, o);
      report.preview = actions.map((a) => ({ action: a.action, externalId: a.externalId, payload: a.doc ? target.render(a.doc) : { remove: a.externalId } }));
      return finish();
    }

    const lock = await acquireExportLock(erpDb(options.warehouse), tenant.id, targetName, LEASE_MS, () => clock.now());
    const renew = setInterval(() => void lock.renew().catch(() => undefined), LEASE_MS / 3);
    renew.unref();
    try {
      let postings = await ledger.all();
      if (target.mode === 'reference') {
        report.recovered = await settlePending(target, ledger, postings);
        if (report.recovered) postings = await ledger.all();
      }
      const actions = planActions(documents, postings, target, blocked, o);
      report.unchanged = documents.length - actions.filter((a) => a.action !== 'remove').length;
      const ledgerOnly = actions.filter((a) => a.action === 'refresh');
      for (const a of ledgerOnly) await apply(a, target, ledger, clock);
      report.unchanged += ledgerOnly.length;
      actions.splice(0, actions.length, ...actions.filter((a) => a.action !== 'refresh'));
      await runActions(actions, target, ledger, report, clock, o.onProgress);
    } finally {
      clearInterval(renew);
      await lock.release().catch(() => undefined);
    }
    return finish();
  };

  return {
    export: (o) => {
      // One export per tenant and target in this process; other processes are kept out by the lease.
      const key = `${o.tenant}\n${o.target ?? options.config.tenants.find((t) => t.id === o.tenant)?.erp?.target ?? ''}`;
      const prev = running.get(key) ?? Promise.resolve();
      const next = prev.catch(() => undefined).then(() => runExport(o));
      running.set(key, next);
      return next;
    },
    async exportAfterSync(tenantId) {
      const s = options.config.tenants.find((t) => t.id === tenantId)?.erp;
      if (!s?.exportAfterSync || !s.target) return undefined;
      // Syncs can finish faster than exports: one export runs and at most one more waits, which
      // reads the warehouse when it starts and so covers every sync that finished meanwhile.
      const slot = afterSync.get(tenantId) ?? {};
      if (slot.queued) return slot.queued;
      const run = async (): Promise<ErpExportReport> => {
        try {
          return await this.export({ tenant: tenantId });
        } finally {
          const cur = afterSync.get(tenantId);
          if (cur) {
            cur.running = cur.queued;
            cur.queued = undefined;
            if (!cur.running) afterSync.delete(tenantId);
          }
        }
      };
      if (slot.running) slot.queued = slot.running.catch(() => undefined).then(run);
      else slot.running = run();
      afterSync.set(tenantId, slot);
      try {
        return await (slot.queued ?? slot.running)!;
      } catch (err) {
        logger.warn({ tenant: tenantId, err: describeError(err) }, 'erp.export after sync failed');
        return {
          tenant: tenantId, target: s.target, recordType: '', grouping: s.grouping, dryRun: false, status: 'interrupted', documents: 0, created: 0, updated: 0, corrected: 0,
          removed: 0, unchanged: 0, recovered: 0, failed: [], blocked: [], excluded: {}, error: describeError(err), durationMs: 0, documentsPerSecond: 0,
        };
      }
    },
    async reconcile(o) {
      const tenant = tenantOf(o.tenant);
      const s = settingsOf(tenant);
      const targetName = o.target ?? s.target;
      if (!targetName) throw new ConfigError(`tenants.${tenant.id}.erp.target: not set; pass --target netsuite|sap|csv or set the tenant's default target.`);
      await migrate();
      let verify: ReconcileVerification | undefined;
      if (o.verify) {
        const { target } = targetFor(tenant, targetName);
        if (!target.readBack) throw new ConfigError(`--verify: ${target.label} targets cannot be read back; reconcile without --verify.`);
        verify = { target, postings: await new PostingLedger(erpDb(options.warehouse), tenant.id, targetName, () => new Date(clock.now()).toISOString()).all() };
      }
      return reconcilePeriod(options.warehouse, tenant.id, targetName, s, mappingFor(tenant, targetName, options.cwd ?? process.cwd()), o.period, verify);
    },
    gatewayState(tenant, target) {
      const b = built.get(`${tenant}\n${target}`);
      return b?.gateway ? { breaker: b.gateway.breaker().state, limiter: b.gateway.limiter() } : undefined;
    },
    async close() {
      await Promise.allSettled([...running.values()]);
      await Promise.allSettled([...built.values()].map((b) => b.close()));
      built.clear();
    },
  };
}

/** Dry runs never build a gateway or read secrets: the target only renders. */
function previewTarget(tenant: TenantConfig, name: ErpTargetName, _s: ErpSettings, options: ErpExporterOptions): ErpTarget {
  return buildTarget({ config: options.config, tenant, target: name, clock: options.clock ?? systemClock, logger: silentLogger, env: options.env ?? process.env, cwd: options.cwd ?? process.cwd(), preview: true }).target;
}

interface Action {
  action: ErpAction;
  externalId: string;
  doc?: ErpDocument;
  prior?: Posting;
}

/** What must change in the ERP: new documents, changed ones (update or correct), and posted ones that no longer exist. */
function planActions(documents: ErpDocument[], postings: Map<string, Posting>, target: ErpTarget, blocked: BlockedDocument[], range: { from?: string; to?: string }): Action[] {
  const actions: Action[] = [];
  const wanted = new Set(documents.map((d) => d.externalId));
  const held = new Set(blocked.map((b) => b.externalId));
  for (const doc of documents) {
    const prior = postings.get(doc.externalId);
    const posted = prior?.status === 'posted';
    if (posted && prior.contentHash === doc.contentHash) {
      // Same lines, newer transaction versions (a field we do not post changed): only the ledger learns the versions.
      if (versions(prior.document) !== versions(doc)) actions.push({ action: 'refresh', externalId: doc.externalId, doc, prior });
      continue;
    }
    if (!posted) actions.push({ action: 'create', externalId: doc.externalId, doc, ...(prior ? { prior } : {}) });
    else actions.push({ action: target.mode === 'update' ? 'update' : 'correct', externalId: doc.externalId, doc, prior });
  }
  for (const p of postings.values()) {
    if (p.status !== 'posted' || wanted.has(p.externalId) || held.has(p.externalId)) continue;
    const date = p.documentDate ?? '';
    if ((range.from && date < range.from) || (range.to && date > range.to)) continue;
    actions.push({ action: 'remove', externalId: p.externalId, prior: p });
  }
  return actions;
}

const versions = (d: ErpDocument | null) => (d ? d.lines.map((l) => `${l.transactionId}:${l.version}`).join(',') : '');

/** Runs the actions with the target's concurrency; stops launching new ones when the ERP is unavailable or refuses our credentials. */
async function runActions(actions: Action[], target: ErpTarget, ledger: PostingLedger, report: ErpExportReport, clock: Clock, onProgress?: (p: ErpExportProgress) => void): Promise<void> {
  let next = 0;
  let done = 0;
  let stop: unknown;
  const progress = () => onProgress?.({ total: actions.length, done, posted: report.created + report.updated + report.corrected + report.removed, failed: report.failed.length });
  progress();
  const worker = async () => {
    while (!stop && next < actions.length) {
      const a = actions[next++]!;
      try {
        const outcome = await apply(a, target, ledger, clock);
        if (outcome === 'create') report.created++;
        else if (outcome === 'update') report.updated++;
        else if (outcome === 'correct') report.corrected++;
        else if (outcome === 'remove') report.removed++;
      } catch (err) {
        if (err instanceof ErpDocumentRejectedError) {
          report.failed.push({ externalId: a.externalId, message: err.message });
          await ledger.clearPending(a.externalId, a.prior).catch(() => undefined);
        } else {
          stop ??= err;
        }
      }
      done++;
      progress();
    }
  };
  ledger.deferred = target.mode === 'update';
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(target.concurrency, actions.length)) }, worker));
  } finally {
    await ledger.flush();
    ledger.deferred = false;
  }
  if (stop) {
    report.status = 'interrupted';
    report.error = describeError(stop);
    if (!(stop instanceof ErpUnavailableError || stop instanceof ErpAuthError)) throw stop;
  }
}

async function apply(a: Action, target: ErpTarget, ledger: PostingLedger, clock: Clock): Promise<ErpAction> {
  const prior = a.prior?.status === 'pending' ? undefined : a.prior;
  if (a.action === 'refresh') {
    await ledger.commitPosted(a.doc!, target.recordType, { documentNumber: prior!.documentNumber, reference: prior!.reference, revision: prior!.revision, action: 'refresh' });
    return 'refresh';
  }
  if (target.mode === 'update') return applyUpdate(a, prior, target, ledger, clock);
  // Reference targets: a posted document is never changed; reverse it and post the new one under new references.
  if (a.action === 'create') {
    const revision = prior?.status === 'removed' ? prior.revision + 1 : 1;
    const ref = target.reference!(a.externalId, revision, false);
    await ledger.markPending(a.externalId, target.recordType, { action: 'create', hash: a.doc!.contentHash, references: [ref], revision, document: a.doc! }, a.prior);
    const posted = await postOnce(target, a.doc!, ref, false, clock);
    await ledger.commitPosted(a.doc!, target.recordType, { documentNumber: posted.documentNumber, reference: ref, revision, action: 'create' });
    return 'create';
  }
  const r = prior!.revision;
  const reversalRef = target.reference!(a.externalId, r, true);
  if (a.action === 'remove') {
    await ledger.markPending(a.externalId, target.recordType, { action: 'remove', hash: null, references: [reversalRef], revision: r, document: null }, prior);
    const reversed = await postOnce(target, prior!.document!, reversalRef, true, clock);
    await ledger.commitRemoved(a.externalId, { revision: r, action: 'reverse', documentNumber: reversed.documentNumber, reference: reversalRef });
    return 'remove';
  }
  const ref = target.reference!(a.externalId, r + 1, false);
  await ledger.markPending(a.externalId, target.recordType, { action: 'correct', hash: a.doc!.contentHash, references: [reversalRef, ref], revision: r + 1, document: a.doc! }, prior);
  const reversed = await postOnce(target, prior!.document!, reversalRef, true, clock);
  const posted = await postOnce(target, a.doc!, ref, false, clock);
  await ledger.commitPosted(a.doc!, target.recordType, {
    documentNumber: posted.documentNumber, reference: ref, revision: r + 1, action: 'correct',
    events: [
      { action: 'reverse', documentNumber: reversed.documentNumber, reference: reversalRef, revision: r },
      { action: 'create', documentNumber: posted.documentNumber, reference: ref, revision: r + 1 },
    ],
  });
  return 'correct';
}

/**
 * Update targets (NetSuite): upsert or delete by external id. No pending row is needed: sent again
 * after a crash, it changes nothing twice. After a closed-period correction the ERP holds the
 * document under its revision's id (the posting's reference), and that is the record updated next.
 */
async function applyUpdate(a: Action, prior: Posting | undefined, target: ErpTarget, ledger: PostingLedger, clock: Clock): Promise<ErpAction> {
  const posted = prior?.status === 'posted' ? prior : undefined;
  // A document reversed in a closed period comes back under a new revision's id, never over the reversal.
  const recordId = posted ? (posted.reference ?? a.externalId) : prior?.reference ? `${a.externalId}-v${prior.revision + 1}` : a.externalId;
  const revision = posted ? posted.revision : prior?.reference ? prior.revision + 1 : 1;
  const reference = recordId === a.externalId ? null : recordId;
  try {
    if (a.action === 'remove') {
      await target.remove!(recordId);
      await ledger.commitRemoved(a.externalId, { revision, action: 'delete', documentNumber: prior?.documentNumber ?? null, reference });
      return a.action;
    }
    const sent = { ...a.doc!, externalId: recordId, ...(posted?.reference && posted.document ? { date: posted.document.date } : {}) };
    const answer = await target.upsert!(sent);
    await ledger.commitPosted({ ...a.doc!, date: sent.date }, target.recordType, { documentNumber: answer.documentNumber, reference, revision, action: a.action });
    return a.action;
  } catch (err) {
    if (!(err instanceof ErpPeriodClosedError)) throw err;
    if (a.action === 'create') {
      // A transaction that reaches us after its period closed is booked on the first open day: today.
      const today = new Date(clock.now()).toISOString().slice(0, 10);
      const answer = await target.upsert!({ ...a.doc!, externalId: recordId, date: today });
      await ledger.commitPosted({ ...a.doc!, date: today }, target.recordType, { documentNumber: answer.documentNumber, reference, revision, action: 'create' });
      return 'create';
    }
    if (!posted?.document || !target.reversible) throw err;
    await correctInOpenPeriod(a, posted, target, ledger, clock);
    return a.action === 'remove' ? 'remove' : 'correct';
  }
}

/**
 * The posted document is in a closed period: a reversal dated today, and (unless the document is
 * gone) the new version dated today, each under its own external id. Both are upserts, so a
 * crash before the ledger commit only sends them again.
 */
async function correctInOpenPeriod(a: Action, prior: Posting, target: ErpTarget, ledger: PostingLedger, clock: Clock): Promise<void> {
  const today = new Date(clock.now()).toISOString().slice(0, 10);
  const old = prior.document!;
  const revision = prior.revision;
  const reversal: ErpDocument = {
    ...old,
    externalId: `${a.externalId}-x${revision}`,
    date: today,
    memo: `Reversal of ${prior.reference ?? a.externalId}`.slice(0, 200),
    lines: old.lines.map((l) => ({ ...l, amount: negate(l.amount) })),
    total: negate(old.total),
  };
  const reversed = await target.upsert!(reversal);
  const events = [{ action: 'reverse', documentNumber: reversed.documentNumber, reference: reversal.externalId, revision }];
  if (a.action === 'remove') {
    await ledger.commitRemoved(a.externalId, { revision: revision + 1, action: 'reverse', documentNumber: reversed.documentNumber, reference: reversal.externalId });
    return;
  }
  const next = { ...a.doc!, externalId: `${a.externalId}-v${revision + 1}`, date: today };
  const posted = await target.upsert!(next);
  await ledger.commitPosted({ ...a.doc!, date: today }, target.recordType, {
    documentNumber: posted.documentNumber, reference: next.externalId, revision: revision + 1, action: 'correct',
    events: [...events, { action: 'create', documentNumber: posted.documentNumber, reference: next.externalId, revision: revision + 1 }],
  });
}

const negate = (amount: string) => (amount.startsWith('-') ? amount.slice(1) : amount === '0.00' ? amount : `-${amount}`);

/**
 * Posts under a reference exactly once: the reference is checked first, and after a failure whose
 * outcome is unknown (5xx, timeout, reset) it is checked again before another try.
 */
async function postOnce(target: ErpTarget, doc: ErpDocument, reference: string, reversal: boolean, clock: Clock): Promise<Posted> {
  for (let attempt = 1; ; attempt++) {
    const found = await target.find!(reference);
    if (found) return found;
    try {
      return await target.postUnder!(doc, reference, reversal);
    } catch (err) {
      if (!(err instanceof ErpUnavailableError) || attempt >= 4) throw err;
      await clock.sleep(Math.min(2000, 100 * 2 ** attempt));
    }
  }
}

/** A run that stopped between a reference target's answer and our commit: look up what landed and record it. */
async function settlePending(target: ErpTarget, ledger: PostingLedger, postings: Map<string, Posting>): Promise<number> {
  let settled = 0;
  for (const p of postings.values()) {
    const step = p.pending;
    if (!step) continue;
    settled++;
    const found = await Promise.all(step.references.map((r) => target.find!(r)));
    if (step.action === 'create') {
      if (found[0]) await ledger.commitPosted(step.document!, target.recordType, { documentNumber: found[0].documentNumber, reference: step.references[0]!, revision: step.revision, action: 'create' });
      else await ledger.clearPending(p.externalId, p);
    } else if (step.action === 'correct') {
      const [reversed, posted] = found;
      if (posted) {
        await ledger.commitPosted(step.document!, target.recordType, {
          documentNumber: posted.documentNumber, reference: step.references[1]!, revision: step.revision, action: 'correct',
          events: [
            { action: 'reverse', documentNumber: reversed?.documentNumber ?? null, reference: step.references[0]!, revision: step.revision - 1 },
            { action: 'create', documentNumber: posted.documentNumber, reference: step.references[1]!, revision: step.revision },
          ],
        });
      } else if (reversed) await ledger.commitRemoved(p.externalId, { revision: step.revision - 1, action: 'reverse', documentNumber: reversed.documentNumber, reference: step.references[0]! });
      else await ledger.clearPending(p.externalId, p);
    } else if (step.action === 'remove') {
      if (found[0]) await ledger.commitRemoved(p.externalId, { revision: step.revision, action: 'reverse', documentNumber: found[0].documentNumber, reference: step.references[0]! });
      else await ledger.clearPending(p.externalId, p);
    }
  }
  return settled;
}

/**
 * Wires the after-sync export to the event bus: each successful transaction sync of a tenant with
 * erp.exportAfterSync on starts an export. Returns the function that unhooks it.
 */
export function exportAfterEachSync(events: EventBus, exporter: ErpExporter, logger: Logger = silentLogger): () => void {
  const listener = (e: { tenant: string; stream: string; outcome: string }) => {
    if (e.stream !== 'transactions' || e.outcome !== 'success') return;
    void exporter.exportAfterSync(e.tenant).catch((err: unknown) => logger.warn({ tenant: e.tenant, err: describeError(err) }, 'erp.export after sync failed'));
  };
  events.on('sync.run', listener);
  return () => events.off('sync.run', listener);
}
