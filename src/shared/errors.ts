/**
 * Every error a user can meet is one of these. `message` is one sentence that says what went
 * wrong and what to do; the stack is only shown with --verbose. `correlationId` ties an error to
 * the request log line of the Navan call that caused it.
 */
export class NavanBridgeError extends Error {
  readonly code: string;
  correlationId?: string;
  constructor(code: string, message: string, options?: { cause?: unknown; correlationId?: string }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.correlationId = options?.correlationId;
  }
}

/** The configuration is invalid; the message names the key and what is expected. */
export class ConfigError extends NavanBridgeError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
  }
}

/** Navan refused the credentials (401), even after one refresh. */
export class NavanAuthError extends NavanBridgeError {
  constructor(message: string, options?: { cause?: unknown; correlationId?: string }) {
    super('NAVAN_AUTH', message, options);
  }
}

/** Navan answered 403: a scope is missing or the API is not enabled for the company. */
export class NavanForbiddenError extends NavanBridgeError {
  constructor(message: string, readonly missing: string | undefined, options?: { correlationId?: string }) {
    super('NAVAN_FORBIDDEN', message, options);
  }
}

/** Navan answered 400: the request was malformed (a bug in the caller, not a transient fault). */
export class NavanBadRequestError extends NavanBridgeError {
  constructor(message: string, options?: { correlationId?: string }) {
    super('NAVAN_BAD_REQUEST', message, options);
  }
}

/** Navan answered 404. */
export class NavanNotFoundError extends NavanBridgeError {
  constructor(message: string, options?: { correlationId?: string }) {
    super('NAVAN_NOT_FOUND', message, options);
  }
}

/** Navan answered 5xx (after retries). */
export class NavanServerError extends NavanBridgeError {
  constructor(message: string, readonly status: number, options?: { cause?: unknown; correlationId?: string }) {
    super('NAVAN_SERVER', message, options);
  }
}

/** The connection failed, was reset, timed out, or the body was not valid JSON. */
export class NavanNetworkError extends NavanBridgeError {
  constructor(message: string, options?: { cause?: unknown; correlationId?: string }) {
    super('NAVAN_NETWORK', message, options);
  }
}

/** A request waited longer than the configured maximum for rate-limit budget. */
export class RateLimitedError extends NavanBridgeError {
  constructor(message: string, readonly waitedMs: number, options?: { correlationId?: string }) {
    super('RATE_LIMITED', message, options);
  }
}

/** The circuit breaker for this tenant and host is open; calls fail fast without touching Navan. */
export class CircuitOpenError extends NavanBridgeError {
  constructor(message: string, readonly state: 'open' | 'half-open', readonly retryInMs: number, options?: { correlationId?: string }) {
    super('CIRCUIT_OPEN', message, options);
  }
}

/**
 * The shared token cache (Redis) did not answer, e.g. while Redis restarts. Transient: a sync
 * re-reads the page, the proxy answers 503 with Retry-After.
 */
export class TokenStoreUnavailableError extends NavanBridgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOKEN_STORE_UNAVAILABLE', message, options);
  }
}

/** The token endpoint kept failing (5xx, timeouts) after retries. Pages on-call (P1). */
export class TokenRefreshError extends NavanBridgeError {
  constructor(message: string, options?: { cause?: unknown; correlationId?: string }) {
    super('TOKEN_REFRESH', message, options);
  }
}

/** Short, user-facing rendering of any error: one sentence, stack only when verbose. */
export function describeError(err: unknown, verbose = false): string {
  if (err instanceof NavanBridgeError) {
    const id = err.correlationId ? ` (correlation id ${err.correlationId})` : '';
    return verbose && err.stack ? `${err.stack}${id}` : `${err.message}${id}`;
  }
  if (err instanceof Error) return verbose && err.stack ? err.stack : err.message;
  return String(err);
}

/** Another process already runs a sync of this tenant and stream. */
export class SyncAlreadyRunningError extends NavanBridgeError {
  constructor(message: string) {
    super('SYNC_ALREADY_RUNNING', message);
  }
}

/** PagerDuty or Slack refused or never took an alert notification, after the retries allowed. */
export class NotificationError extends NavanBridgeError {
  constructor(message: string, readonly route: 'pagerduty' | 'slack', readonly status?: number) {
    super('NOTIFY_FAILED', message);
  }
}
