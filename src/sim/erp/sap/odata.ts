import type { SapJournalEntry } from '../index.js';

/**
 * A small stand-in for the Journal Entry Item Basic OData v2 API (API_JOURNALENTRYITEMBASIC_SRV,
 * scenario SAP_COM_0087), enough to find what was posted under a reference before posting again
 * and to read the books back. Field names follow the released API as far as the reference says;
 * the rest is this simulator's reading. Only `eq` filters joined by `and` are understood.
 */

export const ODATA_BASE = '/sap/opu/odata/sap/API_JOURNALENTRYITEMBASIC_SRV';

const FILTERABLE = ['CompanyCode', 'FiscalYear', 'AccountingDocument', 'OriginalReferenceDocument', 'DocumentReferenceID', 'ReferenceDocumentType', 'GLAccount', 'AccountingDocumentType'] as const;

export type ItemRow = Record<string, string | null>;

function odataDate(isoDate: string): string {
  return `/Date(${Date.parse(`${isoDate}T00:00:00Z`)})/`;
}

/** One row per line item, as the API lists them. */
export function itemRows(entries: SapJournalEntry[]): ItemRow[] {
  return entries.flatMap((e) =>
    e.lines.map((line, i) => ({
      CompanyCode: e.companyCode,
      FiscalYear: e.fiscalYear,
      AccountingDocument: e.accountingDocument,
      AccountingDocumentItem: String(i + 1).padStart(3, '0'),
      AccountingDocumentType: e.accountingDocumentType,
      ReferenceDocumentType: e.originalReferenceDocumentType ?? null,
      OriginalReferenceDocument: e.originalReferenceDocument ?? null,
      DocumentReferenceID: e.documentReferenceId ?? null,
      AccountingDocumentHeaderText: e.documentHeaderText ?? null,
      PostingDate: odataDate(e.postingDate),
      DocumentDate: odataDate(e.documentDate),
      GLAccount: line.glAccount ?? null,
      Supplier: line.creditor ?? null,
      CostCenter: line.costCenter ?? null,
      ProfitCenter: line.profitCenter ?? null,
      AmountInTransactionCurrency: line.amount,
      TransactionCurrency: line.currency,
      DebitCreditCode: line.debitCreditCode,
      DocumentItemText: line.text ?? null,
    })),
  );
}

export type Filter = [string, string][];

/** Parses `A eq 'x' and B eq 'y'`; returns a sentence when the filter is outside what is supported. */
export function parseFilter(raw: string | undefined): Filter | string {
  if (!raw || raw.trim() === '') return [];
  const out: Filter = [];
  for (const clause of raw.split(/\s+and\s+/i)) {
    const m = /^\s*\(?\s*([A-Za-z]+)\s+eq\s+'((?:[^']|'')*)'\s*\)?\s*$/.exec(clause);
    if (!m) return `Unsupported filter clause "${clause.trim()}": use Field eq 'value' joined by and.`;
    if (!(FILTERABLE as readonly string[]).includes(m[1]!)) return `Property ${m[1]} cannot be filtered here; use one of ${FILTERABLE.join(', ')}.`;
    out.push([m[1]!, m[2]!.replace(/''/g, "'")]);
  }
  return out;
}

export function odataError(code: string, message: string): string {
  return JSON.stringify({ error: { code, message: { lang: 'en', value: message } } });
}

export interface ODataQuery {
  $filter?: string;
  $select?: string;
  $top?: string;
  $skip?: string;
  $format?: string;
  $inlinecount?: string;
}

/** The JSON answer of GET …/A_JournalEntryItemBasic, or an error sentence. */
export function queryItems(entries: SapJournalEntry[], query: ODataQuery, selfUrl: string): { status: number; body: string } {
  const filter = parseFilter(query.$filter);
  if (typeof filter === 'string') return { status: 400, body: odataError('SY/530', filter) };
  let rows = itemRows(entries).filter((r) => filter.every(([k, v]) => r[k] === v));
  const count = rows.length;
  const skip = Math.max(0, Number(query.$skip ?? 0) || 0);
  const top = query.$top === undefined ? 5000 : Math.max(0, Number(query.$top) || 0);
  rows = rows.slice(skip, skip + top);
  const select = query.$select?.split(',').map((s) => s.trim()).filter(Boolean);
  const results = rows.map((r) => {
    const key = `CompanyCode='${r.CompanyCode}',FiscalYear='${r.FiscalYear}',AccountingDocument='${r.AccountingDocument}',AccountingDocumentItem='${r.AccountingDocumentItem}'`;
    const picked = select ? Object.fromEntries(select.filter((k) => k in r).map((k) => [k, r[k]])) : r;
    return { __metadata: { id: `${selfUrl}(${key})`, uri: `${selfUrl}(${key})`, type: 'API_JOURNALENTRYITEMBASIC_SRV.A_JournalEntryItemBasicType' }, ...picked };
  });
  const d = query.$inlinecount === 'allpages' ? { __count: String(count), results } : { results };
  return { status: 200, body: JSON.stringify({ d }) };
}
