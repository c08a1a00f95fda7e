/** A queue of canned failures a receiver answers before it goes back to validating normally. */
export interface ScriptedFailure {
  status: number;
  /** Sent as the Retry-After header (seconds, or an HTTP date). */
  retryAfter?: string;
  body?: string;
}

export interface ReceiverBase<T> {
  url: string;
  /** Every request body that was accepted, in order. */
  received: T[];
  /** Every request that reached the receiver, accepted or not (status it answered). */
  requests: { status: number; body: unknown }[];
  /** Answer the next requests with these, one each, before validating again. */
  failNext(...failures: ScriptedFailure[]): void;
  reset(): void;
  close(): Promise<void>;
}
