import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyStore } from '../../src/server/index.js';
import type { LimitRefusal } from '../../src/sim/ratelimit.js';
import { openWarehouse, type Warehouse } from '../../src/warehouse/index.js';
import { summaryTable, verifyTenant, type TenantVerdict } from './checks.js';
import { PROMETHEUS_BIN, startPrometheus, type ChaosPrometheus } from './harness/prometheus.js';
import { waitFor } from './harness/children.js';
import { missingForChaos, openQueueDriver, type QueueDriver } from './queue-driver.js';
import { chaosScale } from './scale.js';
import { ChaosStack, ROOT, TENANTS, type RoleProcess, type TenantId } from './stack.js';
import { every, runTimeline, type StepRecord } from './timeline.js';

/**
 * The end-to-end chaos suite (issue 9): the real processes — 2 servers, 3 workers and a
 * scheduler (`navan-bridge start --role …`) — on a private Redis and a private PostgreSQL schema,
 * syncing 3 tenants from 3 simulators while the simulators fail (5xx bursts that open breakers,
 * 429 storms, connection resets, malformed records), workers are SIGKILLed twice, Redis
 * restarts, a token is revoked and data changes. Then, per tenant: the warehouse equals the
 * ground truth, no duplicates, nothing above the simulator's limit, one token per lifetime (+ the
 * forced re-auth), and the expected alerts fired and resolved (a real Prometheus evaluating
 * deploy/prometheus/alerts.yml). One summary table is printed.
 *
 * Bounded by default (CI); CHAOS_SCALE=full for the issue's 30k bookings and 60k transactions.
 */
const scale = chaosScale();
const missing = await missingForChaos([
  ['redis-server', existsSync('/usr/bin/redis-server') || existsSync('/usr/local/bin/redis-server')],
  [`Prometheus (${PROMETHEUS_BIN}, Debian package prometheus)`, existsSync(PROMETHEUS_BIN)],
]);
// CI sets CHAOS_REQUIRE=1: there a missing prerequisite fails the run instead of skipping it.
if (missing && process.env.CHAOS_REQUIRE === '1') throw new Error(`chaos suite cannot run: ${missing}; install it (.ci/run does) or unset CHAOS_REQUIRE.`);
if (missing) console.warn(`chaos suite skipped: ${missing}`);

/** The 429s the storm step injects into beta's simulator (a count rule: exactly this many). */
const STORM_429 = 25;

describe.skipIf(missing !== undefined)(`end-to-end chaos, ${scale.name} scale${missing ? ` — SKIPPED: ${missing}` : ''}`, () => {
  let dir: string;
  let stack: ChaosStack;
  let prom: ChaosPrometheus;
  let queue: QueueDriver;
  let wh: Warehouse;
  const keys = new Map<TenantId, string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nb-chaos-'));
    stack = new ChaosStack(scale, dir);
    await stack.startSimulators();
    await stack.startStorage();
    stack.writeConfig();
    wh = await openWarehouse({ databaseUrl: stack.databaseUrl });
    await wh.migrate();
    const keyStore = await createKeyStore(wh);
    for (const t of TENANTS) keys.set(t, (await keyStore.create(t, ['read:bookings', 'proxy'])).key);
    // The scheduler starts in the test, right after the full refreshes are enqueued: its catch-up
    // at start would otherwise take their place (one queued run per tenant and stream).
    await Promise.all([
      stack.startRole('worker-1', 'worker'), stack.startRole('worker-2', 'worker'), stack.startRole('worker-3', 'worker'),
      stack.startRole('server-1', 'server'), stack.startRole('server-2', 'server'),
    ]);
    prom = await startPrometheus(stack.children, dir, join(ROOT, 'deploy/prometheus/alerts.yml'), () => stack.targets());
    queue = await openQueueDriver(stack);
  }, 180_000);

  afterAll(async () => {
    await queue?.close().catch(() => undefined);
    await wh?.close().catch(() => undefined);
    await stack?.close();
    if (dir && !process.env.CHAOS_KEEP) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('ends exact, duplicate-free, within the limit, with one token per lifetime and the alerts fired and resolved', async () => {
    // Every wait below is capped so the whole test ends inside its timeout, table printed.
    const deadline = Date.now() + scale.testTimeoutMs - 45_000;
    const capped = (ms: number) => Math.max(1_000, Math.min(ms, deadline - Date.now()));
    const sim = (t: TenantId) => stack.sims.get(t)!;
    const worker = (n: number) => stack.processes.find((p) => p.name === `worker-${n}`)!;
    const servers = () => stack.processes.filter((p) => p.role === 'server');

    // Background: Prometheus alert polling, and consumer traffic through both servers.
    const apiStatus: Record<string, number> = {};
    let turn = 0;
    const alertsLoop = every(2_000, () => prom.poll());
    const trafficLoop = every(1_000, async () => {
      const s = servers()[turn++ % 2]!;
      for (const [path, label] of [['/api/v1/bookings?limit=5', 'api'], ['/navan/v1/users?page=0&size=5', 'proxy']] as const) {
        const res = await request(`${s.url}${path}`, { headers: { authorization: `Bearer ${keys.get(TENANTS[turn % 3]!)}` } });
        await res.body.text();
        apiStatus[`${label} ${res.statusCode}`] = (apiStatus[`${label} ${res.statusCode}`] ?? 0) + 1;
      }
    });

    const uuids = new Map<TenantId, string[]>();
    const txIds = new Map<TenantId, string[]>();
    for (const t of TENANTS) {
      uuids.set(t, (await sim(t).control.truth('bookings')).map((b: { uuid: string }) => b.uuid));
      txIds.set(t, (await sim(t).control.truth('transactions')).map((x: { id: string }) => x.id));
    }
    let mutationRound = 0;
    const mutate = async () => {
      const k = mutationRound++;
      for (const t of TENANTS) {
        const c = sim(t).control;
        const u = uuids.get(t)!;
        const x = txIds.get(t)!;
        await c.patch(`/__sim/bookings/${u[10 + k]}`, { grandTotal: 1234.56 + k, usdGrandTotal: 1234.56 + k });
        await c.post(`/__sim/bookings/${u[20 + k]}/cancel`);
        await c.del(`/__sim/bookings/${u[30 + k]}`);
        await c.post('/__sim/bookings', {});
        await c.patch(`/__sim/transactions/${x[10 + k]}`, { posted_amount: `${77 + k}.01` });
        await c.post('/__sim/transactions', {});
      }
      return `per tenant: 1 booking changed, 1 cancelled, 1 deleted, 1 created; 1 transaction changed, 1 created`;
    };
    const killAndReplace = async (n: number) => {
      const w = worker(n);
      stack.children.signal(w.child, 'SIGKILL');
      const how = await w.child.exited;
      await new Promise((r) => setTimeout(r, 1_000));
      await stack.startRole(w.name, 'worker', w.port);
      return `worker-${n} ended by ${String(how)}; a replacement is ready`;
    };

    // ---- first pass: full refresh of every stream of every tenant, under chaos ----
    const t0 = Date.now();
    for (const t of TENANTS) for (const s of ['bookings', 'transactions', 'users'] as const) await queue.enqueue(t, s, 'full');
    // Not awaited here: the timeline runs on time while the scheduler starts (waited for below).
    const schedulerReady = stack.startRole('scheduler', 'scheduler').then(() => undefined, (err: Error) => err.message);
    let firstPassDone = false;
    const steps = await runTimeline(t0, [
      { atMs: 3_000, name: 'mutate data (round 1)', run: mutate },
      { atMs: 5_000, name: 'alpha: 5xx burst (30 × 503) then 40% 5xx for 20 s', run: async () => {
        // Each worker has its own breaker (threshold 5, with retries): 30 in a row open it wherever alpha's jobs run.
        await sim('alpha').control.post('/__sim/faults', { rate5xx: 1, status5xx: 503, count: 30, paths: ['/v1/'] });
        await sim('alpha').control.post('/__sim/faults', { rate5xx: 0.4, paths: ['/v1/'] });
      } },
      { atMs: 8_000, name: `beta: 429 storm (${STORM_429}) and malformed records`, run: async () => {
        await sim('beta').control.post('/__sim/faults', { rate429: 1, count: STORM_429, retryAfter: { seconds: 1 }, paths: ['/v1/'] });
        await sim('beta').control.post('/__sim/faults', { malformedRate: 0.02, count: 60, paths: ['/v1/bookings', '/v1/expense'] });
      } },
      { atMs: 10_000, name: 'gamma: connection resets (30% of 40 requests)', run: async () => {
        await sim('gamma').control.post('/__sim/faults', { resetRate: 0.3, count: 40, paths: ['/v1/'] });
      } },
      { atMs: 12_000, name: 'SIGKILL worker-1', run: () => killAndReplace(1) },
      { atMs: 20_000, name: 'revoke alpha\'s token', run: async () => JSON.stringify(await sim('alpha').control.post('/__sim/tokens/revoke', { clientId: sim('alpha').clientId })) },
      { atMs: 25_000, name: 'alpha: 5xx faults off', run: async () => void (await sim('alpha').control.del('/__sim/faults')) },
      { atMs: 28_000, name: 'restart Redis (down 2 s)', run: async () => {
        await stack.redis.restart(2_000);
        return `keys after restart: ${await stack.redis.cli('dbsize')}`;
      } },
      { atMs: 38_000, name: 'SIGKILL worker-2', run: () => killAndReplace(2) },
      { atMs: 45_000, name: 'mutate data (round 2)', run: mutate },
    ], () => firstPassDone);
    // A wait that times out is recorded, and the run goes on to the checks and the table anyway.
    const problems: string[] = [];
    const bounded = (p: Promise<unknown>) => p.then(() => undefined, (err: Error) => void problems.push(err.message));
    const schedulerProblem = await schedulerReady;
    if (schedulerProblem) problems.push(schedulerProblem);
    await bounded(queue.waitUntilDone('first pass', t0, capped(scale.firstPassMs)));
    firstPassDone = true;
    const firstPassMs = Date.now() - t0;

    // ---- settle pass: faults off; the next scheduled runs, enqueued now ----
    const t1 = Date.now();
    for (const t of TENANTS) {
      await sim(t).control.del('/__sim/faults');
      await queue.enqueue(t, 'bookings', 'full');
      await queue.enqueue(t, 'transactions', 'incremental');
    }
    await bounded(queue.waitUntilDone('settle pass', t1, capped(scale.settleMs)));
    const settleMs = Date.now() - t1;

    // Every alert resolves once its (shortened) window no longer holds the faults or the sync's load.
    await waitFor('every alert to resolve', async () => {
      await prom.poll();
      return prom.alerts().every((a) => a.resolvedAt !== undefined) ? true : undefined;
    }, capped(scale.resolveMs), 2_000).catch(() => undefined); // asserted below, with the table printed first
    await trafficLoop.stop();
    await alertsLoop.stop();
    const breakerMax = await prom.query('max by (tenant) (max_over_time(navan_bridge_breaker_state[30m]))');
    const failedJobs = await queue.failed();

    // ---- verdicts ----
    const verdicts: TenantVerdict[] = [];
    for (const t of TENANTS) {
      verdicts.push(await verifyTenant(wh, t, sim(t), { injected429: t === 'beta' ? STORM_429 : 0, expectedTokenRequests: t === 'alpha' ? 2 : 1 }));
    }
    const alerts = prom.alerts();
    const alertCell = (t: TenantId) => alerts.filter((a) => a.tenant === t).map((a) => `${a.alertname}:${a.resolvedAt ? 'fired+resolved' : 'FIRING'}`).join(' ') || '-';
    // The gauge exists once a tenant's breaker has changed state; no series means it stayed closed.
    const breakerCell = (t: TenantId) => breakerMax.find((r) => r.metric.tenant === t)?.value[1] ?? '-';
    const secrets = [stack.masterKey, ...TENANTS.map((t) => sim(t).clientSecret)];
    // Known defects the run shows but does not fail on (CHAOS_STRICT=1 fails on them too).
    const findings: string[] = [];
    const proxy500 = apiStatus['proxy 500'] ?? 0;
    if (proxy500 > 0) findings.push(`the proxy answered 500 ${proxy500} time(s): a failure nobody typed (a 503 with Retry-After is expected while Redis restarts); see the server logs`);
    // Not a finding: requests above the limit fail the run (an issue requirement); this says where to look.
    const notes: string[] = [];
    const overLimit = verdicts.filter((v) => v.overLimit > 0).map((v) => `${v.tenant} ${v.overLimit}`);
    if (overLimit.length) {
      notes.push(`requests above the simulator's limit (${overLimit.join(', ')}). Paths found and fixed before (README, "Chaos suite"): a fallback share beside a full-budget shared bucket, and a fallback sending at once; still possible: a process whose event loop wakes late for its slot, or a stalled simulator counting queued requests together (loopLagMs below). The role logs (CHAOS_KEEP=1) show each request with its time.`);
      for (const t of TENANTS) {
        const { refusals } = (await sim(t).control.get('/__sim/ratelimit/refusals')) as { refusals: LimitRefusal[] };
        for (const r of refusals) notes.push(`${t}: refused at ${r.at}; the window held requests counted ${r.windowMsAgo.join(', ')} ms before; simulator loop lag up to ${r.loopLagMs} ms`);
      }
    }
    // The role processes' logs; a simulator prints its own credential on purpose.
    const roleNames = new Set(stack.processes.map((p) => p.name));
    const leaks = stack.children.logs().filter((l) => roleNames.has(l.name) && secrets.some((s) => l.text.includes(s))).map((l) => l.name);

    console.log([
      '',
      `chaos suite (${scale.name}): ${scale.bookings} bookings, ${scale.transactions} transactions per tenant; simulator limit ${scale.limitRps} rps`,
      `first pass ${(firstPassMs / 1000).toFixed(0)} s, settle pass ${(settleMs / 1000).toFixed(0)} s; logs in ${dir}${process.env.CHAOS_KEEP ? '' : ' (removed; CHAOS_KEEP=1 keeps them)'}`,
      ...steps.map((s: StepRecord) => `  t+${(s.atMs / 1000).toFixed(1).padStart(5)} s  ${s.name}: ${s.outcome}`),
      `  consumer traffic through both servers: ${JSON.stringify(apiStatus)}; failed jobs: ${failedJobs.length}${failedJobs.length ? ` (first: ${failedJobs[0]!.name}: ${failedJobs[0]!.reason})` : ''}`,
      ...problems.map((p) => `  PROBLEM: ${p}`),
      ...findings.map((f) => `  FINDING: ${f}`),
      ...notes.map((n) => `  NOTE: ${n}`),
      '',
      summaryTable(verdicts.map((v) => ({
        tenant: v.tenant,
        'truth b/t/u': `${v.truthBookings}/${v.truthTransactions}/${v.truthUsers}`,
        differences: v.differences.length,
        'quarantined (rows/missing)': `${v.quarantineRows}/${v.quarantinedMissing}`,
        duplicates: v.duplicateRows,
        'requests (5xx/reset)': `${v.requests} (${v.status5xx}/${v.resets})`,
        'over limit': v.overLimit,
        'tokens (want)': `${v.tokenRequests} (${v.expectedTokenRequests})`,
        'breaker max': breakerCell(v.tenant),
        alerts: alertCell(v.tenant),
      }))),
      '',
    ].join('\n'));

    // Soft: every check is reported, not only the first that fails.
    expect.soft(problems, 'every bounded wait ended in time').toEqual([]);
    for (const v of verdicts) {
      expect.soft(v.differences.slice(0, 5), `${v.tenant}: warehouse vs ground truth`).toEqual([]);
      expect.soft(v.duplicateRows, `${v.tenant}: duplicate rows`).toBe(0);
      expect.soft(v.overLimit, `${v.tenant}: requests the simulator refused as above its limit`).toBe(0);
      expect.soft(v.tokenRequests, `${v.tenant}: token requests`).toBe(v.expectedTokenRequests);
    }
    expect.soft(verdicts.find((v) => v.tenant === 'beta')!.quarantineRows, 'malformed records were quarantined').toBeGreaterThan(0);
    expect.soft(verdicts.find((v) => v.tenant === 'gamma')!.resets, 'connection resets happened').toBeGreaterThan(0);
    expect.soft(breakerCell('alpha'), 'alpha\'s breaker opened (2 = open)').toBe('2');
    const errorRate = alerts.find((a) => a.alertname === 'NavanApiErrorRate' && a.tenant === 'alpha');
    expect.soft(errorRate?.firstFiring, 'NavanApiErrorRate fired for alpha').toBeDefined();
    expect.soft(errorRate?.resolvedAt, 'NavanApiErrorRate resolved for alpha').toBeDefined();
    expect.soft(alerts.filter((a) => a.alertname === 'NavanTokenRefreshFailure'), 'no token refresh failed').toEqual([]);
    expect.soft(alerts.filter((a) => a.resolvedAt === undefined).map((a) => `${a.alertname}/${a.tenant}`), 'every alert that fired has resolved').toEqual([]);
    if (process.env.CHAOS_STRICT === '1') expect.soft(findings, 'known findings (CHAOS_STRICT=1)').toEqual([]);
    expect.soft(Object.keys(apiStatus).filter((k) => k.startsWith('api 5')), 'the consumer API never answered 5xx').toEqual([]);
    expect.soft(leaks, 'no secret in any process log').toEqual([]);
    expect.soft(steps.filter((s) => s.outcome.startsWith('FAILED')), 'every chaos step ran').toEqual([]);
    expect.soft(failedJobs.map((j) => `${j.name}: ${j.reason}`), 'no job failed for good').toEqual([]);

    // Graceful shutdown of every role: SIGTERM, exit code 0 (a role forces itself out with 1 after 30 s).
    const roles = stack.processes.filter((p: RoleProcess) => p.child.alive());
    for (const p of roles) stack.children.signal(p.child, 'SIGTERM');
    const codes = await Promise.all(roles.map(async (p) => [p.name, await Promise.race([p.child.exited, new Promise((r) => setTimeout(() => r('still running after 35 s'), 35_000))])] as const));
    expect.soft(codes.filter(([, c]) => c !== 0), 'every role exits 0 on SIGTERM').toEqual([]);
  }, scale.testTimeoutMs);
});
