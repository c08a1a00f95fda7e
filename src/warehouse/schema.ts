/**
 * The warehouse tables, as one Kysely database type shared by SQLite and PostgreSQL.
 *
 * Portable conventions, so one typed query layer serves both back ends:
 * - times are ISO-8601 UTC text (`2026-01-31T12:00:00.000Z`), dates are `YYYY-MM-DD` text; both sort correctly as text;
 * - money and rates are exact decimals: NUMERIC in PostgreSQL, TEXT in SQLite, `string` here; never a float;
 * - flags are 0/1 integers (`Flag`);
 * - lists and objects that are not child tables are JSON text;
 * - every data row carries `_tenant`, `_synced_at`, `_deleted` and `_raw` (the record as received,
 *   so a field Navan adds later is never lost).
 */
import type { ColumnType, Generated } from 'kysely';

export type Flag = 0 | 1;
/** An exact decimal as text, e.g. "1234.50". */
export type Money = string;
/** ISO-8601 UTC timestamp text. */
export type Timestamp = string;

export interface RowMeta {
  _tenant: string;
  _synced_at: Timestamp;
  _deleted: Flag;
  /** JSON text of the record exactly as Navan sent it. */
  _raw: string;
}

export interface BookingTable extends RowMeta {
  uuid: string;
  booking_id: string | null;
  confirmation_number: string | null;
  pcc: string | null;
  booking_type: string | null;
  booking_status: string | null;
  created: Timestamp | null;
  last_modified: Timestamp | null;
  cancelled_at: Timestamp | null;
  cancellation_reason: string | null;
  vendor: string | null;
  preferred_vendor: Flag | null;
  cabin: string | null;
  fare_class: string | null;
  inventory: string | null;
  booking_method: string | null;
  start_date: string | null;
  end_date: string | null;
  booking_duration: number | null;
  lead_time_in_days: number | null;
  booker_uuid: string | null;
  booker_name: string | null;
  booker_email: string | null;
  /** The first passenger's person, denormalised for the common "who travelled" filters. */
  traveler_uuid: string | null;
  traveler_name: string | null;
  traveler_email: string | null;
  department: string | null;
  cost_center: string | null;
  region: string | null;
  subsidiary: string | null;
  billable_entity: string | null;
  origin_country: string | null;
  origin_city: string | null;
  origin_airport_code: string | null;
  destination_country: string | null;
  destination_city: string | null;
  destination_airport_code: string | null;
  currency: string | null;
  currency_exchange_rate_from_usd: Money | null;
  base_price: Money | null;
  tax: Money | null;
  vat: Money | null;
  booking_fee: Money | null;
  trip_fee: Money | null;
  net_charge: Money | null;
  grand_total: Money | null;
  usd_grand_total: Money | null;
  travel_spend: Money | null;
  optimal_price: Money | null;
  saving: Money | null;
  saving_missed: Money | null;
  payment_schedule: string | null;
  payment_method: string | null;
  company_payment_method: Flag | null;
  expensed: Flag | null;
  out_of_policy: Flag | null;
  out_of_policy_description: string | null;
  /** JSON array text; Navan's `""` for "none" is stored as `[]`. */
  out_of_policy_violation_types: string | null;
  approver_email: string | null;
  approval_status: string | null;
  /** JSON array text of trip uuids. */
  trip_uuids: string | null;
  trip_name: string | null;
  trip_description: string | null;
  trip_length: string | null;
  purpose: string | null;
  reason: string | null;
  company_office: string | null;
  invoice_url: string | null;
  pdf_url: string | null;
  flight_miles: Money | null;
  train_miles: Money | null;
  carbon_emissions: Money | null;
  carbon_offset_cost: Money | null;
}

/** Child rows are keyed by (_tenant, booking_uuid, idx); a re-synced booking replaces all its children. */
export interface BookingChildMeta {
  _tenant: string;
  booking_uuid: string;
  idx: number;
  _synced_at: Timestamp;
  _raw: string;
}

export interface BookingPassengerTable extends BookingChildMeta {
  traveler_type: string | null;
  status: string | null;
  person_uuid: string | null;
  name: string | null;
  email: string | null;
  employee_id: string | null;
  department: string | null;
  cost_center: string | null;
  region: string | null;
  subsidiary: string | null;
  manager_email: string | null;
}

export interface BookingSegmentTable extends BookingChildMeta {
  start_timestamp: Timestamp | null;
  end_timestamp: Timestamp | null;
  departure_country: string | null;
  departure_city: string | null;
  departure_airport_code: string | null;
  arrival_country: string | null;
  arrival_city: string | null;
  arrival_airport_code: string | null;
  provider_code: string | null;
  provider_name: string | null;
  flight_number: string | null;
  airline_alliance: string | null;
  hotel_chain: string | null;
  cabin: string | null;
  fare_class: string | null;
}

export interface BookingEticketTable extends BookingChildMeta {
  eticket: string | null;
}

export interface BookingCustomFieldTable extends BookingChildMeta {
  name: string | null;
  value: string | null;
}

export interface TransactionTable extends RowMeta {
  id: string;
  source_id: string | null;
  transaction_type: string | null;
  activity_type: string | null;
  authorization_date: Timestamp | null;
  posted_date: Timestamp | null;
  transaction_date: Timestamp | null;
  modified_timestamp: Timestamp | null;
  posted_amount: Money | null;
  posted_currency: string | null;
  original_amount: Money | null;
  original_currency: string | null;
  personal_amount: Money | null;
  exchange_rate: Money | null;
  fee: Money | null;
  fx_fee_amount: Money | null;
  cardholder: string | null;
  cardholder_email: string | null;
  employee_id: string | null;
  vendor_name: string | null;
  vendor_category: string | null;
  approval_status: string | null;
  policy: string | null;
  gl_code_number: string | null;
  gl_code_name: string | null;
  erp_sync_status: string | null;
  statement_id: string | null;
  department: string | null;
  cost_center: string | null;
  region: string | null;
  subsidiary: string | null;
  legal_entity: string | null;
  flagged: Flag | null;
  personal: Flag | null;
  transaction_description: string | null;
  /** JSON array text of navan booking uuids from booking_details. */
  navan_booking_uuids: string | null;
  reporting_transaction_id: string | null;
  accrued_rebate_amount: Money | null;
  rebate_type: string | null;
  /** JSON object text: custom fields as `custom_<name>` → value (Fivetran's convention). */
  custom_fields: string | null;
  /** sha256 of the canonical record; a new version is a new hash. */
  _version_hash: string;
}

/** One row per version of a transaction seen: what changed and when we saw it. */
export interface TransactionHistoryTable {
  _tenant: string;
  id: string;
  _version_hash: string;
  modified_timestamp: Timestamp | null;
  _seen_at: Timestamp;
  _raw: string;
}

export interface NavanUserTable extends RowMeta {
  id: string;
  user_name: string | null;
  given_name: string | null;
  family_name: string | null;
  email: string | null;
  employee_id: string | null;
  department: string | null;
  cost_centre: string | null;
  region: string | null;
  subsidiary: string | null;
  manager_email: string | null;
  policy_level: string | null;
  active: Flag | null;
}

/** Where an interrupted run resumes: one row per (tenant, stream, mode). */
export interface SyncCheckpointTable {
  _tenant: string;
  stream: string;
  mode: string;
  run_id: string;
  /** JSON text: the stream's own resume state (window, page, cursor, …). */
  state: string;
  updated_at: Timestamp;
}

/** Which windows of which stream are covered; gaps are caught up automatically. */
export interface SyncRangeTable {
  _tenant: string;
  stream: string;
  /** Inclusive start and exclusive end, ISO text. */
  range_start: Timestamp;
  range_end: Timestamp;
  run_id: string;
  covered_at: Timestamp;
}

/**
 * One run per tenant and stream at a time without Redis: a lease row. The holder's host and pid let
 * a restarted process take over at once from a holder that was killed, instead of waiting out the lease.
 */
export interface SyncLockTable {
  _tenant: string;
  stream: string;
  owner: string;
  host: string;
  pid: number;
  expires_at: Timestamp;
}

export interface SyncRunTable {
  id: string;
  _tenant: string;
  stream: string;
  mode: string;
  status: 'running' | 'success' | 'failure' | 'suspect' | 'interrupted';
  started_at: Timestamp;
  finished_at: Timestamp | null;
  records_read: number;
  records_written: number;
  records_quarantined: number;
  records_deleted: number;
  pages: number;
  error: string | null;
  /** JSON text: anything else worth keeping (windows, suspect-delete details). */
  details: string | null;
}

export interface QuarantineTable {
  id: Generated<number>;
  _tenant: string;
  stream: string;
  record_id: string | null;
  reason: string;
  _raw: string;
  run_id: string;
  quarantined_at: Timestamp;
}

/** Applied migrations; `namespace` lets each module (warehouse, server, erp) version its own tables. */
export interface SchemaMigrationTable {
  namespace: string;
  version: number;
  name: string;
  applied_at: ColumnType<Timestamp, Timestamp, never>;
}

export interface WarehouseDatabase {
  booking: BookingTable;
  booking_passenger: BookingPassengerTable;
  booking_segment: BookingSegmentTable;
  booking_eticket: BookingEticketTable;
  booking_custom_field: BookingCustomFieldTable;
  transaction: TransactionTable;
  transaction_history: TransactionHistoryTable;
  navan_user: NavanUserTable;
  sync_checkpoint: SyncCheckpointTable;
  sync_range: SyncRangeTable;
  sync_run: SyncRunTable;
  sync_lock: SyncLockTable;
  quarantine: QuarantineTable;
}
