import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportAfterEachSync } from '../../src/erp/index.js';
import { NETSUITE_MAPPING, compareBooks, expectedFromWarehouse, netByTransaction, startWorld, type World } from './world.js';

/** A small RFC 4180 reader: quoted cells may hold commas, quotes and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  return rows;
}

function readRows(dir: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const name of readdirSync(dir).sort()) {
    const text = readFileSync(join(dir, name), 'utf8');
    if (name.endsWith('.jsonl')) {
      for (const line of text.split('\n').filter(Boolean)) out.push(...(JSON.parse(line) as { lines: Record<string, string>[] }).lines);
      continue;
    }
    const [header, ...rows] = parseCsv(text);
    for (const r of rows) out.push(Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ''])));
  }
  return out;
}

const signed = (debit: string, credit: string) => (debit ? new Decimal(debit) : new Decimal(credit || '0').negated());

describe('export to files', () => {
  describe('generic CSV, one document per statement', () => {
    let world: World;
    const out = () => join(world.dir, 'out');
    beforeAll(async () => {
      world = await startWorld({ transactions: 2500, files: { 'm.yaml': NETSUITE_MAPPING }, erp: { target: 'csv', grouping: 'statement', mappingFile: 'm.yaml', csv: { dir: 'out', layout: 'generic', format: 'csv' } } });
      await world.sync();
    }, 60_000);
    afterAll(async () => world?.close());

    it('writes balanced documents once, corrects by reversal plus a new document, and reconciles', async () => {
      const exporter = world.exporter();
      // The after-sync hook is off for this tenant.
      expect(await exporter.exportAfterSync('acme')).toBeUndefined();
      const first = await exporter.export({ tenant: 'acme' });
      expect(first.status).toBe('success');
      const expected = await expectedFromWarehouse(world.runtime);
      let rows = readRows(out());
      const lines = () => rows.filter((r) => r.transaction_id).map((r) => ({ text: r.transaction_id!, amount: signed(r.debit!, r.credit!) }));
      expect(compareBooks(expected, netByTransaction(lines(), expected.keys()))).toEqual([]);
      const byRef = new Map<string, Decimal>();
      for (const r of rows) byRef.set(r.reference!, (byRef.get(r.reference!) ?? new Decimal(0)).plus(signed(r.debit!, r.credit!)));
      expect(byRef.size).toBe(first.created);
      for (const [ref, sum] of byRef) expect(sum.toFixed(2), ref).toBe('0.00');

      expect((await exporter.export({ tenant: 'acme' })).created).toBe(0);
      expect(readRows(out())).toHaveLength(rows.length);

      const [a] = [...expected.keys()];
      await world.sim.control.post('/__sim/clock', { advanceMs: 3_600_000 });
      await world.sim.control.patch(`/__sim/transactions/${a}`, { original_amount: '1000.01' });
      await world.sim.control.post('/__sim/clock', { advanceMs: 3_600_000 });
      await world.sync();
      const second = await world.exporter().export({ tenant: 'acme' });
      expect(second).toMatchObject({ status: 'success', corrected: 1, created: 0 });
      rows = readRows(out());
      expect(rows.filter((r) => r.kind === 'reversal').length).toBeGreaterThan(0);
      const now = await expectedFromWarehouse(world.runtime);
      expect(compareBooks(now, netByTransaction(lines(), now.keys()))).toEqual([]);
      const period = now.get(a)!.date.slice(0, 7);
      expect((await exporter.reconcile({ tenant: 'acme', period })).balanced).toBe(true);
    }, 60_000);
  });

  describe('NetSuite CSV-import layout as JSON lines, one document per day', () => {
    let world: World;
    beforeAll(async () => {
      world = await startWorld({ transactions: 1000, files: { 'm.yaml': NETSUITE_MAPPING }, erp: { target: 'csv', grouping: 'day', exportAfterSync: true, mappingFile: 'm.yaml', csv: { dir: 'out', layout: 'netsuite', format: 'json' } } });
      await world.sync();
    }, 60_000);
    afterAll(async () => world?.close());

    it('a successful sync starts the export; lines are grouped by External ID, each balanced and in one currency', async () => {
      const exporter = world.exporter();
      const unhook = exportAfterEachSync(world.runtime.events, exporter);
      await world.sim.control.post('/__sim/clock', { advanceMs: 60_000 });
      await world.sync();
      // Nothing else exports: a file appears only because the sync's success event started the export.
      const deadline = Date.now() + 20_000;
      while (!existsSync(join(world.dir, 'out'))) {
        if (Date.now() > deadline) throw new Error('the sync did not start an export');
        await new Promise((r) => setTimeout(r, 20));
      }
      // Waits for that export (and queues one more, which finds nothing to do).
      await exporter.exportAfterSync('acme');
      unhook();
      const report = await exporter.export({ tenant: 'acme' });
      expect(report).toMatchObject({ status: 'success', created: 0 });
      expect(report.unchanged).toBe(report.documents);
      const rows = readRows(join(world.dir, 'out'));
      const docs = new Map<string, { sum: Decimal; currencies: Set<string> }>();
      for (const r of rows) {
        const d = docs.get(r['External ID']!) ?? { sum: new Decimal(0), currencies: new Set<string>() };
        d.sum = d.sum.plus(signed(r.Debit!, r.Credit!));
        d.currencies.add(r.Currency!);
        docs.set(r['External ID']!, d);
      }
      expect(docs.size).toBe(report.documents);
      for (const d of docs.values()) {
        expect(d.sum.toFixed(2)).toBe('0.00');
        expect(d.currencies.size).toBe(1);
      }
      expect(Object.keys(rows[0]!)).toEqual(['External ID', 'Date', 'Currency', 'Subsidiary', 'Memo', 'Account', 'Debit', 'Credit', 'Line Memo', 'Department', 'Class', 'Location', 'Name']);
      const expected = await expectedFromWarehouse(world.runtime);
      const lines = rows.filter((r) => r['Line Memo']).map((r) => ({ text: r['Line Memo']!, amount: signed(r.Debit!, r.Credit!) }));
      expect(compareBooks(expected, netByTransaction(lines, expected.keys()))).toEqual([]);
    }, 60_000);
  });
});
