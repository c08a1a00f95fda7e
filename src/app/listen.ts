import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../shared/errors.js';

/**
 * Listens and returns the base URL. A port that is taken or not allowed becomes one sentence
 * that says what to set, instead of a Node stack trace.
 */
export async function listenOn(app: FastifyInstance, host: string, port: number): Promise<string> {
  try {
    const address = await app.listen({ host, port });
    return address.replace('[::1]', '127.0.0.1');
  } catch (err) {
    throw explainListenError(err, host, port);
  }
}

function explainListenError(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new ConfigError(`Port ${port} on ${host} is already in use (another navan-bridge, or another program); set PORT to a free port, for example PORT=${port + 1} npm start, or use --port.`);
  }
  if (code === 'EACCES') {
    return new ConfigError(`Port ${port} on ${host} needs privileges this process does not have; set PORT to a port above 1023, for example PORT=3000.`);
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new ConfigError(`server.host "${host}" is not an address of this machine; set server.host to 127.0.0.1, 0.0.0.0 or one of its addresses.`);
  }
  return err;
}

/**
 * Fails early, before minutes of start-up work, when the port is taken. The server binds the
 * port later, so another program can still take it in between; listenOn reports that case.
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ host, port, exclusive: true }, () => resolve());
    });
  } catch (err) {
    throw explainListenError(err, host, port);
  } finally {
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}
