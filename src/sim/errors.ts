import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Error bodies shaped like the Spring Boot service behind the real API. A "bare" 500 carries no
 * hint of the cause, as the live API does for ISO dates or a missing EU region header.
 */
export function springError(reply: FastifyReply, request: FastifyRequest, status: number, message?: string): FastifyReply {
  const error = { 400: 'Bad Request', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' }[status] ?? 'Error';
  const path = request.url.split('?')[0];
  return reply
    .code(status)
    .type('application/json')
    .send(JSON.stringify({ timestamp: new Date().toISOString(), status, error, ...(message ? { message } : {}), path }));
}

export function bareServerError(reply: FastifyReply, request: FastifyRequest): FastifyReply {
  return springError(reply, request, 500);
}

/** A control-plane 400/404: says what to do. */
export function controlError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).send({ error: message });
}
