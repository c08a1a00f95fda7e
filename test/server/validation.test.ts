import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/index.js';
import type { Warehouse } from '../../src/warehouse/index.js';
import { auth, keysFor, openTestWarehouse, seedTenant, testConfig } from './fixtures.js';

type Schema = { type?: string; pattern?: string; enum?: string[]; minimum?: number; maximum?: number; maxLength?: number; minLength?: number; description: string };
interface Param { name: string; in: 'query' | 'path'; schema: Schema }

/**
 * Bad values for a parameter, derived from its schema: each must be refused. Deriving them from
 * the published schemas means every parameter of every route is covered, including ones added later.
 */
function badValues(s: Schema): string[] {
  const out: string[] = [];
  if (s.type === 'integer') out.push('abc', '1.5', String((s.minimum ?? 1) - 1), String((s.maximum ?? 1e6) + 1));
  if (s.type === 'boolean') out.push('maybe', '2');
  if (s.enum) out.push('maybe');
  if (s.pattern?.includes('\\d{4}')) out.push('2026-1-1', '2026-13-01', '2026-02-30', 'yesterday');
  else if (s.pattern?.includes('@')) out.push('not-an-email');
  else if (s.pattern === '^[A-Za-z]{3}$') out.push('EURO', '12$');
  else if (s.pattern) out.push('$$$', 'a b');
  if (s.maxLength !== undefined && s.type === 'string') out.push('x'.repeat(s.maxLength + 1));
  if (s.minLength !== undefined && s.minLength > 0 && s.type === 'string' && !s.pattern) out.push('');
  return out;
}

describe('validation: every parameter of every route', () => {
  let wh: Warehouse & { drop(): Promise<void> };
  let app: FastifyInstance;
  let key: string;
  let routes: { path: string; params: Param[] }[];

  beforeAll(async () => {
    wh = await openTestWarehouse('sqlite');
    await seedTenant(wh, 'acme', { bookings: 10, transactions: 3, users: 3 });
    key = (await keysFor(wh)).acme;
    app = await buildServer({ config: testConfig({ server: { maxPageSize: 200 } }), warehouse: wh, dashboard: false });
    const doc = (await app.inject({ url: '/api/v1/openapi.json' })).json() as { paths: Record<string, { get: { parameters: Param[] } }> };
    routes = Object.entries(doc.paths).filter(([p]) => p.startsWith('/api/v1/')).map(([path, ops]) => ({ path, params: ops.get.parameters }));
  });
  afterAll(async () => {
    await app?.close();
    await wh?.drop();
  });

  const sample = (path: string) => path.replace('{uuid}', 'acme-b0001').replace('{id}', 'acme-t0000');

  it('has bad values for every parameter, and refuses each with 400 naming the parameter and its expected form', async () => {
    let checked = 0;
    for (const { path, params } of routes) {
      for (const p of params) {
        const values = badValues(p.schema);
        expect(values.length, `${path} ${p.name}`).toBeGreaterThan(0);
        for (const v of values) {
          const url = p.in === 'path'
            ? sample(path.replace(`{${p.name}}`, encodeURIComponent(v) || '%20'))
            : `${sample(path)}?${p.name}=${encodeURIComponent(v)}`;
          const res = await app.inject({ url, headers: auth(key) });
          const what = `${url} → ${res.statusCode} ${res.body.slice(0, 200)}`;
          // An empty path segment routes nowhere: 404 is the right answer there.
          if (p.in === 'path' && v === '') continue;
          expect(res.statusCode, what).toBe(400);
          const body = res.json();
          expect(body.error, what).toBe('BAD_PARAMETER');
          expect(body.parameter, what).toBe(p.name);
          expect(body.message, what).toContain(`"${p.name}"`);
          if (!/calendar|cursor/.test(body.message)) expect(body.message, what).toContain(p.schema.description);
          expect(res.body, what).not.toMatch(/\bat .*\.(ts|js):\d+/);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(120);
  });

  it('names an unknown parameter', async () => {
    for (const { path } of routes) {
      const res = await app.inject({ url: `${sample(path)}?bogus=1`, headers: auth(key) });
      if (path.endsWith('openapi.json') || path.endsWith('/docs')) continue;
      expect(res.statusCode, path).toBe(400);
      expect(res.json(), path).toMatchObject({ error: 'BAD_PARAMETER', parameter: 'bogus' });
    }
  });

  it.each([
    ['/api/v1/bookings?created_from=2026-02-01&created_to=2026-01-01', 'created_to'],
    ['/api/v1/bookings?start_from=2026-02-01&start_to=2026-01-01', 'start_to'],
    ['/api/v1/bookings?from=2026-02-01&to=2026-01-01', 'to'],
    ['/api/v1/transactions?from=2026-02-01&to=2026-01-01', 'to'],
    ['/api/v1/trips?from=2026-02-01&to=2026-01-01', 'to'],
    ['/api/v1/reports/spend?from=2026-02-01&to=2026-01-01', 'to'],
    ['/api/v1/bookings?cursor=bm90LWEtY3Vyc29y', 'cursor'],
    ['/api/v1/transactions?cursor=WzEsMl0', 'cursor'],
    ['/api/v1/users?cursor=abc', 'cursor'],
    ['/api/v1/trips?cursor=abc', 'cursor'],
    ['/api/v1/bookings?limit=1&limit=2', 'limit'],
  ])('refuses %s naming %s', async (url, parameter) => {
    const res = await app.inject({ url, headers: auth(key) });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ error: 'BAD_PARAMETER', parameter });
  });

  it('accepts the documented good forms', async () => {
    for (const url of ['/api/v1/bookings?limit=200&out_of_policy=false&deleted=any&from=2026-01-01&q=acme', '/api/v1/transactions?currency=usd', '/api/v1/reports/top?limit=100']) {
      expect((await app.inject({ url, headers: auth(key) })).statusCode, url).toBe(200);
    }
  });

  it('answers unknown routes and malformed requests with JSON, never a stack', async () => {
    const notFound = await app.inject({ url: '/api/v1/nope', headers: auth(key) });
    expect(notFound.statusCode).toBe(404);
    expect(notFound.json().message).toMatch(/\/api\/v1\/docs/);
    const big = await app.inject({ method: 'POST', url: '/navan/v1/users', headers: { ...auth(key), 'content-type': 'application/json' }, payload: JSON.stringify({ x: 'y'.repeat(2_000_000) }) });
    expect(big.statusCode).toBe(413);
    expect(big.json().error).toBeDefined();
    const badJson = await app.inject({ method: 'POST', url: '/navan/v1/users', headers: { ...auth(key), 'content-type': 'application/json' }, payload: '{' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.body).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });

  it('hides an unexpected failure behind a 500 with a request id and no stack', async () => {
    const broken = await openTestWarehouse('sqlite');
    const brokenKey = (await keysFor(broken)).acme;
    const server = await buildServer({ config: testConfig(), warehouse: broken, dashboard: false });
    await broken.db.schema.dropTable('booking').execute();
    const res = await server.inject({ url: '/api/v1/bookings', headers: { ...auth(brokenKey), 'x-request-id': 'req-500' } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'INTERNAL', message: expect.stringMatching(/request id/), requestId: 'req-500' });
    expect(res.body).not.toMatch(/booking|sqlite|\.ts:/i);
    await server.close();
    await broken.drop();
  });
});
