import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import { openWarehouse } from '../../src/warehouse/index.js';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'navan-bridge');

/** A real `navan-bridge start` process, its output collected as it arrives. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the match once `pattern` appears on the stream; rejects on exit or timeout. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Runs the CLI from the TypeScript sources in `cwd` with a clean environment: no Navan
 * credentials (so the demo starts), no inherited database, Redis or port settings.
 */
export function runCli(cwd: string, args: string[], env: Record<string, string> = {}): CliProcess {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(NAVAN_|DATABASE_URL|REDIS_URL|PORT$|LOG_LEVEL|VITEST|NODE_OPTIONS)/.test(k)) continue;
    base[k] = v;
  }
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...base, NAVAN_BRIDGE_FROM_SOURCE: '1', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => { out.stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out.stderr += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));
  const waitFor = (stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 45_000) =>
    new Promise<RegExpExecArray>((res, rej) => {
      const check = () => {
        const m = pattern.exec(out[stream]);
        if (!m) return false;
        cleanup();
        res(m);
        return true;
      };
      const onData = () => void check();
      const onExit = () => { if (!check()) { cleanup(); rej(new Error(`navan-bridge exited before ${pattern} appeared.\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`)); } };
      const timer = setTimeout(() => { cleanup(); rej(new Error(`${pattern} did not appear within ${timeoutMs} ms.\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`)); }, timeoutMs);
      const cleanup = () => { clearTimeout(timer); child[stream]!.off('data', onData); child.off('exit', onExit); };
      if (check()) return;
      child[stream]!.on('data', onData);
      child.once('exit', onExit);
    });
  return { child, stdout: () => out.stdout, stderr: () => out.stderr, waitFor, exited };
}

/** What the demo warehouse holds after a run: sync bookkeeping and the rows themselves. */
export async function readDemoWarehouse(dir: string) {
  const wh = await openWarehouse({ databaseUrl: `sqlite:${join(dir, 'data', 'demo.db')}` });
  try {
    const runs = await wh.db.selectFrom('sync_run').selectAll().orderBy('started_at').execute();
    const checkpoints = await wh.db.selectFrom('sync_checkpoint').selectAll().execute();
    const locks = await wh.db.selectFrom('sync_lock').selectAll().execute();
    const count = async (table: 'booking' | 'transaction' | 'navan_user') =>
      Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} where _deleted = 0`.execute(wh.db)).rows[0]!.n);
    return { runs, checkpoints, locks, bookings: await count('booking'), transactions: await count('transaction'), users: await count('navan_user') };
  } finally {
    await wh.close();
  }
}
