import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ErpFault } from '../index.js';
import { ErpFaultInjector, validateErpFault } from './faults.js';
import { ErpStatsRecorder } from './stats.js';

/** A whole HTTP answer, used for injected faults and refusals. */
export interface CannedAnswer {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
}

export interface HarnessOptions {
  /** True for the simulated API's paths; the /__sim control plane and unknown paths are not counted. */
  isApi(path: string): boolean;
  /** The ERP's own body for an injected 429 or 5xx. */
  faultAnswer(status: number): CannedAnswer;
  /** A refusal before processing (NetSuite's concurrency limit), given how many are in flight. */
  admit?(inFlight: number): CannedAnswer | undefined;
  latencyMs?: number;
}

interface RequestState {
  endpoint: string;
  admitted: boolean;
  outcome?: string;
  afterFault?: ErpFault;
}

/** What each simulator adds to the shared control plane. */
export interface ControlHooks {
  documents(): unknown;
  reset(): void;
  /** Applies a POST /__sim/config body; returns the new config, or a sentence saying what is wrong. */
  configure(body: Record<string, unknown>): Record<string, unknown> | string;
}

/**
 * What the two ERP simulators share: a Fastify app on 127.0.0.1, statistics, deterministic fault
 * injection (before or after processing), artificial latency, and the /__sim control plane.
 * Requests held by a `timeout` fault are destroyed on close, so close() never hangs.
 */
export class SimHarness {
  readonly app: FastifyInstance;
  readonly stats = new ErpStatsRecorder();
  readonly faults = new ErpFaultInjector();
  latencyMs: number;
  #options: HarnessOptions;
  #requests = new WeakMap<FastifyRequest, RequestState>();
  #held = new Map<Socket, { timer: NodeJS.Timeout; release: () => void }>();

  constructor(options: HarnessOptions) {
    this.#options = options;
    this.latencyMs = options.latencyMs ?? 0;
    this.app = Fastify({ logger: false, bodyLimit: 20 * 1024 * 1024, forceCloseConnections: true });
    this.#registerHooks();
  }

  #registerHooks(): void {
    this.app.addHook('onRequest', async (request, reply) => {
      const path = request.url.split('?')[0]!;
      if (!this.#options.isApi(path)) return;
      const state: RequestState = { endpoint: endpointOf(request), admitted: false };
      this.#requests.set(request, state);
      this.stats.arrive();
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        this.stats.end(state.endpoint, state.outcome ?? String(reply.raw.statusCode), state.admitted);
      };
      // A hijacked (reset, timeout) request never finishes its response: its socket closing ends it.
      // The socket outlives the request (keep-alive), so its listener goes when the response does,
      // or every request would leave one behind on the connection.
      const socket = request.raw.socket;
      socket.once('close', end);
      reply.raw.once('close', () => {
        socket.removeListener('close', end);
        end();
      });
      const fault = this.faults.decide(path);
      if (fault && (fault.phase ?? 'before') === 'before') {
        this.stats.count('injectedFaults');
        return this.#breakBefore(fault, state, request, reply);
      }
      state.afterFault = fault;
      const refusal = this.#options.admit?.(this.stats.inFlight);
      if (refusal) {
        this.stats.count('concurrencyRejections');
        return sendCanned(reply, refusal);
      }
      state.admitted = true;
      this.stats.admit();
      if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    });

    this.app.addHook('onSend', async (request, reply, payload) => {
      const state = this.#requests.get(request);
      const fault = state?.afterFault;
      if (!state || !fault) return payload;
      state.afterFault = undefined;
      this.stats.count('injectedFaults');
      if (fault.kind === 'reset' || fault.kind === 'timeout') {
        state.outcome = fault.kind;
        if (fault.kind === 'timeout') await this.#hold(request.raw.socket, fault.holdMs);
        request.raw.socket.destroy();
        return payload;
      }
      const canned = this.#options.faultAnswer(Number(fault.kind));
      reply.removeHeader('location');
      reply.code(canned.status).type(canned.contentType);
      for (const [k, v] of Object.entries(canned.headers ?? {})) reply.header(k, v);
      return canned.body;
    });
  }

  async #breakBefore(fault: ErpFault, state: RequestState, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    if (fault.kind === 'reset' || fault.kind === 'timeout') {
      state.outcome = fault.kind;
      reply.hijack();
      const socket = request.raw.socket;
      if (fault.kind === 'timeout') void this.#hold(socket, fault.holdMs).then(() => socket.destroy());
      else socket.destroy();
      return reply;
    }
    return sendCanned(reply, this.#options.faultAnswer(Number(fault.kind)));
  }

  /** Keeps a request unanswered, as a hung ERP does, until holdMs passes or the simulator closes. */
  #hold(socket: Socket, holdMs = 60_000): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.#held.delete(socket);
        resolve();
      };
      const timer = setTimeout(release, holdMs);
      this.#held.set(socket, { timer, release });
      socket.once('close', release);
    });
  }

  /** GET /__sim/stats, GET|POST|DELETE /__sim/faults, GET /__sim/documents, POST /__sim/config, POST /__sim/reset. */
  registerControlRoutes(hooks: ControlHooks): void {
    const app = this.app;
    app.get('/__sim/stats', async () => this.stats.snapshot());
    app.get('/__sim/documents', async () => ({ documents: hooks.documents() }));
    app.get('/__sim/faults', async () => ({ rules: this.faults.list() }));
    app.post('/__sim/faults', async (request, reply) => {
      const body = controlBody(request.body);
      const problem = validateErpFault(body);
      if (problem) return reply.code(400).send({ error: problem });
      this.faults.inject(body as unknown as ErpFault);
      return { rules: this.faults.list() };
    });
    app.delete('/__sim/faults', async () => {
      this.faults.clear();
      return { rules: [] };
    });
    app.post('/__sim/config', async (request, reply) => {
      const body = controlBody(request.body);
      if (body.latencyMs !== undefined) {
        if (typeof body.latencyMs !== 'number' || body.latencyMs < 0) return reply.code(400).send({ error: 'Set latencyMs to a number of milliseconds, 0 or more.' });
        this.latencyMs = body.latencyMs;
      }
      const result = hooks.configure(body);
      if (typeof result === 'string') return reply.code(400).send({ error: result });
      return { ...result, latencyMs: this.latencyMs };
    });
    app.post('/__sim/reset', async () => {
      hooks.reset();
      return { reset: true };
    });
  }

  /** Forgets statistics and fault rules (the simulator forgets its own documents). */
  resetCommon(): void {
    this.stats.reset();
    this.faults.clear();
  }

  /** Listens on 127.0.0.1 (port 0 unless given) and returns the origin, e.g. http://127.0.0.1:41234. */
  async listen(host = '127.0.0.1', port = 0): Promise<string> {
    await this.app.listen({ host, port });
    const address = this.app.server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    return `http://${host}:${bound}`;
  }

  async close(): Promise<void> {
    for (const [socket, held] of this.#held) {
      held.release();
      socket.destroy();
    }
    await this.app.close();
  }
}

/** A control-plane JSON body, whether the app parsed it or left it as text (the NetSuite sim keeps JSON raw). */
export function controlBody(raw: unknown): Record<string, unknown> {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = raw.trim() === '' ? {} : JSON.parse(raw);
    } catch {
      return {};
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function sendCanned(reply: FastifyReply, answer: CannedAnswer): FastifyReply {
  for (const [k, v] of Object.entries(answer.headers ?? {})) reply.header(k, v);
  return reply.code(answer.status).type(answer.contentType).send(answer.body);
}

/** "PUT /services/rest/record/v1/{type}/{ref}": the stats key, a template rather than a raw URL. */
function endpointOf(request: FastifyRequest): string {
  const template = request.routeOptions.url ?? request.url.split('?')[0]!;
  return `${request.method} ${template.replace(/:([A-Za-z_]+)/g, '{$1}')}`;
}
