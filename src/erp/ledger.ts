import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import { NavanBridgeError } from '../shared/errors.js';
import type { Migration, Warehouse, WarehouseDatabase } from '../warehouse/index.js';
import type { ErpDocument, ErpTargetName } from './model.js';

/**
 * The ledger of postings: for every document we sent to an ERP, where it went, its ERP document
 * number, its content and which transaction versions it covers. A row is written `pending` before
 * the ERP call and `posted` after, so a crash in between is seen on the next run and settled
 * (NetSuite: upsert again; SAP and files: check the reference before posting again).
 */
export interface ErpPostingTable {
  _tenant: string;
  target: string;
  external_id: string;
  status: 'pending' | 'posted' | 'removed';
  /** Bumped by each reversal (SAP, files): the reference of revision n is different from revision n-1. */
  revision: number;
  record_type: string;
  document_number: string | null;
  /** The reference the ERP knows the current revision by (SAP OriginalReferenceDocument, file name). */
  erp_reference: string | null;
  content_hash: string | null;
  document_date: string | null;
  currency: string | null;
  total: string | null;
  /** JSON of the document as last posted (what a reversal must undo). */
  document: string | null;
  /** JSON [{id, version}] of the transaction versions the posted document covers. */
  covers: string | null;
  /** JSON of the step in flight while `pending`: {action, hash, references[], document}. */
  pending: string | null;
  updated_at: string;
}

/** One row per transaction in a posted document: the posted side of reconciliation. */
export interface ErpPostingItemTable {
  _tenant: string;
  target: string;
  external_id: string;
  transaction_id: string;
  version_hash: string;
  account: string;
  department: string;
  amount: string;
  currency: string;
  period: string;
}

/** Every action taken in an ERP, for audit: create, update, reverse, delete. */
export interface ErpPostingEventTable {
  id: string;
  _tenant: string;
  target: string;
  external_id: string;
  revision: number;
  action: string;
  document_number: string | null;
  reference: string | null;
  at: string;
}

export interface ErpLockTable {
  _tenant: string;
  target: string;
  owner: string;
  host: string;
  pid: number;
  expires_at: string;
}

export interface ErpDatabase extends WarehouseDatabase {
  erp_posting: ErpPostingTable;
  erp_posting_item: ErpPostingItemTable;
  erp_posting_event: ErpPostingEventTable;
  erp_lock: ErpLockTable;
}

export const erpMigrations: Migration[] = [
  {
    version: 1,
    name: 'erp postings, items, events and lock',
    async up(db) {
      await db.schema
        .createTable('erp_posting')
        .addColumn('_tenant', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('record_type', 'text', (c) => c.notNull())
        .addColumn('document_number', 'text')
        .addColumn('erp_reference', 'text')
        .addColumn('content_hash', 'text')
        .addColumn('document_date', 'text')
        .addColumn('currency', 'text')
        .addColumn('total', 'text')
        .addColumn('document', 'text')
        .addColumn('covers', 'text')
        .addColumn('pending', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('erp_posting_pk', ['_tenant', 'target', 'external_id'])
        .execute();
      await db.schema
        .createTable('erp_posting_item')
        .addColumn('_tenant', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('transaction_id', 'text', (c) => c.notNull())
        .addColumn('version_hash', 'text', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('department', 'text', (c) => c.notNull())
        .addColumn('amount', 'text', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('period', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('erp_posting_item_pk', ['_tenant', 'target', 'external_id', 'transaction_id'])
        .execute();
      await db.schema.createIndex('erp_posting_item_period').on('erp_posting_item').columns(['_tenant', 'target', 'period']).execute();
      await db.schema.createIndex('erp_posting_item_tx').on('erp_posting_item').columns(['_tenant', 'target', 'transaction_id']).execute();
      await db.schema
        .createTable('erp_posting_event')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('_tenant', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('document_number', 'text')
        .addColumn('reference', 'text')
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('erp_lock')
        .addColumn('_tenant', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('erp_lock_pk', ['_tenant', 'target'])
        .execute();
    },
  },
];

export type ErpDb = Kysely<ErpDatabase>;
export const erpDb = (w: Warehouse): ErpDb => w.db as unknown as ErpDb;

/** The step in flight for a pending row. */
export interface PendingStep {
  action: 'create' | 'update' | 'correct' | 'remove';
  hash: string | null;
  /** References to check before posting again (SAP, files), in order: reversal first, then the new revision. */
  references: string[];
  revision: number;
  document: ErpDocument | null;
}

export interface Posting {
  externalId: string;
  status: ErpPostingTable['status'];
  revision: number;
  recordType: string;
  documentNumber: string | null;
  reference: string | null;
  contentHash: string | null;
  documentDate: string | null;
  document: ErpDocument | null;
  pending: PendingStep | null;
}

export class PostingLedger {
  constructor(
    private readonly db: ErpDb,
    private readonly tenant: string,
    private readonly target: ErpTargetName,
    private readonly now: () => string,
  ) {}

  async all(): Promise<Map<string, Posting>> {
    const rows = await this.db.selectFrom('erp_posting').selectAll().where('_tenant', '=', this.tenant).where('target', '=', this.target).execute();
    return new Map(
      rows.map((r) => [
        r.external_id,
        {
          externalId: r.external_id,
          status: r.status,
          revision: Number(r.revision),
          recordType: r.record_type,
          documentNumber: r.document_number,
          reference: r.erp_reference,
          contentHash: r.content_hash,
          documentDate: r.document_date,
          document: r.document ? (JSON.parse(r.document) as ErpDocument) : null,
          pending: r.pending ? (JSON.parse(r.pending) as PendingStep) : null,
        },
      ]),
    );
  }

  /** Records the step about to be sent, before sending it (committed on its own). */
  async markPending(externalId: string, recordType: string, step: PendingStep, prior: Posting | undefined): Promise<void> {
    const pending = JSON.stringify(step);
    if (prior) {
      await this.#key(this.db.updateTable('erp_posting').set({ pending, updated_at: this.now() }), externalId).execute();
      return;
    }
    await this.db
      .insertInto('erp_posting')
      .values({
        _tenant: this.tenant, target: this.target, external_id: externalId, status: 'pending', revision: step.revision, record_type: recordType,
        document_number: null, erp_reference: null, content_hash: null, document_date: step.document?.date ?? null, currency: null, total: null,
        document: null, covers: null, pending, updated_at: this.now(),
      })
      .execute();
  }

  /**
   * Deferred mode (update targets only): commits are queued and written 100 to a transaction, or
   * at flush(). A crash loses at most the queue, and sending those documents again by external id
   * changes nothing twice; this keeps the ledger from being the bottleneck of a large export.
   */
  deferred = false;
  readonly #queue: ((trx: ErpDb) => Promise<void>)[] = [];

  async flush(): Promise<void> {
    const batch = this.#queue.splice(0);
    if (batch.length) await this.db.transaction().execute(async (trx) => {
      for (const write of batch) await write(trx);
    });
  }

  async #commit(write: (trx: ErpDb) => Promise<void>): Promise<void> {
    if (!this.deferred) {
      await this.db.transaction().execute(write);
      return;
    }
    this.#queue.push(write);
    if (this.#queue.length >= 100) await this.flush();
  }

  /** The ERP accepted the document: it is the posted content now, with its items and an audit event, in one transaction. */
  async commitPosted(doc: ErpDocument, recordType: string, result: { documentNumber: string | null; reference: string | null; revision: number; action: string; events?: { action: string; documentNumber: string | null; reference: string | null; revision: number }[] }): Promise<void> {
    const at = this.now();
    await this.#commit(async (trx) => {
      const values = {
        status: 'posted' as const, revision: result.revision, record_type: recordType, document_number: result.documentNumber, erp_reference: result.reference,
        content_hash: doc.contentHash, document_date: doc.date, currency: doc.currency, total: doc.total, document: JSON.stringify(doc),
        covers: JSON.stringify(doc.lines.map((l) => ({ id: l.transactionId, version: l.version }))), pending: null, updated_at: at,
      };
      const updated = await this.#key(trx.updateTable('erp_posting').set(values), doc.externalId).executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) await trx.insertInto('erp_posting').values({ _tenant: this.tenant, target: this.target, external_id: doc.externalId, ...values }).execute();
      await this.#key(trx.deleteFrom('erp_posting_item'), doc.externalId).execute();
      const items = doc.lines.map((l) => ({
        _tenant: this.tenant, target: this.target, external_id: doc.externalId, transaction_id: l.transactionId, version_hash: l.version,
        account: l.account, department: l.sourceDepartment, amount: l.amount, currency: doc.currency, period: l.period,
      }));
      for (let i = 0; i < items.length; i += 200) await trx.insertInto('erp_posting_item').values(items.slice(i, i + 200)).execute();
      const events = result.events ?? [{ action: result.action, documentNumber: result.documentNumber, reference: result.reference, revision: result.revision }];
      await trx.insertInto('erp_posting_event').values(events.map((e) => ({ id: randomUUID(), _tenant: this.tenant, target: this.target, external_id: doc.externalId, revision: e.revision, action: e.action, document_number: e.documentNumber, reference: e.reference, at }))).execute();
    });
  }

  /** The document was deleted or reversed in the ERP: nothing of it counts as posted any more. */
  async commitRemoved(externalId: string, result: { revision: number; action: string; documentNumber: string | null; reference: string | null }): Promise<void> {
    const at = this.now();
    await this.#commit(async (trx) => {
      await this.#key(trx.updateTable('erp_posting').set({ status: 'removed', revision: result.revision, pending: null, content_hash: null, updated_at: at }), externalId).execute();
      await this.#key(trx.deleteFrom('erp_posting_item'), externalId).execute();
      await trx.insertInto('erp_posting_event').values({ id: randomUUID(), _tenant: this.tenant, target: this.target, external_id: externalId, revision: result.revision, action: result.action, document_number: result.documentNumber, reference: result.reference, at }).execute();
    });
  }

  /** The step in flight did not land: a row that never held a posted document goes, any other keeps what it had. */
  async clearPending(externalId: string, prior: Posting | undefined): Promise<void> {
    if (!prior || prior.status === 'pending') await this.#key(this.db.deleteFrom('erp_posting'), externalId).execute();
    else await this.#key(this.db.updateTable('erp_posting').set({ pending: null, updated_at: this.now() }), externalId).execute();
  }

  #key<Q extends { where: (...a: any[]) => Q }>(q: Q, externalId: string): Q {
    return q.where('_tenant', '=', this.tenant).where('target', '=', this.target).where('external_id', '=', externalId);
  }
}

/**
 * One export per tenant and target at a time, across processes, as a lease row. A holder on this
 * host whose process is gone (killed) is taken over at once instead of waiting out the lease.
 */
export async function acquireExportLock(db: ErpDb, tenant: string, target: ErpTargetName, leaseMs: number, now: () => number): Promise<{ renew(): Promise<void>; release(): Promise<void> }> {
  const owner = randomUUID();
  const host = hostname();
  const expires = () => new Date(now() + leaseMs).toISOString();
  const taken = await db.transaction().execute(async (trx) => {
    const held = await trx.selectFrom('erp_lock').selectAll().where('_tenant', '=', tenant).where('target', '=', target).executeTakeFirst();
    if (held && held.expires_at > new Date(now()).toISOString() && !(held.host === host && !processAlive(Number(held.pid)))) return false;
    if (held) await trx.deleteFrom('erp_lock').where('_tenant', '=', tenant).where('target', '=', target).execute();
    await trx.insertInto('erp_lock').values({ _tenant: tenant, target, owner, host, pid: process.pid, expires_at: expires() }).execute();
    return true;
  });
  if (!taken) throw new NavanBridgeError('ERP_EXPORT_RUNNING', `Another process is exporting tenant ${tenant} to ${target}; wait for it to finish (the export resumes where it stops).`);
  return {
    renew: async () => {
      await db.updateTable('erp_lock').set({ expires_at: expires() }).where('_tenant', '=', tenant).where('target', '=', target).where('owner', '=', owner).execute();
    },
    release: async () => {
      await db.deleteFrom('erp_lock').where('_tenant', '=', tenant).where('target', '=', target).where('owner', '=', owner).execute();
    },
  };
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
