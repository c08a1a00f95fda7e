import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { silentLogger } from '../shared/logger.js';
import { registerApiRoutes } from './api-routes.js';
import { BookingGenerator } from './booking-generator.js';
import { BookingStore } from './bookings.js';
import { SimClock } from './clock.js';
import { registerControlRoutes } from './control-routes.js';
import { CredentialStore } from './credentials.js';
import { bareServerError, springError } from './errors.js';
import { FaultInjector } from './faults.js';
import { metaOf, setMeta } from './request-meta.js';
import { registerOAuth } from './oauth.js';
import { RateLimiter } from './ratelimit.js';
import type { SimState } from './state.js';
import { StatsRecorder, type SimStats } from './stats.js';
import { TransactionStore } from './transactions.js';
import { UserDirectory } from './users.js';
import { startOfUtcDay } from './world.js';

export interface SimulatorOptions {
  host?: string;
  port?: number;
  seed?: number;
  bookings?: number;
  transactions?: number;
  users?: number;
  region?: 'US' | 'EU';
  updatedFilters?: boolean;
  expiresIn?: number;
  visibilityDelayHours?: number;
  rateLimitRps?: number;
  usersPaging?: 'bookings' | 'scim';
  now?: number;
  logger?: Logger;
}

export interface Simulator {
  url: string;
  clientId: string;
  clientSecret: string;
  clock: { now(): number; advance(ms: number): void; set(ms: number): void };
  stats(): SimStats;
  close(): Promise<void>;
}

function kindOf(url: string): 'control' | 'token' | 'api' {
  if (url.startsWith('/__sim/')) return 'control';
  if (url.startsWith('/ta-auth/')) return 'token';
  return 'api';
}

/** "GET /v1/bookings/{uuid}/invoice.pdf": the stats key, a template rather than a raw URL. */
function endpointOf(request: FastifyRequest): string {
  const template = request.routeOptions.url ?? request.url.split('?')[0]!;
  return `${request.method} ${template.replace(/:([A-Za-z_]+)/g, '{$1}')}`;
}

function buildState(options: SimulatorOptions, logger: Logger): SimState {
  const seed = options.seed ?? 1;
  const clock = new SimClock(options.now ?? Date.now());
  const anchor = startOfUtcDay(clock.now());
  const users = new UserDirectory(seed, Math.max(1, options.users ?? 200));
  const state = { seed, anchor, clock, users, logger, url: '' } as SimState;
  const generator = new BookingGenerator(seed, options.bookings ?? 2000, anchor, users, () => state.url);
  Object.assign(state, {
    config: {
      expiresIn: options.expiresIn ?? 43199,
      visibilityDelayHours: options.visibilityDelayHours ?? 0,
      region: options.region ?? 'US',
      updatedFilters: options.updatedFilters ?? false,
      usersPaging: options.usersPaging ?? 'bookings',
    },
    credentials: new CredentialStore(seed, () => clock.now()),
    stats: new StatsRecorder(),
    faults: new FaultInjector(seed),
    rateLimit: new RateLimiter(options.rateLimitRps),
    bookings: new BookingStore(generator),
    transactions: new TransactionStore(seed, options.transactions ?? 5000, anchor, users, generator),
  });
  return state;
}

function registerHooks(app: FastifyInstance, state: SimState): void {
  app.addHook('onRequest', async (request, reply) => {
    const kind = kindOf(request.url);
    const meta = setMeta(request, { kind });
    if (kind === 'control') return;
    const path = request.url.split('?')[0]!;
    const fault = state.faults.decide(path, kind === 'token');
    if (fault) {
      meta.fault = fault;
      if (fault.latencyMs > 0) await new Promise((r) => setTimeout(r, fault.latencyMs));
      if (fault.reset) {
        meta.reset = true;
        state.stats.record(endpointOf(request), 'reset');
        reply.hijack();
        request.raw.socket.destroy();
        return reply;
      }
      if (fault.status === 429) {
        if (fault.retryAfter) {
          const at = state.clock.now() + fault.retryAfter.seconds * 1000;
          reply.header('retry-after', fault.retryAfter.httpDate ? new Date(at).toUTCString() : String(fault.retryAfter.seconds));
          reply.header('date', new Date(state.clock.now()).toUTCString());
        }
        return springError(reply, request, 429, 'Too many requests');
      }
      if (fault.status !== undefined) return springError(reply, request, fault.status);
    }
    if (kind === 'api' && state.config.region === 'EU' && String(request.headers['x-ta-region'] ?? '').toUpperCase() !== 'EU') {
      return bareServerError(reply, request);
    }
  });

  app.addHook('onSend', async (request, _reply, payload) => {
    if (!metaOf(request)?.fault?.truncate || typeof payload !== 'string' || payload.length < 2) return payload;
    return payload.slice(0, Math.floor(payload.length / 2));
  });

  app.addHook('onResponse', async (request, reply) => {
    const meta = metaOf(request);
    if (!meta || meta.kind === 'control' || meta.reset) return;
    state.stats.record(endpointOf(request), reply.statusCode);
  });
}

/** Starts the Navan simulator on 127.0.0.1 (a free port unless one is given). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const logger = options.logger ?? silentLogger;
  const state = buildState(options, logger);
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 10 * 1024 * 1024 });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, raw, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(raw))));
  });
  registerHooks(app, state);
  registerOAuth(app, state);
  registerApiRoutes(app, state);
  registerControlRoutes(app, state);
  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  state.url = address.replace('[::1]', '127.0.0.1');
  const credential = state.credentials.defaultCredential;
  logger.info({ url: state.url, bookings: state.bookings.count, transactions: state.transactions.count, users: state.users.count }, 'Navan simulator listening');
  return {
    url: state.url,
    clientId: credential.clientId,
    clientSecret: credential.clientSecret,
    clock: state.clock,
    stats: () => state.stats.snapshot(),
    close: async () => {
      state.rateLimit.configure(null);
      await app.close();
    },
  };
}
