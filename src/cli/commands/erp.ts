import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { createErpExporter, type ErpExportProgress, type ErpExportReport, type ErpTargetName, type ReconcileReport } from '../../erp/index.js';
import { createRuntime } from '../../runtime/index.js';
import { ConfigError } from '../../shared/errors.js';

const TARGETS: ErpTargetName[] = ['netsuite', 'sap', 'csv'];

interface ExportOptions {
  tenant?: string;
  target?: string;
  from?: string;
  to?: string;
  dryRun?: boolean;
}

/** `navan-bridge erp export` and `navan-bridge erp reconcile`. */
export function registerErp(program: Command): void {
  const erp = program.command('erp').description('Export Navan transactions to NetSuite, SAP S/4HANA or CSV, and reconcile the books');

  erp
    .command('export')
    .description('Post the tenant\'s transactions to its ERP (each document once; changes are corrected)')
    .option('--tenant <id>', 'tenant id (default: the only or first tenant)')
    .option('--target <target>', 'netsuite, sap or csv (default: the tenant\'s erp.target)')
    .option('--from <date>', 'documents dated from this day (YYYY-MM-DD)')
    .option('--to <date>', 'documents dated up to this day (YYYY-MM-DD)')
    .option('--dry-run', 'print the documents that would be posted, and post nothing')
    .action(async (opts: ExportOptions) => {
      const target = checkTarget(opts.target);
      const config = loadConfig();
      const runtime = await createRuntime(config);
      const exporter = createErpExporter({ config, warehouse: runtime.warehouse, logger: runtime.logger, events: runtime.events, clock: runtime.clock, ...(runtime.redis ? { redis: runtime.redis } : {}) });
      const progress = progressReporter();
      let report: ErpExportReport;
      try {
        report = await exporter.export({
          tenant: runtime.tenant(opts.tenant).id,
          ...(target ? { target } : {}),
          ...(opts.from ? { from: opts.from } : {}),
          ...(opts.to ? { to: opts.to } : {}),
          dryRun: !!opts.dryRun,
          onProgress: progress.update,
        });
      } finally {
        progress.stop();
        await exporter.close();
        await runtime.close();
      }
      if (report.dryRun) {
        for (const p of report.preview ?? []) console.log(JSON.stringify(p, null, 2));
      }
      printExportSummary(report);
      console.log(JSON.stringify({ ...report, preview: undefined, blocked: report.blocked.length, failed: report.failed.length }, null, 2));
      if (report.status !== 'success') process.exitCode = 1;
    });

  erp
    .command('reconcile')
    .description('Compare the warehouse with what was posted, for one month, by account and department')
    .option('--tenant <id>', 'tenant id (default: the only or first tenant)')
    .option('--target <target>', 'netsuite, sap or csv (default: the tenant\'s erp.target)')
    .requiredOption('--period <month>', 'the month, YYYY-MM (by transaction date)')
    .option('--verify', 'also read every posted document of the period back from NetSuite or SAP and compare')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { tenant?: string; target?: string; period: string; json?: boolean; verify?: boolean }) => {
      const target = checkTarget(opts.target);
      if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(opts.period)) throw new ConfigError(`--period: "${opts.period}" is not a month; use YYYY-MM, e.g. 2026-10.`);
      const config = loadConfig();
      const runtime = await createRuntime(config);
      const exporter = createErpExporter({ config, warehouse: runtime.warehouse, logger: runtime.logger, clock: runtime.clock });
      let report: ReconcileReport;
      try {
        report = await exporter.reconcile({ tenant: runtime.tenant(opts.tenant).id, period: opts.period, verify: !!opts.verify, ...(target ? { target } : {}) });
      } finally {
        await exporter.close();
        await runtime.close();
      }
      if (opts.json) console.log(JSON.stringify(report, null, 2));
      else printReconcile(report);
      if (!report.balanced) process.exitCode = 1;
    });
}

function checkTarget(t: string | undefined): ErpTargetName | undefined {
  if (t === undefined) return undefined;
  if (!TARGETS.includes(t as ErpTargetName)) throw new ConfigError(`--target: "${t}" is not a target; use netsuite, sap or csv.`);
  return t as ErpTargetName;
}

/** A bar on a terminal; elsewhere one plain line at most every second. */
function progressReporter(): { update: (p: ErpExportProgress) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar({ format: 'erp export [{bar}] {value}/{total} documents | {posted} posted | {failed} failed', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
    let started = false;
    return {
      update: (p) => {
        if (!started) {
          bar.start(p.total, p.done, { posted: p.posted, failed: p.failed });
          started = true;
        } else bar.update(p.done, { posted: p.posted, failed: p.failed });
      },
      stop: () => started && bar.stop(),
    };
  }
  let last = 0;
  return {
    update: (p) => {
      const now = Date.now();
      if (now - last < 1000 && p.done !== p.total) return;
      last = now;
      process.stderr.write(`erp export: ${p.done}/${p.total} documents, ${p.posted} posted, ${p.failed} failed\n`);
    },
    stop: () => undefined,
  };
}

function printExportSummary(r: ErpExportReport): void {
  const err = (s: string) => process.stderr.write(`${s}\n`);
  err(`${r.dryRun ? 'Dry run: ' : ''}${r.documents} documents for ${r.target} (${r.recordType}, one per ${r.grouping}): ${r.created} created, ${r.updated} updated, ${r.corrected} corrected, ${r.removed} removed, ${r.unchanged} unchanged${r.recovered ? `, ${r.recovered} recovered from an interrupted run` : ''}.`);
  for (const b of r.blocked) for (const reason of b.reasons) err(`  not posted: ${reason}`);
  for (const f of r.failed) err(`  failed: ${f.message}`);
  if (r.error) err(`  stopped: ${r.error}`);
}

function printReconcile(r: ReconcileReport): void {
  const head = ['account', 'department', 'currency', 'warehouse', 'posted', 'difference'];
  const rows = r.rows.map((x) => [x.account, x.department, x.currency, x.warehouse, x.posted, x.difference]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(`Reconciliation of ${r.tenant} against ${r.target} for ${r.period}`);
  console.log(line(head));
  for (const row of rows) console.log(line(row));
  if (r.notPosted.length) {
    console.log(`\n${r.notPosted.length} transactions not posted:`);
    for (const n of r.notPosted) console.log(`  ${n.transactionId}  ${n.amount} ${n.currency}  ${n.reason}`);
  }
  if (r.postedButExcluded.length) {
    console.log(`\n${r.postedButExcluded.length} transactions posted that should not be:`);
    for (const p of r.postedButExcluded) console.log(`  ${p.transactionId} in ${p.externalId}: ${p.reason}`);
  }
  if (r.erpDifferences) {
    console.log(r.erpDifferences.length ? `\n${r.erpDifferences.length} differences with the ERP's own copy:` : '\nEvery posted document was read back from the ERP and matches.');
    for (const d of r.erpDifferences) console.log(`  ${d}`);
  }
  const excluded = Object.entries(r.excluded);
  if (excluded.length) console.log(`\nNot exported by configuration: ${excluded.map(([k, v]) => `${v} ${k}`).join(', ')}`);
  console.log(r.balanced ? '\nThe books match.' : '\nThe books do not match.');
}
