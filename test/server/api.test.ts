import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type Config, type TenantConfig } from '../../src/config/index.js';
import type { Gateway } from '../../src/gateway/index.js';
import { buildServer, createKeyStore, type KeyStore } from '../../src/server/index.js';
import { CircuitOpenError } from '../../src/shared/errors.js';
import type { NavanRequest } from '../../src/shared/http.js';
import { openWarehouse, type BookingWrite, type Warehouse } from '../../src/warehouse/index.js';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

function config(): Config {
  const parsed = configSchema.parse({ tenants: [] });
  const tenants = ['acme', 'beta'].map((id) => ({ id, baseUrl: 'http://127.0.0.1:9', region: 'US' }) as unknown as TenantConfig);
  return { ...(parsed as unknown as Config), tenants, source: 'test' };
}

function booking(tenant: string, i: number): BookingWrite {
  const uuid = `${tenant}-${String(i).padStart(4, '0')}`;
  const meta = { _tenant: tenant, _synced_at: '2026-01-01T00:00:00.000Z', _raw: '{}' };
  return {
    booking: { ...meta, _deleted: 0, uuid, booking_type: i % 3 === 0 ? 'HOTEL' : 'FLIGHT', start_date: `2026-01-${String(1 + (i % 28)).padStart(2, '0')}`, usd_grand_total: '0.10', traveler_email: `t${i % 5}@${tenant}.test` } as unknown as BookingWrite['booking'],
    passengers: [], segments: [], etickets: [], customFields: [],
  };
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`consumer API on ${backend}`, () => {
    const pgSchema = `srv_${randomBytes(4).toString('hex')}`;
    let wh: Warehouse;
    let keys: KeyStore;
    let acmeKey: string;
    let betaKey: string;
    let noScopeKey: string;
    const seen: NavanRequest[] = [];
    let failProxy = false;
    const gateway = { handler: async (req: NavanRequest) => {
      seen.push(req);
      if (failProxy) throw new CircuitOpenError('Navan is failing; retry in 5 s.', 'open', 5000);
      return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ tenant: req.tenant })) };
    } } as unknown as Gateway;

    beforeAll(async () => {
      wh = backend === 'sqlite' ? await openWarehouse({ databaseUrl: 'sqlite::memory:' }) : await openWarehouse({ databaseUrl: PG_URL, pgSchema });
      await wh.migrate();
      await wh.upsertBookings([...Array.from({ length: 250 }, (_, i) => booking('acme', i)), ...Array.from({ length: 40 }, (_, i) => booking('beta', i))]);
      keys = await createKeyStore(wh);
      acmeKey = (await keys.create('acme')).key;
      betaKey = (await keys.create('beta')).key;
      noScopeKey = (await keys.create('acme', ['read:users'])).key;
    });
    afterAll(async () => {
      if (backend === 'postgres') await sql`drop schema ${sql.id(pgSchema)} cascade`.execute(wh.db);
      await wh.close();
    });

    async function server(extra: { gateway?: boolean; sync?: boolean } = {}) {
      return buildServer({
        config: config(), warehouse: wh,
        gatewayFor: extra.gateway ? () => gateway : undefined,
        syncStatus: extra.sync ? async (t) => [{ stream: 'bookings', tenant: t }] : undefined,
      });
    }
    const auth = (k: string) => ({ authorization: `Bearer ${k}` });

    it('walks every page with keyset pagination, and sees only its own tenant', async () => {
      const app = await server();
      for (const [key, tenant, total] of [[acmeKey, 'acme', 250], [betaKey, 'beta', 40]] as const) {
        const ids: string[] = [];
        let cursor: string | null = null;
        do {
          const res = await app.inject({ url: `/api/v1/bookings?limit=100${cursor ? `&cursor=${cursor}` : ''}`, headers: auth(key) });
          expect(res.statusCode).toBe(200);
          const body = res.json() as { data: { uuid: string }[]; nextCursor: string | null };
          ids.push(...body.data.map((b) => b.uuid));
          cursor = body.nextCursor;
        } while (cursor);
        expect(ids).toHaveLength(total);
        expect(new Set(ids).size).toBe(total);
        expect(ids.every((id) => id.startsWith(`${tenant}-`))).toBe(true);
      }
      await app.close();
    });

    it('filters by type and date', async () => {
      const app = await server();
      const res = await app.inject({ url: '/api/v1/bookings?booking_type=HOTEL&from=2026-01-01&to=2026-01-01&limit=500', headers: auth(acmeKey) });
      const data = (res.json() as { data: { booking_type: string; start_date: string }[] }).data;
      expect(data.length).toBeGreaterThan(0);
      expect(data.every((b) => b.booking_type === 'HOTEL' && b.start_date === '2026-01-01')).toBe(true);
      await app.close();
    });

    it('streams the filtered bookings as CSV for Accept: text/csv', async () => {
      const app = await server();
      const res = await app.inject({ url: '/api/v1/bookings?booking_type=HOTEL', headers: { ...auth(acmeKey), accept: 'text/csv' } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const lines = res.body.trim().split('\n');
      expect(lines[0]).toMatch(/^uuid,booking_type,/);
      expect(lines).toHaveLength(1 + 84);
      expect(lines.slice(1).every((l) => l.startsWith('acme-') && l.includes(',HOTEL,'))).toBe(true);
      await app.close();
    });

    it('answers a bad parameter with 400 naming it, never a 500', async () => {
      const app = await server();
      for (const [qs, param] of [['limit=0', 'limit'], ['limit=abc', 'limit'], ['limit=100000', 'limit'], ['from=2026-1-1', 'from'], ['cursor=%24%24', 'cursor'], ['bogus=1', 'bogus']]) {
        const res = await app.inject({ url: `/api/v1/bookings?${qs}`, headers: auth(acmeKey) });
        expect(res.statusCode, qs).toBe(400);
        expect(res.json().parameter, qs).toBe(param);
        expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/);
      }
      await app.close();
    });

    it('sums spend exactly (250 × 0.10 is 25.00, not 24.999…) per tenant', async () => {
      const app = await server();
      const acme = (await app.inject({ url: '/api/v1/reports/spend', headers: auth(acmeKey) })).json();
      const beta = (await app.inject({ url: '/api/v1/reports/spend', headers: auth(betaKey) })).json();
      expect(acme.total).toBe('25.00');
      expect(acme.bookings).toBe(250);
      expect(beta.total).toBe('4.00');
      await app.close();
    });

    it('rejects a missing, wrong, revoked or under-scoped key on every route', async () => {
      const app = await server({ gateway: true, sync: true });
      const routes = ['/api/v1/bookings', '/api/v1/reports/spend', '/api/v1/sync/status', '/navan/v1/users'];
      const revoked = await keys.create('acme');
      await keys.revoke(revoked.id);
      for (const url of routes) {
        expect((await app.inject({ url })).statusCode, url).toBe(401);
        expect((await app.inject({ url, headers: auth('nbk_wrong') })).statusCode, url).toBe(401);
        expect((await app.inject({ url, headers: auth(revoked.key) })).statusCode, url).toBe(401);
        expect((await app.inject({ url, headers: auth(noScopeKey) })).statusCode, url).toBe(403);
      }
      await app.close();
    });

    it('scopes sync status and the proxy to the key\'s tenant', async () => {
      const app = await server({ gateway: true, sync: true });
      expect((await app.inject({ url: '/api/v1/sync/status', headers: auth(betaKey) })).json()).toEqual([{ stream: 'bookings', tenant: 'beta' }]);
      const res = await app.inject({ url: '/navan/v1/users?page=0', headers: { ...auth(betaKey), 'x-request-id': 'req-1' } });
      expect(res.json()).toEqual({ tenant: 'beta' });
      const req = seen.at(-1)!;
      expect(req).toMatchObject({ tenant: 'beta', path: '/v1/users', query: { page: '0' }, correlationId: 'req-1', allowStale: true });
      // the consumer's API key is never forwarded to Navan
      expect(JSON.stringify(req)).not.toContain(betaKey);
      failProxy = true;
      const open = await app.inject({ url: '/navan/v1/users', headers: auth(acmeKey) });
      failProxy = false;
      expect(open.statusCode).toBe(503);
      expect(open.headers['retry-after']).toBe('5');
      await app.close();
    });

    it('answers 503 with a clear message when the proxy or sync engine is absent', async () => {
      const app = await server();
      const res = await app.inject({ url: '/navan/v1/users', headers: auth(acmeKey) });
      expect(res.statusCode).toBe(503);
      expect(res.json().message).toMatch(/proxy is not enabled/);
      expect((await app.inject({ url: '/api/v1/sync/status', headers: auth(acmeKey) })).statusCode).toBe(503);
      await app.close();
    });

    it('stores only a hash of each key, and serves an OpenAPI document', async () => {
      const rows = await sql<{ key_hash: string }>`select key_hash from server_api_key`.execute(wh.db);
      expect(rows.rows.some((r) => r.key_hash.includes(acmeKey))).toBe(false);
      expect(rows.rows.every((r) => /^[0-9a-f]{64}$/.test(r.key_hash))).toBe(true);
      const app = await server();
      const doc = (await app.inject({ url: '/api/v1/openapi.json' })).json();
      expect(doc.paths['/api/v1/bookings'].get.parameters.map((p: { name: string }) => p.name)).toContain('cursor');
      expect((await app.inject({ url: '/healthz' })).json().status).toBe('ok');
      await app.close();
    });
  });
}

