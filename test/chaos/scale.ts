/**
 * How big the chaos run is. The bounded scale runs in CI (`npm test`, `npm run test:chaos`) in
 * well under five minutes on two shared cores; CHAOS_SCALE=full is the size (3 tenants ×
 * 30k bookings and 60k transactions) and takes longer.
 *
 * The bounded run keeps the sync slow on purpose (a low simulator limit, small pages) so that
 * every fault lands while windows are still being read, not after the sync is done.
 */
export interface ChaosScale {
  name: 'bounded' | 'full';
  bookings: number;
  transactions: number;
  users: number;
  /** The simulator's enforced limit per credential (requests in any sliding second). */
  limitRps: number;
  bookingPageSize: number;
  transactionPageSize: number;
  /** Bounded waits: first pass (sync under chaos), settle pass, alert resolution. */
  firstPassMs: number;
  settleMs: number;
  resolveMs: number;
  /** The test's own timeout (start-up of the processes comes on top, in beforeAll); waits are capped to fit. */
  testTimeoutMs: number;
}

export const SCALES: Record<ChaosScale['name'], ChaosScale> = {
  bounded: {
    name: 'bounded', bookings: 1500, transactions: 3000, users: 60, limitRps: 5,
    bookingPageSize: 25, transactionPageSize: 100,
    firstPassMs: 150_000, settleMs: 60_000, resolveMs: 90_000, testTimeoutMs: 255_000,
  },
  full: {
    name: 'full', bookings: 30_000, transactions: 60_000, users: 300, limitRps: 20,
    bookingPageSize: 100, transactionPageSize: 500,
    firstPassMs: 900_000, settleMs: 600_000, resolveMs: 180_000, testTimeoutMs: 1_800_000,
  },
};

export function chaosScale(env: NodeJS.ProcessEnv = process.env): ChaosScale {
  const name = (env.CHAOS_SCALE ?? 'bounded').toLowerCase();
  if (name !== 'bounded' && name !== 'full') throw new Error(`CHAOS_SCALE="${env.CHAOS_SCALE}" is not a scale; use bounded (default) or full.`);
  return SCALES[name];
}
