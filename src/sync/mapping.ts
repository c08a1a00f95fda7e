import { createHash } from 'node:crypto';
import type { BookingWrite, NavanUserTable, TransactionTable } from '../warehouse/index.js';

/**
 * Navan records → warehouse rows. Reads fields loosely (a record is an object of unknowns) so a
 * field Navan drops or renames becomes a null column, never a crash; the record itself is kept
 * whole in `_raw`. A record without its key is rejected with a reason, for the quarantine.
 */
export class RecordRejected extends Error {}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function str(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Money stays a decimal string; a JSON number is rendered by its shortest exact form, never summed. */
function money(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RecordRejected(`an amount is not a finite number (${v})`);
    return String(v);
  }
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return v.trim();
  throw new RecordRejected(`an amount is not a decimal number (${JSON.stringify(v)})`);
}

function int(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : null;
}

function flag(v: unknown): 0 | 1 | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'string') return v.toLowerCase() === 'true' || v === '1' ? 1 : 0;
  return v ? 1 : 0;
}

/** A key must be a non-empty string: a number or object in its place is a corrupt record. */
function key(v: unknown, what: string): string {
  if (typeof v === 'string' && v.trim() !== '') return v;
  throw new RecordRejected(v === undefined || v === null || v === '' ? `the ${what} is missing` : `the ${what} is not a string (${JSON.stringify(v)})`);
}

/** ISO-8601 UTC text; epoch numbers are seconds (Navan's segment timestamps). */
function ts(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'object' && !(v instanceof Date)) throw new RecordRejected(`a timestamp is not a date (${JSON.stringify(v)})`);
  const d = v instanceof Date ? v : typeof v === 'number' ? new Date(v < 1e12 ? v * 1000 : v) : new Date(String(v));
  return Number.isNaN(d.getTime()) ? str(v) : d.toISOString();
}

function list(v: unknown): string {
  return JSON.stringify(Array.isArray(v) ? v : []);
}

/** Canonical JSON (sorted keys), so the same record always hashes the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return `{${Object.keys(v as Obj).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Obj)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

function rawText(raw: unknown, record: unknown): string {
  return JSON.stringify(raw ?? record);
}

export function bookingToRows(tenant: string, record: unknown, raw: unknown, syncedAt: string): BookingWrite {
  const b = obj(record);
  const uuid = key(b.uuid, 'booking uuid');
  const passengers = arr(b.passengers).map(obj);
  const traveler = obj(passengers[0]?.person);
  const booker = obj(b.booker);
  const who = Object.keys(traveler).length ? traveler : booker;
  const origin = obj(b.origin);
  const destination = obj(b.destination);
  // Rows are written as plain literals: spreading a shared prefix into wide objects was 5x slower.
  const raw_ = (r: unknown) => JSON.stringify(r ?? null);
  return {
    booking: {
      _tenant: tenant,
      _synced_at: syncedAt,
      _deleted: 0,
      _raw: rawText(raw, record),
      uuid,
      booking_id: str(b.bookingId),
      confirmation_number: str(b.confirmationNumber),
      pcc: str(b.pcc),
      booking_type: str(b.bookingType),
      booking_status: str(b.bookingStatus),
      created: ts(b.created),
      last_modified: ts(b.lastModified),
      cancelled_at: ts(b.cancelledAt),
      cancellation_reason: str(b.cancellationReason),
      vendor: str(b.vendor),
      preferred_vendor: flag(b.preferredVendor),
      cabin: str(b.cabin),
      fare_class: str(b.fareClass),
      inventory: str(b.inventory),
      booking_method: str(b.bookingMethod),
      start_date: str(b.startDate),
      end_date: str(b.endDate),
      booking_duration: int(b.bookingDuration),
      lead_time_in_days: int(b.leadTimeInDays),
      booker_uuid: str(booker.uuid),
      booker_name: str(booker.name),
      booker_email: str(booker.email),
      traveler_uuid: str(traveler.uuid),
      traveler_name: str(traveler.name),
      traveler_email: str(traveler.email),
      department: str(who.department),
      cost_center: str(who.costCenter),
      region: str(who.region),
      subsidiary: str(who.subsidiary),
      billable_entity: str(who.billableEntity),
      origin_country: str(origin.country),
      origin_city: str(origin.city),
      origin_airport_code: str(origin.airportCode),
      destination_country: str(destination.country),
      destination_city: str(destination.city),
      destination_airport_code: str(destination.airportCode),
      currency: str(b.currency),
      // Navan's field name has this typo; the fixed spelling is accepted in case they correct it.
      currency_exchange_rate_from_usd: money(b.currencyExhangeRateFromUsd ?? b.currencyExchangeRateFromUsd),
      base_price: money(b.basePrice),
      tax: money(b.tax),
      vat: money(b.vat),
      booking_fee: money(b.bookingFee),
      trip_fee: money(b.tripFee),
      net_charge: money(b.netCharge),
      grand_total: money(b.grandTotal),
      usd_grand_total: money(b.usdGrandTotal),
      travel_spend: money(b.travelSpend),
      optimal_price: money(b.optimalPrice),
      saving: money(b.saving),
      saving_missed: money(b.savingMissed),
      payment_schedule: str(b.paymentSchedule),
      payment_method: str(b.paymentMethod),
      company_payment_method: flag(b.companyPaymentMethod),
      expensed: flag(b.expensed),
      out_of_policy: flag(b.outOfPolicy),
      out_of_policy_description: str(b.outOfPolicyDescription),
      out_of_policy_violation_types: list(b.outOfPolicyViolationTypes),
      approver_email: str(b.approverEmail),
      approval_status: str(b.approvalStatus),
      trip_uuids: list(b.tripUuids),
      trip_name: str(b.tripName),
      trip_description: str(b.tripDescription),
      trip_length: str(b.tripLength),
      purpose: str(b.purpose),
      reason: str(b.reason),
      company_office: str(b.companyOffice),
      invoice_url: str(typeof b.invoice === 'object' ? obj(b.invoice).url ?? b.invoice : b.invoice),
      pdf_url: str(typeof b.pdf === 'object' ? obj(b.pdf).url ?? b.pdf : b.pdf),
      flight_miles: money(b.flightMiles),
      train_miles: money(b.trainMiles),
      carbon_emissions: money(b.carbonEmissions),
      carbon_offset_cost: money(b.carbonOffsetCost),
    },
    passengers: passengers.map((p, idx) => {
      const person = obj(p.person);
      return {
        _tenant: tenant, booking_uuid: uuid, idx, _synced_at: syncedAt, _raw: raw_(p),
        traveler_type: str(p.travelerType),
        status: str(p.status),
        person_uuid: str(person.uuid),
        name: str(person.name),
        email: str(person.email),
        // Navan spells it "employeedId".
        employee_id: str(person.employeedId ?? person.employeeId),
        department: str(person.department),
        cost_center: str(person.costCenter),
        region: str(person.region),
        subsidiary: str(person.subsidiary),
        manager_email: str(person.managerEmail),
      };
    }),
    segments: arr(b.segments).map(obj).map((s, idx) => {
      const dep = obj(s.departure);
      const arrival = obj(s.arrival);
      return {
        _tenant: tenant, booking_uuid: uuid, idx, _synced_at: syncedAt, _raw: raw_(s),
        start_timestamp: ts(s.startTimestamp),
        end_timestamp: ts(s.endTimestamp),
        departure_country: str(dep.country),
        departure_city: str(dep.city),
        departure_airport_code: str(dep.airportCode),
        arrival_country: str(arrival.country),
        arrival_city: str(arrival.city),
        arrival_airport_code: str(arrival.airportCode),
        provider_code: str(s.providerCode),
        provider_name: str(s.providerName),
        flight_number: str(s.flightNumber),
        airline_alliance: str(s.airlineAlliance),
        hotel_chain: str(s.hotelChain),
        cabin: str(s.cabin),
        fare_class: str(s.fareClass),
      };
    }),
    etickets: arr(b.etickets).map((e, idx) => ({ _tenant: tenant, booking_uuid: uuid, idx, _synced_at: syncedAt, _raw: raw_(e), eticket: str(typeof e === 'object' ? obj(e).number ?? e : e) })),
    customFields: arr(b.customFields).map(obj).map((c, idx) => ({ _tenant: tenant, booking_uuid: uuid, idx, _synced_at: syncedAt, _raw: raw_(c), name: str(c.name), value: str(c.value) })),
  };
}

export function transactionToRow(tenant: string, record: unknown, raw: unknown, syncedAt: string): TransactionTable {
  const t = obj(record);
  const id = key(t.id, 'transaction id');
  const custom: Record<string, unknown> = {};
  for (const f of arr(t.custom_field_values).map(obj)) {
    const name = str(f.name) ?? str(f.label);
    if (name) custom[`custom_${name}`] = f.value ?? null;
  }
  const rawJson = rawText(raw, record);
  return {
    _tenant: tenant,
    _synced_at: syncedAt,
    _deleted: 0,
    _raw: rawJson,
    id,
    source_id: str(t.source_id),
    transaction_type: str(t.transaction_type),
    activity_type: str(t.activity_type),
    authorization_date: ts(t.authorization_date),
    posted_date: ts(t.posted_date),
    transaction_date: ts(t.transaction_date),
    modified_timestamp: ts(t.modified_timestamp),
    posted_amount: money(t.posted_amount),
    posted_currency: str(t.posted_currency),
    original_amount: money(t.original_amount),
    original_currency: str(t.original_currency),
    personal_amount: money(t.personal_amount),
    exchange_rate: money(t.exchange_rate),
    fee: money(t.fee),
    fx_fee_amount: money(t.fx_fee_amount),
    cardholder: str(t.cardholder),
    cardholder_email: str(t.cardholder_email),
    employee_id: str(t.employee_id),
    vendor_name: str(t.vendor_name),
    vendor_category: str(t.vendor_category),
    approval_status: str(t.approval_status),
    policy: str(t.policy),
    gl_code_number: str(t.gl_code_number),
    gl_code_name: str(t.gl_code_name),
    erp_sync_status: str(t.erp_sync_status),
    statement_id: str(t.statement_id),
    department: str(t.department),
    cost_center: str(t.cost_center),
    region: str(t.region),
    subsidiary: str(t.subsidiary),
    legal_entity: str(t.legal_entity),
    flagged: flag(t.flagged),
    personal: flag(t.personal),
    transaction_description: str(t.transaction_description),
    navan_booking_uuids: list(obj(t.booking_details).navan_booking_uuids),
    reporting_transaction_id: str(t.reporting_transaction_id),
    accrued_rebate_amount: money(t.accrued_rebate_amount),
    rebate_type: str(t.rebate_type),
    custom_fields: JSON.stringify(custom),
    _version_hash: createHash('sha256').update(canonicalJson(raw ?? record)).digest('hex'),
  };
}

export function userToRow(tenant: string, record: unknown, raw: unknown, syncedAt: string): NavanUserTable {
  const u = obj(record);
  const id = key(u.id, 'user id');
  const name = obj(u.name);
  const emails = arr(u.emails).map(obj);
  const email = str(u.email) ?? str((emails.find((e) => e.primary) ?? emails[0])?.value);
  return {
    _tenant: tenant,
    _synced_at: syncedAt,
    _deleted: 0,
    _raw: rawText(raw, record),
    id,
    user_name: str(u.userName),
    given_name: str(name.givenName ?? u.givenName),
    family_name: str(name.familyName ?? u.familyName),
    email,
    employee_id: str(u.employeeId),
    department: str(u.department),
    cost_centre: str(u.costCentre ?? u.costCenter),
    region: str(u.region),
    subsidiary: str(u.subsidiary),
    manager_email: str(u.managerEmail),
    policy_level: str(u.policyLevel),
    active: flag(u.active),
  };
}
