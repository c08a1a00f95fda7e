/**
 * The gateway's cost: the full pipeline (the real token service with its encrypted memory store
 * + authMiddleware, limiter with no effective limit, breaker, retry, stale cache, request log
 * through the product's logger to /dev/null) against a bare undici loop on the same simulator
 * endpoint, in the same run. Targets: throughput ratio ≥ 0.85, < 0.3 ms added at the median.
 *
 * Two workloads, both GET /v1/users: a page of 100 users (the client's default page size, so what
 * sync and the proxy really send) is the headline; a page of 1 user is the worst case, where the
 * gateway's fixed cost per call is the largest share. Throughput is measured in paired rounds
 * (bare and gateway back to back, order alternating); the ratio is the median of the rounds'
 * ratios, so a shared machine's drifting load hits both sides of each pair alike. Then the cost
 * by layer (layerBreakdown), to show where the ratio goes.
 */
import { Agent, request } from 'undici';
import pino from 'pino';
import { authMiddleware, createTokenService, MemoryTokenStore, withBearer } from '../src/auth/index.js';
import type { Config, TenantConfig } from '../src/config/index.js';
import { createGateway } from '../src/gateway/index.js';
import { Breakers } from '../src/gateway/breaker.js';
import { Limiter } from '../src/gateway/limiter.js';
import { requestLogMiddleware } from '../src/gateway/request-log.js';
import { retryMiddleware } from '../src/gateway/retry.js';
import { startSimulator } from '../src/sim/index.js';
import { EventBus } from '../src/shared/events.js';
import { systemClock } from '../src/shared/clock.js';
import { baseOf, compose, type Handler, type Middleware } from '../src/shared/http.js';
import { Secret } from '../src/shared/secret.js';
import { createLogger, type Logger } from '../src/shared/logger.js';
import { createTransport } from '../src/shared/transport.js';
import { gatewayConfig, simTenant, usersRequest } from '../test/gateway/setup.js';
import { median, percentile, report } from './lib.js';

const ROUNDS = 15;
const ROUND_N = 800;
const SEQ = 400;
const CONCURRENCY = 16;

/**
 * Requests per wall-clock second, and per CPU second of this process. The simulator and the
 * client share this process's event loop, so on an idle machine the two agree; on a machine shared
 * with other jobs the wall-clock figure swings with their load while the CPU figure does not.
 */
async function throughput(call: () => Promise<unknown>, n: number): Promise<{ rps: number; cpuRps: number }> {
  let left = n;
  const start = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (left-- > 0) await call();
  }));
  const used = process.cpuUsage(cpu);
  return { rps: n / ((performance.now() - start) / 1000), cpuRps: n / ((used.user + used.system) / 1e6) };
}

/** CPU µs per request of this process (simulator included) for one call, n requests × CONCURRENCY in flight. */
async function cpuMicros(call: () => Promise<unknown>, n: number): Promise<number> {
  return 1e6 / (await throughput(call, n)).cpuRps;
}

/**
 * Where the gateway's cost goes: the pipeline built up one layer at a time, innermost first, each
 * figure the CPU µs per request of the pipeline so far. The first has the product transport and a
 * fixed bearer header; "auth" swaps that header for the token service; "full" is createGateway.
 */
async function layerBreakdown(o: { simUrl: string; token: string; config: Config; tenant: TenantConfig; logger: Logger; events: EventBus; auth: Middleware; full: () => Promise<unknown> }): Promise<Record<string, number>> {
  const transport = createTransport({});
  const clock = systemClock;
  const breakers = new Breakers(o.tenant.id, o.config.gateway.breakerThreshold, o.config.gateway.breakerHalfOpenAfterMs, o.events);
  const limiter = new Limiter({ tenant: o.tenant.id, settings: o.config.gateway, clock, logger: o.logger, events: o.events, dataDir: o.config.storage.dataDir });
  const token = new Secret(o.token);
  const bearer: Middleware = (req, next) => next(withBearer(req, token));
  const log = requestLogMiddleware({ logger: o.logger, events: o.events, clock, breakerState: (req) => breakers.state(baseOf(req.baseUrl).host).state });
  const retry = retryMiddleware({ maxAttempts: o.config.gateway.retryMaxAttempts, maxTotalMs: o.config.gateway.retryMaxTotalMs, clock });
  const call = (h: Handler) => async () => {
    const res = await h(usersRequest(o.simUrl));
    if (res.status !== 200) throw new Error(`layer breakdown got ${res.status}`);
  };
  const layers: [string, () => Promise<unknown>][] = [
    ['transport', call(compose([bearer], transport))],
    ['log', call(compose([bearer, log], transport))],
    ['auth', call(compose([o.auth, log], transport))],
    ['limiter', call(compose([limiter.middleware(), o.auth, log], transport))],
    ['breaker', call(compose([breakers.middleware(), limiter.middleware(), o.auth, log], transport))],
    ['retry', call(compose([retry, breakers.middleware(), limiter.middleware(), o.auth, log], transport))],
    ['full', o.full],
  ];
  const rounds: Record<string, number>[] = [];
  for (let round = 0; round < 7; round++) {
    const f: Record<string, number> = {};
    for (const [name, fn] of round % 2 ? [...layers].reverse() : layers) f[name] = await cpuMicros(fn, ROUND_N * 2);
    rounds.push(f);
  }
  limiter.close();
  await transport.close();
  // What a layer adds is taken within each round (same load on the machine), then the median.
  const out: Record<string, number> = {};
  layers.forEach(([name], i) => {
    out[`layer_${name}_us`] = median(rounds.map((r) => r[name]!));
    if (i > 0) out[`layer_${name}_added_us`] = median(rounds.map((r) => r[name]! - r[layers[i - 1]![0]]!));
  });
  return out;
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

/**
 * Bare against gateway on one workload: ROUNDS pairs of throughput runs, then sequential calls
 * for the median latency. Figures are prefixed with the workload's name.
 */
async function compare(name: string, bare: () => Promise<unknown>, piped: () => Promise<unknown>): Promise<Record<string, number>> {
  const sides = [['bare', bare], ['gateway', piped]] as const;
  for (const [, call] of sides) await throughput(call, ROUND_N);
  const pairs: Record<(typeof sides)[number][0], Awaited<ReturnType<typeof throughput>>>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const pair = {} as (typeof pairs)[number];
    for (const [side, call] of round % 2 ? [...sides].reverse() : sides) pair[side] = await throughput(call, ROUND_N);
    pairs.push(pair);
  }
  const cpuRatios = pairs.map((p) => p.gateway.cpuRps / p.bare.cpuRps);
  const bareMs = median([await medianLatency(bare), await medianLatency(bare)]);
  const gatewayMs = median([await medianLatency(piped), await medianLatency(piped)]);
  return {
    [`${name}_bare_cpu_us`]: 1e6 / median(pairs.map((p) => p.bare.cpuRps)),
    [`${name}_gateway_cpu_us`]: 1e6 / median(pairs.map((p) => p.gateway.cpuRps)),
    [`${name}_bare_rps`]: median(pairs.map((p) => p.bare.rps)),
    [`${name}_gateway_rps`]: median(pairs.map((p) => p.gateway.rps)),
    [`${name}_wall_ratio`]: median(pairs.map((p) => p.gateway.rps / p.bare.rps)),
    [`${name}_cpu_ratio`]: median(cpuRatios),
    [`${name}_cpu_ratio_q1`]: percentile(cpuRatios, 25),
    [`${name}_cpu_ratio_q3`]: percentile(cpuRatios, 75),
    [`${name}_bare_median_ms`]: bareMs,
    [`${name}_gateway_median_ms`]: gatewayMs,
    [`${name}_added_median_ms`]: gatewayMs - bareMs,
  };
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
  // The product's own logger (format, redaction, asynchronous destination), writing to /dev/null.
  const logger = createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: false }) });
  const events = new EventBus();
  const tenant = simTenant(sim);
  const base = gatewayConfig({ observedLimitRps: 1_000_000 });
  const config = { ...base, tenants: [tenant], auth: { ...base.auth, tokenStore: 'memory' as const } };
  const tokens = createTokenService({ config, store: new MemoryTokenStore(), logger, events });
  const gw = createGateway({ config, tenant, auth: authMiddleware(tokens), logger, events });
  const calls = (size: number) => {
    const url = `${sim.url}/v1/users?page=0&size=${size}`;
    const bare = async () => {
      const res = await request(url, { headers: { authorization: `Bearer ${token}` }, dispatcher: agent });
      await res.body.arrayBuffer();
      if (res.statusCode !== 200) throw new Error(`bare loop got ${res.statusCode}`);
    };
    const piped = async () => {
      const res = await gw.handler(usersRequest(sim.url, { query: { page: 0, size } }));
      if (res.status !== 200) throw new Error(`gateway got ${res.status}`);
    };
    return [bare, piped] as const;
  };
  const figures = {
    ...(await compare('page100', ...calls(100))),
    ...(await compare('page1', ...calls(1))),
  };
  Object.assign(figures, await layerBreakdown({ simUrl: sim.url, token, config, tenant, logger, events, auth: authMiddleware(tokens), full: calls(1)[1] }));
  report({
    name: 'gateway-overhead',
    figures,
    // Requests per CPU second: the wall-clock ratio is printed too, but on a shared machine it
    // measures the neighbours' load as much as the gateway (see throughput()).
    ratio: figures.page100_cpu_ratio,
    target: 0.85,
    notes: `GET /v1/users on the in-process simulator, a page of 100 users (headline) and of 1 user (worst case); throughput: ${ROUNDS} paired rounds of ${ROUND_N} requests × ${CONCURRENCY} in flight, ratio = median of the rounds' cpu ratios (requests per CPU second of the process; q1/q3 beside it); latency: medians of ${SEQ} sequential calls, target added_median_ms < 0.3; layer_*_us (page of 1): CPU µs per request as the pipeline is built up innermost first (layer_*_added_us: what each layer adds)`,
  });
  await gw.close();
  await tokens.close();
  await agent.close();
  await sim.close();
}
