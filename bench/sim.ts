/**
 * The simulator at scale: 1,000,000 bookings generated on demand. Measures the simulator
 * process's resident memory and pages of 100 bookings per second over HTTP, next to a bare
 * Fastify route in the same child process that returns a constant body of the same size (the
 * cost of HTTP alone), measured in the same run. The simulator runs in a child process so its
 * memory is its own and the client does not share its event loop.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import { startSimulator } from '../src/sim/index.js';
import { repeat, report } from './lib.js';

const BOOKINGS = Number(process.env.SIM_BENCH_BOOKINGS ?? 1_000_000);
const PAGES = Number(process.env.SIM_BENCH_PAGES ?? 600);
const CONCURRENCY = 8;
const TO_S = Date.UTC(2026, 0, 15) / 1000;
const FROM_S = TO_S - 730 * 86_400;

/** Child side: the simulator plus the bare baseline server, announced as one JSON line. */
async function child(): Promise<void> {
  const t0 = performance.now();
  const sim = await startSimulator({ bookings: BOOKINGS, transactions: 100_000, users: 2000, now: Date.UTC(2026, 0, 15, 12) });
  const startMs = performance.now() - t0;
  const rssStarted = process.memoryUsage().rss;
  const tokenRes = await request(`${sim.url}/ta-auth/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sim.clientId, client_secret: sim.clientSecret }).toString(),
  });
  const token = ((await tokenRes.body.json()) as { access_token: string }).access_token;
  const sample = await request(`${sim.url}/v1/bookings?createdFrom=${FROM_S}&createdTo=${TO_S}&size=100`, { headers: { authorization: `Bearer ${token}` } });
  const body = Buffer.from(await sample.body.arrayBuffer());
  const bare = Fastify();
  bare.get('/v1/bookings', (_req, reply) => reply.type('application/json').send(body));
  const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(JSON.stringify({ url: sim.url, bareUrl, token, startMs, rssStarted }) + '\n');
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function drive(urls: string[], agent: Agent, headers: Record<string, string>): Promise<{ pagesPerSec: number; bytes: number }> {
  let next = 0;
  let bytes = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < urls.length) {
        const url = urls[next++]!;
        const res = await request(url, { headers, dispatcher: agent });
        const body = await res.body.arrayBuffer();
        if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`);
        bytes += body.byteLength;
      }
    }),
  );
  return { pagesPerSec: urls.length / ((performance.now() - started) / 1000), bytes: bytes / urls.length };
}

export async function run(): Promise<void> {
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], { env: { ...process.env, SIM_BENCH_CHILD: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const info = await new Promise<{ url: string; bareUrl: string; token: string; startMs: number; rssStarted: number }>((resolve, reject) => {
      let out = '';
      proc.stdout.on('data', (c) => {
        out += c;
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
      });
      proc.once('exit', (code) => reject(new Error(`simulator child exited with ${code}`)));
    });
    const headers = { authorization: `Bearer ${info.token}` };
    const totalPages = BOOKINGS / 100;
    // Pages spread over the whole two years, so the figure is not one hot corner of the data.
    const urls = Array.from({ length: PAGES }, (_, k) => `${info.url}/v1/bookings?createdFrom=${FROM_S}&createdTo=${TO_S}&size=100&page=${Math.floor((k * totalPages) / PAGES)}`);
    const bareUrls = urls.map((u) => u.replace(info.url, info.bareUrl));
    const agent = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 10_000 });
    await drive(urls.slice(0, 50), agent, headers);
    await drive(bareUrls.slice(0, 50), agent, headers);
    const figures = await repeat(3, async () => {
      const simRun = await drive(urls, agent, headers);
      const bareRun = await drive(bareUrls, agent, headers);
      return { sim_pages_per_sec: simRun.pagesPerSec, bare_pages_per_sec: bareRun.pagesPerSec, page_bytes: simRun.bytes };
    });
    const rssAfterPaging = rssOf(proc.pid!);

    // The truth stream must cope with the full data set; time the first 100,000 lines of it.
    const truthStart = performance.now();
    const truth = await request(`${info.url}/__sim/truth/bookings`, { dispatcher: agent });
    let lines = 0;
    for await (const chunk of truth.body) {
      lines += (chunk as Buffer).toString('latin1').split('\n').length - 1;
      if (lines >= 100_000) break;
    }
    const truthRate = lines / ((performance.now() - truthStart) / 1000);
    const rssAfterTruth = rssOf(proc.pid!);
    truth.body.destroy();
    await agent.close().catch(() => undefined);
    report({
      name: 'sim',
      figures: {
        bookings: BOOKINGS,
        start_ms: Math.round(info.startMs),
        sim_rss_mb_started: Math.round(info.rssStarted / 2 ** 20),
        sim_rss_mb_after_paging: Math.round(rssAfterPaging / 2 ** 20),
        sim_rss_mb_during_truth: Math.round(rssAfterTruth / 2 ** 20),
        ...figures,
        truth_records_per_sec: Math.round(truthRate),
      },
      ratio: figures.sim_pages_per_sec! / figures.bare_pages_per_sec!,
      notes: `${PAGES} pages of 100 bookings over the whole 2-year window, ${CONCURRENCY} in flight; rss is the simulator's child process (with the bare server).`,
    });
  } finally {
    proc.kill('SIGTERM');
  }
}

if (process.env.SIM_BENCH_CHILD === '1') await child();
