import { sql } from 'kysely';
import type { FastifyPluginAsync } from 'fastify';
import type { TransactionTable } from '../../warehouse/index.js';
import { tenantOf } from '../auth.js';
import type { ServerContext } from '../context.js';
import { sendCsv, wantsCsv } from '../lib/csv.js';
import { bool, whereDateRange, whereDeleted, whereEqual } from '../lib/filters.js';
import { freshnessOf } from '../lib/freshness.js';
import { allRows, fetchPage, type KeysetOrder } from '../lib/keyset.js';
import { cursorParam, dateParam, deletedParam, emailParam, idParam, limitParam, paramsSchema, querySchema, textParam, type Deleted } from '../lib/schemas.js';

/** Every column of `transaction` a consumer sees: all but the tenant, the raw record and the hash. */
export const TRANSACTION_COLUMNS = [
  'id', 'source_id', 'transaction_type', 'activity_type', 'authorization_date', 'posted_date', 'transaction_date',
  'modified_timestamp', 'posted_amount', 'posted_currency', 'original_amount', 'original_currency', 'personal_amount',
  'exchange_rate', 'fee', 'fx_fee_amount', 'cardholder', 'cardholder_email', 'employee_id', 'vendor_name', 'vendor_category',
  'approval_status', 'policy', 'gl_code_number', 'gl_code_name', 'erp_sync_status', 'statement_id', 'department',
  'cost_center', 'region', 'subsidiary', 'legal_entity', 'flagged', 'personal', 'transaction_description',
  'navan_booking_uuids', 'reporting_transaction_id', 'accrued_rebate_amount', 'rebate_type', 'custom_fields', 'synced_at', 'deleted',
] as const;

interface TransactionsQuery {
  limit: number;
  cursor?: string;
  from?: string;
  to?: string;
  kind?: string;
  currency?: string;
  department?: string;
  user_email?: string;
  deleted?: Deleted;
}

type Row = Omit<TransactionTable, '_tenant' | '_raw' | '_version_hash'>;

const order: KeysetOrder<Row> = {
  key: sql<string>`coalesce(transaction_date, '')`,
  id: 'id',
  direction: 'desc',
  of: (r) => [r.transaction_date ?? '', r.id],
};

function row(r: Row) {
  const { _deleted, _synced_at, ...rest } = r;
  return { ...rest, flagged: bool(r.flagged), personal: bool(r.personal), synced_at: _synced_at, deleted: bool(_deleted) };
}

export function transactionsPlugin(ctx: ServerContext): FastifyPluginAsync {
  return async (app) => {
    const select = [...TRANSACTION_COLUMNS.filter((c) => c !== 'deleted' && c !== 'synced_at'), '_deleted', '_synced_at'] as const;

    app.get<{ Querystring: TransactionsQuery }>('/transactions', {
      config: { scope: 'read:transactions' },
      schema: {
        summary: "The key's tenant's expense transactions, newest transaction date first, keyset-paginated; Accept: text/csv streams them",
        tags: ['transactions'],
        querystring: querySchema({
          limit: limitParam(ctx.maxPageSize),
          cursor: cursorParam,
          from: dateParam('first transaction day'),
          to: dateParam('last transaction day'),
          kind: textParam('transaction type, e.g. CARD_TRANSACTION', 60),
          currency: { type: 'string', pattern: '^[A-Za-z]{3}$', description: 'a 3-letter ISO currency code (the posted currency)' },
          department: textParam('department'),
          user_email: emailParam("the cardholder's e-mail"),
          deleted: deletedParam,
        }),
      },
    }, async (req, reply) => {
      const tenant = tenantOf(req);
      const q = req.query;
      let qb = ctx.warehouse.db.selectFrom('transaction').select(select).where('_tenant', '=', tenant);
      qb = whereDeleted(qb, q.deleted);
      qb = whereEqual(qb, [['transaction_type', q.kind], ['posted_currency', q.currency?.toUpperCase()], ['department', q.department], ['cardholder_email', q.user_email]]);
      qb = whereDateRange(qb, 'transaction_date', { name: 'from', value: q.from }, { name: 'to', value: q.to }, true);
      const freshness = await freshnessOf(ctx.warehouse.db, tenant, 'transactions');
      if (wantsCsv(req)) return sendCsv(reply, 'transactions', TRANSACTION_COLUMNS, allRows<Row>(qb, order, q.cursor), row, freshness);
      const page = await fetchPage<Row>(qb, order, q.limit, q.cursor);
      return { data: page.data.map(row), nextCursor: page.nextCursor, freshness };
    });

    app.get<{ Params: { id: string } }>('/transactions/:id/history', {
      config: { scope: 'read:transactions' },
      schema: {
        summary: 'Every version of one transaction seen by sync, oldest first, each with the record as Navan sent it',
        tags: ['transactions'],
        params: paramsSchema({ id: idParam('the transaction id') }),
        querystring: querySchema({}),
      },
    }, async (req, reply) => {
      const tenant = tenantOf(req);
      const db = ctx.warehouse.db;
      const [exists, versions, freshness] = await Promise.all([
        db.selectFrom('transaction').select('id').where('_tenant', '=', tenant).where('id', '=', req.params.id).executeTakeFirst(),
        db.selectFrom('transaction_history').selectAll().where('_tenant', '=', tenant).where('id', '=', req.params.id).orderBy('_seen_at').orderBy('modified_timestamp').execute(),
        freshnessOf(db, tenant, 'transactions'),
      ]);
      if (!exists && versions.length === 0) return reply.code(404).send({ error: 'NOT_FOUND', message: `No transaction ${req.params.id} for this tenant; check the id (list them with /api/v1/transactions).` });
      return {
        data: versions.map((v) => ({ version: v._version_hash, modified_timestamp: v.modified_timestamp, seen_at: v._seen_at, record: parseRaw(v._raw) })),
        freshness,
      };
    });
  };
}

function parseRaw(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
