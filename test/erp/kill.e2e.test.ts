import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNetSuiteSim, startSapSim, type NetSuiteSim, type SapSim } from '../../src/sim/erp/index.js';
import { NETSUITE_MAPPING, SAP_MAPPING, SECRETS, compareBooks, expectedFromWarehouse, netByTransaction, startWorld, type World } from './world.js';

const BIN = join(fileURLToPath(new URL('.', import.meta.url)), '../../bin/navan-bridge');

interface Cli {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function cli(world: World, args: string[]): Cli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: world.dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NAVAN_BRIDGE_FROM_SOURCE: '1', NAVAN_BRIDGE_CONFIG: world.configFile, ...world.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exit };
}

async function until(cond: () => boolean, ms = 40_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('SIGKILL in the middle of an export, then run it again', () => {
  let ns: NetSuiteSim;
  let sap: SapSim;
  let world: World;

  beforeAll(async () => {
    ns = await startNetSuiteSim({ consumerKey: 'ck', consumerSecret: SECRETS.NS_CONSUMER_SECRET, tokenId: 'tk', tokenSecret: SECRETS.NS_TOKEN_SECRET, latencyMs: 15 });
    sap = await startSapSim({ password: SECRETS.SAP_PASSWORD, latencyMs: 15 });
    world = await startWorld({
      transactions: 1000,
      files: { 'ns.yaml': NETSUITE_MAPPING, 'sap.yaml': SAP_MAPPING },
      erp: {
        target: 'netsuite',
        grouping: 'transaction',
        netsuite: { accountId: ns.accountId, baseUrl: ns.origin, consumerKey: 'ck', consumerSecret: 'env:NS_CONSUMER_SECRET', tokenId: 'tk', tokenSecret: 'env:NS_TOKEN_SECRET', mappingFile: 'ns.yaml', gateway: { observedLimitRps: 5000 } },
        sap: { baseUrl: sap.origin, user: sap.credentials.user, password: 'env:SAP_PASSWORD', mappingFile: 'sap.yaml', concurrency: 4, gateway: { observedLimitRps: 5000 } },
      },
    });
    await world.sync();
  }, 60_000);
  afterAll(async () => {
    await world?.close();
    await ns?.close();
    await sap?.close();
  });

  it('NetSuite: each document exactly once after a kill and a re-run; reconcile exits 0', async () => {
    const run = cli(world, ['erp', 'export', '--tenant', 'acme', '--target', 'netsuite']);
    await until(() => ns.documents().length >= 100);
    run.child.kill('SIGKILL');
    await run.exit;
    const atKill = ns.documents().length;
    const expected = await expectedFromWarehouse(world.runtime);
    expect(atKill).toBeLessThan(expected.size);

    const report = await world.exporter().export({ tenant: 'acme', target: 'netsuite' });
    expect(report.status).toBe('success');
    expect(report.created).toBeGreaterThanOrEqual(expected.size - atKill);
    const docs = ns.documents();
    expect(docs).toHaveLength(expected.size);
    expect(new Set(docs.map((d) => d.externalId)).size).toBe(expected.size);
    expect(ns.stats().documentsCreated).toBe(expected.size);
    const lines = docs.flatMap((d) => (d.body.line as { items: { memo?: string; debit?: number; credit?: number }[] }).items.map((l) => ({ text: l.memo ?? '', amount: l.debit !== undefined ? new Decimal(String(l.debit)) : new Decimal(String(l.credit)).negated() })));
    expect(compareBooks(expected, netByTransaction(lines, expected.keys()))).toEqual([]);

    const period = [...expected.values()][0]!.date.slice(0, 7);
    const rec = cli(world, ['erp', 'reconcile', '--tenant', 'acme', '--target', 'netsuite', '--period', period]);
    expect(await rec.exit).toBe(0);
    expect(rec.output()).toContain('The books match.');
    for (const secret of Object.values(SECRETS)) expect(run.output() + rec.output()).not.toContain(secret);
  }, 60_000);

  it('SAP: killed between SAP\'s commit and ours, the re-run finds the document by its reference and posts each exactly once', async () => {
    // The 100th post is stored by SAP and its answer never comes: the process dies waiting for it.
    sap.faults.inject({ kind: 'timeout', phase: 'after', everyNth: 100, count: 1, holdMs: 60_000, paths: ['/sap/bc/srt/scs_ext/sap/journalentrycreaterequestconfi'] });
    const run = cli(world, ['erp', 'export', '--tenant', 'acme', '--target', 'sap']);
    await until(() => sap.stats().injectedFaults >= 1);
    await new Promise((r) => setTimeout(r, 200));
    run.child.kill('SIGKILL');
    await run.exit;
    sap.faults.clear();
    const atKill = sap.documents().length;
    const report = await world.exporter().export({ tenant: 'acme', target: 'sap' });
    expect(report.status).toBe('success');
    expect(report.recovered).toBeGreaterThanOrEqual(1);
    expect(report.created + report.recovered).toBeGreaterThanOrEqual(report.documents - atKill);
    const refs = sap.documents().map((d) => d.originalReferenceDocument);
    expect(new Set(refs).size).toBe(refs.length);
    expect(refs.length).toBe(report.documents);
    const expected = await expectedFromWarehouse(world.runtime);
    const lines = sap.documents().flatMap((d) => d.lines.map((l) => ({ text: l.text ?? '', amount: new Decimal(l.amount) })));
    expect(compareBooks(expected, netByTransaction(lines, expected.keys()))).toEqual([]);
  }, 60_000);

  it('the CLI dry run prints documents and posts nothing; reconcile exits non-zero on a difference', async () => {
    const before = ns.stats().requests;
    const dry = cli(world, ['erp', 'export', '--tenant', 'acme', '--target', 'netsuite', '--dry-run']);
    expect(await dry.exit).toBe(0);
    expect(dry.output()).toContain('Dry run:');
    expect(ns.stats().requests).toBe(before);

    const tx = await world.sim.control.post('/__sim/transactions', { department: 'Skunkworks', approval_status: 'APPROVED', transaction_type: 'CARD', personal: false, original_amount: '5.00', original_currency: 'USD' });
    await world.sim.control.post('/__sim/clock', { advanceMs: 3_600_000 });
    await world.sync();
    const period = String(tx.transaction_date).slice(0, 7);
    const rec = cli(world, ['erp', 'reconcile', '--tenant', 'acme', '--target', 'netsuite', '--period', period]);
    expect(await rec.exit).toBe(1);
    expect(rec.output()).toContain(tx.id);
    expect(rec.output()).toContain('"Skunkworks"');
    expect(rec.output()).toContain('The books do not match.');
  }, 60_000);
});
