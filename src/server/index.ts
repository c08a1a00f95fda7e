import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Decimal } from 'decimal.js';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import type { Gateway } from '../gateway/index.js';
import { CircuitOpenError, NavanBridgeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Warehouse } from '../warehouse/index.js';
import { createKeyStore, type ApiKeyInfo, type Scope } from './keys.js';

export { createKeyStore, SCOPES } from './keys.js';
export type { ApiKeyInfo, KeyStore, Scope } from './keys.js';

export interface BuildServerOptions {
  config: Config;
  warehouse: Warehouse;
  logger?: Logger;
  syncStatus?: (tenant: string) => Promise<unknown>;
  gatewayFor?: (tenantId: string) => Gateway;
  metrics?: { contentType: string; text(): Promise<string> };
  health?: () => Promise<unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: ApiKeyInfo;
  }
}

const DATE = '^\\d{4}-\\d{2}-\\d{2}$';

// These schemas validate the query AND are published as the OpenAPI document, so the two never drift.
function bookingsQuery(maxPageSize: number) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: maxPageSize, default: 100, description: `page size, 1..${maxPageSize}` },
      cursor: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', description: 'the nextCursor of the previous page' },
      booking_type: { type: 'string', maxLength: 40 },
      booking_status: { type: 'string', maxLength: 40 },
      traveler_email: { type: 'string', maxLength: 320 },
      from: { type: 'string', pattern: DATE, description: 'first start date, YYYY-MM-DD' },
      to: { type: 'string', pattern: DATE, description: 'last start date, YYYY-MM-DD' },
    },
  } as const;
}
const spendQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'string', pattern: DATE, description: 'first start date, YYYY-MM-DD' },
    to: { type: 'string', pattern: DATE, description: 'last start date, YYYY-MM-DD' },
  },
} as const;

interface BookingsQuery { limit: number; cursor?: string; booking_type?: string; booking_status?: string; traveler_email?: string; from?: string; to?: string }

const LIST_COLUMNS = ['uuid', 'booking_type', 'booking_status', 'created', 'start_date', 'end_date', 'vendor', 'traveler_name', 'traveler_email', 'origin_city', 'destination_city', 'currency', 'grand_total', 'usd_grand_total', 'out_of_policy', 'carbon_emissions'] as const;

/** Builds the HTTP server (consumer API, Navan proxy, health, metrics); the caller listens. */
export async function buildServer(options: BuildServerOptions): Promise<FastifyInstance> {
  const { config, warehouse } = options;
  const maxPageSize = config.server.maxPageSize;
  const keys = await createKeyStore(warehouse);
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: config.server.bodyLimitBytes,
    genReqId: (req) => (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].length <= 200 ? req.headers['x-request-id'] : randomUUID()),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
  });

  app.setErrorHandler((err: Error & { validation?: Array<{ instancePath: string; params?: Record<string, unknown>; message?: string }>; statusCode?: number }, req, reply) => {
    if (err.validation) {
      const v = err.validation[0]!;
      const param = v.params?.additionalProperty ?? v.instancePath.replace(/^\//, '') ?? 'query';
      const message = v.params?.additionalProperty !== undefined
        ? `Parameter "${String(param)}" is not supported; remove it.`
        : `Parameter "${String(param)}" ${v.message ?? 'is invalid'}; fix it and retry.`;
      return reply.code(400).send({ error: 'BAD_PARAMETER', parameter: String(param), message });
    }
    if (err instanceof NavanBridgeError) return reply.code(err.code === 'BAD_PARAMETER' ? 400 : 502).send({ error: err.code, message: err.message });
    if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: 'BAD_REQUEST', message: err.message });
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'INTERNAL', message: 'The server failed on this request; check the server log for the request id.', requestId: req.id });
  });

  // Keys arrive as a Bearer token or X-Api-Key; the tenant always comes from the key, never from the request.
  function requireScope(scope: Scope) {
    return async (req: FastifyRequest, reply: FastifyReply) => {
      const auth = req.headers.authorization;
      const raw = auth?.startsWith('Bearer ') ? auth.slice(7) : (req.headers['x-api-key'] as string | undefined);
      const key = raw ? await keys.verify(raw) : undefined;
      if (!key) return reply.code(401).send({ error: 'UNAUTHORIZED', message: 'Send a valid API key as "Authorization: Bearer <key>"; create one with navan-bridge keys create --tenant <id>.' });
      if (!key.scopes.includes(scope)) return reply.code(403).send({ error: 'FORBIDDEN', message: `This API key lacks the "${scope}" scope; create a key with --scopes ${scope}.` });
      req.apiKey = key;
    };
  }

  app.get('/healthz', async () => ({ status: 'ok', details: options.health ? await options.health() : undefined }));
  app.get('/metrics', async (_req, reply) => {
    if (!options.metrics) return reply.code(404).send({ error: 'NOT_CONFIGURED', message: 'Metrics are not enabled in this process; start the server with the monitor.' });
    return reply.type(options.metrics.contentType).send(await options.metrics.text());
  });

  await app.register(async (api) => {
    api.get<{ Querystring: BookingsQuery }>('/bookings', { schema: { querystring: bookingsQuery(maxPageSize) }, preHandler: requireScope('read:bookings') }, async (req, reply) => {
      const q = req.query;
      const tenant = req.apiKey!.tenant;
      let query = warehouse.db.selectFrom('booking').select(LIST_COLUMNS).where('_tenant', '=', tenant).where('_deleted', '=', 0);
      if (q.booking_type) query = query.where('booking_type', '=', q.booking_type);
      if (q.booking_status) query = query.where('booking_status', '=', q.booking_status);
      if (q.traveler_email) query = query.where('traveler_email', '=', q.traveler_email);
      if (q.from) query = query.where('start_date', '>=', q.from);
      if (q.to) query = query.where('start_date', '<=', q.to);
      if (req.headers.accept?.includes('text/csv')) {
        // Streamed in keyset chunks so an export of a million rows never sits in memory.
        const base = query;
        async function* lines(): AsyncGenerator<string> {
          yield `${LIST_COLUMNS.join(',')}\n`;
          let after = q.cursor ? decodeCursor(q.cursor) : undefined;
          for (;;) {
            const chunk = await (after === undefined ? base : base.where('uuid', '>', after)).orderBy('uuid').limit(1000).execute();
            for (const r of chunk) yield `${LIST_COLUMNS.map((c) => csvCell((r as Record<string, unknown>)[c])).join(',')}\n`;
            if (chunk.length < 1000) return;
            after = chunk[chunk.length - 1]!.uuid;
          }
        }
        return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="bookings.csv"').send(Readable.from(lines()));
      }
      if (q.cursor) query = query.where('uuid', '>', decodeCursor(q.cursor));
      // Keyset on the primary key: page N costs the same as page 1, and inserts never shift pages.
      const rows = await query.orderBy('uuid').limit(q.limit + 1).execute();
      const page = rows.slice(0, q.limit);
      const next = rows.length > q.limit ? encodeCursor(page[page.length - 1]!.uuid) : null;
      return { data: page, nextCursor: next };
    });

    api.get<{ Querystring: { from?: string; to?: string } }>('/reports/spend', { schema: { querystring: spendQuery }, preHandler: requireScope('read:bookings') }, async (req) => {
      const tenant = req.apiKey!.tenant;
      let query = warehouse.db.selectFrom('booking').select(['booking_type', 'usd_grand_total']).where('_tenant', '=', tenant).where('_deleted', '=', 0);
      if (req.query.from) query = query.where('start_date', '>=', req.query.from);
      if (req.query.to) query = query.where('start_date', '<=', req.query.to);
      // Summed with decimal.js from the stored text: float addition would drift by cents.
      const byType = new Map<string, Decimal>();
      let total = new Decimal(0);
      let count = 0;
      for (const r of await query.execute()) {
        const amount = new Decimal(r.usd_grand_total ?? '0');
        total = total.plus(amount);
        count++;
        const t = r.booking_type ?? 'UNKNOWN';
        byType.set(t, (byType.get(t) ?? new Decimal(0)).plus(amount));
      }
      return { currency: 'USD', bookings: count, total: total.toFixed(2), byType: Object.fromEntries([...byType].map(([k, v]) => [k, v.toFixed(2)])) };
    });

    api.get('/sync/status', { preHandler: requireScope('read:bookings') }, async (req, reply) => {
      if (!options.syncStatus) return reply.code(503).send({ error: 'NOT_CONFIGURED', message: 'The sync engine is not running in this process; start navan-bridge with sync enabled.' });
      return options.syncStatus(req.apiKey!.tenant);
    });

    api.get('/openapi.json', async () => openApi(maxPageSize));
  }, { prefix: '/api/v1' });

  await app.register(async (proxy) => {
    proxy.all('/*', { preHandler: requireScope('proxy') }, async (req, reply) => {
      if (!options.gatewayFor) return reply.code(503).send({ error: 'PROXY_UNAVAILABLE', message: 'The Navan proxy is not enabled in this process; start the server with the gateway.' });
      if (req.method !== 'GET' && req.method !== 'POST') return reply.code(405).send({ error: 'METHOD_NOT_ALLOWED', message: 'The proxy forwards GET and POST only.' });
      const tenantId = req.apiKey!.tenant;
      const tenant = config.tenants.find((t) => t.id === tenantId);
      if (!tenant) return reply.code(503).send({ error: 'UNKNOWN_TENANT', message: `Tenant "${tenantId}" is not configured; add it to the config or revoke this key.` });
      const url = new URL(req.url, 'http://local');
      const path = url.pathname.replace(/^\/navan/, '');
      const query: Record<string, string> = {};
      url.searchParams.forEach((v, k) => { query[k] = v; });
      const headers: Record<string, string> = { accept: 'application/json' };
      if (req.headers['content-type']) headers['content-type'] = String(req.headers['content-type']);
      try {
        const res = await options.gatewayFor(tenantId).handler({
          tenant: tenantId, method: req.method, baseUrl: tenant.baseUrl, path, endpoint: path, query, headers,
          body: req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body),
          correlationId: req.id, idempotent: req.method === 'GET', allowStale: true,
        });
        const ct = res.headers['content-type'];
        if (ct) reply.header('content-type', Array.isArray(ct) ? ct[0] : ct);
        if (res.stale) reply.header('x-navan-bridge-stale-age-ms', String(res.stale.ageMs)).header('warning', '110 - "Response is stale"');
        return reply.code(res.status).send(res.body);
      } catch (err) {
        if (err instanceof CircuitOpenError) {
          return reply.code(503).header('retry-after', String(Math.ceil((err.retryInMs ?? 1000) / 1000))).send({ error: err.code, message: err.message });
        }
        throw err;
      }
    });
  }, { prefix: '/navan' });

  return app as unknown as FastifyInstance;
}

// RFC 4180 quoting, plus a leading quote on formula-like cells so a spreadsheet never executes them.
function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let text = String(v);
  if (/^[=+\-@]/.test(text) && !/^-?\d/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function encodeCursor(uuid: string): string {
  return Buffer.from(uuid, 'utf8').toString('base64url');
}
function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

function openApi(maxPageSize: number): unknown {
  const params = (schema: { properties: Record<string, object> }) => Object.entries(schema.properties).map(([name, s]) => ({ name, in: 'query', required: false, schema: s }));
  const secured = [{ apiKey: [] }];
  return {
    openapi: '3.0.3',
    info: { title: 'navan-bridge consumer API', version: '1' },
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
    paths: {
      '/api/v1/bookings': { get: { summary: 'Bookings of the key\'s tenant, keyset-paginated', security: secured, parameters: params(bookingsQuery(maxPageSize)), responses: { 200: { description: '{ data, nextCursor }' }, 400: { description: 'a bad parameter' } } } },
      '/api/v1/reports/spend': { get: { summary: 'Exact USD spend by booking type', security: secured, parameters: params(spendQuery), responses: { 200: { description: '{ total, byType }' } } } },
      '/api/v1/sync/status': { get: { summary: 'Sync status of the key\'s tenant', security: secured, responses: { 200: { description: 'per stream' } } } },
    },
  };
}
