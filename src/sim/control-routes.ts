import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { controlError } from './errors.js';
import { validateFaultRule, type FaultRule } from './faults.js';
import type { SimState } from './state.js';

type Body = Record<string, unknown>;

function body(raw: unknown): Body {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Body) : {};
}

/** NDJSON in chunks of lines, so a million bookings stream without one giant string. */
function ndjson(records: Iterable<unknown>): Readable {
  return Readable.from(
    (function* () {
      let chunk = '';
      let n = 0;
      for (const r of records) {
        chunk += JSON.stringify(r) + '\n';
        if (++n % 256 === 0) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    })(),
  );
}

/** The /__sim/ control plane: clock, credentials, config, faults, rate limit, truth, mutations. */
export function registerControlRoutes(app: FastifyInstance, state: SimState): void {
  app.get('/__sim/stats', async () => state.stats.snapshot());
  app.post('/__sim/stats/reset', async () => {
    state.stats.reset();
    return state.stats.snapshot();
  });

  app.get('/__sim/clock', async () => ({ now: state.clock.now() }));
  app.post('/__sim/clock', async (request, reply) => {
    const b = body(request.body);
    if (typeof b.advanceMs === 'number' && Number.isFinite(b.advanceMs)) state.clock.advance(b.advanceMs);
    else if (typeof b.now === 'number' && Number.isFinite(b.now)) state.clock.set(b.now);
    else return controlError(reply, 400, 'Send {"advanceMs": n} or {"now": epochMs}.');
    return { now: state.clock.now() };
  });

  app.post('/__sim/credentials', async (request, reply) => {
    const b = body(request.body);
    if (b.scopes !== undefined && (!Array.isArray(b.scopes) || b.scopes.some((s) => typeof s !== 'string'))) {
      return controlError(reply, 400, 'Set scopes to a list of strings such as ["bookings:read"].');
    }
    const c = state.credentials.add({
      clientId: typeof b.clientId === 'string' ? b.clientId : undefined,
      clientSecret: typeof b.clientSecret === 'string' ? b.clientSecret : undefined,
      scopes: b.scopes as string[] | undefined,
      expenseEnabled: typeof b.expenseEnabled === 'boolean' ? b.expenseEnabled : undefined,
    });
    return { clientId: c.clientId, clientSecret: c.clientSecret };
  });
  app.delete('/__sim/credentials/:clientId', async (request, reply) => {
    const { clientId } = request.params as { clientId: string };
    if (!state.credentials.remove(clientId)) return controlError(reply, 404, `No credential with client id ${clientId}; list none or create it with POST /__sim/credentials.`);
    return { deleted: clientId };
  });
  app.post('/__sim/tokens/revoke', async (request) => {
    const b = body(request.body);
    return { revoked: state.credentials.revokeTokens(typeof b.clientId === 'string' ? b.clientId : undefined) };
  });

  app.get('/__sim/config', async () => ({ ...state.config, rateLimitRps: state.rateLimit.rps }));
  app.post('/__sim/config', async (request, reply) => {
    const b = body(request.body);
    const c = state.config;
    if (b.expiresIn !== undefined) {
      if (typeof b.expiresIn !== 'number' || b.expiresIn <= 0) return controlError(reply, 400, 'Set expiresIn to a number of seconds above 0.');
      c.expiresIn = b.expiresIn;
    }
    if (b.visibilityDelayHours !== undefined) {
      if (typeof b.visibilityDelayHours !== 'number' || b.visibilityDelayHours < 0) return controlError(reply, 400, 'Set visibilityDelayHours to a number of hours, 0 or more.');
      c.visibilityDelayHours = b.visibilityDelayHours;
    }
    if (b.region !== undefined) {
      if (b.region !== 'US' && b.region !== 'EU') return controlError(reply, 400, 'Set region to "US" or "EU".');
      c.region = b.region;
    }
    if (b.updatedFilters !== undefined) c.updatedFilters = Boolean(b.updatedFilters);
    if (b.usersPaging !== undefined) {
      if (b.usersPaging !== 'bookings' && b.usersPaging !== 'scim') return controlError(reply, 400, 'Set usersPaging to "bookings" or "scim".');
      c.usersPaging = b.usersPaging;
    }
    return c;
  });

  app.get('/__sim/faults', async () => ({ rules: state.faults.list() }));
  app.post('/__sim/faults', async (request, reply) => {
    const problem = validateFaultRule(request.body);
    if (problem) return controlError(reply, 400, problem);
    state.faults.add(request.body as FaultRule);
    return { rules: state.faults.list() };
  });
  app.delete('/__sim/faults', async () => {
    state.faults.clear();
    return { rules: [] };
  });

  app.post('/__sim/ratelimit', async (request, reply) => {
    const b = body(request.body);
    if (b.rps !== null && (typeof b.rps !== 'number' || b.rps <= 0)) return controlError(reply, 400, 'Set rps to a number of requests per second above 0, or null to remove the limit.');
    state.rateLimit.configure(b.rps as number | null, typeof b.headers === 'boolean' ? b.headers : undefined);
    return { rps: state.rateLimit.rps, headers: state.rateLimit.headers };
  });

  app.get('/__sim/ratelimit/refusals', async () => ({ refusals: state.rateLimit.refusals() }));

  app.get('/__sim/truth/:stream', async (request, reply) => {
    const { stream } = request.params as { stream: string };
    let records: Iterable<unknown>;
    if (stream === 'bookings') records = state.bookings.all();
    else if (stream === 'transactions') records = state.transactions.all();
    else if (stream === 'users') {
      records = (function* () {
        for (let i = 0; i < state.users.count; i++) yield state.users.user(i);
      })();
    } else return controlError(reply, 404, 'Ask for /__sim/truth/bookings, /__sim/truth/transactions or /__sim/truth/users.');
    return reply.type('application/x-ndjson').send(ndjson(records));
  });

  app.post('/__sim/bookings', async (request) => state.bookings.create(body(request.body), state.clock.now()));
  app.patch('/__sim/bookings/:uuid', async (request, reply) => {
    const { uuid } = request.params as { uuid: string };
    return state.bookings.patch(uuid, body(request.body), state.clock.now()) ?? controlError(reply, 404, `No booking ${uuid}; check the uuid (deleted bookings are gone).`);
  });
  app.post('/__sim/bookings/:uuid/cancel', async (request, reply) => {
    const { uuid } = request.params as { uuid: string };
    return state.bookings.cancel(uuid, state.clock.now()) ?? controlError(reply, 404, `No booking ${uuid}; check the uuid (deleted bookings are gone).`);
  });
  app.delete('/__sim/bookings/:uuid', async (request, reply) => {
    const { uuid } = request.params as { uuid: string };
    return state.bookings.remove(uuid) ? { deleted: uuid } : controlError(reply, 404, `No booking ${uuid}; check the uuid (deleted bookings are gone).`);
  });
  app.post('/__sim/transactions', async (request) => state.transactions.create(body(request.body), state.clock.now()));
  app.patch('/__sim/transactions/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    return state.transactions.patch(id, body(request.body), state.clock.now()) ?? controlError(reply, 404, `No transaction ${id}; check the id.`);
  });
}
