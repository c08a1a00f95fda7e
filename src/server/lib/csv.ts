import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Freshness } from './freshness.js';

/** True when the client asked for CSV (`Accept: text/csv`): finance teams live in spreadsheets. */
export function wantsCsv(req: FastifyRequest): boolean {
  return (req.headers.accept ?? '').includes('text/csv');
}

/**
 * RFC 4180 quoting, plus a leading apostrophe on text that a spreadsheet would run as a formula
 * (=, +, -, @ not followed by a number), so an exported traveler name can never execute.
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let text = typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(text) && !/^[+-]?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Streams rows as CSV while they are read, chunk by chunk, so an export of a million rows never
 * sits in memory. Freshness travels in a header because CSV has nowhere else to put it.
 */
export function sendCsv<Row>(reply: FastifyReply, name: string, columns: readonly string[], chunks: AsyncIterable<Row[]>, toRow: (r: Row) => Record<string, unknown>, freshness: Freshness): FastifyReply {
  async function* lines(): AsyncGenerator<string> {
    yield `${columns.join(',')}\r\n`;
    for await (const rows of chunks) {
      let out = '';
      for (const r of rows) {
        const o = toRow(r);
        out += `${columns.map((c) => csvCell(o[c])).join(',')}\r\n`;
      }
      yield out;
    }
  }
  if (freshness.syncedAt) reply.header('x-data-synced-at', freshness.syncedAt);
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .send(Readable.from(lines()));
}
