import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, isoTimestamp } from '../../src/shared/logger.js';

describe('logger', () => {
  it('timestamps read exactly like Date#toISOString, across second boundaries and in any order', () => {
    const base = Date.UTC(2026, 10, 29, 23, 59, 58);
    for (const ms of [0, 7, 45, 100, 999, 1000, 1001, 1999, 2000, 2500, -1000, 86_400_000 + 3]) {
      expect(isoTimestamp(base + ms)).toBe(`,"time":"${new Date(base + ms).toISOString()}"`);
    }
  });

  it('lines carry an ISO time and censor secrets', () => {
    let out = '';
    const logger = createLogger({ destination: new Writable({ write(c, _e, cb) { out += c.toString(); cb(); } }) as never });
    const before = Date.now();
    logger.info({ clientSecret: 's3cr3t', nested: { accessToken: 'tok' } }, 'hello');
    const line = JSON.parse(out) as { time: string; clientSecret: string; nested: { accessToken: string } };
    expect(Date.parse(line.time)).toBeGreaterThanOrEqual(before);
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(out).not.toContain('s3cr3t');
    expect(out).not.toContain('tok"');
    expect(line.nested.accessToken).toBe('[redacted]');
  });
});
