import { createHash, randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { XMLParser } from 'fast-xml-parser';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import type { Handler, Middleware, NavanResponse } from '../shared/http.js';
import type { Secret } from '../shared/secret.js';
import { journalLines } from './documents.js';
import { ErpAuthError, ErpDocumentRejectedError, ErpUnavailableError } from './errors.js';
import { sendToErp } from './gateway.js';
import type { ErpDocument } from './model.js';
import type { ErpTarget, Posted } from './target.js';

export const SAP_POST_PATH = '/sap/bc/srt/scs_ext/sap/journalentrycreaterequestconfi';
export const SAP_READ_PATH = '/sap/opu/odata/sap/API_JOURNALENTRYITEMBASIC_SRV';
const SOAP_ACTION = 'http://sap.com/xi/SAPSCORE/SFIN/JournalEntryCreateRequestConfirmation_In/JournalEntryCreateRequestConfirmation_InRequest';

export interface SapTargetOptions {
  tenant: string;
  /** The -api host origin, e.g. https://my123456-api.s4hana.cloud.sap */
  baseUrl: string;
  user: string;
  logicalSystem: string;
  concurrency: number;
  handler: Handler;
  clock?: Clock;
}

/** Basic auth of the communication user, added on the wire only (the request log never sees headers). */
export function sapAuth(user: string, password: Secret): Middleware {
  return (req, next) => next({ ...req, headers: { ...req.headers, authorization: `Basic ${Buffer.from(`${user}:${password.reveal()}`).toString('base64')}` } });
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** G/L accounts are 10 digits, zero-padded; so are numeric cost centers. */
const pad10 = (s: string) => (/^\d{1,10}$/.test(s) ? s.padStart(10, '0') : s);
const parser = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true, parseTagValue: false, isArray: (name, jpath) => name === 'Item' || String(jpath).endsWith('JournalEntryBulkCreateConfirmation.JournalEntryCreateConfirmation') });

/**
 * SAP S/4HANA Cloud, "Journal Entry – Post (Synchronous)". SAP takes a second identical document
 * without complaint, so every document carries our reference in OriginalReferenceDocument and we
 * read it back (Journal Entry Item Basic) before posting under it again. Posted documents are
 * never changed: a correction is a reversal plus a new document.
 */
export function createSapTarget(o: SapTargetOptions): ErpTarget {
  const clock = o.clock ?? systemClock;
  const label = 'SAP S/4HANA';

  const envelope = (doc: ErpDocument, reference: string, reversal: boolean): string => {
    const now = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const items = journalLines(doc).map((j, i) => {
      // Debits positive with S, credits negative with H; a reversal swaps both.
      const debit = (j.debit !== undefined) !== reversal;
      const amount = new Decimal(j.debit ?? j.credit!);
      const text = j.line ? j.line.memo : `Navan ${doc.funding.key}`;
      const costCenter = j.line?.costCenter;
      return [
        '<Item>',
        `<ReferenceDocumentItem>${i + 1}</ReferenceDocumentItem>`,
        `<GLAccount>${xml(pad10(j.account))}</GLAccount>`,
        `<AmountInTransactionCurrency currencyCode="${xml(doc.currency)}">${debit ? amount.toFixed(2) : amount.negated().toFixed(2)}</AmountInTransactionCurrency>`,
        `<DebitCreditCode>${debit ? 'S' : 'H'}</DebitCreditCode>`,
        `<DocumentItemText>${xml(text.slice(0, 50))}</DocumentItemText>`,
        costCenter ? `<AccountAssignment><CostCenter>${xml(pad10(costCenter))}</CostCenter></AccountAssignment>` : '',
        '</Item>',
      ].join('');
    });
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sfin="http://sap.com/xi/SAPSCORE/SFIN"><soapenv:Header/><soapenv:Body>',
      '<sfin:JournalEntryBulkCreateRequest>',
      `<MessageHeader><ID>${randomUUID().replace(/-/g, '')}</ID><CreationDateTime>${now}</CreationDateTime></MessageHeader>`,
      '<JournalEntryCreateRequest>',
      `<MessageHeader><ID>${reference}</ID><CreationDateTime>${now}</CreationDateTime></MessageHeader>`,
      '<JournalEntry>',
      '<OriginalReferenceDocumentType>BKPFF</OriginalReferenceDocumentType>',
      `<OriginalReferenceDocument>${reference}</OriginalReferenceDocument>`,
      `<OriginalReferenceDocumentLogicalSystem>${xml(o.logicalSystem)}</OriginalReferenceDocumentLogicalSystem>`,
      '<BusinessTransactionType>RFBU</BusinessTransactionType>',
      '<AccountingDocumentType>SA</AccountingDocumentType>',
      `<DocumentReferenceID>${reference.slice(-16)}</DocumentReferenceID>`,
      `<DocumentHeaderText>${xml(`${reversal ? 'Reversal ' : ''}Navan ${doc.date}`.slice(0, 25))}</DocumentHeaderText>`,
      `<CreatedByUser>${xml(o.user.slice(0, 12))}</CreatedByUser>`,
      `<CompanyCode>${xml(doc.companyCode ?? '')}</CompanyCode>`,
      `<DocumentDate>${doc.date}</DocumentDate>`,
      `<PostingDate>${doc.date}</PostingDate>`,
      ...items,
      '</JournalEntry>',
      '</JournalEntryCreateRequest>',
      '</sfin:JournalEntryBulkCreateRequest>',
      '</soapenv:Body></soapenv:Envelope>',
    ].join('');
  };

  /** Journal Entry Item Basic (SAP_COM_0087): the line items posted under one OriginalReferenceDocument. */
  const readItems = async (reference: string, select: string, top: number): Promise<Record<string, string | undefined>[]> => {
    const res = await sendToErp(o.handler, label, {
      tenant: o.tenant,
      method: 'GET',
      baseUrl: o.baseUrl,
      path: `${SAP_READ_PATH}/A_JournalEntryItemBasic`,
      endpoint: `${SAP_READ_PATH}/A_JournalEntryItemBasic`,
      query: { $filter: `OriginalReferenceDocument eq '${reference}'`, $select: select, $top: top, $format: 'json' },
      headers: { accept: 'application/json' },
      correlationId: randomUUID(),
      idempotent: true,
    });
    if (res.status !== 200) throw failure(res, reference, label);
    return (JSON.parse(res.body.toString('utf8')) as { d?: { results?: Record<string, string | undefined>[] } }).d?.results ?? [];
  };

  return {
    name: 'sap',
    label,
    recordType: 'journalentry',
    mode: 'reference',
    concurrency: o.concurrency,
    validate(doc) {
      return doc.companyCode ? [] : [`document ${doc.externalId}: it has no company code; add dimensions.companyCode to the mapping.`];
    },
    render: (doc) => ({ method: 'POST', path: SAP_POST_PATH, reference: createSapReference(o.tenant, doc.externalId, 1, false), body: envelope(doc, createSapReference(o.tenant, doc.externalId, 1, false), false) }),
    reference: (externalId, revision, reversal) => createSapReference(o.tenant, externalId, revision, reversal),
    async find(reference): Promise<Posted | undefined> {
      const r = (await readItems(reference, 'CompanyCode,FiscalYear,AccountingDocument', 1))[0];
      return r ? { documentNumber: `${r.CompanyCode}/${r.AccountingDocument}/${r.FiscalYear}` } : undefined;
    },
    async readBack(reference) {
      const rows = await readItems(reference, 'DocumentItemText,AmountInTransactionCurrency', 1000);
      return rows.length ? rows.map((r) => ({ text: r.DocumentItemText ?? '', amount: new Decimal(r.AmountInTransactionCurrency ?? '0').toFixed(2) })) : undefined;
    },
    async postUnder(doc, reference, reversal): Promise<Posted> {
      const res = await sendToErp(o.handler, label, {
        tenant: o.tenant,
        method: 'POST',
        baseUrl: o.baseUrl,
        path: SAP_POST_PATH,
        endpoint: SAP_POST_PATH,
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: SOAP_ACTION },
        body: envelope(doc, reference, reversal),
        correlationId: randomUUID(),
        // SAP may have posted before failing: the exporter checks the reference before trying again.
        idempotent: false,
      });
      if (res.status !== 200) throw failure(res, doc.externalId, label);
      return parseConfirmation(res.body.toString('utf8'), doc.externalId, label);
    },
    close: async () => undefined,
  };
}

/** OriginalReferenceDocument: 20 characters of [A-Z0-9], deterministic per tenant, document, revision and direction. */
export function createSapReference(tenant: string, externalId: string, revision: number, reversal: boolean): string {
  return `NB${createHash('sha256').update(`${tenant}\n${externalId}\n${revision}\n${reversal ? 'R' : 'D'}`).digest('hex').slice(0, 18).toUpperCase()}`;
}

interface Confirmation {
  JournalEntryCreateConfirmation?: { AccountingDocument?: string; CompanyCode?: string; FiscalYear?: string };
  Log?: { MaximumLogItemSeverityCode?: string; Item?: { Note?: string; SeverityCode?: string }[] };
}

function parseConfirmation(text: string, externalId: string, label: string): Posted {
  let body: Record<string, any>;
  try {
    body = parser.parse(text).Envelope?.Body ?? {};
  } catch (err) {
    throw new ErpUnavailableError(`${label} sent an answer that is not XML (${(err as Error).message}); run the export again later.`);
  }
  if (body.Fault) throw new ErpDocumentRejectedError(`${label} refused document ${externalId} with a SOAP fault (${String(body.Fault.faultstring ?? '')}).`, externalId);
  const c = (body.JournalEntryBulkCreateConfirmation?.JournalEntryCreateConfirmation as Confirmation[] | undefined)?.[0];
  const doc = c?.JournalEntryCreateConfirmation;
  const severity = Number(c?.Log?.MaximumLogItemSeverityCode ?? '1');
  if (!doc?.AccountingDocument || /^0+$/.test(doc.AccountingDocument) || severity >= 3) {
    const notes = (c?.Log?.Item ?? []).filter((i) => Number(i.SeverityCode ?? 3) >= 2).map((i) => i.Note).filter(Boolean).join('; ');
    throw new ErpDocumentRejectedError(`${label} did not post document ${externalId} (${notes || 'no confirmation'}); fix the mapping or the master data in SAP, then export again.`, externalId);
  }
  return { documentNumber: `${doc.CompanyCode}/${doc.AccountingDocument}/${doc.FiscalYear}` };
}

function failure(res: NavanResponse, what: string, label: string): Error {
  const detail = res.body.toString('utf8').replace(/\s+/g, ' ').slice(0, 200);
  if (res.status === 401 || res.status === 403) return new ErpAuthError(`${label} refused the communication user (${res.status}); check erp.sap.user and erp.sap.password and the communication arrangement.`);
  if (res.status === 429 || res.status >= 500) return new ErpUnavailableError(`${label} answered ${res.status} after retries; run the export again later and it resumes where it stopped.`);
  return new ErpDocumentRejectedError(`${label} answered ${res.status} for ${what} (${detail}).`, what);
}
