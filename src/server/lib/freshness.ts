import type { Kysely } from 'kysely';
import type { WarehouseDatabase } from '../../warehouse/index.js';

export type Stream = 'bookings' | 'transactions' | 'users';

/** How fresh the data of a response is: the latest `_synced_at` of the stream it reads. */
export interface Freshness {
  stream: Stream;
  /** ISO time; null before the stream's first sync. */
  syncedAt: string | null;
}

const TABLES = { bookings: 'booking', transactions: 'transaction', users: 'navan_user' } as const;

export async function freshnessOf(db: Kysely<WarehouseDatabase>, tenant: string, stream: Stream): Promise<Freshness> {
  // ORDER BY … LIMIT 1 rather than max(): both back ends answer it from the (_tenant, _synced_at) index.
  const row = await db
    .selectFrom(TABLES[stream])
    .select('_synced_at')
    .where('_tenant', '=', tenant)
    .orderBy('_synced_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return { stream, syncedAt: row?._synced_at ?? null };
}

export const freshnessSchema = {
  type: 'object',
  properties: { stream: { type: 'string' }, syncedAt: { type: ['string', 'null'], description: 'latest _synced_at of the stream, ISO time' } },
} as const;
