/**
 * The gateway's cost: the full pipeline (token middleware + limiter with no effective limit +
 * breaker + retry + request log to /dev/null) against a bare undici loop on the same simulator
 * endpoint, in the same run. Throughput with 16 in flight, and the median latency of sequential
 * calls (the added ms). Targets: ratio ≥ 0.85, < 0.3 ms added at the median.
 */
import { Agent, request } from 'undici';
import pino from 'pino';
import { createGateway } from '../src/gateway/index.js';
import { startSimulator } from '../src/sim/index.js';
import { EventBus } from '../src/shared/events.js';
import { REDACT_PATHS } from '../src/shared/logger.js';
import { simpleTokenMiddleware } from '../test/helpers/pipeline.js';
import { gatewayConfig, simTenant, usersRequest } from '../test/gateway/setup.js';
import { median, repeat, report } from './lib.js';

const N = 3000;
const SEQ = 400;
const CONCURRENCY = 16;

async function throughput(call: () => Promise<unknown>): Promise<number> {
  let left = N;
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (left-- > 0) await call();
  }));
  return N / ((performance.now() - start) / 1000);
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
  const logger = pino({ level: 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: undefined }, pino.destination({ dest: '/dev/null', sync: false }));
  const gw = createGateway({
    config: gatewayConfig({ observedLimitRps: 1_000_000 }),
    tenant: simTenant(sim),
    auth: simpleTokenMiddleware({ tokenUrl: sim.url, clientId: sim.clientId, clientSecret: sim.clientSecret }),
    logger,
    events: new EventBus(),
  });
  const piped = async () => {
    const res = await gw.handler(usersRequest(sim.url));
    if (res.status !== 200) throw new Error(`gateway got ${res.status}`);
  };
  await throughput(bare);
  await throughput(piped);
  const figures = await repeat(3, async () => ({
    bare_rps: await throughput(bare),
    gateway_rps: await throughput(piped),
    bare_median_ms: await medianLatency(bare),
    gateway_median_ms: await medianLatency(piped),
  }));
  figures.added_median_ms = figures.gateway_median_ms! - figures.bare_median_ms!;
  report({
    name: 'gateway-overhead',
    figures,
    ratio: figures.gateway_rps! / figures.bare_rps!,
    target: 0.85,
    notes: `GET /v1/users?page=0&size=1 on the in-process simulator, ${N} requests × ${CONCURRENCY} in flight, ${SEQ} sequential for latency; medians of 3; target added_median_ms < 0.3`,
  });
  await gw.close();
  await agent.close();
  await sim.close();
}
