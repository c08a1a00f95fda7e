import { sql } from 'kysely';
import type { FastifyPluginAsync } from 'fastify';
import { warehouseMigrations } from '../../warehouse/index.js';
import { tenantOf } from '../auth.js';
import type { ServerContext } from '../context.js';
import { collectIntegrationHealth, streamStatuses } from '../integration-health.js';
import { querySchema } from '../lib/schemas.js';

const notRunning = { error: 'NOT_CONFIGURED', message: 'The sync engine is not running in this process; start navan-bridge with sync enabled.' };

/** Sync status and integration health (any valid key, always its own tenant) under /api/v1. */
export function statusPlugin(ctx: ServerContext): FastifyPluginAsync {
  const { options, warehouse } = ctx;
  const health = options.integrationHealth
    ?? collectIntegrationHealth({ warehouse, ...(options.syncStatus ? { syncStatus: options.syncStatus } : {}), ...(options.gatewayFor ? { gatewayFor: options.gatewayFor } : {}), clock: ctx.clock });
  return async (app) => {
    app.get('/sync/status', {
      config: { scope: 'any' },
      schema: { summary: "Per stream: last run with its counts, last success, staleness, covered ranges (the key's tenant)", tags: ['sync'], querystring: querySchema({}) },
    }, async (req, reply) => {
      if (!options.syncStatus) return reply.code(503).send(notRunning);
      const tenant = tenantOf(req);
      return { data: await streamStatuses(warehouse, await options.syncStatus(tenant), tenant) };
    });

    app.get('/health', {
      config: { scope: 'any' },
      schema: { summary: "Integration health of the key's tenant: token, breaker, rate budget, streams, recent runs, firing alerts", tags: ['sync'], querystring: querySchema({}) },
    }, async (req) => ({ data: await health(tenantOf(req)) }));
  };
}

/** Liveness, readiness and metrics at the root: no key, for load balancers and Prometheus. */
export function probesPlugin(ctx: ServerContext): FastifyPluginAsync {
  const { options, warehouse } = ctx;
  const latest = Math.max(...warehouseMigrations.map((m) => m.version));
  return async (app) => {
    app.get('/healthz', { schema: { summary: 'Liveness: the process answers', tags: ['probes'] } }, async () => ({ status: 'ok', ...(options.health ? { details: await options.health() } : {}) }));

    app.get('/readyz', { schema: { summary: 'Readiness: the warehouse answers and its migrations are applied (503 otherwise)', tags: ['probes'] } }, async (_req, reply) => {
      try {
        const row = await sql<{ v: number | string | null }>`select max(version) as v from schema_migration where namespace = 'warehouse'`.execute(warehouse.db);
        const applied = Number(row.rows[0]?.v ?? 0);
        if (applied < latest) {
          return reply.code(503).send({ status: 'not-ready', message: `The warehouse is at migration ${applied} of ${latest}; restart navan-bridge so it applies them.` });
        }
        return { status: 'ready', migration: applied };
      } catch {
        return reply.code(503).send({ status: 'not-ready', message: 'The warehouse does not answer; check DATABASE_URL and that the database is running.' });
      }
    });

    app.get('/metrics', { schema: { summary: 'Prometheus metrics of this process', tags: ['probes'] } }, async (_req, reply) => {
      if (!options.metrics) return reply.code(404).send({ error: 'NOT_CONFIGURED', message: 'Metrics are not enabled in this process; start the server with the monitor.' });
      return reply.type(options.metrics.contentType).send(await options.metrics.text());
    });
  };
}
