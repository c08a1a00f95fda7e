import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { ConfigError } from '../../shared/errors.js';
import { createRuntime } from '../../runtime/index.js';
import { progressReporter } from '../progress.js';
import { STREAMS, createSyncEngine, type StreamName, type SyncMode, type SyncRunSummary } from '../../sync/index.js';

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
