import type { FastifyRequest } from 'fastify';
import type { FaultDecision } from './faults.js';

/** What the simulator's hooks decided about a request, kept off Fastify's own types. */
export interface RequestMeta {
  kind: 'control' | 'token' | 'api';
  fault?: FaultDecision;
  reset?: boolean;
}

const metas = new WeakMap<FastifyRequest, RequestMeta>();

export function setMeta(request: FastifyRequest, meta: RequestMeta): RequestMeta {
  metas.set(request, meta);
  return meta;
}

export function metaOf(request: FastifyRequest): RequestMeta | undefined {
  return metas.get(request);
}
