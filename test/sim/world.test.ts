import { describe, expect, it } from 'vitest';
import { buildPdf } from '../../src/sim/pdf.js';
import { Rng } from '../../src/sim/rng.js';
import { bookingTimestamp, isoDate, isoDateTimeSeconds, moneyString } from '../../src/sim/world.js';

describe('wire formats', () => {
  it('formats UTC times exactly as Date#toISOString would, leap years and 1970 edges included', () => {
    const rng = new Rng(42);
    const samples = [0, -1, 951_782_400_000, 4_107_542_399_999, Date.UTC(2024, 1, 29, 23, 59, 59, 999)];
    for (let k = 0; k < 20_000; k++) samples.push(Math.floor(rng.next() * 4e12) - 1e12);
    for (const ms of samples) {
      const iso = new Date(ms).toISOString();
      expect(bookingTimestamp(ms)).toBe(iso.slice(0, 22) + 'Z');
      expect(isoDate(ms)).toBe(iso.slice(0, 10));
      expect(isoDateTimeSeconds(ms)).toBe(iso.slice(0, 19));
    }
  });

  it('writes transaction money with exactly two decimals', () => {
    expect([moneyString(3.3), moneyString(-12), moneyString(0.005), moneyString(1234.567)]).toEqual(['3.30', '-12.00', '0.01', '1234.57']);
  });

  it('builds a PDF whose xref offsets point at its objects', () => {
    const pdf = buildPdf('Title (with parens)', ['line one', 'naïve ünïcode']).toString('latin1');
    expect(pdf.startsWith('%PDF-1.4')).toBe(true);
    expect(pdf.trimEnd().endsWith('%%EOF')).toBe(true);
    const offsets = [...pdf.matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
    expect(offsets).toHaveLength(5);
    offsets.forEach((o, k) => expect(pdf.slice(o, o + 8)).toBe(`${k + 1} 0 obj\n`));
  });
});
