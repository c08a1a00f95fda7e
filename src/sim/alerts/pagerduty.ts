import Fastify from 'fastify';
import type { ReceiverBase, ScriptedFailure } from './scripted.js';

export interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key?: string;
  payload?: { summary: string; source: string; severity: 'critical' | 'error' | 'warning' | 'info'; timestamp?: string; component?: string; group?: string; class?: string; custom_details?: Record<string, unknown> };
  [key: string]: unknown;
}

const SEVERITIES = ['critical', 'error', 'warning', 'info'];

/** The checks PagerDuty's Events API v2 makes; each failed check is one entry of `errors`. */
export function validatePagerDutyEvent(body: unknown): string[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return ['Event object must be a JSON object.'];
  const e = body as Record<string, any>;
  const errors: string[] = [];
  if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32) errors.push("'routing_key' must be a 32-character integration key.");
  if (!['trigger', 'acknowledge', 'resolve'].includes(e.event_action)) errors.push("'event_action' must be one of trigger, acknowledge or resolve.");
  if (e.dedup_key !== undefined && (typeof e.dedup_key !== 'string' || e.dedup_key.length === 0 || e.dedup_key.length > 255)) errors.push("'dedup_key' must be a string of 1 to 255 characters.");
  if (e.event_action !== 'trigger' && e.event_action !== undefined && typeof e.dedup_key !== 'string') errors.push("'dedup_key' is required for acknowledge and resolve.");
  if (e.event_action === 'trigger') {
    const p = e.payload;
    if (!p || typeof p !== 'object') errors.push("'payload' is required for trigger.");
    else {
      if (typeof p.summary !== 'string' || p.summary.length === 0) errors.push("'payload.summary' is required.");
      else if (p.summary.length > 1024) errors.push("'payload.summary' must be at most 1024 characters.");
      if (typeof p.source !== 'string' || p.source.length === 0) errors.push("'payload.source' is required.");
      if (!SEVERITIES.includes(p.severity)) errors.push("'payload.severity' must be one of critical, error, warning or info.");
      if (p.timestamp !== undefined && Number.isNaN(Date.parse(p.timestamp))) errors.push("'payload.timestamp' must be an ISO 8601 timestamp.");
      if (p.custom_details !== undefined && (typeof p.custom_details !== 'object' || p.custom_details === null)) errors.push("'payload.custom_details' must be an object.");
    }
  }
  return errors;
}

export type PagerDutyReceiver = ReceiverBase<PagerDutyEvent>;

/** A local PagerDuty Events API v2 endpoint (POST /v2/enqueue) that validates like the real one. */
export async function startPagerDutyReceiver(options: { port?: number } = {}): Promise<PagerDutyReceiver> {
  const app = Fastify({ logger: false });
  const received: PagerDutyEvent[] = [];
  const requests: { status: number; body: unknown }[] = [];
  const script: ScriptedFailure[] = [];
  app.post('/v2/enqueue', async (req, reply) => {
    const failure = script.shift();
    if (failure) {
      requests.push({ status: failure.status, body: req.body });
      if (failure.retryAfter !== undefined) reply.header('retry-after', failure.retryAfter);
      return reply.code(failure.status).send(failure.body ?? { status: 'throttled', message: failure.status === 429 ? 'Requests for this service are arriving too quickly.' : 'Internal error' });
    }
    const errors = validatePagerDutyEvent(req.body);
    if (errors.length) {
      requests.push({ status: 400, body: req.body });
      return reply.code(400).send({ status: 'invalid event', message: 'Event object is invalid', errors });
    }
    const event = req.body as PagerDutyEvent;
    requests.push({ status: 202, body: event });
    received.push(event);
    // PagerDuty makes up a dedup key for a trigger that has none.
    const dedupKey = event.dedup_key ?? `srv-${received.length.toString(16).padStart(8, '0')}`;
    return reply.code(202).send({ status: 'success', message: 'Event processed', dedup_key: dedupKey });
  });
  app.setErrorHandler((err, _req, reply) => {
    // An unparseable body: PagerDuty answers 400 like any other invalid event.
    requests.push({ status: 400, body: undefined });
    void reply.code(400).send({ status: 'invalid event', message: 'Event object is invalid', errors: [err instanceof Error ? err.message : 'Malformed JSON.'] });
  });
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v2/enqueue`,
    received,
    requests,
    failNext: (...f) => void script.push(...f),
    reset() {
      received.length = 0;
      requests.length = 0;
      script.length = 0;
    },
    close: () => app.close(),
  };
}
