import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import pino from 'pino';
import { Writable } from 'node:stream';
import { startTestSim } from '../helpers/sim.js';
import { ANCHOR_S, DAY_S, api, fetchToken, tokenRequest } from './_client.js';

const logLines: string[] = [];
const logger = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (logLines.push(String(c)), cb()) }));
let sim: Awaited<ReturnType<typeof startTestSim>>;
const window = `createdFrom=${ANCHOR_S - 30 * DAY_S}&createdTo=${ANCHOR_S}`;

beforeAll(async () => {
  sim = await startTestSim({ bookings: 200, transactions: 200, users: 20, logger });
});
afterAll(() => sim.close());

describe('OAuth token endpoint', () => {
  it('issues a token for form credentials with the reference shape', async () => {
    const res = await tokenRequest(sim.url, sim);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ token_type: 'bearer', expires_in: 43199, scope: 'bookings:read users:read', allowed_ips: null });
    expect((res.json as any).company_uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect((res.json as any).access_token).toMatch(/^[\w-]{20,}$/);
    expect(sim.clientId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sim.clientSecret).toMatch(/^[0-9a-f]{32}$/);
  });

  it('accepts HTTP Basic with only grant_type in the body', async () => {
    const res = await request(`${sim.url}/ta-auth/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${sim.clientId}:${sim.clientSecret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as any).access_token).toBeTruthy();
  });

  it('answers 401 invalid_client for a wrong secret or an unknown client, 400 for another grant type', async () => {
    const bad = await tokenRequest(sim.url, { clientId: sim.clientId, clientSecret: '0'.repeat(32) });
    expect(bad.status).toBe(401);
    expect(bad.json).toEqual({ error: 'invalid_client' });
    expect((await tokenRequest(sim.url, { clientId: 'nobody', clientSecret: 'x' })).status).toBe(401);
    const res = await request(`${sim.url}/ta-auth/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=password&client_id=${sim.clientId}&client_secret=${sim.clientSecret}` });
    expect(res.statusCode).toBe(400);
    await res.body.dump();
  });

  it('is deterministic: the same seed gives the same default credential', async () => {
    const again = await startTestSim({ bookings: 1 });
    const other = await startTestSim({ bookings: 1, seed: 2 });
    try {
      expect([again.clientId, again.clientSecret]).toEqual([sim.clientId, sim.clientSecret]);
      expect(other.clientId).not.toBe(sim.clientId);
    } finally {
      await Promise.all([again.close(), other.close()]);
    }
  });
});

describe('tokens on API calls', () => {
  it('401 without a token or with a garbage one', async () => {
    expect((await api(sim.url, `/v1/bookings?${window}`)).status).toBe(401);
    const res = await api(sim.url, `/v1/bookings?${window}`, 'not-a-token');
    expect(res.status).toBe(401);
    expect(res.json.error).toBe('invalid_token');
  });

  it('expires tokens on the simulator clock, honouring the configured expires_in', async () => {
    await sim.control.post('/config', { expiresIn: 60 });
    const token = await fetchToken(sim);
    expect((await api(sim.url, `/v1/bookings?${window}`, token)).status).toBe(200);
    sim.clock.advance(59_000);
    expect((await api(sim.url, `/v1/bookings?${window}`, token)).status).toBe(200);
    await sim.control.post('/clock', { advanceMs: 1_000 });
    expect((await api(sim.url, `/v1/bookings?${window}`, token)).status).toBe(401);
    await sim.control.post('/config', { expiresIn: 43199 });
  });

  it('revokes tokens but keeps the credential; deleting a credential kills both', async () => {
    const token = await fetchToken(sim);
    await sim.control.post('/tokens/revoke', {});
    expect((await api(sim.url, `/v1/users`, token)).status).toBe(401);
    expect((await tokenRequest(sim.url, sim)).status).toBe(200);

    const extra = await sim.control.post('/credentials', { scopes: ['bookings:read'] });
    const t2 = await fetchToken(sim, extra);
    await sim.control.del(`/credentials/${extra.clientId}`);
    expect((await api(sim.url, `/v1/bookings?${window}`, t2)).status).toBe(401);
    expect((await tokenRequest(sim.url, extra)).status).toBe(401);
  });

  it('revoking one client leaves the others', async () => {
    const a = await sim.control.post('/credentials', {});
    const ta = await fetchToken(sim, a);
    const tDefault = await fetchToken(sim);
    await sim.control.post('/tokens/revoke', { clientId: a.clientId });
    expect((await api(sim.url, '/v1/users', ta)).status).toBe(401);
    expect((await api(sim.url, '/v1/users', tDefault)).status).toBe(200);
  });
});

describe('scopes and expense enablement', () => {
  it('a credential without scopes gets a token, then 403 everywhere', async () => {
    const c = await sim.control.post('/credentials', { scopes: [] });
    const res = await tokenRequest(sim.url, c);
    expect(res.status).toBe(200);
    expect((res.json as any).scope).toBe('');
    const token = (res.json as any).access_token;
    for (const path of [`/v1/bookings?${window}`, '/v1/users', '/v1/expense/transactions']) {
      expect((await api(sim.url, path, token)).status).toBe(403);
    }
  });

  it('403 names the missing scope, and expense not enabled is a 403 too', async () => {
    const c = await sim.control.post('/credentials', { scopes: ['bookings:read'], expenseEnabled: false });
    const token = await fetchToken(sim, c);
    expect((await api(sim.url, `/v1/bookings?${window}`, token)).status).toBe(200);
    const users = await api(sim.url, '/v1/users', token);
    expect(users.status).toBe(403);
    expect(users.json.error_description).toContain('users:read');
    const expense = await api(sim.url, '/v1/expense/transactions', token);
    expect(expense.status).toBe(403);
    expect(expense.json.error_description).toMatch(/expense/i);
  });

  it('creates a credential with a chosen id and secret', async () => {
    const c = await sim.control.post('/credentials', { clientId: 'a3b1c2d4-0000-4000-8000-000000000001', clientSecret: 'f'.repeat(32) });
    expect(c).toEqual({ clientId: 'a3b1c2d4-0000-4000-8000-000000000001', clientSecret: 'f'.repeat(32) });
    expect((await tokenRequest(sim.url, c)).status).toBe(200);
  });
});

describe('stats', () => {
  it('counts requests per method, path template and status, tokens included, control plane excluded', async () => {
    await sim.control.post('/stats/reset');
    const token = await fetchToken(sim);
    await tokenRequest(sim.url, { clientId: sim.clientId, clientSecret: 'nope' });
    await api(sim.url, `/v1/bookings?${window}`, token);
    await api(sim.url, `/v1/bookings?size=1000&${window}`, token);
    const list = await api(sim.url, `/v1/bookings?${window}&size=1`, token);
    await api(sim.url, `/v1/bookings/${list.json.data[0].uuid}/itinerary.pdf`, token);
    await sim.control.get('/clock');
    const stats = await sim.control.stats();
    expect(stats).toEqual({
      requests: {
        'POST /ta-auth/oauth/token': { '200': 1, '401': 1 },
        'GET /v1/bookings': { '200': 2, '400': 1 },
        'GET /v1/bookings/{uuid}/itinerary.pdf': { '200': 1 },
      },
      tokensIssued: 1,
    });
    expect(sim.stats()).toEqual(stats);
    await sim.control.post('/stats/reset');
    expect(await sim.control.stats()).toEqual({ requests: {}, tokensIssued: 0 });
  });
});

describe('secrets', () => {
  it('never logs the client secret or an access token', async () => {
    const token = await fetchToken(sim);
    await api(sim.url, '/v1/users', token);
    await tokenRequest(sim.url, { clientId: sim.clientId, clientSecret: 'wrong-secret-value' });
    const all = logLines.join('');
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(sim.clientSecret);
    expect(all).not.toContain(token);
    expect(all).not.toContain('wrong-secret-value');
  });
});
