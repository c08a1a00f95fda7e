/**
 * The gateway's cost: the full pipeline (the real token service with its encrypted memory store
 * + authMiddleware, limiter with no effective limit, breaker, retry, stale cache, request log
 * through the product's logger to /dev/null) against a bare undici loop on the same simulator endpoint, in the same run.
 * Throughput with 16 in flight, and the median latency of sequential calls (the added ms).
 * Bare and pipeline alternate which goes first in each of 5 repetitions, so load from other
 * processes on a shared machine hits both alike. Targets: ratio ≥ 0.85, < 0.3 ms added at the median.
 */
import { Agent, request } from 'undici';
import pino from 'pino';
import { authMiddleware, createTokenService, MemoryTokenStore } from '../src/auth/index.js';
import { createGateway } from '../src/gateway/index.js';
import { startSimulator } from '../src/sim/index.js';
import { EventBus } from '../src/shared/events.js';
import { createLogger } from '../src/shared/logger.js';
import { gatewayConfig, simTenant, usersRequest } from '../test/gateway/setup.js';
import { median, repeat, report } from './lib.js';

const N = 3000;
const SEQ = 400;
const CONCURRENCY = 16;

/**
 * Requests per wall-clock second, and per CPU second of this process. The simulator and the
 * client share this process's event loop, so on an idle machine the two agree; on a machine shared
 * with other jobs the wall-clock figure swings with their load while the CPU figure does not.
 */
async function throughput(call: () => Promise<unknown>): Promise<{ rps: number; cpuRps: number }> {
  let left = N;
  const start = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (left-- > 0) await call();
  }));
  const used = process.cpuUsage(cpu);
  return { rps: N / ((performance.now() - start) / 1000), cpuRps: N / ((used.user + used.system) / 1e6) };
}

async function medianLatency(call: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < SEQ; i++) {
    const t = performance.now();
    await call();
    times.push(performance.now() - t);
  }
  return median(times);
}

export async function run(): Promise<void> {
  const sim = await startSimulator({});
  const tokenRes = await request(new URL('/ta-auth/oauth/token', sim.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sim.clientId, client_secret: sim.clientSecret }).toString(),
  });
  const token = ((await tokenRes.body.json()) as { access_token: string }).access_token;
  const agent = new Agent({ connections: 64, keepAliveTimeout: 10_000 });
  const url = `${sim.url}/v1/users?page=0&size=1`;
  const bare = async () => {
    const res = await request(url, { headers: { authorization: `Bearer ${token}` }, dispatcher: agent });
    await res.body.arrayBuffer();
    if (res.statusCode !== 200) throw new Error(`bare loop got ${res.statusCode}`);
  };
  // The product's own logger (format, redaction, asynchronous destination), writing to /dev/null.
  const logger = createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: false }) });
  const events = new EventBus();
  const tenant = simTenant(sim);
  const base = gatewayConfig({ observedLimitRps: 1_000_000 });
  const config = { ...base, tenants: [tenant], auth: { ...base.auth, tokenStore: 'memory' as const } };
  const tokens = createTokenService({ config, store: new MemoryTokenStore(), logger, events });
  const gw = createGateway({ config, tenant, auth: authMiddleware(tokens), logger, events });
  const piped = async () => {
    const res = await gw.handler(usersRequest(sim.url));
    if (res.status !== 200) throw new Error(`gateway got ${res.status}`);
  };
  await throughput(bare);
  await throughput(piped);
  let rep = 0;
  const figures = await repeat(5, async () => {
    const pipelineFirst = rep++ % 2 === 1;
    const f: Record<string, number> = {};
    for (const [name, call] of pipelineFirst ? [['gateway', piped], ['bare', bare]] as const : [['bare', bare], ['gateway', piped]] as const) {
      const t = await throughput(call);
      f[`${name}_rps`] = t.rps;
      f[`${name}_cpu_rps`] = t.cpuRps;
      f[`${name}_median_ms`] = await medianLatency(call);
    }
    f.wall_ratio = f.gateway_rps! / f.bare_rps!;
    f.cpu_ratio = f.gateway_cpu_rps! / f.bare_cpu_rps!;
    return f;
  });
  figures.added_median_ms = figures.gateway_median_ms! - figures.bare_median_ms!;
  report({
    name: 'gateway-overhead',
    figures,
    // Requests per CPU second: the wall-clock ratio is printed too, but on a shared machine it
    // measures the neighbours' load as much as the gateway (see throughput()).
    ratio: figures.cpu_ratio!,
    target: 0.85,
    notes: `GET /v1/users?page=0&size=1 on the in-process simulator, ${N} requests × ${CONCURRENCY} in flight, ${SEQ} sequential for latency; medians of 5 (order alternating); ratio = cpu_ratio (requests per CPU second of the process), wall_ratio beside it; target added_median_ms < 0.3`,
  });
  await gw.close();
  await tokens.close();
  await agent.close();
  await sim.close();
}
