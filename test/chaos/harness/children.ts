import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A port the OS says is free now (closed again before returning, so a child can take it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Child {
  name: string;
  proc: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  exited: Promise<number | string>;
  alive(): boolean;
}

/**
 * Every process the chaos run starts, so afterAll can end them all even when a step failed.
 * Output goes to one log file per child (read back for the secret-leak check and on failure).
 */
export class ChildSet {
  readonly #children = new Set<Child>();
  readonly #logs: WriteStream[] = [];
  readonly #names = new Set<string>();

  constructor(readonly logDir: string) {
    // Last resort if the test process ends without afterAll (a crash): no child outlives it.
    process.once('exit', () => {
      for (const c of this.#children) c.proc.kill('SIGKILL');
    });
  }

  spawn(name: string, command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string }): Child {
    const logFile = join(this.logDir, `${name}.log`);
    this.#names.add(name);
    const log = createWriteStream(logFile, { flags: 'a' });
    this.#logs.push(log);
    const proc = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.pipe(log, { end: false });
    proc.stderr!.pipe(log, { end: false });
    let gone = false;
    const exited = new Promise<number | string>((resolve) => {
      proc.once('exit', (code, signal) => {
        gone = true;
        this.#children.delete(child);
        resolve(code ?? signal ?? 'unknown');
      });
      proc.once('error', (err) => {
        gone = true;
        this.#children.delete(child);
        resolve(`spawn failed: ${err.message}`);
      });
    });
    const child: Child = { name, proc, logFile, exited, alive: () => !gone };
    this.#children.add(child);
    return child;
  }

  /** Signals one child, by its own pid (never by name). */
  signal(child: Child, signal: NodeJS.Signals): void {
    if (child.alive()) child.proc.kill(signal);
  }

  /** SIGTERM, then SIGKILL whatever is still alive after `graceMs`. Safe to call twice. */
  async stopAll(graceMs = 10_000): Promise<void> {
    const all = [...this.#children];
    for (const c of all) this.signal(c, 'SIGTERM');
    const deadline = new Promise((r) => setTimeout(r, graceMs).unref());
    await Promise.race([Promise.all(all.map((c) => c.exited)), deadline]);
    for (const c of all) this.signal(c, 'SIGKILL');
    await Promise.race([Promise.all(all.map((c) => c.exited)), new Promise((r) => setTimeout(r, 2000).unref())]);
    for (const l of this.#logs) l.end();
  }

  /** Every child's log so far, by name (a restarted child appends to the same file). */
  logs(): { name: string; text: string }[] {
    return [...this.#names].map((name) => ({ name, text: safeRead(join(this.logDir, `${name}.log`)) }));
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}.`);
}
