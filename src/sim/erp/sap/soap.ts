import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * SOAP 1.1 in and out for the journal entry service. Parsing keeps every value a string, so GL
 * accounts keep their leading zeros and amounts stay exact decimals.
 */

export const SFIN_NS = 'http://sap.com/xi/SAPSCORE/SFIN';
export const SOAP_ACTION = 'http://sap.com/xi/SAPSCORE/SFIN/JournalEntryCreateRequestConfirmation_In/JournalEntryCreateRequestConfirmation_InRequest';

const REPEATED = new Set(['JournalEntryCreateRequest', 'Item', 'CreditorItem', 'DebtorItem', 'ProductTaxItem']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => REPEATED.has(name),
});

export type XmlNode = Record<string, unknown>;

/** The JournalEntryBulkCreateRequest element, or a sentence for the SOAP Fault. */
export function parseBulkRequest(xml: string): XmlNode | string {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return `The request is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}).`;
  const doc = parser.parse(xml) as XmlNode;
  const body = node(node(doc.Envelope)?.Body);
  if (!body) return 'The request is not a SOAP 1.1 envelope with a Body.';
  const bulk = node(body.JournalEntryBulkCreateRequest);
  if (!bulk) return `No operation matches the body element ${Object.keys(body).join(', ') || '(empty)'}; send JournalEntryBulkCreateRequest.`;
  return bulk;
}

export function node(value: unknown): XmlNode | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as XmlNode) : undefined;
}

/** Text content of a child element ('' for an empty element, undefined when absent). */
export function text(parent: XmlNode | undefined, name: string): string | undefined {
  const v = parent?.[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  const n = node(v);
  if (n) return typeof n['#text'] === 'string' ? n['#text'] : '';
  return undefined;
}

export function list(parent: XmlNode | undefined, name: string): XmlNode[] {
  const v = parent?.[name];
  return Array.isArray(v) ? v.map((x) => node(x) ?? {}) : [];
}

export function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

export function envelope(bodyXml: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Header/><soap-env:Body>${bodyXml}</soap-env:Body></soap-env:Envelope>`;
}

/** A SOAP 1.1 Fault (HTTP 500): malformed XML, an unknown operation, a wrong SOAPAction. */
export function soapFault(message: string, code: 'Client' | 'Server' = 'Client'): string {
  return envelope(`<soap-env:Fault><faultcode>soap-env:${code}</faultcode><faultstring xml:lang="en">${escapeXml(message)}</faultstring><detail/></soap-env:Fault>`);
}

export interface LogItem {
  typeId: string;
  severity: 1 | 2 | 3;
  note: string;
}

export interface EntryConfirmation {
  requestMessageId?: string;
  accountingDocument: string;
  companyCode: string;
  fiscalYear: string;
  log: LogItem[];
}

function logXml(items: LogItem[]): string {
  const max = items.reduce((m, i) => Math.max(m, i.severity), 1);
  const rendered = items
    .map((i) => `<Item><TypeID>${escapeXml(i.typeId)}</TypeID><SeverityCode>${i.severity}</SeverityCode><Note>${escapeXml(i.note)}</Note></Item>`)
    .join('');
  return `<Log><MaximumLogItemSeverityCode>${max}</MaximumLogItemSeverityCode>${rendered}</Log>`;
}

function header(id: string, referenceId: string | undefined, at: string): string {
  return `<MessageHeader><ID>${escapeXml(id)}</ID>${referenceId ? `<ReferenceID>${escapeXml(referenceId)}</ReferenceID>` : ''}<CreationDateTime>${at}</CreationDateTime></MessageHeader>`;
}

/** JournalEntryBulkCreateConfirmation: one JournalEntryCreateConfirmation per request entry. */
export function bulkConfirmation(messageId: string, requestId: string | undefined, at: string, entries: EntryConfirmation[]): string {
  const parts = entries.map((e, i) => {
    const doc = `<JournalEntryCreateConfirmation><AccountingDocument>${e.accountingDocument}</AccountingDocument><CompanyCode>${escapeXml(e.companyCode)}</CompanyCode><FiscalYear>${e.fiscalYear}</FiscalYear></JournalEntryCreateConfirmation>`;
    return `<JournalEntryCreateConfirmation>${header(`${messageId}-${i + 1}`, e.requestMessageId, at)}${doc}${logXml(e.log)}</JournalEntryCreateConfirmation>`;
  });
  const worst = entries.flatMap((e) => e.log);
  const bulkLog = `<Log><MaximumLogItemSeverityCode>${worst.reduce((m, i) => Math.max(m, i.severity), 1)}</MaximumLogItemSeverityCode></Log>`;
  return envelope(`<n0:JournalEntryBulkCreateConfirmation xmlns:n0="${SFIN_NS}">${header(messageId, requestId, at)}${parts.join('')}${bulkLog}</n0:JournalEntryBulkCreateConfirmation>`);
}
