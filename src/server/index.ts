import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { systemClock } from '../shared/clock.js';
import { authenticate } from './auth.js';
import type { BuildServerOptions, ServerContext } from './context.js';
import { dashboardPlugin, type DashboardOptions } from './dashboard.js';
import { createKeyStore } from './keys.js';
import { handleError, handleNotFound } from './lib/errors.js';
import { routeDoc, type RouteDoc } from './lib/openapi.js';
import { bookingsPlugin } from './routes/bookings.js';
import { docsPlugin } from './routes/docs.js';
import { peoplePlugin } from './routes/people.js';
import { proxyPlugin } from './routes/proxy.js';
import { reportsPlugin } from './routes/reports.js';
import { probesPlugin, statusPlugin } from './routes/status.js';
import { transactionsPlugin } from './routes/transactions.js';

export { createKeyStore, SCOPES } from './keys.js';
export type { ApiKeyInfo, KeyStore, Scope } from './keys.js';
export { collectIntegrationHealth } from './integration-health.js';
export type { IntegrationHealth, IntegrationHealthDeps, StreamSyncStatus, RecentRun } from './integration-health.js';
export { PROXY_ALLOW_LIST } from './routes/proxy.js';
export type { BuildServerOptions } from './context.js';

/** A correlation id from X-Request-Id when it is a sane token, else a fresh one. */
function requestId(header: string | string[] | undefined): string {
  return typeof header === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(header) ? header : randomUUID();
}

/**
 * Builds the HTTP server; the caller listens. Every group of routes is a plugin registered here,
 * in one place: consumer API under /api/v1 (bookings, transactions, users and trips, reports, sync
 * and health, docs), the Navan proxy under /navan, probes and metrics at the root, and the dashboard.
 */
export async function buildServer(options: BuildServerOptions & { dashboard?: false | DashboardOptions }): Promise<FastifyInstance> {
  const { config, warehouse } = options;
  const ctx: ServerContext = {
    options, config, warehouse,
    keys: await createKeyStore(warehouse),
    maxPageSize: config.server.maxPageSize,
    clock: options.clock ?? systemClock,
  };
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: config.server.bodyLimitBytes,
    // Long enough for any id the schemas allow, so a too-long id gets the schema's 400, not a bare 414.
    routerOptions: { maxParamLength: 300 },
    genReqId: (req) => requestId(req.headers['x-request-id']),
    // Parameters arrive as text: coerce "20" to 20 and "true" to true, but never an array to a scalar.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false, useDefaults: true } },
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  app.addHook('onRequest', authenticate(ctx.keys));
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  const routes: RouteDoc[] = [];
  app.addHook('onRoute', (route) => {
    const doc = routeDoc(route);
    if (doc && (doc.url.startsWith('/api/') || doc.url.startsWith('/navan/') || ['/healthz', '/readyz'].includes(doc.url))) routes.push(doc);
  });

  await app.register(async (api) => {
    await api.register(bookingsPlugin(ctx));
    await api.register(transactionsPlugin(ctx));
    await api.register(peoplePlugin(ctx));
    await api.register(reportsPlugin(ctx));
    await api.register(statusPlugin(ctx));
    await api.register(docsPlugin(routes));
  }, { prefix: '/api/v1' });
  await app.register(proxyPlugin(ctx), { prefix: '/navan' });
  await app.register(probesPlugin(ctx));
  if (options.dashboard !== false) await app.register(dashboardPlugin, options.dashboard ?? {});
  return app as unknown as FastifyInstance;
}
