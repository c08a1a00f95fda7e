import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startNetSuiteSim, type NetSuiteSim } from '../../../src/sim/erp/index.js';
import { netSuiteCaller } from './_tba.js';

const entry = { subsidiary: { id: '1' }, tranDate: '2026-10-15', line: { items: [{ account: { id: '58' }, debit: 1 }, { account: { id: '4' }, credit: 1 }] } };

describe('NetSuite simulator: concurrency limit and injected faults', () => {
  let sim: NetSuiteSim;
  let call: ReturnType<typeof netSuiteCaller>;

  beforeAll(async () => {
    sim = await startNetSuiteSim();
    call = netSuiteCaller(sim);
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.reset();
    sim.setConcurrencyLimit(5);
    sim.setLatency(0);
  });

  it('defaults to a limit of 5 and answers 429 CONCURRENCY_LIMIT_EXCEEDED, without Retry-After, beyond it', async () => {
    const limits = await call('GET', `${sim.origin}/services/rest/system/v1/governanceLimits`);
    expect(limits.json.accountConcurrencyLimit).toBe(5);
    sim.setConcurrencyLimit(2);
    sim.setLatency(500);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => call('PUT', `/journalentry/eid:NB-c-${i}`, entry)));
    const served = answers.filter((a) => a.status === 204).length;
    const refused = answers.filter((a) => a.status === 429);
    // Normally 2 served and 4 refused; a loaded machine may stagger arrivals past the 500 ms.
    expect(served + refused.length).toBe(6);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0]!.headers['retry-after']).toBeUndefined();
    expect(refused[0]!.json['o:errorDetails'][0]['o:errorCode']).toBe('CONCURRENCY_LIMIT_EXCEEDED');
    const stats = sim.stats();
    expect(stats.maxConcurrent).toBe(2);
    expect(stats.concurrencyRejections).toBe(refused.length);
    expect(sim.documents()).toHaveLength(served);
  });

  it('without a limit every parallel request is served', async () => {
    sim.setConcurrencyLimit(null);
    sim.setLatency(100);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => call('PUT', `/journalentry/eid:NB-u-${i}`, entry)));
    expect(answers.every((a) => a.status === 204)).toBe(true);
    expect(sim.stats().maxConcurrent).toBeGreaterThan(5);
  });

  it('injects 503 for the next n requests, in NetSuite\'s error shape, then serves again', async () => {
    sim.faults.inject({ kind: '503', count: 2 });
    const a = await call('PUT', '/journalentry/eid:NB-f-1', entry);
    const b = await call('PUT', '/journalentry/eid:NB-f-1', entry);
    const c = await call('PUT', '/journalentry/eid:NB-f-1', entry);
    expect([a.status, b.status, c.status]).toEqual([503, 503, 204]);
    expect(a.json).toMatchObject({ status: 503, 'o:errorDetails': [{ 'o:errorCode': 'SERVICE_UNAVAILABLE' }] });
    expect(sim.stats()).toMatchObject({ injectedFaults: 2, byStatus: { '503': 2, '204': 1 } });
    expect(sim.documents()).toHaveLength(1);
  });

  it('everyNth breaks every n-th request with an injected 429', async () => {
    sim.faults.inject({ kind: '429', everyNth: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await call('PUT', `/journalentry/eid:NB-n-${i}`, entry)).status);
    expect(statuses).toEqual([204, 204, 429, 204, 204, 429, 204]);
    expect(sim.faults.list()).toHaveLength(1);
    sim.faults.clear();
    expect(sim.faults.list()).toHaveLength(0);
  });

  it('phase "after": the record is stored but the answer is a 500, the lost-response case', async () => {
    sim.faults.inject({ kind: '500', phase: 'after' });
    const lost = await call('PUT', '/journalentry/eid:NB-after', entry);
    expect(lost.status).toBe(500);
    expect(lost.headers.location).toBeUndefined();
    expect(sim.documents()).toHaveLength(1);
    const retry = await call('PUT', '/journalentry/eid:NB-after', entry);
    expect(retry.status).toBe(204);
    expect(sim.documents()).toEqual([expect.objectContaining({ externalId: 'NB-after', version: 2 })]);
  });

  it('reset destroys the connection; timeout hangs until the client gives up', async () => {
    sim.faults.inject({ kind: 'reset' });
    await expect(call('PUT', '/journalentry/eid:NB-reset', entry)).rejects.toThrow();
    sim.faults.inject({ kind: 'timeout', holdMs: 5_000 });
    const started = Date.now();
    await expect(call('PUT', '/journalentry/eid:NB-timeout', entry, 300)).rejects.toThrow(/timeout|abort/i);
    expect(Date.now() - started).toBeLessThan(3_000);
    sim.faults.inject({ kind: 'timeout', phase: 'after', holdMs: 5_000 });
    await expect(call('PUT', '/journalentry/eid:NB-timeout-after', entry, 300)).rejects.toThrow(/timeout|abort/i);
    expect(sim.documents().map((d) => d.externalId)).toEqual(['NB-timeout-after']);
    // The server sees the client hang up a moment later.
    await vi.waitFor(() => expect(sim.stats().byStatus.timeout).toBe(2));
    const stats = sim.stats();
    expect(stats.byStatus.reset).toBe(1);
    expect(stats.injectedFaults).toBe(3);
    expect(stats.inFlight).toBe(0);
  });

  it('faults, config, stats and reset over the HTTP control plane', async () => {
    const post = async (path: string, body: unknown) => {
      const res = await request(`${sim.origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.statusCode, json: (await res.body.json()) as any };
    };
    expect((await post('/__sim/faults', { kind: '418' })).status).toBe(400);
    expect((await post('/__sim/faults', { kind: '502', count: 1, paths: ['/services/rest/record/v1/journalentry'] })).status).toBe(200);
    expect((await post('/__sim/config', { concurrencyLimit: 3, latencyMs: 0 })).json).toMatchObject({ concurrencyLimit: 3, latencyMs: 0 });
    expect((await call('PUT', '/journalentry/eid:NB-http', entry)).status).toBe(502);
    expect((await call('PUT', '/journalentry/eid:NB-http', entry)).status).toBe(204);
    const stats = (await (await request(`${sim.origin}/__sim/stats`)).body.json()) as any;
    expect(stats.byEndpoint['PUT /services/rest/record/v1/{type}/{ref}']).toEqual({ '502': 1, '204': 1 });
    expect((await post('/__sim/reset', {})).status).toBe(200);
    expect(sim.documents()).toHaveLength(0);
    expect(sim.stats().requests).toBe(0);
  });
});
