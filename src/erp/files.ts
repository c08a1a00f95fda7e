import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { journalLines } from './documents.js';
import type { ErpDocument } from './model.js';
import type { ErpTarget, Posted } from './target.js';

export interface FileTargetOptions {
  tenant: string;
  dir: string;
  layout: 'generic' | 'netsuite';
  format: 'csv' | 'json';
  /** Names this run's file; documents of one run go into one file. */
  runStamp: string;
}

const GENERIC_COLUMNS = ['reference', 'external_id', 'kind', 'date', 'currency', 'account', 'debit', 'credit', 'memo', 'department', 'class', 'location', 'cost_center', 'subsidiary', 'company_code', 'vendor', 'transaction_id'];
/** NetSuite's journal entry CSV import: lines sharing an External ID become one journal. */
const NETSUITE_COLUMNS = ['External ID', 'Date', 'Currency', 'Subsidiary', 'Memo', 'Account', 'Debit', 'Credit', 'Line Memo', 'Department', 'Class', 'Location', 'Name'];

const cell = (v: string | undefined) => {
  const s = v ?? '';
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/**
 * CSV or JSON-lines files for any other ERP's import. A file can not be changed once imported, so
 * a correction is a reversal plus a new document, like SAP. Each document (or reversal) is
 * appended in one write under its reference; before writing, every earlier file of the folder is
 * checked for that reference, so a crash between the write and the ledger commit never writes it twice.
 */
export function createFileTarget(o: FileTargetOptions): ErpTarget {
  const dir = resolve(o.dir);
  const ext = o.format === 'json' ? 'jsonl' : 'csv';
  const prefix = `${o.tenant}-${o.layout}-`;
  const file = join(dir, `${prefix}${o.runStamp}.${ext}`);
  let written: Map<string, string> | undefined;

  /** reference → file, from every file of this tenant and layout in the folder. */
  const index = (): Map<string, string> => {
    if (written) return written;
    written = new Map();
    if (!existsSync(dir)) return written;
    for (const name of readdirSync(dir).filter((n) => n.startsWith(prefix) && n.endsWith(`.${ext}`)).sort()) {
      for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
        const reference = o.format === 'json' ? (line ? (JSON.parse(line) as { reference: string }).reference : '') : line.split(',')[0]!;
        if (reference) written.set(reference, name);
      }
    }
    return written;
  };

  const rows = (doc: ErpDocument, reference: string, reversal: boolean): string[][] =>
    journalLines(doc).map((j) => {
      const [debit, credit] = reversal ? [j.credit, j.debit] : [j.debit, j.credit];
      const l = j.line;
      if (o.layout === 'netsuite') {
        return [reference, doc.date, doc.currency, doc.subsidiary ?? '', doc.memo, j.account, debit ?? '', credit ?? '', l?.memo ?? '', l?.department ?? '', l?.class ?? '', l?.location ?? '', l ? '' : doc.funding.vendor ?? ''];
      }
      return [reference, doc.externalId, reversal ? 'reversal' : 'document', doc.date, doc.currency, j.account, debit ?? '', credit ?? '', l?.memo ?? doc.memo, l?.department ?? '', l?.class ?? '', l?.location ?? '', l?.costCenter ?? '', doc.subsidiary ?? '', doc.companyCode ?? '', l ? '' : doc.funding.vendor ?? '', l?.transactionId ?? ''];
    });

  const header = o.layout === 'netsuite' ? NETSUITE_COLUMNS : GENERIC_COLUMNS;

  return {
    name: 'csv',
    label: `${o.format.toUpperCase()} file`,
    recordType: o.layout === 'netsuite' ? 'netsuite-csv-journal' : 'generic-journal',
    mode: 'reference',
    concurrency: 1,
    validate: () => [],
    render: (doc) => ({ file, reference: `${doc.externalId}-v1`, rows: rows(doc, `${doc.externalId}-v1`, false) }),
    // NetSuite's CSV import groups lines by External ID, so each revision needs its own id.
    reference: (externalId, revision, reversal) => `${externalId}-${reversal ? 'x' : 'v'}${revision}`,
    async find(reference): Promise<Posted | undefined> {
      const name = index().get(reference);
      return name ? { documentNumber: name } : undefined;
    },
    async postUnder(doc, reference, reversal): Promise<Posted> {
      mkdirSync(dir, { recursive: true });
      const data = rows(doc, reference, reversal);
      let text: string;
      if (o.format === 'json') {
        text = `${JSON.stringify({ reference, externalId: doc.externalId, kind: reversal ? 'reversal' : 'document', date: doc.date, currency: doc.currency, lines: data.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))) })}\n`;
      } else {
        // The header goes in as the first write of a new file (its first cell is not a reference anyone uses).
        text = (existsSync(file) ? '' : `${header.map(cell).join(',')}\n`) + data.map((r) => r.map(cell).join(',')).join('\n') + '\n';
      }
      appendFileSync(file, text);
      index().set(reference, file.slice(dir.length + 1));
      return { documentNumber: file.slice(dir.length + 1) };
    },
    close: async () => undefined,
  };
}
