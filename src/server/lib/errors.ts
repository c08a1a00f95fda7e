import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CircuitOpenError, NavanBridgeError, RateLimitedError, TokenStoreUnavailableError } from '../../shared/errors.js';

/** A request parameter the API cannot use; answered 400 with the parameter's name. */
export class BadParameterError extends NavanBridgeError {
  constructor(readonly parameter: string, message: string) {
    super('BAD_PARAMETER', message);
  }
}

/** The body every error answer has, so clients handle one shape. */
export interface ErrorBody {
  error: string;
  message: string;
  parameter?: string;
  requestId?: string;
}

interface AjvError { instancePath: string; keyword: string; params?: Record<string, unknown>; message?: string }

const shown = (v: unknown) => {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text === undefined ? '' : text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

/**
 * Turns a schema validation failure into one sentence naming the parameter and its expected form.
 * The expected form is the `description` of the parameter's schema, the same text the docs show.
 */
function validationBody(err: FastifyError & { validation: AjvError[]; validationContext?: string }, req: FastifyRequest): ErrorBody {
  const v = err.validation[0]!;
  const part = err.validationContext === 'params' ? 'params' : 'querystring';
  const unknown = v.keyword === 'additionalProperties' ? String(v.params?.additionalProperty) : undefined;
  if (unknown !== undefined) {
    return { error: 'BAD_PARAMETER', parameter: unknown, message: `Parameter "${unknown}" is not supported on this route; remove it (see /api/v1/docs).` };
  }
  const name = v.instancePath.replace(/^\//, '').split('/')[0] || String(v.params?.missingProperty ?? part);
  const schema = (req.routeOptions.schema as Record<string, { properties?: Record<string, { description?: string }> }> | undefined)?.[part];
  const expected = schema?.properties?.[name]?.description ?? v.message ?? 'a valid value';
  const raw = (part === 'params' ? req.params : req.query) as Record<string, unknown> | undefined;
  const got = raw && name in raw ? ` (got "${shown(raw[name])}")` : '';
  return { error: 'BAD_PARAMETER', parameter: name, message: `Parameter "${name}" must be ${expected}${got}; fix it and retry.` };
}

/**
 * The one error handler: known errors become their status and a sentence; anything else is a 500
 * with the request id and no stack (the stack goes to the server log only).
 */
export function handleError(err: FastifyError & { validation?: AjvError[] }, req: FastifyRequest, reply: FastifyReply) {
  if (err.validation) return reply.code(400).send(validationBody(err as FastifyError & { validation: AjvError[] }, req));
  if (err instanceof BadParameterError) return reply.code(400).send({ error: err.code, parameter: err.parameter, message: err.message });
  if (err instanceof CircuitOpenError) {
    return reply.code(503).header('retry-after', String(Math.max(1, Math.ceil(err.retryInMs / 1000)))).send({ error: err.code, message: err.message });
  }
  if (err instanceof RateLimitedError) return reply.code(503).header('retry-after', '5').send({ error: err.code, message: err.message });
  if (err instanceof TokenStoreUnavailableError) return reply.code(503).header('retry-after', '2').send({ error: err.code, message: err.message });
  if (err instanceof NavanBridgeError) {
    req.log.warn({ code: err.code, err: err.message }, 'request failed');
    return reply.code(502).send({ error: err.code, message: err.message, requestId: req.id });
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return reply.code(err.statusCode).send({ error: err.code ?? 'BAD_REQUEST', message: err.message });
  }
  req.log.error({ err }, 'request failed');
  return reply.code(500).send({ error: 'INTERNAL', message: 'The server failed on this request; look for its request id in the server log.', requestId: req.id });
}

export function handleNotFound(req: FastifyRequest, reply: FastifyReply) {
  const path = req.url.split('?')[0];
  return reply.code(404).send({ error: 'NOT_FOUND', message: `There is no route ${req.method} ${path}; the API routes are listed at /api/v1/docs.` });
}
