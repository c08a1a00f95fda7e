import { createReadStream, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../shared/errors.js';

export interface DashboardOptions {
  /** The folder holding index.html and the page modules; default the repository's web/. */
  webRoot?: string;
}

/**
 * web/ sits at the repository root, two levels above this file both as src/server/dashboard.ts
 * (tsx) and as dist/server/dashboard.js (compiled), so one relative path serves both.
 */
export const DEFAULT_WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

/** chart.js's browser (UMD) build, found through the package so a hoisted node_modules works too. */
function chartUmdPath(): string {
  const main = createRequire(import.meta.url).resolve('chart.js');
  return join(dirname(main), 'chart.umd.js');
}

// Scripts, styles and data only from this server: the page never runs inline or third-party code,
// so a booking field holding markup cannot execute.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * The travel dashboard: static files from web/ at `/` and chart.js at `/vendor/chart.umd.js`.
 * No build step: the browser loads the ES modules as they are. Register it on the server with
 * `await app.register(dashboardPlugin)`.
 */
export async function dashboardPlugin(app: FastifyInstance, options: DashboardOptions = {}): Promise<void> {
  const root = options.webRoot ?? DEFAULT_WEB_ROOT;
  if (!existsSync(join(root, 'index.html'))) {
    throw new ConfigError(`dashboard: ${root}/index.html is missing; run navan-bridge from a complete checkout or package that includes web/.`);
  }
  const chartFile = chartUmdPath();

  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // One route per file instead of a catch-all, so unknown /api/… and /navan/… paths keep their JSON 404s.
    wildcard: false,
    // Another plugin (an API docs page) may register @fastify/static too; this one needs no reply.sendFile.
    decorateReply: false,
    // The files change only with a release, but index.html must pick up new module names at once.
    cacheControl: false,
    setHeaders: (res) => {
      res.setHeader('cache-control', 'no-cache');
      res.setHeader('content-security-policy', CSP);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('referrer-policy', 'no-referrer');
    },
  });

  app.get('/vendor/chart.umd.js', async (_req, reply) => {
    return reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .header('x-content-type-options', 'nosniff')
      .send(createReadStream(chartFile));
  });
}
