import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/index.js';
import { buildServer } from '../../src/server/index.js';
import type { NavanRequest } from '../../src/shared/http.js';
import { createSyncEngine } from '../../src/sync/index.js';
import type { Warehouse } from '../../src/warehouse/index.js';
import { auth, keysFor, openTestWarehouse, seedTenant, testConfig } from './fixtures.js';

/**
 * Every route, called with tenant B's key, must answer from B's rows only. Tenant A's rows all
 * carry "acme" in their ids, names and e-mails, so one text search finds any leak. The table is
 * checked against the OpenAPI document, so a new route without a row here fails this test.
 */
const ROUTES: { url: string; documented: string; csv?: boolean; own?: string; count?: number }[] = [
  { url: '/api/v1/bookings?deleted=any&limit=500', documented: '/api/v1/bookings', csv: true },
  { url: '/api/v1/bookings/acme-b0001', documented: '/api/v1/bookings/{uuid}', own: '/api/v1/bookings/beta-b0001' },
  { url: '/api/v1/transactions?deleted=any&limit=500', documented: '/api/v1/transactions', csv: true },
  { url: '/api/v1/transactions/acme-t0000/history', documented: '/api/v1/transactions/{id}/history', own: '/api/v1/transactions/beta-t0000/history' },
  { url: '/api/v1/users?deleted=any&limit=500', documented: '/api/v1/users', csv: true },
  { url: '/api/v1/trips?deleted=any&limit=500', documented: '/api/v1/trips', csv: true },
  { url: '/api/v1/reports/spend', documented: '/api/v1/reports/spend' },
  { url: '/api/v1/reports/policy', documented: '/api/v1/reports/policy' },
  // No ids in the carbon report: its count must be B's live bookings (30 minus the one deleted).
  { url: '/api/v1/reports/carbon', documented: '/api/v1/reports/carbon', count: 29 },
  { url: '/api/v1/reports/top?limit=100', documented: '/api/v1/reports/top' },
  { url: '/api/v1/sync/status', documented: '/api/v1/sync/status' },
  { url: '/api/v1/health', documented: '/api/v1/health' },
  { url: '/navan/v1/users?page=0', documented: '/navan/{navanPath}' },
];
const PUBLIC = ['/api/v1/openapi.json', '/api/v1/docs', '/healthz', '/readyz'];

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`tenant isolation on every route (${backend})`, () => {
    let wh: Warehouse & { drop(): Promise<void> };
    let app: FastifyInstance;
    let keys: Awaited<ReturnType<typeof keysFor>>;
    const asked: { gatewayOf: string; request: NavanRequest }[] = [];

    beforeAll(async () => {
      wh = await openTestWarehouse(backend);
      await seedTenant(wh, 'acme', { bookings: 60, transactions: 20, users: 10 });
      await seedTenant(wh, 'beta', { bookings: 30, transactions: 10, users: 5 });
      keys = await keysFor(wh);
      const config = testConfig();
      const engine = createSyncEngine({ config, warehouse: wh, clientFor: () => { throw new Error('no Navan in this test'); } });
      const gatewayFor = (tenantId: string) => ({
        handler: async (request: NavanRequest) => {
          asked.push({ gatewayOf: tenantId, request });
          return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ data: [{ id: `${request.tenant}-navan-user` }] })) };
        },
        breaker: () => ({ state: 'closed' as const }),
        limiter: () => ({ limitRps: 20, budgetRps: 16, queueLength: 0, mode: 'memory' as const }),
        close: async () => undefined,
      }) as unknown as Gateway;
      app = await buildServer({ config, warehouse: wh, syncStatus: (t) => engine.status(t), gatewayFor, dashboard: false });
    });
    afterAll(async () => {
      await app?.close();
      await wh?.drop();
    });

    it('covers every documented route', async () => {
      const doc = (await app.inject({ url: '/api/v1/openapi.json' })).json() as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths).sort()).toEqual([...ROUTES.map((r) => r.documented), ...PUBLIC].sort());
    });

    it.each(ROUTES)('$documented answers tenant B from B\'s rows only', async ({ url, csv, own, count }) => {
      const res = await app.inject({ url, headers: auth(keys.beta) });
      if (own) {
        // A's id under B's key is "not found", exactly like an id that does not exist at all.
        expect(res.statusCode).toBe(404);
        const absent = await app.inject({ url: url.replace('acme-', 'zzzz-'), headers: auth(keys.beta) });
        expect(res.body.replace('acme-', 'zzzz-')).toBe(absent.body);
        const mine = await app.inject({ url: own, headers: auth(keys.beta) });
        expect(mine.statusCode).toBe(200);
        expect(mine.body).toMatch(/beta/);
        expect(mine.body).not.toMatch(/acme/);
        return;
      }
      expect(res.statusCode, res.body).toBe(200);
      if (count !== undefined) expect(res.json().data.count).toBe(count);
      else expect(res.body).toMatch(/beta/);
      expect(res.body).not.toMatch(/acme/);
      if (csv) {
        const text = await app.inject({ url, headers: { ...auth(keys.beta), accept: 'text/csv' } });
        expect(text.statusCode).toBe(200);
        expect(text.body.split('\r\n').length).toBeGreaterThan(2);
        expect(text.body).not.toMatch(/acme/);
      }
    });

    it('forwards a proxied call through the key\'s own tenant gateway only', async () => {
      asked.length = 0;
      await app.inject({ url: '/navan/v1/users', headers: auth(keys.beta) });
      await app.inject({ url: '/navan/v1/users', headers: auth(keys.acme) });
      expect(asked.map((a) => [a.gatewayOf, a.request.tenant])).toEqual([['beta', 'beta'], ['acme', 'acme']]);
    });

    it('ignores any attempt to name another tenant in the request', async () => {
      for (const url of ['/api/v1/bookings?tenant=acme', '/api/v1/bookings?_tenant=acme']) {
        const res = await app.inject({ url, headers: { ...auth(keys.beta), 'x-tenant': 'acme' } });
        expect(res.statusCode).toBe(400);
        expect(res.body).not.toMatch(/acme-/);
      }
      const res = await app.inject({ url: '/api/v1/bookings', headers: { ...auth(keys.beta), 'x-tenant': 'acme' } });
      expect(res.body).not.toMatch(/acme/);
    });

    it('rejects a missing, wrong, revoked or under-scoped key on every data route', async () => {
      const revoked = await keys.store.create('beta');
      await keys.store.revoke(revoked.id);
      for (const { url } of ROUTES) {
        expect((await app.inject({ url })).statusCode, url).toBe(401);
        expect((await app.inject({ url, headers: auth('nbk_wrong') })).statusCode, url).toBe(401);
        expect((await app.inject({ url, headers: { 'x-api-key': revoked.key } })).statusCode, url).toBe(401);
        const scoped = await app.inject({ url, headers: auth(keys.usersOnly) });
        // sync status and health need any valid key; users needs exactly read:users.
        const anyKey = url.includes('/sync/') || url.includes('/health') || url.startsWith('/api/v1/users');
        expect(scoped.statusCode, url).toBe(anyKey ? 200 : 403);
      }
      expect((await app.inject({ url: '/api/v1/bookings', headers: { 'x-api-key': keys.beta } })).statusCode).toBe(200);
    });
  });
}
