import { sql, type Kysely, type CreateTableBuilder } from 'kysely';
import type { Dialect } from './dialect.js';
import type { Migration } from './migrate.js';

/**
 * The warehouse's own tables. Column kinds: t = text, m = money (NUMERIC in PostgreSQL, TEXT in
 * SQLite: exact either way), i = integer, f = 0/1 flag. Times and dates are ISO text in both
 * databases so they compare the same way everywhere (see schema.ts).
 */
type Kind = 't' | 'm' | 'i' | 'f';
type Columns = Record<string, Kind>;

const rowMeta: Columns = { _tenant: 't', _synced_at: 't', _deleted: 'f', _raw: 't' };
const childMeta: Columns = { _tenant: 't', booking_uuid: 't', idx: 'i', _synced_at: 't', _raw: 't' };

const bookingColumns: Columns = {
  uuid: 't', booking_id: 't', confirmation_number: 't', pcc: 't', booking_type: 't', booking_status: 't',
  created: 't', last_modified: 't', cancelled_at: 't', cancellation_reason: 't', vendor: 't', preferred_vendor: 'f',
  cabin: 't', fare_class: 't', inventory: 't', booking_method: 't', start_date: 't', end_date: 't',
  booking_duration: 'i', lead_time_in_days: 'i', booker_uuid: 't', booker_name: 't', booker_email: 't',
  traveler_uuid: 't', traveler_name: 't', traveler_email: 't', department: 't', cost_center: 't', region: 't',
  subsidiary: 't', billable_entity: 't', origin_country: 't', origin_city: 't', origin_airport_code: 't',
  destination_country: 't', destination_city: 't', destination_airport_code: 't', currency: 't',
  currency_exchange_rate_from_usd: 'm', base_price: 'm', tax: 'm', vat: 'm', booking_fee: 'm', trip_fee: 'm',
  net_charge: 'm', grand_total: 'm', usd_grand_total: 'm', travel_spend: 'm', optimal_price: 'm', saving: 'm',
  saving_missed: 'm', payment_schedule: 't', payment_method: 't', company_payment_method: 'f', expensed: 'f',
  out_of_policy: 'f', out_of_policy_description: 't', out_of_policy_violation_types: 't', approver_email: 't',
  approval_status: 't', trip_uuids: 't', trip_name: 't', trip_description: 't', trip_length: 't', purpose: 't',
  reason: 't', company_office: 't', invoice_url: 't', pdf_url: 't', flight_miles: 'm', train_miles: 'm',
  carbon_emissions: 'm', carbon_offset_cost: 'm',
};

const passengerColumns: Columns = {
  traveler_type: 't', status: 't', person_uuid: 't', name: 't', email: 't', employee_id: 't', department: 't',
  cost_center: 't', region: 't', subsidiary: 't', manager_email: 't',
};

const segmentColumns: Columns = {
  start_timestamp: 't', end_timestamp: 't', departure_country: 't', departure_city: 't', departure_airport_code: 't',
  arrival_country: 't', arrival_city: 't', arrival_airport_code: 't', provider_code: 't', provider_name: 't',
  flight_number: 't', airline_alliance: 't', hotel_chain: 't', cabin: 't', fare_class: 't',
};

const transactionColumns: Columns = {
  id: 't', source_id: 't', transaction_type: 't', activity_type: 't', authorization_date: 't', posted_date: 't',
  transaction_date: 't', modified_timestamp: 't', posted_amount: 'm', posted_currency: 't', original_amount: 'm',
  original_currency: 't', personal_amount: 'm', exchange_rate: 'm', fee: 'm', fx_fee_amount: 'm', cardholder: 't',
  cardholder_email: 't', employee_id: 't', vendor_name: 't', vendor_category: 't', approval_status: 't', policy: 't',
  gl_code_number: 't', gl_code_name: 't', erp_sync_status: 't', statement_id: 't', department: 't', cost_center: 't',
  region: 't', subsidiary: 't', legal_entity: 't', flagged: 'f', personal: 'f', transaction_description: 't',
  navan_booking_uuids: 't', reporting_transaction_id: 't', accrued_rebate_amount: 'm', rebate_type: 't',
  custom_fields: 't', _version_hash: 't',
};

const userColumns: Columns = {
  id: 't', user_name: 't', given_name: 't', family_name: 't', email: 't', employee_id: 't', department: 't',
  cost_centre: 't', region: 't', subsidiary: 't', manager_email: 't', policy_level: 't', active: 'f',
};

/** Columns that must be present on every row; everything else may be null. */
const required = new Set(['_tenant', '_synced_at', '_deleted', '_raw', 'uuid', 'id', 'booking_uuid', 'idx', '_version_hash']);

function addColumns<T extends string>(tb: CreateTableBuilder<T, any>, columns: Columns, dialect: Dialect): CreateTableBuilder<T, any> {
  for (const [name, kind] of Object.entries(columns)) {
    const type = kind === 'm' ? (dialect === 'postgres' ? 'numeric' : 'text') : kind === 't' ? 'text' : 'integer';
    tb = tb.addColumn(name, type, (c) => {
      let col = required.has(name) ? c.notNull() : c;
      if (name === '_deleted') col = col.defaultTo(0);
      return col;
    });
  }
  return tb;
}

async function createDataTable(db: Kysely<any>, dialect: Dialect, table: string, columns: Columns, key: string[]): Promise<void> {
  let tb = db.schema.createTable(table).ifNotExists();
  tb = addColumns(tb, columns, dialect);
  await tb.addPrimaryKeyConstraint(`${table}_pk`, key as any).execute();
}

async function index(db: Kysely<any>, table: string, columns: string[]): Promise<void> {
  await db.schema.createIndex(`${table}_${columns.join('_')}_idx`.replace(/__+/g, '_')).ifNotExists().on(table).columns(columns).execute();
}

export const warehouseMigrations: Migration[] = [
  {
    version: 1,
    name: 'data tables: bookings and children, transactions with history, users',
    async up(db, dialect) {
      await createDataTable(db, dialect, 'booking', { ...rowMeta, ...bookingColumns }, ['_tenant', 'uuid']);
      await createDataTable(db, dialect, 'booking_passenger', { ...childMeta, ...passengerColumns }, ['_tenant', 'booking_uuid', 'idx']);
      await createDataTable(db, dialect, 'booking_segment', { ...childMeta, ...segmentColumns }, ['_tenant', 'booking_uuid', 'idx']);
      await createDataTable(db, dialect, 'booking_eticket', { ...childMeta, eticket: 't' }, ['_tenant', 'booking_uuid', 'idx']);
      await createDataTable(db, dialect, 'booking_custom_field', { ...childMeta, name: 't', value: 't' }, ['_tenant', 'booking_uuid', 'idx']);
      await createDataTable(db, dialect, 'transaction', { ...rowMeta, ...transactionColumns }, ['_tenant', 'id']);
      await createDataTable(
        db, dialect, 'transaction_history',
        { _tenant: 't', id: 't', _version_hash: 't', modified_timestamp: 't', _seen_at: 't', _raw: 't' },
        ['_tenant', 'id', '_version_hash'],
      );
      await createDataTable(db, dialect, 'navan_user', { ...rowMeta, ...userColumns }, ['_tenant', 'id']);

      // The consumer API's common filters.
      await index(db, 'booking', ['_tenant', 'created']);
      await index(db, 'booking', ['_tenant', 'start_date']);
      await index(db, 'booking', ['_tenant', 'booking_type']);
      await index(db, 'booking', ['_tenant', 'traveler_email']);
      await index(db, 'booking', ['_tenant', 'department']);
      await index(db, 'booking', ['_tenant', 'cost_center']);
      // Delete marking after a full refresh scans by sync time.
      await index(db, 'booking', ['_tenant', '_synced_at']);
      await index(db, 'transaction', ['_tenant', 'transaction_date']);
      await index(db, 'transaction', ['_tenant', 'modified_timestamp']);
      await index(db, 'navan_user', ['_tenant', 'email']);
    },
  },
  {
    version: 2,
    name: 'bookkeeping tables: checkpoints, range ledger, runs, quarantine',
    async up(db, dialect) {
      await db.schema
        .createTable('sync_checkpoint').ifNotExists()
        .addColumn('_tenant', 'text', (c) => c.notNull())
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('sync_checkpoint_pk', ['_tenant', 'stream', 'mode'])
        .execute();
      await db.schema
        .createTable('sync_range').ifNotExists()
        .addColumn('_tenant', 'text', (c) => c.notNull())
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('range_start', 'text', (c) => c.notNull())
        .addColumn('range_end', 'text', (c) => c.notNull())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('covered_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('sync_range_pk', ['_tenant', 'stream', 'range_start'])
        .execute();
      await db.schema
        .createTable('sync_run').ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('_tenant', 'text', (c) => c.notNull())
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .addColumn('records_read', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('records_written', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('records_quarantined', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('records_deleted', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('pages', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('error', 'text')
        .addColumn('details', 'text')
        .execute();
      await index(db, 'sync_run', ['_tenant', 'stream', 'started_at']);
      let quarantine = db.schema.createTable('quarantine').ifNotExists();
      quarantine =
        dialect === 'postgres'
          ? quarantine.addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
          : quarantine.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
      await quarantine
        .addColumn('_tenant', 'text', (c) => c.notNull())
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('record_id', 'text')
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('_raw', 'text', (c) => c.notNull())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('quarantined_at', 'text', (c) => c.notNull())
        .execute();
      await index(db, 'quarantine', ['_tenant', 'stream', 'quarantined_at']);
    },
  },
  {
    version: 3,
    name: 'run lock: one run per tenant and stream without Redis',
    async up(db) {
      await db.schema
        .createTable('sync_lock').ifNotExists()
        .addColumn('_tenant', 'text', (c) => c.notNull())
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('sync_lock_pk', ['_tenant', 'stream'])
        .execute();
    },
  },
  {
    version: 4,
    name: 'consumer API indexes: keyset pagination newest first, covering report scans, freshness lookups',
    async up(db, dialect) {
      // The lists page on (coalesce(created, ''), uuid) descending, so a booking without a creation
      // time still has a place in the order. Each list index leads with the equality filters the API
      // always applies (tenant, deleted) and, for the most common filters, booking type or traveler;
      // a page is then one index range seek, whatever its depth. The trailing start_date (and type)
      // let a start-date filter be checked inside the index, without reading the wide booking row.
      // PostgreSQL gets the descending order spelled out; SQLite scans ascending indexes backwards.
      const desc = dialect === 'postgres' ? ' desc' : '';
      const created = `(coalesce(created, ''))${desc}, uuid${desc}`;
      const statements = [
        `create index if not exists booking_api_created_idx on booking (_tenant, _deleted, ${created}, start_date, booking_type)`,
        `create index if not exists booking_api_type_created_idx on booking (_tenant, _deleted, booking_type, ${created}, start_date)`,
        `create index if not exists booking_api_traveler_created_idx on booking (_tenant, _deleted, traveler_email, ${created}, start_date)`,
        // Covers every column the reports read, so a report over a year of bookings scans this
        // index instead of the booking rows (which carry kilobytes of raw JSON each).
        'create index if not exists booking_report_idx on booking (_tenant, _deleted, start_date, booking_type, department, cost_center, currency, usd_grand_total, grand_total, out_of_policy, carbon_emissions, origin_city, destination_city)',
        `create index if not exists transaction_api_date_idx on "transaction" (_tenant, _deleted, (coalesce(transaction_date, ''))${desc}, id${desc})`,
        'create index if not exists transaction_synced_idx on "transaction" (_tenant, _synced_at)',
        'create index if not exists navan_user_api_id_idx on navan_user (_tenant, _deleted, id)',
        'create index if not exists navan_user_synced_idx on navan_user (_tenant, _synced_at)',
      ];
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
  },
];
