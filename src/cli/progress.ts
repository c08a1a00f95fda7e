import cliProgress from 'cli-progress';
import type { SyncProgress } from '../sync/index.js';

export interface ProgressReporter {
  update: (p: SyncProgress) => void;
  stop: () => void;
}

/**
 * Progress of one sync run, on stderr so stdout stays for the command's result: a bar on a
 * terminal; elsewhere (CI, logs, pipes) one plain line per window at most every second.
 */
export function progressReporter(label: string, options: { out?: NodeJS.WriteStream; clearOnStop?: boolean } = {}): ProgressReporter {
  const out = options.out ?? process.stderr;
  if (out.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label.padEnd(12)} [{bar}] {percentage}% | {read} read | {quarantined} quarantined | {window}`,
        stream: out,
        hideCursor: true,
        // For callers that print their own line per finished run in place of the bar.
        clearOnComplete: options.clearOnStop ?? false,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (p) => {
        const total = p.total || 1;
        const value = p.total ? p.done : 0;
        const payload = { read: p.read, quarantined: p.quarantined, window: `${p.window.from.slice(0, 10)}..${p.window.to.slice(0, 10)}` };
        if (!started) {
          bar.start(total, value, payload);
          started = true;
        } else bar.update(value, payload);
      },
      stop: () => started && bar.stop(),
    };
  }
  let last = 0;
  return {
    update: (p) => {
      const now = Date.now();
      if (now - last < 1000) return;
      last = now;
      const pct = p.total ? ` ${Math.floor((p.done / p.total) * 100)}%` : '';
      out.write(`${label}:${pct} ${p.read} read, ${p.written} written, ${p.quarantined} quarantined, window ${p.window.from}..${p.window.to}\n`);
    },
    stop: () => undefined,
  };
}
