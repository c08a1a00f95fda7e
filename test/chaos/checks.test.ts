import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { exceptQuarantined, summaryTable, tally } from './checks.js';
import { shortenRules } from './harness/prometheus.js';

/** The chaos suite's own verdict rules, checked without starting anything. */
describe('chaos verdicts', () => {
  const truth = new Set(['b1', 'b2', 't1', 't2', 't3']);

  it('excuses a missing record quarantined under its id, and no other', () => {
    const diff = ['booking b1: missing', 'booking b2: missing', 'transaction t1: want {"posted":"1.00"} got {"posted":"2.00"}'];
    const r = exceptQuarantined(diff, [{ record_id: 'b1', stream: 'bookings' }], truth);
    expect(r.excepted).toBe(1);
    expect(r.differences).toEqual(['booking b2: missing', 'transaction t1: want {"posted":"1.00"} got {"posted":"2.00"}']);
  });

  it('lets each record quarantined with a corrupted id excuse one missing record of its own stream', () => {
    const diff = ['transaction t1: missing', 'transaction t2: missing', 'transaction t3: missing', 'booking b1: missing'];
    const quarantined = [{ record_id: null, stream: 'transactions' }, { record_id: '12345', stream: 'transactions' }];
    const r = exceptQuarantined(diff, quarantined, truth);
    expect(r.excepted).toBe(2);
    expect(r.differences).toEqual(['transaction t3: missing', 'booking b1: missing']);
  });

  it('counts statuses of API calls only, resets included', () => {
    const t = tally({ requests: { 'GET /v1/bookings': { 200: 5, 429: 2, reset: 1 }, 'POST /ta-auth/oauth/token': { 200: 3 } }, tokensIssued: 3 });
    expect(t).toEqual({ requests: 8, by: { 200: 5, 429: 2, reset: 1 } });
  });

  it('prints one aligned table', () => {
    const text = summaryTable([{ tenant: 'alpha', n: 1 }, { tenant: 'b', n: 12345 }]);
    expect(text.split('\n')).toEqual(['| tenant | n     |', '|--------|-------|', '| alpha  | 1     |', '| b      | 12345 |']);
  });

  it('shortens the alert windows and keeps rules promtool accepts', async () => {
    const text = shortenRules(readFileSync(resolve(import.meta.dirname, '../../deploy/prometheus/alerts.yml'), 'utf8'));
    expect(text).not.toMatch(/\[(5|15)m\]|for: 1m|offset (5|10)m/);
    const dir = mkdtempSync(join(tmpdir(), 'nb-chaos-rules-'));
    try {
      writeFileSync(join(dir, 'alerts.yml'), text);
      const { stdout } = await promisify(execFile)('promtool', ['check', 'rules', join(dir, 'alerts.yml')]);
      expect(stdout).toContain('SUCCESS: 8 rules found');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
