import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSapSim, type SapSim } from '../../src/sim/erp/index.js';
import { SAP_MAPPING, SECRETS, compareBooks, expectedFromWarehouse, netByTransaction, startWorld, type World } from './world.js';

/** Every SAP line, signed as posted (debits positive, credits negative), over documents and reversals. */
const sapLines = (sap: SapSim) => sap.documents().flatMap((d) => d.lines.map((l) => ({ text: l.text ?? '', amount: new Decimal(l.amount) })));

function duplicateReferences(sap: SapSim): string[] {
  const seen = new Map<string, number>();
  for (const d of sap.documents()) seen.set(d.originalReferenceDocument ?? '', (seen.get(d.originalReferenceDocument ?? '') ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([r]) => r);
}

describe('export to SAP S/4HANA end to end (one document per day)', () => {
  let sap: SapSim;
  let world: World;

  beforeAll(async () => {
    sap = await startSapSim({ password: SECRETS.SAP_PASSWORD });
    world = await startWorld({
      transactions: 2000,
      files: { 'sap-mapping.yaml': SAP_MAPPING },
      erp: {
        target: 'sap',
        grouping: 'day',
        sap: { baseUrl: sap.origin, user: sap.credentials.user, password: 'env:SAP_PASSWORD', mappingFile: 'sap-mapping.yaml', concurrency: 3, gateway: { observedLimitRps: 5000, requestTimeoutMs: 3000 } },
      },
    });
    await world.sync();
  }, 60_000);
  afterAll(async () => {
    await world?.close();
    await sap?.close();
  });

  it('posts each document once through 429s, 5xx and lost answers, and reconciles with zero differences', async () => {
    const post = ['/sap/bc/srt/scs_ext/sap/journalentrycreaterequestconfi'];
    sap.faults.inject({ kind: '429', everyNth: 31, count: 4 });
    sap.faults.inject({ kind: '500', everyNth: 23, count: 8, paths: post });
    // The document is stored, then the answer is lost: only the reference check keeps it single.
    sap.faults.inject({ kind: '503', everyNth: 19, count: 8, phase: 'after', paths: post });
    sap.faults.inject({ kind: 'reset', everyNth: 37, count: 3, phase: 'after', paths: post });
    const exporter = world.exporter();
    const report = await exporter.export({ tenant: 'acme' });
    expect(report.failed).toEqual([]);
    expect(report.status).toBe('success');
    expect(sap.stats().injectedFaults).toBeGreaterThanOrEqual(15);
    sap.faults.clear();

    expect(duplicateReferences(sap)).toEqual([]);
    expect(sap.documents()).toHaveLength(report.created);
    const expected = await expectedFromWarehouse(world.runtime);
    expect(compareBooks(expected, netByTransaction(sapLines(sap), expected.keys()))).toEqual([]);
    for (const d of sap.documents()) {
      expect(d.lines.reduce((s, l) => s.plus(l.amount), new Decimal(0)).toFixed(2)).toBe('0.00');
      expect(new Set(d.lines.map((l) => l.currency)).size).toBe(1);
    }
    const periods = [...new Set([...expected.values()].map((e) => e.date.slice(0, 7)))].sort();
    for (const period of periods) expect((await exporter.reconcile({ tenant: 'acme', period })).balanced, period).toBe(true);
  }, 60_000);

  it('a second run posts nothing', async () => {
    const before = sap.documents().length;
    const report = await world.exporter().export({ tenant: 'acme' });
    expect(report).toMatchObject({ status: 'success', created: 0, corrected: 0, removed: 0 });
    expect(sap.documents()).toHaveLength(before);
  });

  it('corrects a changed transaction by a reversal and a new document; a rejected one by a reversal', async () => {
    const expected = await expectedFromWarehouse(world.runtime);
    const [a, b] = [...expected.keys()].slice(0, 2);
    const before = sap.documents().length;
    await world.sim.control.post('/__sim/clock', { advanceMs: 3_600_000 });
    await world.sim.control.patch(`/__sim/transactions/${a}`, { original_amount: '321.09' });
    await world.sim.control.patch(`/__sim/transactions/${b}`, { approval_status: 'REJECTED' });
    await world.sim.control.post('/__sim/clock', { advanceMs: 3_600_000 });
    await world.sync();
    const exporter = world.exporter();
    const report = await exporter.export({ tenant: 'acme' });
    expect(report.status).toBe('success');
    expect(report.corrected + report.removed).toBeGreaterThanOrEqual(2);
    // Each correction is a reversal plus a new document; each removal a reversal.
    expect(sap.documents().length - before).toBe(2 * report.corrected + report.removed);
    expect(sap.documents().filter((d) => d.documentHeaderText?.startsWith('Reversal')).length).toBe(report.corrected + report.removed);
    expect(duplicateReferences(sap)).toEqual([]);
    const now = await expectedFromWarehouse(world.runtime);
    expect(compareBooks(now, netByTransaction(sapLines(sap), now.keys()))).toEqual([]);
    const r = await exporter.reconcile({ tenant: 'acme', period: expected.get(a)!.date.slice(0, 7), verify: true });
    expect(r.erpDifferences).toEqual([]);
    expect(r.balanced).toBe(true);
  }, 60_000);

  it('an unknown cost center in the mapping is a document failure in the report, nothing posted for it', async () => {
    const tx = await world.sim.control.post('/__sim/transactions', { cost_center: 'CC-9999', approval_status: 'APPROVED', transaction_type: 'CARD', personal: false, original_amount: '10.00', original_currency: 'EUR' });
    await world.sim.control.post('/__sim/clock', { advanceMs: 3_600_000 });
    await world.sync();
    const report = await world.exporter().export({ tenant: 'acme' });
    expect(report.status).toBe('partial');
    expect(report.blocked.flatMap((b) => b.reasons).join(' ')).toContain('"CC-9999": "<SAP costCenter id>" under dimensions.costCenter.map');
    expect(sapLines(sap).some((l) => l.text.startsWith(tx.id))).toBe(false);
  }, 60_000);

  it('never logs a secret', () => {
    const text = world.logs.join('');
    expect(text).toContain('navan.request');
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    expect(text).not.toContain(Buffer.from(`${sap.credentials.user}:${SECRETS.SAP_PASSWORD}`).toString('base64'));
  });
});
