import type { CannedAnswer } from '../common/harness.js';

export interface NetSuiteErrorDetail {
  detail: string;
  'o:errorCode': string;
  'o:errorPath'?: string;
}

const TITLES: Record<number, [string, string]> = {
  400: ['Bad Request', 'https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1'],
  401: ['Unauthorized', 'https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2'],
  403: ['Forbidden', 'https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.4'],
  404: ['Not Found', 'https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5'],
  405: ['Method Not Allowed', 'https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.6'],
  415: ['Unsupported Media Type', 'https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.16'],
  429: ['Too Many Requests', 'https://www.rfc-editor.org/rfc/rfc6585.html#section-4'],
  500: ['Internal Server Error', 'https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.1'],
  502: ['Bad Gateway', 'https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.3'],
  503: ['Service Unavailable', 'https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.4'],
};

/** NetSuite's RFC 7807 error body: {type, title, status, "o:errorDetails": [...]}. */
export function netSuiteError(status: number, details: NetSuiteErrorDetail[], headers?: Record<string, string>): CannedAnswer {
  const [title, type] = TITLES[status] ?? ['Error', 'about:blank'];
  return {
    status,
    contentType: 'application/vnd.oracle.resource+json; type=error; charset=utf-8',
    body: JSON.stringify({ type, title, status, 'o:errorDetails': details }),
    headers,
  };
}

export function userError(detail: string, path?: string, code = 'USER_ERROR'): NetSuiteErrorDetail {
  return { detail, 'o:errorCode': code, ...(path ? { 'o:errorPath': path } : {}) };
}

export const INVALID_LOGIN_DETAIL =
  'Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.';

export function invalidLogin(realm: string): CannedAnswer {
  return netSuiteError(401, [{ detail: INVALID_LOGIN_DETAIL, 'o:errorCode': 'INVALID_LOGIN' }], { 'www-authenticate': `OAuth realm="${realm}"` });
}

export function concurrencyLimitExceeded(): CannedAnswer {
  // No Retry-After, like NetSuite: the client must back off on its own.
  return netSuiteError(429, [{ detail: 'Concurrent request limit exceeded. Request blocked.', 'o:errorCode': 'CONCURRENCY_LIMIT_EXCEEDED' }]);
}

export function nonexistent(type: string, ref: string): CannedAnswer {
  return netSuiteError(404, [
    { detail: `The record instance does not exist. Provide a valid record instance ID. (${type} ${ref})`, 'o:errorCode': 'NONEXISTENT_ID', 'o:errorPath': 'id' },
  ]);
}

/** The body of an injected 5xx or 429. */
export function injectedFault(status: number): CannedAnswer {
  if (status === 429) return concurrencyLimitExceeded();
  const detail = status === 503 ? 'The service is temporarily unavailable. Try again later.' : 'An unexpected error occurred. Error Id: sim-injected-fault';
  return netSuiteError(status, [{ detail, 'o:errorCode': status === 503 ? 'SERVICE_UNAVAILABLE' : 'UNEXPECTED_ERROR' }]);
}
