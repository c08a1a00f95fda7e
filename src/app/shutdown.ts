import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';

/**
 * Graceful shutdown for a long-running process. Parts register how they close as they start;
 * the first SIGINT/SIGTERM closes them in reverse order (the last started is the first stopped,
 * so the server stops taking requests before the warehouse under it closes), flushes the logs
 * and exits 0. A second signal exits at once; so does a shutdown that hangs past `forceAfterMs`.
 */
export interface Shutdown {
  /** Aborted as soon as shutdown begins: start-up steps check it and stop early. */
  readonly signal: AbortSignal;
  /** Registers a part to close. Registered after shutdown began, it is closed at once. */
  onClose(name: string, close: () => Promise<unknown> | unknown): void;
  /** Closes every registered part (once; later calls return the same promise). */
  stop(reason?: string): Promise<void>;
  /** Removes the signal listeners (tests, and commands that end on their own). */
  dispose(): void;
}

export interface ShutdownOptions {
  logger?: Logger;
  /** One line to the person at the terminal; default stderr. */
  say?: (line: string) => void;
  /** Default process.exit; tests pass their own. */
  exit?: (code: number) => void;
  /** Listen to these process signals; default SIGINT and SIGTERM. Pass [] to handle none. */
  signals?: NodeJS.Signals[];
  /** A shutdown still running after this long exits with code 1; default 30 s. */
  forceAfterMs?: number;
}

export function createShutdown(options: ShutdownOptions = {}): Shutdown {
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const forceAfterMs = options.forceAfterMs ?? 30_000;
  const controller = new AbortController();
  const parts: { name: string; close: () => Promise<unknown> | unknown }[] = [];
  let stopping: Promise<void> | undefined;
  let drained = false;

  async function closeOne(part: { name: string; close: () => Promise<unknown> | unknown }): Promise<void> {
    try {
      await part.close();
    } catch (err) {
      // One part failing to close must not keep the others open.
      options.logger?.warn({ part: part.name, err: describeError(err) }, 'a part failed to close cleanly');
    }
  }

  function stop(reason = 'stop requested'): Promise<void> {
    stopping ??= (async () => {
      controller.abort(new Error(reason));
      while (parts.length) await closeOne(parts.pop()!);
      drained = true;
      if (options.logger) await flushLogger(options.logger);
    })();
    return stopping;
  }

  let signalled = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signalled += 1;
    if (signalled > 1) {
      say('Forced exit: parts may not have been closed cleanly; the next start resumes from the last checkpoint.');
      exit(130);
      return;
    }
    say(`\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping (syncs checkpoint their current page; press Ctrl-C again to force)…`);
    const timer = setTimeout(() => {
      say(`Shutdown took longer than ${forceAfterMs / 1000} s; exiting without waiting further.`);
      exit(1);
    }, forceAfterMs);
    timer.unref();
    void stop(`received ${signal}`).then(
      () => {
        clearTimeout(timer);
        say('Stopped cleanly.');
        exit(0);
      },
      (err: unknown) => {
        say(`Shutdown failed: ${describeError(err)}`);
        exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, onSignal);

  return {
    signal: controller.signal,
    onClose(name, close) {
      // While the stop loop runs it picks up late parts too; after it, they are closed here.
      if (drained) void closeOne({ name, close });
      else parts.push({ name, close });
    },
    stop,
    dispose() {
      for (const s of signals) process.off(s, onSignal);
    },
  };
}

/** Waits until pino has written every buffered line (its destination is asynchronous). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    try {
      logger.flush(() => resolve());
    } catch {
      resolve();
    }
  });
}
