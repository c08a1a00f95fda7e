/**
 * Documents posted per second to the NetSuite simulator by `erp export` (gateway, OAuth signing,
 * ledger commits included), with the simulator's concurrency limit on (5, a developer account; the
 * exporter keeps 4 in flight) and off (the exporter keeps 16 in flight). The baseline, measured in
 * the same run, is a bare undici loop PUTting the same signed documents at the same concurrency with
 * no gateway and no ledger.
 *
 *   npm run bench -- erp
 *   BENCH_ERP_TRANSACTIONS=5000 BENCH_ERP_LATENCY_MS=20 npm run bench -- erp
 */
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { tbaAuthorization } from '../src/erp/index.js';
import { newNonce } from '../src/erp/oauth1.js';
import { Secret } from '../src/shared/secret.js';
import { startNetSuiteSim } from '../src/sim/erp/index.js';
import { NETSUITE_MAPPING, SECRETS, startWorld } from '../test/erp/world.js';
import { median, report } from './lib.js';

const TRANSACTIONS = Number(process.env.BENCH_ERP_TRANSACTIONS ?? 3000);
const LATENCY_MS = Number(process.env.BENCH_ERP_LATENCY_MS ?? 10);
const REPETITIONS = Number(process.env.BENCH_ERP_REPETITIONS ?? 3);

export async function run(): Promise<void> {
  const ns = await startNetSuiteSim({ consumerKey: 'ck', consumerSecret: SECRETS.NS_CONSUMER_SECRET, tokenId: 'tk', tokenSecret: SECRETS.NS_TOKEN_SECRET, latencyMs: LATENCY_MS });
  const world = await startWorld({
    transactions: TRANSACTIONS,
    files: { 'mapping.yaml': NETSUITE_MAPPING },
    erp: {
      target: 'netsuite', mappingFile: 'mapping.yaml', grouping: 'transaction',
      netsuite: { accountId: ns.accountId, baseUrl: ns.origin, consumerKey: 'ck', consumerSecret: 'env:NS_CONSUMER_SECRET', tokenId: 'tk', tokenSecret: 'env:NS_TOKEN_SECRET', gateway: { observedLimitRps: 100_000 } },
    },
  });
  try {
    await world.sync();
    const netsuite = world.config.tenants[0]!.erp!.netsuite!;
    const db = world.runtime.warehouse.db as any;
    const fresh = async (limit: number | null) => {
      ns.reset();
      ns.setConcurrencyLimit(limit);
      ns.setLatency(LATENCY_MS);
      for (const t of ['erp_posting_item', 'erp_posting_event', 'erp_posting']) await db.deleteFrom(t).execute();
    };
    const preview = (await world.exporter().export({ tenant: 'acme', dryRun: true })).preview!.map((p) => p.payload as { path: string; body: unknown });

    const exporterRun = async (limit: number | null, concurrency: number) => {
      await fresh(limit);
      netsuite.concurrency = concurrency;
      const exporter = world.exporter();
      const t0 = performance.now();
      const r = await exporter.export({ tenant: 'acme' });
      const seconds = (performance.now() - t0) / 1000;
      await exporter.close();
      if (r.status !== 'success' || ns.documents().length !== preview.length) throw new Error(`export ${r.status}: ${ns.documents().length}/${preview.length} documents`);
      return { docsPerSecond: r.created / seconds, rejections429: ns.stats().concurrencyRejections };
    };

    const bareRun = async (limit: number | null, concurrency: number) => {
      await fresh(limit);
      const agent = new Agent({ connections: concurrency });
      const creds = { realm: ns.accountId, consumerKey: 'ck', consumerSecret: new Secret(SECRETS.NS_CONSUMER_SECRET), tokenId: 'tk', tokenSecret: new Secret(SECRETS.NS_TOKEN_SECRET) };
      let next = 0;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < preview.length) {
          const p = preview[next++]!;
          for (;;) {
            const url = `${ns.origin}${p.path}`;
            const res = await request(url, { method: 'PUT', dispatcher: agent, body: JSON.stringify(p.body), headers: { 'content-type': 'application/json', authorization: tbaAuthorization(creds, 'PUT', url, newNonce(), Math.floor(Date.now() / 1000)) } });
            await res.body.dump();
            if (res.statusCode !== 429) break;
          }
        }
      }));
      const seconds = (performance.now() - t0) / 1000;
      await agent.close();
      return preview.length / seconds;
    };

    const figures: Record<string, number> = { documents: preview.length, sim_latency_ms: LATENCY_MS };
    for (const [name, limit, concurrency] of [['limit5', 5, 4], ['unlimited', null, 16]] as const) {
      const exp: number[] = [];
      const bare: number[] = [];
      let rejections = 0;
      for (let i = 0; i < REPETITIONS; i++) {
        bare.push(await bareRun(limit, concurrency));
        const r = await exporterRun(limit, concurrency);
        exp.push(r.docsPerSecond);
        rejections = Math.max(rejections, r.rejections429);
      }
      figures[`${name}_export_docs_per_s`] = Math.round(median(exp));
      figures[`${name}_bare_docs_per_s`] = Math.round(median(bare));
      figures[`${name}_concurrency_429s`] = rejections;
    }
    report({
      name: 'erp',
      figures,
      ratio: figures.unlimited_export_docs_per_s! / figures.limit5_export_docs_per_s!,
      notes: 'ratio = unlimited / limit5 export throughput; *_bare_* is an undici PUT loop with no gateway and no ledger at the same concurrency',
    });
  } finally {
    await world.close();
    await ns.close();
  }
}
