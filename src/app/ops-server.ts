import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Logger } from '../shared/logger.js';
import type { Warehouse } from '../warehouse/index.js';

export interface OpsServerOptions {
  role: string;
  warehouse: Warehouse;
  metrics: { contentType: string; text(): Promise<string> };
  logger?: Logger;
}

/**
 * The small server of the roles without the consumer API (worker, scheduler): liveness,
 * readiness and Prometheus metrics, so orchestrators can probe them and Prometheus can scrape
 * them like the API servers.
 */
export function buildOpsServer(options: OpsServerOptions): FastifyInstance {
  const app = Fastify({ ...(options.logger ? { loggerInstance: options.logger } : {}), logController: new LogController({ disableRequestLogging: true }) });
  app.get('/healthz', async () => ({ status: 'ok', role: options.role }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await sql`select 1`.execute(options.warehouse.db);
      return { status: 'ready', role: options.role };
    } catch {
      return reply.code(503).send({ status: 'not ready', message: 'The warehouse does not answer; check DATABASE_URL and that the database is up.' });
    }
  });
  app.get('/metrics', async (_req, reply) => reply.type(options.metrics.contentType).send(await options.metrics.text()));
  return app as unknown as FastifyInstance;
}
