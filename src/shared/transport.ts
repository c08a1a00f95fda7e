import { Agent } from 'undici';
import { baseOf, pathOf, withHeader, type Handler } from './http.js';
import { NavanNetworkError } from './errors.js';

export interface TransportOptions {
  /** Per-request timeout (headers and body), ms. */
  timeoutMs?: number;
  connections?: number;
}

/**
 * The innermost handler: one HTTP request with undici over a keep-alive pool. Network failures
 * become `NavanNetworkError`; HTTP statuses are returned as they are, for the middlewares above.
 */
export function createTransport(options: TransportOptions = {}): Handler & { close(): Promise<void> } {
  const timeout = options.timeoutMs ?? 30_000;
  const agent = new Agent({
    connections: options.connections ?? 64,
    keepAliveTimeout: 10_000,
    headersTimeout: timeout,
    bodyTimeout: timeout,
  });
  const handler = async (req: Parameters<Handler>[0]) => {
    try {
      // The agent's own request(): undici's top-level request() parses the whole URL again per call.
      const res = await agent.request({
        origin: baseOf(req.baseUrl).origin,
        path: pathOf(req),
        method: req.method,
        headers: withHeader(req.headers, 'x-request-id', req.correlationId),
        body: req.body,
        signal: req.signal,
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, headers: res.headers, body };
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new NavanNetworkError(`Could not reach Navan at ${req.baseUrl} (${msg}); check the network and the base URL.`, {
        cause: err,
        correlationId: req.correlationId,
      });
    }
  };
  return Object.assign(handler, { close: () => agent.close() });
}
