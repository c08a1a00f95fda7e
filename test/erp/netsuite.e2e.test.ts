import { Decimal } from 'decimal.js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printableConfig } from '../../src/config/index.js';
import { tbaAuthorization } from '../../src/erp/index.js';
import { Secret } from '../../src/shared/secret.js';
import { startNetSuiteSim } from '../../src/sim/erp/index.js';
import type { NetSuiteSim } from '../../src/sim/erp/index.js';
import { NETSUITE_MAPPING, SECRETS, compareBooks, expectedFromWarehouse, netByTransaction, startWorld, type World } from './world.js';

/** Net amount per transaction in NetSuite: debits positive, credits negative, on the expense lines (memo starts with the transaction id). */
function netsuiteLines(ns: NetSuiteSim) {
  return ns.documents('journalentry').flatMap((d) =>
    ((d.body.line as { items: { memo?: string; debit?: number; credit?: number }[] }).items ?? []).map((l) => ({
      text: l.memo ?? '',
      amount: l.debit !== undefined ? new Decimal(String(l.debit)) : new Decimal(String(l.credit)).negated(),
    })),
  );
}

const monthsOf = (dates: Iterable<string>) => [...new Set([...dates].map((d) => d.slice(0, 7)))].sort();

describe('export to NetSuite end to end', () => {
  let ns: NetSuiteSim;
  let world: World;

  beforeAll(async () => {
    ns = await startNetSuiteSim({ consumerKey: 'ck-acme', consumerSecret: SECRETS.NS_CONSUMER_SECRET, tokenId: 'tk-acme', tokenSecret: SECRETS.NS_TOKEN_SECRET, concurrencyLimit: 5 });
    world = await startWorld({
      transactions: 2200,
      files: { 'netsuite-mapping.yaml': NETSUITE_MAPPING },
      erp: {
        target: 'netsuite',
        mappingFile: 'netsuite-mapping.yaml',
        grouping: 'transaction',
        netsuite: {
          accountId: ns.accountId, baseUrl: ns.origin, consumerKey: 'ck-acme', consumerSecret: 'env:NS_CONSUMER_SECRET', tokenId: 'tk-acme', tokenSecret: { env: 'NS_TOKEN_SECRET' },
          concurrency: 4, gateway: { observedLimitRps: 5000, breakerHalfOpenAfterMs: 1000, requestTimeoutMs: 3000 },
        },
      },
    });
    await world.sync();
  }, 60_000);
  afterAll(async () => {
    await world?.close();
    await ns?.close();
  });

  it('a dry run prints the documents and posts nothing; a range posts only its documents', async () => {
    const exporter = world.exporter();
    const expected = await expectedFromWarehouse(world.runtime);
    expect(expected.size).toBeGreaterThan(1200);
    expect(new Set([...expected.values()].map((e) => e.currency))).toEqual(new Set(['USD', 'EUR', 'GBP', 'CAD']));
    expect(new Set([...expected.values()].map((e) => e.department)).size).toBe(8);
    const dry = await exporter.export({ tenant: 'acme', dryRun: true });
    expect(dry.preview).toHaveLength(expected.size);
    expect(dry.preview![0]).toMatchObject({ action: 'create', payload: { method: 'PUT', body: { line: { items: expect.any(Array) } } } });
    expect(ns.stats().requests).toBe(0);

    const month = [...expected.values()][0]!.date.slice(0, 7);
    const inMonth = [...expected.values()].filter((e) => e.date.startsWith(month)).length;
    const partial = await exporter.export({ tenant: 'acme', from: `${month}-01`, to: `${month}-31` });
    expect(partial).toMatchObject({ status: 'success', created: inMonth });
    expect(ns.documents()).toHaveLength(inMonth);
  }, 60_000);

  it('posts every transaction once through 429s and 5xx, and reconciles every month with zero differences', async () => {
    ns.faults.inject({ kind: '429', everyNth: 13, count: 6 });
    ns.faults.inject({ kind: '500', everyNth: 17, count: 10 });
    ns.faults.inject({ kind: '503', everyNth: 29, count: 5, phase: 'after' });
    const exporter = world.exporter();
    const report = await exporter.export({ tenant: 'acme' });
    expect(report.status).toBe('success');
    expect(report.failed).toEqual([]);
    expect(ns.stats().injectedFaults).toBe(21);
    ns.faults.clear();

    const expected = await expectedFromWarehouse(world.runtime);
    expect(ns.documents()).toHaveLength(expected.size);
    expect(compareBooks(expected, netByTransaction(netsuiteLines(ns), expected.keys()))).toEqual([]);
    for (const d of ns.documents()) expect(d.externalId).toMatch(/^nb-acme-t-[0-9a-f-]{36}$/);

    const periods = monthsOf([...expected.values()].map((e) => e.date));
    for (const period of periods) {
      // The first month is also read back from NetSuite, document by document.
      const r = await exporter.reconcile({ tenant: 'acme', period, verify: period === periods[0] });
      if (period === periods[0]) expect(r.erpDifferences).toEqual([]);
      expect({ period, notPosted: r.notPosted, rows: r.rows.filter((x) => x.difference !== '0.00') }).toEqual({ period, notPosted: [], rows: [] });
      expect(r.balanced).toBe(true);
    }
  }, 60_000);

  it('reconcile --verify finds a document deleted in NetSuite behind our back', async () => {
    const doc = ns.documents()[5]!;
    const url = `${ns.url}/journalentry/eid:${doc.externalId}`;
    const creds = { realm: ns.accountId, consumerKey: 'ck-acme', consumerSecret: new Secret(SECRETS.NS_CONSUMER_SECRET), tokenId: 'tk-acme', tokenSecret: new Secret(SECRETS.NS_TOKEN_SECRET) };
    const body = JSON.stringify(doc.body);
    const del = await request(url, { method: 'DELETE', headers: { authorization: tbaAuthorization(creds, 'DELETE', url, 'nonce-delete-1', Math.floor(Date.now() / 1000)) } });
    expect(del.statusCode).toBe(204);
    const memo = ((doc.body.line as { items: { memo: string }[] }).items[0]!.memo).split(' ')[0]!;
    const expected = await expectedFromWarehouse(world.runtime);
    const period = expected.get(memo)!.date.slice(0, 7);
    const r = await world.exporter().reconcile({ tenant: 'acme', period, verify: true });
    expect(r.balanced).toBe(false);
    expect(r.erpDifferences).toEqual([`document ${doc.externalId}: the ledger says it is posted as ${doc.externalId}, but NetSuite does not have it.`]);
    // Put it back as it was, for the tests that follow.
    const put = await request(url, { method: 'PUT', body, headers: { 'content-type': 'application/json', authorization: tbaAuthorization(creds, 'PUT', url, 'nonce-put-1', Math.floor(Date.now() / 1000)) } });
    expect(put.statusCode).toBe(204);
    expect((await world.exporter().reconcile({ tenant: 'acme', period, verify: true })).balanced).toBe(true);
  });

  it('a second run posts nothing', async () => {
    const before = ns.stats();
    const report = await world.exporter().export({ tenant: 'acme' });
    expect(report).toMatchObject({ status: 'success', created: 0, updated: 0, removed: 0 });
    expect(report.unchanged).toBe(report.documents);
    expect(ns.stats().requests).toBe(before.requests);
  });

  it('corrects changed, re-departmented and rejected transactions by upsert and delete; the books match again', async () => {
    const expected = await expectedFromWarehouse(world.runtime);
    const [a, b, c] = [...expected.keys()].slice(0, 3);
    const created = ns.stats().documentsCreated;
    await world.sim.control.post('/__sim/clock', { advanceMs: 3_600_000 });
    await world.sim.control.patch(`/__sim/transactions/${a}`, { original_amount: '123.45' });
    await world.sim.control.patch(`/__sim/transactions/${b}`, { department: 'Legal' });
    await world.sim.control.patch(`/__sim/transactions/${c}`, { approval_status: 'REJECTED' });
    await world.sim.control.post('/__sim/clock', { advanceMs: 3_600_000 });
    await world.sync();
    const report = await world.exporter().export({ tenant: 'acme' });
    expect(report).toMatchObject({ status: 'success', created: 0, updated: 2, removed: 1 });
    expect(ns.stats().documentsCreated).toBe(created);

    const now = await expectedFromWarehouse(world.runtime);
    expect(now.get(a)!.amount).toBe('123.45');
    expect(ns.documents()).toHaveLength(now.size);
    expect(compareBooks(now, netByTransaction(netsuiteLines(ns), now.keys()))).toEqual([]);
    const line = (ns.document('journalentry', { externalId: `nb-acme-t-${b}` })!.body.line as { items: { department?: { id: string } }[] }).items[0]!;
    expect(line.department).toEqual({ id: '7' });
    const r = await world.exporter().reconcile({ tenant: 'acme', period: now.get(a)!.date.slice(0, 7) });
    expect(r.balanced).toBe(true);
  }, 60_000);

  it('in a closed period, corrects by a reversal and a new document dated today, then updates and deletes that revision', async () => {
    const expected = await expectedFromWarehouse(world.runtime);
    const [id, e] = [...expected.entries()][100]!;
    const base = `nb-acme-t-${id}`;
    ns.closePeriod(e.date.slice(0, 7));
    const change = async (fields: Record<string, unknown>) => {
      await world.sim.control.post('/__sim/clock', { advanceMs: 3_600_000 });
      await world.sim.control.patch(`/__sim/transactions/${id}`, fields);
      await world.sim.control.post('/__sim/clock', { advanceMs: 3_600_000 });
      await world.sync();
      return world.exporter().export({ tenant: 'acme' });
    };
    const net = () => netByTransaction(netsuiteLines(ns), [id]).get(id)?.toFixed(2);
    const today = new Date().toISOString().slice(0, 10);

    expect(await change({ original_amount: '77.77' })).toMatchObject({ status: 'success', corrected: 1, updated: 0 });
    expect(ns.document('journalentry', { externalId: base })!.version).toBe(1);
    expect(ns.document('journalentry', { externalId: `${base}-x1` })!.body.tranDate).toBe(today);
    expect(ns.document('journalentry', { externalId: `${base}-v2` })!.body.tranDate).toBe(today);
    expect(net()).toBe('77.77');
    expect((await world.exporter().reconcile({ tenant: 'acme', period: e.date.slice(0, 7) })).balanced).toBe(true);

    expect(await change({ original_amount: '88.88' })).toMatchObject({ status: 'success', corrected: 0, updated: 1 });
    expect(ns.document('journalentry', { externalId: `${base}-v2` })!.version).toBe(2);
    expect(net()).toBe('88.88');

    expect(await change({ approval_status: 'REJECTED' })).toMatchObject({ status: 'success', removed: 1 });
    expect(ns.document('journalentry', { externalId: `${base}-v2` })).toBeUndefined();
    expect(net()).toBe('0.00');

    // A transaction that arrives after its period closed is booked today.
    const late = await world.sim.control.post('/__sim/transactions', { department: e.department, transaction_date: e.date, approval_status: 'APPROVED', transaction_type: 'CARD', personal: false, original_amount: '12.34', original_currency: 'USD' });
    await world.sim.control.post('/__sim/clock', { advanceMs: 3_600_000 });
    await world.sync();
    expect(await world.exporter().export({ tenant: 'acme' })).toMatchObject({ status: 'success', created: 1 });
    expect(ns.document('journalentry', { externalId: `nb-acme-t-${late.id}` })!.body.tranDate).toBe(today);
  }, 60_000);

  it('an unmapped department stops its document with the value and the mapping line, and nothing is posted for it', async () => {
    const tx = await world.sim.control.post('/__sim/transactions', { department: 'Skunkworks', approval_status: 'APPROVED', transaction_type: 'CARD', personal: false, original_amount: '42.00', original_currency: 'USD' });
    await world.sim.control.post('/__sim/clock', { advanceMs: 3_600_000 });
    await world.sync();
    const exporter = world.exporter();
    const report = await exporter.export({ tenant: 'acme' });
    expect(report.status).toBe('partial');
    expect(report.blocked).toHaveLength(1);
    expect(report.blocked[0]!.transactionIds).toEqual([tx.id]);
    expect(report.blocked[0]!.reasons.join(' ')).toContain(`transaction ${tx.id}: department (from department) "Skunkworks" is not mapped; add "Skunkworks": "<NetSuite department id>" under dimensions.department.map in ${world.dir}/netsuite-mapping.yaml.`);
    expect(ns.document('journalentry', { externalId: `nb-acme-t-${tx.id}` })).toBeUndefined();
    const period = String(tx.transaction_date).slice(0, 7);
    const r = await exporter.reconcile({ tenant: 'acme', period });
    expect(r.balanced).toBe(false);
    expect(r.notPosted).toEqual([{ transactionId: tx.id, amount: '42.00', currency: 'USD', reason: expect.stringContaining('"Skunkworks"') }]);
    expect(r.rows.find((x) => x.account === '(unmapped)')).toMatchObject({ department: 'Skunkworks', warehouse: '42.00', posted: '0.00', difference: '42.00' });
  }, 60_000);

  it('a NetSuite outage opens only the ERP breaker; the next run resumes and finishes', async () => {
    const expected = await expectedFromWarehouse(world.runtime);
    const changed = [...expected.keys()].slice(10, 40);
    await world.sim.control.post('/__sim/clock', { advanceMs: 3_600_000 });
    for (const id of changed) await world.sim.control.patch(`/__sim/transactions/${id}`, { original_amount: '9.99' });
    await world.sim.control.post('/__sim/clock', { advanceMs: 3_600_000 });
    await world.sync();
    ns.faults.inject({ kind: '503', count: 1000 });
    const exporter = world.exporter();
    const stopped = await exporter.export({ tenant: 'acme' });
    expect(stopped.status).toBe('interrupted');
    expect(stopped.error).toMatch(/NetSuite/);
    expect(exporter.gatewayState('acme', 'netsuite')?.breaker).toBe('open');
    expect(world.runtime.gatewayFor('acme').breaker().state).toBe('closed');
    ns.faults.clear();
    await new Promise((r) => setTimeout(r, 1100));
    const resumed = await exporter.export({ tenant: 'acme' });
    expect(resumed.status).toBe('partial'); // the Skunkworks document is still blocked
    // Changes in the period closed above are corrected by reversal, the others updated in place.
    expect(resumed.updated + resumed.corrected).toBe(changed.length - stopped.updated - stopped.corrected);
    const now = await expectedFromWarehouse(world.runtime);
    now.delete([...now.entries()].find(([, e]) => e.department === 'Skunkworks')![0]);
    expect(compareBooks(now, netByTransaction(netsuiteLines(ns), now.keys()))).toEqual([]);
  }, 60_000);

  it('never logs or prints a secret', () => {
    const text = world.logs.join('');
    expect(text).toContain('navan.request');
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/oauth_signature|OAuth realm/);
    const shown = JSON.stringify(printableConfig(world.config));
    expect(shown).not.toContain(SECRETS.NS_CONSUMER_SECRET);
    expect(shown).toContain('env:NS_CONSUMER_SECRET');
  });
});

describe('export to NetSuite as vendor bills, one per statement', () => {
  let ns: NetSuiteSim;
  let world: World;
  beforeAll(async () => {
    ns = await startNetSuiteSim({ consumerKey: 'ck', consumerSecret: SECRETS.NS_CONSUMER_SECRET, tokenId: 'tk', tokenSecret: SECRETS.NS_TOKEN_SECRET });
    world = await startWorld({
      transactions: 1200,
      files: { 'm.yaml': NETSUITE_MAPPING },
      erp: {
        target: 'netsuite', mappingFile: 'm.yaml', grouping: 'statement',
        netsuite: { accountId: ns.accountId, baseUrl: ns.origin, consumerKey: 'ck', consumerSecret: 'env:NS_CONSUMER_SECRET', tokenId: 'tk', tokenSecret: 'env:NS_TOKEN_SECRET', recordType: 'vendorbill', gateway: { observedLimitRps: 5000 } },
      },
    });
    await world.sync();
  }, 60_000);
  afterAll(async () => {
    await world?.close();
    await ns?.close();
  });

  it('posts a bill per statement, currency and card program to the program\'s vendor; a refund-only statement is reported, not posted', async () => {
    const report = await world.exporter().export({ tenant: 'acme' });
    expect(report.failed).toEqual([]);
    expect(report.created).toBeGreaterThan(100);
    for (const b of report.blocked) expect(b.reasons.join(' ')).toMatch(/is not positive, and a refund needs a vendor credit/);
    const bills = ns.documents('vendorbill');
    expect(bills).toHaveLength(report.created);
    expect(new Set(bills.map((b) => (b.body.entity as { id: string }).id))).toEqual(new Set(['1001', '1002', '1003']));
    const lines = bills.flatMap((b) => (b.body.expense as { items: { memo: string; amount: number }[] }).items.map((l) => ({ text: l.memo, amount: new Decimal(String(l.amount)) })));
    const expected = await expectedFromWarehouse(world.runtime);
    const blockedIds = new Set(report.blocked.flatMap((b) => b.transactionIds));
    for (const id of blockedIds) expected.delete(id);
    expect(compareBooks(expected, netByTransaction(lines, expected.keys()))).toEqual([]);
  }, 60_000);
});
