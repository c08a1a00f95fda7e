import { XMLParser } from 'fast-xml-parser';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/shared/clock.js';
import { startSapSim, type SapSim } from '../../../src/sim/erp/index.js';

interface Line {
  gl?: string;
  creditor?: string;
  amount: string;
  dc: 'S' | 'H';
  currency?: string;
  costCenter?: string;
}

interface Entry {
  ref: string;
  companyCode?: string;
  postingDate?: string;
  documentReferenceId?: string;
  lines: Line[];
}

function entryXml(e: Entry, i: number): string {
  const items = e.lines
    .map((l, n) => {
      const amount = `<AmountInTransactionCurrency currencyCode="${l.currency ?? 'EUR'}">${l.amount}</AmountInTransactionCurrency><DebitCreditCode>${l.dc}</DebitCreditCode>`;
      if (l.creditor) return `<CreditorItem><ReferenceDocumentItem>${n + 1}</ReferenceDocumentItem><Creditor>${l.creditor}</Creditor>${amount}</CreditorItem>`;
      const cc = l.costCenter ? `<AccountAssignment><CostCenter>${l.costCenter}</CostCenter></AccountAssignment>` : '';
      return `<Item><ReferenceDocumentItem>${n + 1}</ReferenceDocumentItem><GLAccount>${l.gl}</GLAccount>${amount}<DocumentItemText>Navan</DocumentItemText>${cc}</Item>`;
    })
    .join('');
  return `<JournalEntryCreateRequest><MessageHeader><ID>SUB-${i}</ID><CreationDateTime>2026-10-15T10:00:00Z</CreationDateTime></MessageHeader><JournalEntry>
    <OriginalReferenceDocumentType>BKPFF</OriginalReferenceDocumentType><OriginalReferenceDocument>${e.ref}</OriginalReferenceDocument>
    <OriginalReferenceDocumentLogicalSystem>NAVANBRIDGE</OriginalReferenceDocumentLogicalSystem><BusinessTransactionType>RFBU</BusinessTransactionType>
    <AccountingDocumentType>SA</AccountingDocumentType><DocumentReferenceID>${e.documentReferenceId ?? 'NAVAN-1'}</DocumentReferenceID>
    <DocumentHeaderText>Navan expenses</DocumentHeaderText><CreatedByUser>NAVAN_BRIDGE</CreatedByUser><CompanyCode>${e.companyCode ?? '1010'}</CompanyCode>
    <DocumentDate>2026-10-15</DocumentDate><PostingDate>${e.postingDate ?? '2026-10-15'}</PostingDate>${items}</JournalEntry></JournalEntryCreateRequest>`;
}

function bulkXml(entries: Entry[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sfin="http://sap.com/xi/SAPSCORE/SFIN">
 <soapenv:Header/><soapenv:Body><sfin:JournalEntryBulkCreateRequest>
  <MessageHeader><ID>BULK-1</ID><CreationDateTime>2026-10-15T10:00:00Z</CreationDateTime></MessageHeader>
  ${entries.map(entryXml).join('')}
 </sfin:JournalEntryBulkCreateRequest></soapenv:Body></soapenv:Envelope>`;
}

const balanced: Line[] = [
  { gl: '60000000', amount: '100.10', dc: 'S', costCenter: '10101101' },
  { gl: '0060000001', amount: '0.20', dc: 'S' },
  { gl: '0021000000', amount: '-100.30', dc: 'H' },
];

const parser = new XMLParser({ removeNSPrefix: true, parseTagValue: false, isArray: (n) => ['JournalEntryCreateConfirmation', 'Item'].includes(n) });

describe('SAP journal entry SOAP simulator', () => {
  let sim: SapSim;
  const clock = new ManualClock(Date.UTC(2026, 9, 15, 12));

  beforeAll(async () => {
    sim = await startSapSim({ user: 'COMM_NAVAN', password: 'p4ss:w0rd!', clock });
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(() => sim.reset());

  async function post(xml: string, auth = { user: 'COMM_NAVAN', password: 'p4ss:w0rd!' }, headers: Record<string, string> = {}) {
    const res = await request(sim.url, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${sim.soapAction}"`, authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`, ...headers },
      body: xml,
    });
    const body = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body, doc: body.startsWith('<') || body.startsWith('<?') ? parser.parse(body) : undefined };
  }
  const confirmations = (doc: any): any[] => doc.Envelope.Body.JournalEntryBulkCreateConfirmation.JournalEntryCreateConfirmation;

  it('posts a balanced entry and confirms it with a document number, company code and fiscal year', async () => {
    const res = await post(bulkXml([{ ref: 'NB-2026-10-15-a', lines: balanced }]));
    expect(res.status).toBe(200);
    const [c] = confirmations(res.doc);
    expect(c.JournalEntryCreateConfirmation[0]).toEqual({ AccountingDocument: '0100000000', CompanyCode: '1010', FiscalYear: '2026' });
    expect(c.MessageHeader.ReferenceID).toBe('SUB-0');
    expect(c.Log.MaximumLogItemSeverityCode).toBe('1');
    expect(c.Log.Item[0]).toMatchObject({ TypeID: '605(RW)', SeverityCode: '1' });
    expect(c.Log.Item[0].Note).toContain('Document posted successfully: BKPFF 010000000010102026 NAVANBRIDGE');
    const [doc] = sim.documents();
    expect(doc).toMatchObject({ accountingDocument: '0100000000', companyCode: '1010', fiscalYear: '2026', originalReferenceDocument: 'NB-2026-10-15-a', currency: 'EUR' });
    expect(doc!.lines.map((l) => [l.glAccount, l.amount, l.costCenter])).toEqual([
      ['0060000000', '100.10', '0010101101'],
      ['0060000001', '0.20', undefined],
      ['0021000000', '-100.30', undefined],
    ]);
    expect(sim.stats().documentsCreated).toBe(1);
  });

  it('numbers documents per company code and fiscal year; each entry of a bulk is judged alone', async () => {
    const res = await post(
      bulkXml([
        { ref: 'A', lines: balanced },
        { ref: 'B', lines: [{ gl: '60000000', amount: '5.00', dc: 'S' }, { gl: '21000000', amount: '-4.99', dc: 'H' }] },
        { ref: 'C', lines: balanced, companyCode: '1710' },
        { ref: 'D', lines: balanced },
      ]),
    );
    const docs = confirmations(res.doc).map((c) => c.JournalEntryCreateConfirmation[0].AccountingDocument);
    expect(docs).toEqual(['0100000000', '0000000000', '0100000000', '0100000001']);
    expect(sim.documents().map((d) => d.originalReferenceDocument)).toEqual(['A', 'C', 'D']);
    expect(res.doc.Envelope.Body.JournalEntryBulkCreateConfirmation.Log.MaximumLogItemSeverityCode).toBe('3');
  });

  it('answers an unbalanced entry with 200, document 0000000000, fiscal year 0000 and a severity-3 balance note', async () => {
    const res = await post(bulkXml([{ ref: 'NB-unbalanced', lines: [{ gl: '60000000', amount: '100.00', dc: 'S' }, { gl: '21000000', amount: '-99.99', dc: 'H' }] }]));
    expect(res.status).toBe(200);
    const [c] = confirmations(res.doc);
    expect(c.JournalEntryCreateConfirmation[0]).toMatchObject({ AccountingDocument: '0000000000', FiscalYear: '0000' });
    expect(c.Log.MaximumLogItemSeverityCode).toBe('3');
    expect(c.Log.Item.map((i: any) => i.TypeID)).toEqual(['609(RW)', '702(F5)']);
    expect(c.Log.Item[1].Note).toBe('Balance in transaction currency EUR: 0.01');
    expect(sim.documents()).toHaveLength(0);
    expect(sim.stats().documentsRejected).toBe(1);
  });

  it.each([
    ['G/L account', { ref: 'x', lines: [{ gl: '99999999', amount: '1.00', dc: 'S' }, { gl: '21000000', amount: '-1.00', dc: 'H' }] } as Entry, '507(F5)', 'G/L account 0099999999 is not defined'],
    ['cost center', { ref: 'x', lines: [{ gl: '60000000', amount: '1.00', dc: 'S', costCenter: 'NOPE' }, { gl: '21000000', amount: '-1.00', dc: 'H' }] } as Entry, '248(KI)', 'Cost center 1010/NOPE does not exist'],
    ['company code', { ref: 'x', companyCode: '9999', lines: balanced } as Entry, '165(F5)', 'Company code 9999 is not defined'],
    ['creditor', { ref: 'x', lines: [{ gl: '60000000', amount: '1.00', dc: 'S' }, { creditor: '123', amount: '-1.00', dc: 'H' }] } as Entry, '151(F5)', 'Supplier 0000000123'],
    ['sign', { ref: 'x', lines: [{ gl: '60000000', amount: '-1.00', dc: 'S' }, { gl: '21000000', amount: '1.00', dc: 'H' }] } as Entry, '014(F5)', 'does not match'],
    ['decimals', { ref: 'x', lines: [{ gl: '60000000', amount: '1.005', dc: 'S' }, { gl: '21000000', amount: '-1.005', dc: 'H' }] } as Entry, '102(FINS_FI_MISC)', 'at most 2 decimals'],
    ['currency mix', { ref: 'x', lines: [{ gl: '60000000', amount: '1.00', dc: 'S' }, { gl: '21000000', amount: '-1.00', dc: 'H', currency: 'USD' }] } as Entry, '085(FINS_FI_MISC)', 'one transaction currency'],
    ['reference length', { ref: 'x', documentReferenceId: 'X'.repeat(17), lines: balanced } as Entry, '032(FINS_FI_MISC)', 'longer than 16'],
  ])('an unknown or invalid %s gives a severity-3 log note and posts nothing', async (_name, entry, typeId, note) => {
    const res = await post(bulkXml([entry]));
    const [c] = confirmations(res.doc);
    expect(c.JournalEntryCreateConfirmation[0].AccountingDocument).toBe('0000000000');
    const item = c.Log.Item.find((i: any) => i.TypeID === typeId);
    expect(item, JSON.stringify(c.Log)).toBeDefined();
    expect(item.SeverityCode).toBe('3');
    expect(item.Note).toContain(note);
    expect(sim.documents()).toHaveLength(0);
  });

  it('a vendor invoice with a CreditorItem posts; JPY amounts have no decimals', async () => {
    const res = await post(bulkXml([
      { ref: 'KR-1', lines: [{ gl: '60000005', amount: '50.00', dc: 'S' }, { creditor: '17300001', amount: '-50.00', dc: 'H' }] },
      { ref: 'JPY-1', lines: [{ gl: '60000005', amount: '1500', dc: 'S', currency: 'JPY' }, { gl: '21000000', amount: '-1500', dc: 'H', currency: 'JPY' }] },
    ]));
    expect(confirmations(res.doc).map((c) => c.Log.MaximumLogItemSeverityCode)).toEqual(['1', '1']);
    expect(sim.documents()[0]!.lines[1]).toMatchObject({ kind: 'creditor', creditor: '0017300001', amount: '-50.00' });
  });

  it('malformed XML, an unknown operation and a wrong SOAPAction get a SOAP Fault with HTTP 500', async () => {
    const bad = await post('<soapenv:Envelope><soapenv:Body><oops></soapenv:Body>');
    expect(bad.status).toBe(500);
    expect(bad.doc.Envelope.Body.Fault.faultcode).toBe('soap-env:Client');
    const other = await post(bulkXml([]).replace(/JournalEntryBulkCreateRequest/g, 'SomethingElse'));
    expect(other.status).toBe(500);
    expect(other.body).toContain('faultstring');
    const action = await post(bulkXml([{ ref: 'x', lines: balanced }]), undefined, { soapaction: 'urn:wrong' });
    expect(action.status).toBe(500);
    expect(sim.documents()).toHaveLength(0);
  });

  it('refuses a wrong password or a missing Authorization with 401 and Basic realm, without echoing the password', async () => {
    const res = await post(bulkXml([{ ref: 'x', lines: balanced }]), { user: 'COMM_NAVAN', password: 'wrong-password' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect(res.body).not.toContain('wrong-password');
    const none = await request(sim.url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<x/>' });
    expect(none.statusCode).toBe(401);
    await none.body.text();
    expect(sim.stats().authFailures).toEqual({ bad_password: 1, missing_header: 1 });
    expect(JSON.stringify(sim.stats())).not.toContain('p4ss');
    expect(sim.documents()).toHaveLength(0);
  });

  it('does not refuse duplicates, but the reference can be checked first through the item OData read', async () => {
    await post(bulkXml([{ ref: 'NB-dup', lines: balanced }]));
    await post(bulkXml([{ ref: 'NB-dup', lines: balanced }]));
    expect(sim.documents()).toHaveLength(2);
    const auth = `Basic ${Buffer.from('COMM_NAVAN:p4ss:w0rd!').toString('base64')}`;
    const filter = encodeURIComponent("OriginalReferenceDocument eq 'NB-dup' and CompanyCode eq '1010'");
    const res = await request(`${sim.readUrl}/A_JournalEntryItemBasic?$filter=${filter}&$select=AccountingDocument,FiscalYear,GLAccount&$format=json`, { headers: { authorization: auth } });
    expect(res.statusCode).toBe(200);
    const json = (await res.body.json()) as any;
    expect(json.d.results).toHaveLength(6);
    expect(new Set(json.d.results.map((r: any) => r.AccountingDocument))).toEqual(new Set(['0100000000', '0100000001']));
    expect(Object.keys(json.d.results[0]).sort()).toEqual(['AccountingDocument', 'FiscalYear', 'GLAccount', '__metadata']);
    const none = await request(`${sim.readUrl}/A_JournalEntryItemBasic?$filter=${encodeURIComponent("OriginalReferenceDocument eq 'other'")}&$format=json`, { headers: { authorization: auth } });
    expect(((await none.body.json()) as any).d.results).toEqual([]);
    const badFilter = await request(`${sim.readUrl}/A_JournalEntryItemBasic?$filter=${encodeURIComponent("Amount gt 5")}`, { headers: { authorization: auth } });
    expect(badFilter.statusCode).toBe(400);
    await badFilter.body.text();
    const unauth = await request(`${sim.readUrl}/A_JournalEntryItemBasic`);
    expect(unauth.statusCode).toBe(401);
    await unauth.body.text();
  });

  it('a closed posting period gives a severity-3 note', async () => {
    sim.closePeriod('2026-09');
    const res = await post(bulkXml([{ ref: 'late', postingDate: '2026-09-30', lines: balanced }]));
    expect(confirmations(res.doc)[0].Log.Item.map((i: any) => i.TypeID)).toContain('201(F5)');
  });

  it('injects 429, 503 and 500 (SOAP Fault), resets and timeouts; "after" posts but loses the answer', async () => {
    const xml = bulkXml([{ ref: 'NB-fault', lines: balanced }]);
    sim.faults.inject({ kind: '429' });
    sim.faults.inject({ kind: '503' });
    expect((await post(xml)).status).toBe(429);
    expect((await post(xml)).status).toBe(503);
    sim.faults.inject({ kind: '500' });
    const fault = await post(xml);
    expect(fault.status).toBe(500);
    expect(fault.doc.Envelope.Body.Fault.faultcode).toBe('soap-env:Server');
    expect(sim.documents()).toHaveLength(0);
    sim.faults.inject({ kind: 'reset', phase: 'after' });
    await expect(post(xml)).rejects.toThrow();
    expect(sim.documents()).toHaveLength(1);
    sim.faults.inject({ kind: 'timeout', holdMs: 10_000 });
    await expect(
      request(sim.url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: xml, signal: AbortSignal.timeout(200) }).then((r) => r.body.text()),
    ).rejects.toThrow(/abort|timeout/i);
    expect(sim.stats().injectedFaults).toBe(5);
  });

  it('exposes the posted entries over the control plane', async () => {
    await post(bulkXml([{ ref: 'NB-ctl', lines: balanced }]));
    const res = await request(`${sim.origin}/__sim/documents`);
    const json = (await res.body.json()) as { documents: { originalReferenceDocument: string; accountingDocument: string }[] };
    expect(json.documents).toEqual([expect.objectContaining({ originalReferenceDocument: 'NB-ctl', accountingDocument: '0100000000' })]);
  });
});
