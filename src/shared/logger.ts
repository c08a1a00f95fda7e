import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino censors in every log line. Secrets are also wrapped in `Secret` (which serialises
 * as a mask), so this list is the second line of defence, not the only one.
 */
export const REDACT_PATHS = [
  'clientSecret', '*.clientSecret', 'client_secret', '*.client_secret',
  'nextClientSecret', '*.nextClientSecret',
  'accessToken', '*.accessToken', 'access_token', '*.access_token',
  'token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'headers["x-api-key"]', 'req.headers["x-api-key"]', 'apiKey', '*.apiKey',
  'masterKey', '*.masterKey', 'dataKey', '*.dataKey', 'password', '*.password', 'secret', '*.secret',
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go; defaults to stderr so stdout stays free for command output. */
  destination?: DestinationStream;
  name?: string;
}

let second = -1;
let secondPrefix = '';
/**
 * pino's isoTime builds a Date and formats it for every line; the gateway writes a line per Navan
 * call, where that showed in bench/gateway-overhead.ts. Same output: the ISO text of the current
 * second is kept, and only the milliseconds are appended per line.
 */
export function isoTimestamp(now = Date.now()): string {
  const ms = now % 1000;
  if (now - ms !== second) {
    second = now - ms;
    secondPrefix = `,"time":"${new Date(second).toISOString().slice(0, 20)}`;
  }
  return `${secondPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? 'navan-bridge',
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      timestamp: () => isoTimestamp(),
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that drops everything, for tests and library use without logging. */
export const silentLogger: Logger = pino({ level: 'silent' });
