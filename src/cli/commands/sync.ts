import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { ConfigError } from '../../shared/errors.js';
import { createRuntime } from '../../runtime/index.js';
import { STREAMS, createSyncEngine, type StreamName, type SyncMode, type SyncProgress, type SyncRunSummary } from '../../sync/index.js';

const MODES: SyncMode[] = ['full', 'incremental', 'catch-up'];

interface SyncCommandOptions {
  tenant?: string;
  stream: string;
  mode: string;
  forceDeletes?: boolean;
}

/** `navan-bridge sync`: one run now, a progress bar on a terminal, plain lines otherwise, a JSON summary on stdout. */
export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('Run a sync now for one tenant and stream (bookings, transactions, users)')
    .option('--tenant <id>', 'tenant id (default: the only or first tenant)')
    .option('--stream <stream>', 'bookings, transactions, users or all', 'all')
    .option('--mode <mode>', 'full, incremental or catch-up (users are always a full refresh)', 'incremental')
    .option('--force-deletes', 'mark deletes even when the delete guard holds a full refresh as suspect')
    .action(async (opts: SyncCommandOptions) => {
      const streams: StreamName[] = opts.stream === 'all' ? STREAMS : [opts.stream as StreamName];
      if (!streams.every((s) => STREAMS.includes(s))) throw new ConfigError(`--stream: "${opts.stream}" is not a stream; use bookings, transactions, users or all.`);
      if (!MODES.includes(opts.mode as SyncMode)) throw new ConfigError(`--mode: "${opts.mode}" is not a mode; use full, incremental or catch-up.`);
      const config = loadConfig();
      const runtime = await createRuntime(config);
      const abort = new AbortController();
      const onSignal = () => abort.abort(new Error('interrupted'));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const summaries: SyncRunSummary[] = [];
      try {
        const tenant = runtime.tenant(opts.tenant).id;
        const engine = createSyncEngine({ config, warehouse: runtime.warehouse, clientFor: (id) => runtime.clientFor(id), clock: runtime.clock, logger: runtime.logger, events: runtime.events });
        for (const stream of streams) {
          const progress = progressReporter(stream);
          try {
            summaries.push(await engine.run({ tenant, stream, mode: opts.mode as SyncMode, forceDeletes: opts.forceDeletes, signal: abort.signal, onProgress: progress.update }));
          } finally {
            progress.stop();
          }
          if (abort.signal.aborted) break;
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await runtime.close();
      }
      console.log(JSON.stringify(summaries.length === 1 ? summaries[0] : summaries, null, 2));
      if (summaries.some((s) => s.status !== 'success')) process.exitCode = 1;
    });
}

/** A bar on a terminal; elsewhere (CI, logs) one plain line per window at most every second. */
function progressReporter(stream: StreamName): { update: (p: SyncProgress) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${stream.padEnd(12)} [{bar}] {percentage}% | {read} read | {quarantined} quarantined | {window}`, stream: process.stderr, hideCursor: true },
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
      process.stderr.write(`${stream}:${pct} ${p.read} read, ${p.written} written, ${p.quarantined} quarantined, window ${p.window.from}..${p.window.to}\n`);
    },
    stop: () => undefined,
  };
}
