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

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? 'navan-bridge',
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that drops everything, for tests and library use without logging. */
export const silentLogger: Logger = pino({ level: 'silent' });
