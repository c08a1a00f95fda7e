import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createLogger, type Logger } from '../../src/shared/logger.js';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'nb-auth-'));
}

export function uniquePrefix(name: string): string {
  return `test:auth:${name}:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

/** A config with the given tenants, no file and no environment, data under a fresh temp dir. */
export function testConfig(tenants: Record<string, unknown>[], overrides: Record<string, unknown> = {}): Config {
  const dataDir = tempDir();
  return loadConfig({ env: {}, cwd: dataDir, overrides: { tenants, storage: { dataDir }, ...overrides } });
}

/** A debug-level logger whose every line is kept, for leak checks and warnings. */
export function capturingLogger(): { logger: Logger; lines: string[]; text(): string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  return { logger, lines, text: () => lines.join('') };
}
