import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { buildDocuments } from '../../src/erp/documents.js';
import { loadMapping, mapTransaction } from '../../src/erp/mapping.js';
import type { ExportTransaction } from '../../src/erp/model.js';

const tx = (over: Partial<ExportTransaction> = {}): ExportTransaction => ({
  id: 'tx-1', version: 'v1', transaction_type: 'CARD', date: '2026-10-03', posted_amount: '10.10', posted_currency: 'USD', original_amount: '10.10', original_currency: 'USD',
  gl_code_number: '6100', category: null, vendor_name: 'Delta', vendor_category: 'AIRLINES', policy: 'Standard expense policy', booking_type: null, statement_id: 'stmt_202610_E1',
  department: 'Engineering', cost_center: 'CC-100', region: 'US', subsidiary: 'Acme Inc', legal_entity: 'Acme Inc', employee_id: 'E1', cardholder: 'Ann', approval_status: 'APPROVED',
  personal: false, deleted: false, ...over,
});

const mapping = loadMapping({
  inline: {
    accounts: { byGlCode: { '6100': '58' }, rules: [{ when: { vendorCategory: 'RESTAURANTS' }, account: '60' }, { when: { bookingType: ['HOTEL'], policy: 'Standard expense policy' }, account: '61' }] },
    credit: { cardPrograms: { navan: { account: '20', vendor: '1001', transactionTypes: ['CARD', 'FEE'] } }, reimbursable: { account: '21', vendor: '1002', transactionTypes: ['MANUAL'] } },
    dimensions: { department: { from: 'department', map: { Engineering: '3', Sales: 4 } }, subsidiary: { value: '1' } },
    currencies: { USD: '1', EUR: '4' },
  },
});

describe('mapping', () => {
  it('takes the account from gl_code_number, then from the first matching rule', () => {
    expect(mapTransaction(mapping, 'netsuite', tx(), 'original').mapped).toMatchObject({ account: '58', dimensions: { department: '3', subsidiary: '1' }, funding: { key: 'card-navan', account: '20', vendor: '1001' } });
    expect(mapTransaction(mapping, 'netsuite', tx({ gl_code_number: null, vendor_category: 'RESTAURANTS' }), 'original').mapped?.account).toBe('60');
    expect(mapTransaction(mapping, 'netsuite', tx({ gl_code_number: null, vendor_category: 'LODGING', booking_type: 'HOTEL' }), 'original').mapped?.account).toBe('61');
    expect(mapTransaction(mapping, 'netsuite', tx({ transaction_type: 'MANUAL' }), 'original').mapped?.funding).toEqual({ key: 'reimbursable', account: '21', vendor: '1002' });
  });

  it('names every unmapped value and the line to add, and maps nothing to a default', () => {
    const r = mapTransaction(mapping, 'netsuite', tx({ gl_code_number: '9999', department: 'Marketing', transaction_type: 'DISPUTE', original_currency: 'GBP' }), 'original');
    expect(r.mapped).toBeUndefined();
    const messages = r.issues.map((i) => i.message);
    expect(messages).toEqual([
      'transaction tx-1: gl_code_number "9999" is not mapped; add "9999": "<account id>" under accounts.byGlCode in erp.mapping.',
      'transaction tx-1: department (from department) "Marketing" is not mapped; add "Marketing": "<NetSuite department id>" under dimensions.department.map in erp.mapping.',
      'transaction tx-1: transaction_type "DISPUTE" is not mapped; add "DISPUTE" to credit.cardPrograms.<program>.transactionTypes or credit.reimbursable.transactionTypes (or to erp.excludeTransactionTypes in the config) in erp.mapping.',
      'transaction tx-1: currency "GBP" is not mapped; add "GBP": "<NetSuite currency id>" under currencies in erp.mapping.',
    ]);
  });

  it('requires a company code for SAP', () => {
    const r = mapTransaction(mapping, 'sap', tx(), 'original');
    expect(r.issues.map((i) => i.field)).toEqual(['companyCode']);
  });

  it('rejects an invalid mapping with the key', () => {
    expect(() => loadMapping({ inline: { accounts: { rules: [{ when: {}, account: '1' }] } } })).toThrow(/accounts\.rules\.0\.when: a rule needs at least one condition/);
  });
});

describe('documents', () => {
  const items = (txs: ExportTransaction[]) => txs.map((t) => ({ tx: t, ...mapTransaction(mapping, 'netsuite', t, 'original') }));

  it('groups per day, currency and credit side; every document is balanced in exact decimals', () => {
    const txs = [
      tx({ id: 'a', original_amount: '0.10' }), tx({ id: 'b', original_amount: '0.20' }), tx({ id: 'c', original_amount: '-0.05' }),
      tx({ id: 'd', original_currency: 'EUR', original_amount: '5.55' }), tx({ id: 'e', transaction_type: 'MANUAL', original_amount: '7' }), tx({ id: 'f', date: '2026-10-04' }),
    ];
    const { documents, blocked } = buildDocuments({ tenant: 'acme', grouping: 'day', items: items(txs), headerField: undefined, currencyIds: mapping.currencies });
    expect(blocked).toEqual([]);
    expect(documents).toHaveLength(4);
    const usd = documents.find((d) => d.lines.length === 3)!;
    expect(usd.total).toBe('0.25');
    expect(usd.currencyId).toBe('1');
    expect(usd.lines.reduce((s, l) => s.plus(l.amount), new Decimal(0)).toFixed(2)).toBe(usd.total);
    for (const d of documents) expect(d.externalId).toMatch(/^nb-acme-d-2026-10-0[34]-(USD|EUR)-[0-9a-f]{10}$/);
    // Deterministic: the same input gives the same ids and content.
    const again = buildDocuments({ tenant: 'acme', grouping: 'day', items: items(txs), currencyIds: mapping.currencies });
    expect(again.documents.map((d) => [d.externalId, d.contentHash])).toEqual(documents.map((d) => [d.externalId, d.contentHash]));
  });

  it('one document per transaction and per statement', () => {
    const txs = [tx({ id: 'a' }), tx({ id: 'b', date: '2026-10-20' }), tx({ id: 'c', statement_id: 'stmt_202610_E2' })];
    expect(buildDocuments({ tenant: 'acme', grouping: 'transaction', items: items(txs) }).documents.map((d) => d.externalId).sort()).toEqual(['nb-acme-t-a', 'nb-acme-t-b', 'nb-acme-t-c']);
    const byStatement = buildDocuments({ tenant: 'acme', grouping: 'statement', items: items(txs) }).documents;
    expect(byStatement).toHaveLength(2);
    expect(byStatement.find((d) => d.lines.length === 2)!.date).toBe('2026-10-20');
  });

  it('blocks the whole document when one of its transactions is unmapped', () => {
    const txs = [tx({ id: 'a' }), tx({ id: 'b', department: 'Legal' })];
    const r = buildDocuments({ tenant: 'acme', grouping: 'day', items: items(txs) });
    expect(r.documents).toEqual([]);
    expect(r.blocked).toHaveLength(1);
    expect(r.blocked[0]!.transactionIds).toEqual(['a', 'b']);
    expect(r.blocked[0]!.reasons[0]).toContain('"Legal": "<NetSuite department id>" under dimensions.department.map');
  });

  it('a version change that posts the same lines keeps the content hash', () => {
    const one = buildDocuments({ tenant: 'acme', grouping: 'transaction', items: items([tx()]) }).documents[0]!;
    const two = buildDocuments({ tenant: 'acme', grouping: 'transaction', items: items([tx({ version: 'v2' })]) }).documents[0]!;
    const three = buildDocuments({ tenant: 'acme', grouping: 'transaction', items: items([tx({ original_amount: '10.11' })]) }).documents[0]!;
    expect(two.contentHash).toBe(one.contentHash);
    expect(three.contentHash).not.toBe(one.contentHash);
  });
});

describe('the example mapping', () => {
  it('is valid', () => {
    const m = loadMapping({ file: 'src/erp/mapping.example.yaml' });
    expect(m.credit.reimbursable?.transactionTypes).toEqual(['MANUAL']);
    expect(m.dimensions.subsidiary).toEqual({ value: '1' });
  });
});
