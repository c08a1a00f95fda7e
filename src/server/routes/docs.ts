import type { FastifyPluginAsync } from 'fastify';
import { docsPage, openApiDocument, type RouteDoc } from '../lib/openapi.js';

/** /api/v1/openapi.json and /api/v1/docs, both from the routes' own validating schemas. */
export function docsPlugin(routes: RouteDoc[]): FastifyPluginAsync {
  return async (app) => {
    let doc: Record<string, unknown> | undefined;
    // Built on first request: every plugin has registered its routes by then.
    const get = () => (doc ??= openApiDocument(routes, '1'));
    app.get('/openapi.json', { schema: { summary: 'This document', tags: ['docs'] } }, async () => get());
    app.get('/docs', { schema: { summary: 'A readable page of this document', tags: ['docs'] } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(docsPage(get())));
  };
}
