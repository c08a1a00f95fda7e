import Fastify from 'fastify';
import type { ReceiverBase, ScriptedFailure } from './scripted.js';

export interface SlackMessage {
  text?: string;
  blocks?: { type: string; [key: string]: unknown }[];
  [key: string]: unknown;
}

const BLOCK_TYPES = ['section', 'header', 'context', 'divider', 'actions', 'image', 'input', 'rich_text', 'file', 'video'];

/** True when Slack would post the message: a non-empty `text`, or well-formed `blocks`. */
export function validateSlackMessage(body: unknown): boolean {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const m = body as SlackMessage;
  if (m.text !== undefined && typeof m.text !== 'string') return false;
  if (m.blocks !== undefined) {
    if (!Array.isArray(m.blocks) || m.blocks.length === 0 || m.blocks.length > 50) return false;
    for (const b of m.blocks) {
      if (!b || typeof b !== 'object' || !BLOCK_TYPES.includes(b.type)) return false;
      const text = (b as { text?: { type?: string; text?: unknown } }).text;
      if (b.type === 'header' && (text?.type !== 'plain_text' || typeof text.text !== 'string' || text.text.length > 150)) return false;
      if (b.type === 'section' && text !== undefined && (typeof text.text !== 'string' || text.text.length > 3000)) return false;
      const elements = (b as { elements?: unknown }).elements;
      if (b.type === 'context' && (!Array.isArray(elements) || elements.length === 0)) return false;
    }
    return true;
  }
  return typeof m.text === 'string' && m.text.trim().length > 0;
}

export type SlackReceiver = ReceiverBase<SlackMessage> & { /** The one webhook path this receiver knows; any other answers 404 no_service. */ path: string };

/** A local Slack incoming-webhook endpoint: 200 `ok`, 400 `invalid_payload`, 404 `no_service`. */
export async function startSlackReceiver(options: { port?: number; path?: string } = {}): Promise<SlackReceiver> {
  const path = options.path ?? '/services/T0000TEST/B0000TEST/navanbridgetestwebhook0';
  const app = Fastify({ logger: false });
  const received: SlackMessage[] = [];
  const requests: { status: number; body: unknown }[] = [];
  const script: ScriptedFailure[] = [];
  app.post('/services/*', async (req, reply) => {
    if (req.url !== path) {
      requests.push({ status: 404, body: req.body });
      return reply.code(404).type('text/html').send('no_service');
    }
    const failure = script.shift();
    if (failure) {
      requests.push({ status: failure.status, body: req.body });
      if (failure.retryAfter !== undefined) reply.header('retry-after', failure.retryAfter);
      return reply.code(failure.status).type('text/html').send(failure.body ?? (failure.status === 429 ? 'rate_limited' : 'internal_error'));
    }
    if (!validateSlackMessage(req.body)) {
      requests.push({ status: 400, body: req.body });
      return reply.code(400).type('text/html').send('invalid_payload');
    }
    requests.push({ status: 200, body: req.body });
    received.push(req.body as SlackMessage);
    return reply.code(200).type('text/html').send('ok');
  });
  app.setErrorHandler((_err, _req, reply) => {
    requests.push({ status: 400, body: undefined });
    void reply.code(400).type('text/html').send('invalid_payload');
  });
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    path,
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
