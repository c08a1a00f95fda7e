import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startNetSuiteSim, type NetSuiteSim } from '../../../src/sim/erp/index.js';
import { netSuiteCaller } from './_tba.js';

function je(externalId: string | undefined, lines: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return { ...(externalId ? { externalId } : {}), subsidiary: { id: '1' }, currency: { id: '1' }, tranDate: '2026-10-15', memo: 'Navan', line: { items: lines }, ...extra };
}
const balanced = [
  { account: { id: '58' }, debit: 187.5, department: { id: '3' }, class: { id: '2' }, location: { id: '1' }, memo: 'Hotel' },
  { account: { id: '4' }, credit: '187.50' },
];

describe('NetSuite simulator: journal entries and vendor bills', () => {
  let sim: NetSuiteSim;
  let call: ReturnType<typeof netSuiteCaller>;

  beforeAll(async () => {
    sim = await startNetSuiteSim({ masterData: { accounts: ['4', '58', '60', '111'], departments: ['3'], classes: ['2'], locations: ['1'], subsidiaries: ['1'], vendors: ['1001'], currencies: ['1'] } });
    call = netSuiteCaller(sim);
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(() => sim.reset());

  it('POST answers 204 with a Location ending in the new internal id, and GET reads it back by id and by eid', async () => {
    const res = await call('POST', '/journalentry', je('NB-je-1', balanced));
    expect(res.status).toBe(204);
    const location = String(res.headers.location);
    const id = location.split('/').at(-1)!;
    expect(location).toBe(`${sim.url}/journalentry/${id}`);
    const byId = await call('GET', `/journalentry/${id}`);
    const byEid = await call('GET', '/journalentry/eid:NB-je-1?expandSubResources=true');
    expect(byId.status).toBe(200);
    expect(byId.json).toMatchObject({ id, externalId: 'NB-je-1', subsidiary: { id: '1' }, line: { links: [{ rel: 'self' }] } });
    expect(byId.json.line.items).toBeUndefined();
    expect(byEid.json.line.items).toHaveLength(2);
    expect(byEid.json.line.items[0]).toMatchObject({ account: { id: '58' }, debit: 187.5 });
    expect(sim.documents()).toEqual([expect.objectContaining({ type: 'journalentry', id, externalId: 'NB-je-1', version: 1 })]);
  });

  it('a second POST with an existing externalId fails with "This entity already exists."', async () => {
    expect((await call('POST', '/journalentry', je('NB-dup', balanced))).status).toBe(204);
    const again = await call('POST', '/journalentry', je('NB-dup', balanced));
    expect(again.status).toBe(400);
    expect(again.json).toMatchObject({ status: 400, title: 'Bad Request', 'o:errorDetails': [{ 'o:errorCode': 'USER_ERROR', detail: 'This entity already exists.' }] });
    expect(sim.documents()).toHaveLength(1);
  });

  it('PUT eid: creates, then replaces the same record (sublist included), keeping its internal id', async () => {
    const created = await call('PUT', '/journalentry/eid:NB-upsert-1', je(undefined, balanced));
    expect(created.status).toBe(204);
    const replaced = await call('PUT', '/journalentry/eid:NB-upsert-1', je(undefined, [
      { account: { id: '60' }, debit: '10.00' },
      { account: { id: '58' }, debit: '5.25' },
      { account: { id: '4' }, credit: 15.25 },
    ]));
    expect(replaced.status).toBe(204);
    expect(replaced.headers.location).toBe(created.headers.location);
    const docs = sim.documents('journalentry');
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ externalId: 'NB-upsert-1', version: 2 });
    expect((docs[0]!.body.line as { items: unknown[] }).items).toHaveLength(3);
    expect(sim.stats()).toMatchObject({ documentsCreated: 1, documentsReplaced: 1 });
    const mismatch = await call('PUT', '/journalentry/eid:NB-upsert-1', je('NB-other', balanced));
    expect(mismatch.status).toBe(400);
  });

  it('rejects unbalanced entries in exact decimals, and accepts 0.10 + 0.20 = 0.30', async () => {
    const off = await call('POST', '/journalentry', je('NB-unbalanced', [{ account: { id: '58' }, debit: 100 }, { account: { id: '4' }, credit: 99.99 }]));
    expect(off.status).toBe(400);
    expect(off.json['o:errorDetails'][0]).toMatchObject({ 'o:errorCode': 'USER_ERROR', 'o:errorPath': 'line' });
    expect(off.json['o:errorDetails'][0].detail).toContain('out of balance');
    const exact = await call('POST', '/journalentry', je('NB-exact', [{ account: { id: '58' }, debit: 0.1 }, { account: { id: '60' }, debit: 0.2 }, { account: { id: '4' }, credit: 0.3 }]));
    expect(exact.status).toBe(204);
    const tooPrecise = await call('POST', '/journalentry', je('NB-precise', [{ account: { id: '58' }, debit: 1.005 }, { account: { id: '4' }, credit: 1.005 }]));
    expect(tooPrecise.status).toBe(400);
    const both = await call('POST', '/journalentry', je('NB-both', [{ account: { id: '58' }, debit: 1, credit: 1 }, { account: { id: '4' }, credit: 1 }]));
    expect(both.status).toBe(400);
    expect(sim.documents().map((d) => d.externalId)).toEqual(['NB-exact']);
  });

  it.each([
    ['account', { account: { id: '999' }, debit: 5 }, 'account'],
    ['department', { account: { id: '58' }, debit: 5, department: { id: '77' } }, 'department'],
    ['class', { account: { id: '58' }, debit: 5, class: { id: '77' } }, 'class'],
    ['location', { account: { id: '58' }, debit: 5, location: { id: '77' } }, 'location'],
  ])('rejects an unknown %s id on a line with "Invalid Field Value" and the line path', async (_name, line, field) => {
    const res = await call('POST', '/journalentry', je('NB-bad-ref', [{ account: { id: '4' }, credit: 5 }, line]));
    expect(res.status).toBe(400);
    expect(res.json['o:errorDetails'][0]).toMatchObject({ 'o:errorCode': 'USER_ERROR', 'o:errorPath': 'line.items[1]' });
    expect(res.json['o:errorDetails'][0].detail).toMatch(new RegExp(`Invalid Field Value 77|999 for the following field: ${field}\\.`));
    expect(sim.documents()).toHaveLength(0);
  });

  it('rejects an unknown subsidiary or currency, a missing subsidiary, unknown fields and impossible dates', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [je('NB-x', balanced, { subsidiary: { id: '9' } }), 'subsidiary'],
      [je('NB-x', balanced, { currency: { id: '9' } }), 'currency'],
      [{ ...je('NB-x', balanced), subsidiary: undefined }, 'subsidiary'],
      [je('NB-x', balanced, { amount: 5 }), 'amount'],
      [je('NB-x', balanced, { tranDate: '2026-02-30' }), 'tranDate'],
    ];
    for (const [body, path] of cases) {
      const res = await call('POST', '/journalentry', JSON.stringify(body));
      expect(res.status, path).toBe(400);
      expect(res.json['o:errorDetails'][0]['o:errorPath']).toBe(path);
    }
    const badJson = await call('POST', '/journalentry', '{"subsidiary":');
    expect(badJson.status).toBe(400);
    expect(badJson.json['o:errorDetails'][0]['o:errorCode']).toBe('USER_ERROR');
  });

  it('rejects bad external ids in the body and in eid: (only letters, digits, _ and -)', async () => {
    const inBody = await call('POST', '/journalentry', je('NB|pipe', balanced));
    expect(inBody.status).toBe(400);
    expect(inBody.json['o:errorDetails'][0]['o:errorPath']).toBe('externalId');
    for (const eid of ['NB%7Cpipe', 'NB.dot', 'NB%20space']) {
      const res = await call('PUT', `/journalentry/eid:${eid}`, je(undefined, balanced));
      expect(res.status, eid).toBe(400);
    }
    expect((await call('PUT', '/journalentry/123', je(undefined, balanced))).status).toBe(400);
    expect(sim.documents()).toHaveLength(0);
  });

  it('404 NONEXISTENT_ID for unknown records; DELETE removes a record', async () => {
    const missing = await call('GET', '/journalentry/eid:NB-none');
    expect(missing.status).toBe(404);
    expect(missing.json['o:errorDetails'][0]['o:errorCode']).toBe('NONEXISTENT_ID');
    await call('PUT', '/journalentry/eid:NB-del', je(undefined, balanced));
    expect((await call('DELETE', '/journalentry/eid:NB-del')).status).toBe(204);
    expect(sim.documents()).toHaveLength(0);
    expect((await call('DELETE', '/journalentry/eid:NB-del')).status).toBe(404);
  });

  it('vendor bills: entity and expense lines are checked; 204 + Location', async () => {
    const bill = { externalId: 'NB-vb-1', entity: { id: '1001' }, subsidiary: { id: '1' }, tranDate: '2026-10-15', dueDate: '2026-11-14', expense: { items: [{ account: { id: '58' }, amount: 42.1, department: { id: '3' } }] } };
    const ok = await call('POST', '/vendorbill', bill);
    expect(ok.status).toBe(204);
    expect(ok.headers.location).toMatch(/\/vendorbill\/\d+$/);
    const badVendor = await call('PUT', '/vendorbill/eid:NB-vb-2', { ...bill, externalId: undefined, entity: { id: '5' } });
    expect(badVendor.status).toBe(400);
    expect(badVendor.json['o:errorDetails'][0].detail).toContain('for the following field: entity.');
    const badLine = await call('PUT', '/vendorbill/eid:NB-vb-3', { ...bill, externalId: undefined, expense: { items: [{ account: { id: '58' }, amount: 1, debit: 1 }] } });
    expect(badLine.status).toBe(400);
    expect(badLine.json['o:errorDetails'][0]['o:errorPath']).toBe('expense.items[0].debit');
    expect(sim.documents('vendorbill')).toHaveLength(1);
  });

  it('a workflow lock and a closed period refuse changes; closed periods refuse new postings', async () => {
    await call('PUT', '/journalentry/eid:NB-lock', je(undefined, balanced));
    sim.lock('journalentry', 'NB-lock');
    const locked = await call('PUT', '/journalentry/eid:NB-lock', je(undefined, balanced));
    expect(locked.status).toBe(400);
    expect(locked.json['o:errorDetails'][0].detail).toBe('This record has been locked by a user defined workflow.');
    sim.unlock('journalentry', 'NB-lock');
    sim.closePeriod('2026-10');
    const closed = await call('PUT', '/journalentry/eid:NB-lock', je(undefined, balanced));
    expect(closed.status).toBe(400);
    expect(closed.json['o:errorDetails'][0].detail).toContain('2026-10 is closed');
    const fresh = await call('POST', '/journalentry', je('NB-closed', balanced));
    expect(fresh.status).toBe(400);
    expect((await call('POST', '/journalentry', je('NB-open', balanced, { tranDate: '2026-11-01' }))).status).toBe(204);
  });

  it('the control plane lists the documents as JSON', async () => {
    expect((await call('PUT', '/journalentry/eid:NB-control', je(undefined, balanced))).status).toBe(204);
    const res = await request(`${sim.origin}/__sim/documents`);
    const body = (await res.body.json()) as { documents: { externalId: string }[] };
    expect(body.documents.map((d) => d.externalId)).toEqual(['NB-control']);
  });
});
