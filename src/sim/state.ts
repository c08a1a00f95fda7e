import type { Logger } from 'pino';
import type { SimClock } from './clock.js';
import type { CredentialStore } from './credentials.js';
import type { StatsRecorder } from './stats.js';
import type { FaultInjector } from './faults.js';
import type { RateLimiter } from './ratelimit.js';
import type { BookingStore } from './bookings.js';
import type { TransactionStore } from './transactions.js';
import type { UserDirectory } from './users.js';

/** What can be changed at run time through POST /__sim/config. */
export interface SimConfig {
  expiresIn: number;
  visibilityDelayHours: number;
  region: 'US' | 'EU';
  updatedFilters: boolean;
  usersPaging: 'bookings' | 'scim';
}

/** Everything the routes share; one per simulator instance. */
export interface SimState {
  seed: number;
  /** Start of the UTC day of the clock's start: generated data lies before it. */
  anchor: number;
  config: SimConfig;
  clock: SimClock;
  credentials: CredentialStore;
  stats: StatsRecorder;
  faults: FaultInjector;
  rateLimit: RateLimiter;
  users: UserDirectory;
  bookings: BookingStore;
  transactions: TransactionStore;
  logger: Logger;
  /** Base URL the simulator is reachable at, for the invoice and pdf links. */
  url: string;
}
