import type { Command } from 'commander';
import { loadConfig, type Config } from '../../config/index.js';
import { silentLogger } from '../../shared/logger.js';
import { EventBus } from '../../shared/events.js';
import { createRuntime } from '../../runtime/index.js';
import { createAlertEvaluator, createMetrics, formatHealth, healthFromMetrics, healthFromUrl, loadLastSuccess, type HealthReport } from '../../monitor/index.js';

/**
 * `navan-bridge health`: each layer's state and the firing alerts; exit 1 if anything fires.
 * A running instance knows everything (tokens, breakers, budget), so its /metrics is read first;
 * without one, the report comes from the warehouse: last syncs and the staleness they imply.
 */
export function registerHealth(program: Command): void {
  program
    .command('health')
    .description('Print token expiry, breakers, budget, last sync per stream and firing alerts; exit 1 if anything fires')
    .option('--url <url>', 'base URL of a running navan-bridge (default: from server.host and server.port)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { url?: string; json?: boolean }) => {
      const config = loadConfig();
      const base = opts.url ?? `http://${config.server.host}:${config.server.port}`;
      const report = (await healthFromUrl(base)) ?? (await fromWarehouse(config));
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatHealth(report, Date.now()));
      if (report.firing.length > 0) process.exitCode = 1;
    });
}

async function fromWarehouse(config: Config): Promise<HealthReport> {
  const events = new EventBus();
  const runtime = await createRuntime(config, { logger: silentLogger, events });
  try {
    const metrics = createMetrics({ events, tenants: config.tenants.map((t) => t.id), collectDefault: false, clock: runtime.clock });
    metrics.restoreLastSuccess(await loadLastSuccess(runtime.warehouse.db));
    const evaluator = createAlertEvaluator({ config, metrics, events, notifiers: [], clock: runtime.clock });
    const report = await healthFromMetrics(metrics, await evaluator.evaluate());
    metrics.close();
    return report;
  } finally {
    await runtime.close();
  }
}
