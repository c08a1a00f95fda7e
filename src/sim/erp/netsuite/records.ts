import { Decimal } from 'decimal.js';
import type { NetSuiteMasterData, NetSuiteRecordType } from '../index.js';
import { userError, type NetSuiteErrorDetail } from './errors.js';

/**
 * Validation of the two record types the connector posts, strict like a NetSuite account:
 * only known fields, known internal ids, real dates, amounts with at most two decimals, and
 * journal entries whose debits equal their credits exactly.
 */

export type MasterSets = Record<keyof NetSuiteMasterData, Set<string>>;

export const EXTERNAL_ID = /^[A-Za-z0-9_-]{1,255}$/;

const REF_FIELDS: Record<string, keyof NetSuiteMasterData> = {
  account: 'accounts',
  department: 'departments',
  class: 'classes',
  location: 'locations',
  subsidiary: 'subsidiaries',
  entity: 'vendors',
  currency: 'currencies',
};

interface Shape {
  header: string[];
  required: string[];
  sublist: 'line' | 'expense';
  lineFields: string[];
}

const SHAPES: Record<NetSuiteRecordType, Shape> = {
  journalentry: {
    header: ['externalId', 'subsidiary', 'currency', 'tranDate', 'memo', 'line', 'exchangeRate', 'postingPeriod', 'reversalDate', 'reversalDefer', 'approved', 'approvalStatus', 'tranId', 'customForm'],
    required: ['subsidiary', 'line'],
    sublist: 'line',
    lineFields: ['account', 'debit', 'credit', 'memo', 'department', 'class', 'location', 'entity'],
  },
  vendorbill: {
    header: ['externalId', 'entity', 'subsidiary', 'currency', 'tranDate', 'dueDate', 'memo', 'expense', 'account', 'exchangeRate', 'postingPeriod', 'approvalStatus', 'tranId', 'customForm'],
    required: ['entity', 'subsidiary', 'expense'],
    sublist: 'expense',
    lineFields: ['account', 'amount', 'memo', 'department', 'class', 'location'],
  },
};

const REF_LINE_FIELDS = ['account', 'department', 'class', 'location', 'entity'];

export function isRecordType(type: string): type is NetSuiteRecordType {
  return type === 'journalentry' || type === 'vendorbill';
}

/** A real calendar date written YYYY-MM-DD. */
export function isIsoDate(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

function invalidValue(value: unknown, field: string, path?: string): NetSuiteErrorDetail {
  const shown = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return userError(`Error while accessing a resource. Invalid Field Value ${shown} for the following field: ${field}.`, path, 'USER_ERROR');
}

/** Checks `{id}` against the master data; returns an error or undefined. */
function checkRef(value: unknown, field: string, master: MasterSets, path: string): NetSuiteErrorDetail | undefined {
  const id = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { id?: unknown }).id : undefined;
  if (typeof id !== 'string' && typeof id !== 'number') return invalidValue(value, field, path);
  const set = master[REF_FIELDS[field]!];
  return set.has(String(id)) ? undefined : invalidValue(id, field, path);
}

/** A money amount: a JSON number or numeric string, at most two decimals. */
export function parseAmount(value: unknown): Decimal | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  if (typeof value === 'number' && !Number.isFinite(value)) return undefined;
  const text = String(value).trim();
  if (!/^-?\d+(\.\d{1,2})?$/.test(text)) return undefined;
  return new Decimal(text);
}

function isCustomField(name: string, prefix: 'custbody' | 'custcol'): boolean {
  return name.startsWith(prefix);
}

function unknownField(name: string, path?: string): NetSuiteErrorDetail {
  return userError(`Error while accessing a resource. Invalid field name: ${name}. The field does not exist on this record.`, path ?? name);
}

/** Accounting period "YYYY-MM" of a date. */
export function periodOf(date: string): string {
  return date.slice(0, 7);
}

export interface RecordChecks {
  master: MasterSets;
  closedPeriods: Set<string>;
}

/** All problems with a record body, in NetSuite's error detail shape (empty when it is valid). */
export function validateRecord(type: NetSuiteRecordType, body: Record<string, unknown>, checks: RecordChecks): NetSuiteErrorDetail[] {
  const shape = SHAPES[type];
  const errors: NetSuiteErrorDetail[] = [];
  for (const name of Object.keys(body)) {
    if (!shape.header.includes(name) && !isCustomField(name, 'custbody')) errors.push(unknownField(name));
  }
  for (const name of shape.required) {
    if (body[name] === undefined || body[name] === null) errors.push(userError(`Please enter value(s) for: ${name}`, name));
  }
  if (body.externalId !== undefined && (typeof body.externalId !== 'string' || !EXTERNAL_ID.test(body.externalId))) {
    errors.push(userError(`Invalid externalId value ${JSON.stringify(body.externalId)}: use letters, digits, "_" and "-" only.`, 'externalId'));
  }
  for (const field of ['subsidiary', 'currency', 'entity', 'account'] as const) {
    if (body[field] === undefined || !shape.header.includes(field)) continue;
    const e = checkRef(body[field], field, checks.master, field);
    if (e) errors.push(e);
  }
  for (const field of ['tranDate', 'dueDate', 'reversalDate'] as const) {
    if (body[field] !== undefined && !isIsoDate(body[field])) errors.push(invalidValue(body[field], field, field));
  }
  if (isIsoDate(body.tranDate) && checks.closedPeriods.has(periodOf(body.tranDate))) {
    errors.push(userError(`The accounting period ${periodOf(body.tranDate)} is closed. Choose a date in an open period.`, 'tranDate'));
  }
  errors.push(...validateLines(type, body[shape.sublist], checks.master));
  return errors;
}

function validateLines(type: NetSuiteRecordType, sublist: unknown, master: MasterSets): NetSuiteErrorDetail[] {
  if (sublist === undefined || sublist === null) return [];
  const shape = SHAPES[type];
  const items = typeof sublist === 'object' && !Array.isArray(sublist) ? (sublist as { items?: unknown }).items : undefined;
  if (!Array.isArray(items) || items.length === 0) return [userError(`Provide the sublist as {"items": [...]} with at least one line.`, shape.sublist)];
  const errors: NetSuiteErrorDetail[] = [];
  let debits = new Decimal(0);
  let credits = new Decimal(0);
  items.forEach((raw, i) => {
    const path = `${shape.sublist}.items[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      errors.push(userError('Each line must be a JSON object.', path));
      return;
    }
    const line = raw as Record<string, unknown>;
    for (const name of Object.keys(line)) {
      if (!shape.lineFields.includes(name) && !isCustomField(name, 'custcol')) errors.push(unknownField(name, `${path}.${name}`));
    }
    if (line.account === undefined) errors.push(userError('Please enter value(s) for: Account', path));
    for (const field of REF_LINE_FIELDS) {
      if (line[field] === undefined || !shape.lineFields.includes(field)) continue;
      const e = checkRef(line[field], field, master, path);
      if (e) errors.push(e);
    }
    if (type === 'vendorbill') {
      const amount = parseAmount(line.amount);
      if (!amount || amount.isZero()) errors.push(invalidValue(line.amount, 'amount', path));
      return;
    }
    const hasDebit = line.debit !== undefined && line.debit !== null;
    const hasCredit = line.credit !== undefined && line.credit !== null;
    if (hasDebit === hasCredit) {
      errors.push(userError('Each journal line needs exactly one of debit or credit.', path));
      return;
    }
    const field = hasDebit ? 'debit' : 'credit';
    const amount = parseAmount(line[field]);
    if (!amount || amount.lte(0)) {
      errors.push(invalidValue(line[field], field, path));
      return;
    }
    if (hasDebit) debits = debits.plus(amount);
    else credits = credits.plus(amount);
  });
  if (type === 'journalentry' && errors.length === 0 && !debits.equals(credits)) {
    errors.push(userError(`The transaction is out of balance: total debits ${debits.toFixed(2)} do not equal total credits ${credits.toFixed(2)}.`, 'line'));
  }
  return errors;
}
