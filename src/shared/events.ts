import { EventEmitter } from 'node:events';

/**
 * Every layer reports what happens through this one typed bus. The monitor (L5) listens and turns
 * events into metrics and alerts; nothing calls the monitor back, so the layers stay unaware of it.
 */
export interface BridgeEvents {
  /** One Navan call finished (one attempt). `endpoint` is a path template, never a raw URL. */
  'navan.request': [{ tenant: string; method: string; endpoint: string; status: number; latencyMs: number; attempt: number; waitMs: number; bytes: number; error?: string }];
  /** 'retry' for every token request attempt that failed (5xx, timeout), 'failure' once when a refresh gives up (pages), 'success' per new token. */
  'token.refresh': [{ tenant: string; outcome: 'success' | 'failure' | 'retry'; reason?: string; expiresAt?: number }];
  'token.expiry': [{ tenant: string; expiresAt: number }];
  'ratelimit.throttled': [{ tenant: string; retryAfterMs: number }];
  'ratelimit.estimate': [{ tenant: string; limitRps: number; budgetRps: number }];
  'ratelimit.utilisation': [{ tenant: string; ratio: number }];
  'ratelimit.queue': [{ tenant: string; length: number; waitMs?: number }];
  'breaker.state': [{ tenant: string; host: string; state: 'closed' | 'open' | 'half-open' }];
  'sync.run': [{ tenant: string; stream: string; mode: string; outcome: 'success' | 'failure' | 'suspect'; written: number; quarantined: number; deleted: number; finishedAt: number; error?: string }];
  /** The built-in alert evaluator: an alert started firing or cleared (not sent again on repeats). */
  'alert.state': [{ name: string; tenant: string; stream?: string; route: 'pagerduty' | 'slack'; severity: string; action: 'trigger' | 'resolve'; summary: string; dedupKey: string }];
  'sync.progress': [{ tenant: string; stream: string; window: string; records: number; done: number; total: number }];
}

export class EventBus extends EventEmitter<BridgeEvents> {}

/** The process-wide bus. Tests may create their own `EventBus` and pass it down instead. */
export const events = new EventBus();
