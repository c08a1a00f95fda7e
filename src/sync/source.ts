/**
 * What the sync engine needs from the typed client (src/navan), stated structurally so the engine
 * depends on the client's contract and not its internals: any `NavanClient` fits.
 */
export interface SourcePage<T = unknown> {
  stream: string;
  window: { from: Date; to: Date };
  windowIndex: number;
  windowCount: number;
  page: number;
  cursor?: string;
  nextCursor?: string | null;
  totalElements?: number;
  records: { record: T; raw: unknown }[];
  rejected: { id?: string; reason: string; raw: unknown }[];
  lastInWindow: boolean;
}

export interface SourceBookingQuery {
  createdFrom: Date;
  createdTo: Date;
  updatedFrom?: Date;
  updatedTo?: Date;
  pageSize?: number;
  windowDays?: number;
  signal?: AbortSignal;
}

export interface SourceTransactionQuery {
  modifiedFrom: Date | string;
  modifiedTo: Date | string;
  pageSize?: number;
  cursor?: string;
  signal?: AbortSignal;
}

export interface SyncSource {
  bookingPages(q: SourceBookingQuery): AsyncIterable<SourcePage<any>>;
  transactionPages(q: SourceTransactionQuery): AsyncIterable<SourcePage<any>>;
  userPages(q?: { signal?: AbortSignal }): AsyncIterable<SourcePage<any>>;
}
