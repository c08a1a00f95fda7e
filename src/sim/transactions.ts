import { LRUCache } from 'lru-cache';
import { Rng, UUID_DRAWS, fraction, indexFromUuid, indexedUuid } from './rng.js';
import { compareKey, indexArray, indexRange, lowerBound, mergedSlice, type IndexSeq } from './listing.js';
import type { BookingGenerator } from './booking-generator.js';
import type { UserDirectory } from './users.js';
import { DAY_MS, GL_CODES, MERCHANTS, USD_RATES, isoDate, moneyString } from './world.js';

export type Transaction = Record<string, unknown> & { id: string; transaction_type: string; modified_timestamp: string };

/** List endpoints under /v1/expense/ and the transaction_type each one returns. */
export const TRANSACTION_LISTS: Record<string, string | undefined> = {
  transactions: undefined,
  'card-transactions': 'CARD',
  'connect-transactions': 'CONNECT',
  'manual-transactions': 'MANUAL',
  repayments: 'REPAYMENT',
  fees: 'FEE',
  adjustments: 'ADJUSTMENT',
  'daily-rebates': 'DAILY_REBATE',
  disputes: 'DISPUTE',
  'statement-payments': 'STATEMENT_PAYMENT',
};

const TYPE_WEIGHTS: [string, number][] = [
  ['CARD', 70], ['MANUAL', 10], ['CONNECT', 8], ['REPAYMENT', 3], ['FEE', 3], ['ADJUSTMENT', 2], ['DAILY_REBATE', 2], ['DISPUTE', 1], ['STATEMENT_PAYMENT', 1],
];

/** Transactions are modified over the year before the anchor. */
export const TRANSACTION_HISTORY_MS = 365 * DAY_MS;
const STREAM_TXN = 0x7a11;
const STREAM_MODIFIED = 0x30d1;

export interface TransactionQuery {
  /** Modification window, ms: from inclusive, to exclusive. */
  fromMs?: number;
  toMs?: number;
  type?: string;
  /** Resume after this (modified, id). */
  after?: { ms: number; id: string };
  pageSize: number;
  now: number;
  delayMs: number;
}

interface Version {
  record: Transaction;
  modifiedMs: number;
}

interface Overlay {
  /** Index of the generated record this overlay changes; absent for created transactions. */
  base?: number;
  versions: Version[];
}

/**
 * Expense transactions: generated from (seed, index) with `modified_timestamp` increasing with
 * the index, plus every version written through the control plane. A change is listed only once
 * the clock passes its modified_timestamp plus the visibility delay; until then the previous
 * version (if any) is what the API shows, as on the real API.
 */
export class TransactionStore {
  readonly #overlays = new Map<string, Overlay>();
  readonly #overlaidIndexes = new Map<number, Overlay>();
  readonly #base: number;
  readonly #stepMs: number;
  #nextIndex: number;
  readonly #matches = new LRUCache<string, Int32Array>({ max: 16 });

  constructor(
    private readonly seed: number,
    readonly count: number,
    anchor: number,
    private readonly users: UserDirectory,
    private readonly bookings: BookingGenerator,
  ) {
    this.#base = anchor - TRANSACTION_HISTORY_MS;
    this.#stepMs = TRANSACTION_HISTORY_MS / Math.max(1, count);
    this.#nextIndex = count;
  }

  modifiedMs(i: number): number {
    return this.#base + Math.floor((i + 0.05 + 0.9 * fraction(this.seed, STREAM_MODIFIED, i)) * this.#stepMs);
  }

  id(i: number): string {
    return indexedUuid(Rng.for(this.seed, STREAM_TXN, i), i);
  }

  type(i: number): string {
    const rng = Rng.for(this.seed, STREAM_TXN, i);
    rng.skip(UUID_DRAWS);
    return rng.weighted(TYPE_WEIGHTS);
  }

  generated(i: number, modifiedMs = this.modifiedMs(i)): Transaction {
    const rng = Rng.for(this.seed, STREAM_TXN, i);
    const id = indexedUuid(rng, i);
    const type = rng.weighted(TYPE_WEIGHTS);
    const txnMs = modifiedMs - rng.range(0, 20) * DAY_MS - rng.int(DAY_MS);
    const linked = type === 'CARD' && this.bookings.count > 0 && rng.chance(0.3);
    const bookingIdx = linked ? Math.max(0, Math.min(this.bookings.count - 1, lowerBound(this.bookings.count, (k) => this.bookings.createdMs(k) >= txnMs) - 1 - rng.int(50))) : -1;
    const userIdx = linked ? this.bookings.travelerIndex(bookingIdx) : rng.int(this.users.count);
    const user = this.users.user(userIdx);
    const [vendor, category] = linked ? rng.pick(MERCHANTS.filter(([, c]) => ['AIRLINES', 'LODGING', 'CAR_RENTAL', 'RAIL'].includes(c))) : rng.pick(MERCHANTS);
    const currency = rng.chance(0.85) ? 'USD' : rng.pick(['EUR', 'GBP', 'CAD']);
    const rate = USD_RATES[currency] ?? 1;
    const sign = type === 'REPAYMENT' || type === 'DAILY_REBATE' || (type === 'ADJUSTMENT' && rng.chance(0.5)) ? -1 : 1;
    const usd = sign * (type === 'FEE' ? rng.range(1, 40) : rng.range(300, 250_000) / 100);
    const original = usd * rate;
    const personal = rng.chance(0.04);
    const fx = currency === 'USD' ? 0 : Math.abs(usd) * 0.02;
    const [glNumber, glName] = rng.pick(GL_CODES);
    const projectCode = `P-${rng.range(100, 999)}`;
    const billable = rng.chance(0.1);
    const approval = rng.weighted([['APPROVED', 6], ['AUTO_APPROVED', 3], ['PENDING', 1], ['REJECTED', 0.3]]);
    const postedMs = txnMs + rng.range(0, 3) * DAY_MS;
    const statementMonth = new Date(postedMs).toISOString().slice(0, 7).replace('-', '');
    return {
      id,
      source_id: `src_${rng.hex(16)}`,
      transaction_type: type,
      activity_type: sign < 0 ? 'REFUND' : rng.weighted([['PURCHASE', 9], ['ATM', 0.2], ['TRANSFER', 0.5]]),
      authorization_date: new Date(txnMs).toISOString(),
      posted_date: new Date(postedMs).toISOString(),
      transaction_date: isoDate(txnMs),
      modified_timestamp: new Date(modifiedMs).toISOString(),
      posted_amount: moneyString(usd),
      posted_currency: 'USD',
      original_amount: moneyString(original),
      original_currency: currency,
      personal_amount: personal ? moneyString(usd) : '0.00',
      exchange_rate: (1 / rate).toFixed(6),
      fee: type === 'FEE' ? moneyString(usd) : '0.00',
      fx_fee_amount: moneyString(fx),
      cardholder: `${user.name.givenName} ${user.name.familyName}`,
      cardholder_email: user.userName,
      employee_id: user.employeeId,
      vendor_name: vendor,
      vendor_category: category,
      approval_status: approval,
      policy: `${user.policyLevel} expense policy`,
      gl_code_number: glNumber,
      gl_code_name: glName,
      erp_sync_status: rng.weighted([['SYNCED', 7], ['NOT_SYNCED', 2.7], ['FAILED', 0.3]]),
      statement_id: `stmt_${statementMonth}_${user.employeeId}`,
      department: user.department,
      cost_center: user.costCentre,
      region: user.region,
      subsidiary: user.subsidiary,
      legal_entity: user.subsidiary,
      flagged: rng.chance(0.03),
      personal,
      receipt: rng.chance(0.8) ? { attached: true, url: `https://receipts.navan.example/${id}.jpg` } : { attached: false, url: null },
      participants: rng.chance(0.15) ? [{ name: `${user.name.givenName} ${user.name.familyName}`, email: user.userName }] : [],
      transaction_description: `${vendor} ${category.toLowerCase().replace('_', ' ')}`,
      line_items: [{ description: vendor, amount: moneyString(usd), gl_code_number: glNumber }],
      tax_details: { tax_amount: moneyString(usd * 0.07), tax_rate: '0.0700', tax_code: 'STANDARD' },
      booking_details: { navan_booking_uuids: linked ? [this.bookings.uuid(bookingIdx)] : [] },
      custom_field_values: [
        { name: 'project_code', label: 'Project code', value: projectCode, displayValue: `Project ${projectCode}` },
        { name: 'billable', label: 'Billable to client', value: String(billable), displayValue: billable ? 'Yes' : 'No' },
      ],
      reporting_transaction_id: `rpt_${rng.hex(12)}`,
      vcf_transaction_reference_number: type === 'CARD' ? rng.digits(23) : null,
      accrued_rebate_amount: type === 'CARD' ? moneyString(Math.abs(usd) * 0.01) : '0.00',
      rebate_type: type === 'CARD' ? 'CASHBACK' : null,
    };
  }

  /** The current version, ignoring the visibility delay (what GET /v1/expense/transactions/{id} and the truth show). */
  get(id: string): Transaction | undefined {
    const overlay = this.#overlays.get(id);
    if (overlay) return overlay.versions[overlay.versions.length - 1]!.record;
    const i = this.#generatedIndex(id);
    return i === undefined ? undefined : this.generated(i);
  }

  create(fields: Record<string, unknown>, now: number): Transaction {
    const i = this.#nextIndex++;
    const base = this.generated(i, now);
    const id = typeof fields.id === 'string' && fields.id ? fields.id : base.id;
    const record = { ...base, ...fields, id, modified_timestamp: new Date(now).toISOString() } as Transaction;
    this.#overlays.set(id, { versions: [{ record, modifiedMs: now }] });
    return record;
  }

  patch(id: string, fields: Record<string, unknown>, now: number): Transaction | undefined {
    const current = this.get(id);
    if (!current) return undefined;
    let overlay = this.#overlays.get(id);
    if (!overlay) {
      const base = this.#generatedIndex(id)!;
      overlay = { base, versions: [] };
      this.#overlays.set(id, overlay);
      this.#overlaidIndexes.set(base, overlay);
    }
    const { id: _id, ...rest } = fields;
    const record = { ...current, ...rest, id, modified_timestamp: new Date(now).toISOString() } as Transaction;
    overlay.versions.push({ record, modifiedMs: now });
    return record;
  }

  query(q: TransactionQuery): { records: Transaction[]; hasNext: boolean; hasPrevious: boolean; next?: { ms: number; id: string } } {
    const visibleUntil = q.now - q.delayMs;
    const gen = this.#generatedMatches(q, visibleUntil);
    const extras: Version[] = [];
    for (const overlay of this.#overlays.values()) {
      const v = latestVisible(overlay, visibleUntil);
      if (!v) continue;
      if (q.fromMs !== undefined && v.modifiedMs < q.fromMs) continue;
      if (q.toMs !== undefined && v.modifiedMs >= q.toMs) continue;
      if (q.type && v.record.transaction_type !== q.type) continue;
      extras.push(v);
    }
    extras.sort((a, b) => compareKey(a.modifiedMs, a.record.id, b.modifiedMs, b.record.id));
    // Ids are only computed on a tie of times, which is rare: generating one costs a little.
    const cmpGen = (i: number, ms: number, id: string) => {
      const m = this.modifiedMs(i);
      return m !== ms ? m - ms : compareKey(0, this.id(i), 0, id);
    };
    const insertAt = extras.map((e) => lowerBound(gen.length, (k) => cmpGen(gen.at(k), e.modifiedMs, e.record.id) > 0));
    let start = 0;
    if (q.after) {
      const { ms, id } = q.after;
      start = lowerBound(gen.length, (k) => cmpGen(gen.at(k), ms, id) > 0) + lowerBound(extras.length, (k) => compareKey(extras[k]!.modifiedMs, extras[k]!.record.id, ms, id) > 0);
    }
    const total = gen.length + extras.length;
    const refs = mergedSlice(gen, extras, insertAt, start, start + q.pageSize);
    const records = refs.map((r) => ('gen' in r ? this.generated(r.gen) : r.extra.record));
    const hasNext = start + refs.length < total;
    const last = records[records.length - 1];
    return { records, hasNext, hasPrevious: start > 0, next: hasNext && last ? { ms: Date.parse(last.modified_timestamp), id: last.id } : undefined };
  }

  /** Every transaction's current version ordered by id (the truth ignores the visibility delay). */
  *all(): Generator<Transaction> {
    const entries: { id: string; i: number }[] = [];
    for (let i = 0; i < this.count; i++) if (!this.#overlaidIndexes.has(i)) entries.push({ id: this.id(i), i });
    for (const [id, overlay] of this.#overlays) entries.push({ id, i: overlay.base ?? -1 });
    entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const e of entries) {
      const overlay = this.#overlays.get(e.id);
      yield overlay ? overlay.versions[overlay.versions.length - 1]!.record : this.generated(e.i);
    }
  }

  /** Custom fields as used in custom_field_values, for GET /v1/expense/custom-fields. */
  customFields(): unknown[] {
    return [
      { name: 'project_code', label: 'Project code', type: 'TEXT', required: false },
      { name: 'billable', label: 'Billable to client', type: 'BOOLEAN', required: false },
    ];
  }

  glCodes(): unknown[] {
    return GL_CODES.map(([number, name]) => ({ gl_code_number: number, gl_code_name: name, active: true }));
  }

  #generatedIndex(id: string): number | undefined {
    const i = indexFromUuid(id);
    if (i === undefined || i >= this.count) return undefined;
    return this.id(i) === id ? i : undefined;
  }

  #generatedMatches(q: TransactionQuery, visibleUntil: number): IndexSeq {
    const n = this.count;
    const bound = (ms: number) => lowerBound(n, (k) => this.modifiedMs(k) >= ms);
    const lo = q.fromMs === undefined ? 0 : bound(q.fromMs);
    const hi = Math.min(q.toMs === undefined ? n : bound(q.toMs), bound(visibleUntil + 1));
    // An index whose overlay has a visible version is listed at the new version's place instead.
    const replaced = [...this.#overlaidIndexes].filter(([i, o]) => i >= lo && i < hi && latestVisible(o, visibleUntil)).map(([i]) => i);
    if (!q.type && replaced.length === 0) return indexRange(lo, hi);
    const key = JSON.stringify([lo, hi, q.type, replaced]);
    const cached = this.#matches.get(key);
    if (cached) return indexArray(cached);
    const skip = new Set(replaced);
    const out: number[] = [];
    for (let i = lo; i < hi; i++) if (!skip.has(i) && (!q.type || this.type(i) === q.type)) out.push(i);
    const arr = Int32Array.from(out);
    this.#matches.set(key, arr);
    return indexArray(arr);
  }
}

function latestVisible(overlay: Overlay, visibleUntil: number): Version | undefined {
  for (let k = overlay.versions.length - 1; k >= 0; k--) if (overlay.versions[k]!.modifiedMs <= visibleUntil) return overlay.versions[k];
  return undefined;
}
