import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Decimal } from 'decimal.js';
import pino from 'pino';
import { stringify } from 'yaml';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createErpExporter, type ErpExporter } from '../../src/erp/index.js';
import { createRuntime, type Runtime } from '../../src/runtime/index.js';
import { systemClock, type Clock } from '../../src/shared/clock.js';
import { EventBus } from '../../src/shared/events.js';
import { REDACT_PATHS } from '../../src/shared/logger.js';
import { createSyncEngine } from '../../src/sync/index.js';
import { startTestSim } from '../helpers/sim.js';

export const DEPARTMENTS = ['Engineering', 'Sales', 'Marketing', 'Finance', 'Operations', 'Customer Success', 'Legal', 'People'];
const COST_CENTERS = ['CC-1000', 'CC-1100', 'CC-2000', 'CC-2100', 'CC-3000', 'CC-4000'];
const REGIONS = ['North America', 'EMEA', 'APAC'];
const SUBSIDIARIES = ['Acme Inc.', 'Acme Europe GmbH', 'Acme UK Ltd'];
const GL = ['6100', '6110', '6120', '6200', '6300', '6400'];
export const CARD_TYPES = ['CARD', 'FEE', 'ADJUSTMENT', 'DAILY_REBATE', 'DISPUTE'];
const ids = (values: string[], first: number, pad = (n: number) => String(n)) => Object.fromEntries(values.map((v, i) => [v, pad(first + i)]));

/** NetSuite ids within the simulator's default master data (accounts 1–200, dimensions 1–20, vendors 1000–1099). */
export const NETSUITE_MAPPING = {
  accounts: { byGlCode: ids(GL, 61) },
  credit: {
    cardPrograms: { navan: { account: '20', vendor: '1001', transactionTypes: CARD_TYPES }, connect: { account: '21', vendor: '1002', transactionTypes: ['CONNECT'] } },
    reimbursable: { account: '22', vendor: '1003', transactionTypes: ['MANUAL'] },
  },
  dimensions: {
    department: { from: 'department', map: ids(DEPARTMENTS, 1) },
    class: { from: 'cost_center', map: ids(COST_CENTERS, 1) },
    location: { from: 'region', map: ids(REGIONS, 1) },
    subsidiary: { from: 'subsidiary', map: ids(SUBSIDIARIES, 1) },
  },
  currencies: { USD: '1', GBP: '2', CAD: '3', EUR: '4' },
};

/** SAP ids within the simulator's default master data. */
export const SAP_MAPPING = {
  accounts: { byGlCode: ids(GL, 60000100) },
  credit: {
    cardPrograms: { navan: { account: '21000010', transactionTypes: CARD_TYPES }, connect: { account: '21000011', transactionTypes: ['CONNECT'] } },
    reimbursable: { account: '21000020', transactionTypes: ['MANUAL'] },
  },
  dimensions: {
    costCenter: { from: 'cost_center', map: ids(COST_CENTERS, 10101101) },
    companyCode: { from: 'subsidiary', map: { 'Acme Inc.': '1010', 'Acme Europe GmbH': '1710', 'Acme UK Ltd': '1710' } },
  },
};

export const SECRETS = {
  NS_CONSUMER_SECRET: 'ns-consumer-secret-3f9a1c7e5b',
  NS_TOKEN_SECRET: 'ns-token-secret-8d2e4b6a0c',
  SAP_PASSWORD: 'sap-password-5c1a9e7f3d',
};

export interface World {
  dir: string;
  sim: Awaited<ReturnType<typeof startTestSim>>;
  config: Config;
  configFile: string;
  env: NodeJS.ProcessEnv;
  runtime: Runtime;
  /** Every log line of the runtime and the exporters, for the secrets check. */
  logs: string[];
  sync(): Promise<void>;
  exporter(clock?: Clock): ErpExporter;
  close(): Promise<void>;
}

export interface WorldOptions {
  transactions: number;
  users?: number;
  bookings?: number;
  /** The tenant's erp section (targets, grouping …), written to the config file. */
  erp: Record<string, unknown>;
  /** Files next to the config (mapping files), name → object written as YAML. */
  files?: Record<string, unknown>;
}

/**
 * A Navan simulator, a SQLite warehouse file, a config file (secrets from the environment) and a
 * runtime: sync fills the warehouse through the real sync engine, exporters read from it.
 */
export async function startWorld(o: WorldOptions): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'erp-e2e-'));
  const sim = await startTestSim({ transactions: o.transactions, users: o.users ?? 40, bookings: o.bookings ?? 0 });
  for (const [name, content] of Object.entries(o.files ?? {})) writeFileSync(join(dir, name), stringify(content));
  const raw = {
    storage: { databaseUrl: `sqlite:${join(dir, 'warehouse.db')}`, dataDir: join(dir, 'data') },
    logLevel: 'trace',
    tenants: [{ id: 'acme', baseUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret, startDate: '2023-12-01', erp: o.erp }],
  };
  const configFile = join(dir, 'navan-bridge.config.yaml');
  writeFileSync(configFile, stringify(raw));
  const env = { ...SECRETS };
  const config = loadConfig({ file: configFile, env, cwd: dir });
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
  const logger = pino({ level: 'trace', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
  const simClock: Clock = { now: () => sim.clock.now(), sleep: systemClock.sleep };
  const runtime = await createRuntime(config, { logger, clock: simClock, events: new EventBus() });
  const exporters: ErpExporter[] = [];
  return {
    dir, sim, config, configFile, env, runtime, logs,
    async sync() {
      const engine = createSyncEngine({ config, warehouse: runtime.warehouse, clientFor: (id) => runtime.clientFor(id), clock: simClock, logger, events: runtime.events });
      if ((o.bookings ?? 0) > 0) {
        const b = await engine.run({ tenant: 'acme', stream: 'bookings', mode: 'full' });
        if (b.status !== 'success') throw new Error(`bookings sync: ${b.status} ${b.error ?? ''}`);
      }
      const s = await engine.run({ tenant: 'acme', stream: 'transactions', mode: 'incremental' });
      if (s.status !== 'success') throw new Error(`transactions sync: ${s.status} ${s.error ?? ''}`);
    },
    exporter(clock = systemClock) {
      const e = createErpExporter({ config, warehouse: runtime.warehouse, logger, clock, env, cwd: dir, events: new EventBus() });
      exporters.push(e);
      return e;
    },
    async close() {
      await Promise.allSettled(exporters.map((e) => e.close()));
      await runtime.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * What the books must say, computed straight from the warehouse with none of the connector's code:
 * per transaction id, its signed amount and currency, for every transaction the config exports.
 */
export async function expectedFromWarehouse(runtime: Runtime, opts: { exclude?: string[]; from?: string; to?: string } = {}): Promise<Map<string, { amount: string; currency: string; department: string; gl: string; date: string }>> {
  const rows = await runtime.warehouse.db.selectFrom('transaction').selectAll().where('_tenant', '=', 'acme').where('_deleted', '=', 0).execute();
  const out = new Map<string, { amount: string; currency: string; department: string; gl: string; date: string }>();
  for (const r of rows) {
    if (['REPAYMENT', 'STATEMENT_PAYMENT', ...(opts.exclude ?? [])].includes(r.transaction_type ?? '')) continue;
    if (!['APPROVED', 'AUTO_APPROVED'].includes(r.approval_status ?? '') || Number(r.personal) === 1) continue;
    if (new Decimal(r.original_amount ?? '0').isZero()) continue;
    const date = (r.transaction_date ?? '').slice(0, 10);
    if ((opts.from && date < opts.from) || (opts.to && date > opts.to)) continue;
    out.set(r.id, { amount: new Decimal(r.original_amount!).toFixed(2), currency: r.original_currency!, department: r.department ?? '', gl: r.gl_code_number ?? '', date });
  }
  return out;
}

/** Net amount per transaction id found in ERP lines (a line's text names its transaction), summed over every document and reversal. */
export function netByTransaction(lines: { text: string; amount: Decimal }[], txIds: Iterable<string>): Map<string, Decimal> {
  const byId = new Map<string, Decimal>();
  const known = new Set(txIds);
  for (const l of lines) {
    const id = l.text.split(' ')[0] ?? '';
    if (!known.has(id)) continue;
    byId.set(id, (byId.get(id) ?? new Decimal(0)).plus(l.amount));
  }
  return byId;
}

/** Differences between expected amounts and the ERP's net amounts per transaction, as readable lines. */
export function compareBooks(expected: Map<string, { amount: string }>, actual: Map<string, Decimal>): string[] {
  const diffs: string[] = [];
  for (const [id, e] of expected) {
    const a = actual.get(id);
    if (!a || !a.equals(e.amount)) diffs.push(`${id}: expected ${e.amount}, ERP has ${a?.toFixed(2) ?? 'nothing'}`);
  }
  for (const [id, a] of actual) if (!expected.has(id) && !a.isZero()) diffs.push(`${id}: not expected, ERP has ${a.toFixed(2)}`);
  return diffs;
}
