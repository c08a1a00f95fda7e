import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { runMigrations, type Migration, type Warehouse } from '../warehouse/index.js';

export const SCOPES = ['read:bookings', 'read:transactions', 'read:users', 'proxy'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKeyInfo {
  id: string;
  tenant: string;
  scopes: Scope[];
  createdAt: string;
  revokedAt: string | null;
}

interface ApiKeyTable {
  id: string;
  tenant: string;
  key_hash: string;
  scopes: string;
  created_at: string;
  revoked_at: string | null;
}
type KeyDb = Kysely<{ server_api_key: ApiKeyTable }>;

const migrations: Migration[] = [
  {
    version: 1,
    name: 'api keys',
    up: async (db) => {
      await db.schema
        .createTable('server_api_key')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
    },
  },
];

// Keys are 32 random bytes, so a fast unsalted hash is enough: there is nothing to brute-force.
function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface KeyStore {
  create(tenant: string, scopes?: Scope[]): Promise<{ id: string; key: string }>;
  list(tenant?: string): Promise<ApiKeyInfo[]>;
  revoke(id: string): Promise<boolean>;
  verify(key: string): Promise<ApiKeyInfo | undefined>;
}

export async function createKeyStore(warehouse: Pick<Warehouse, 'db' | 'dialect'>): Promise<KeyStore> {
  await runMigrations(warehouse.db, warehouse.dialect, 'server', migrations);
  const db = warehouse.db as unknown as KeyDb;
  const toInfo = (r: ApiKeyTable): ApiKeyInfo => ({ id: r.id, tenant: r.tenant, scopes: JSON.parse(r.scopes) as Scope[], createdAt: r.created_at, revokedAt: r.revoked_at });
  return {
    async create(tenant, scopes = [...SCOPES]) {
      const id = `key_${randomBytes(6).toString('hex')}`;
      const key = `nbk_${randomBytes(32).toString('base64url')}`;
      await db.insertInto('server_api_key').values({ id, tenant, key_hash: hashKey(key), scopes: JSON.stringify(scopes), created_at: new Date().toISOString(), revoked_at: null }).execute();
      return { id, key };
    },
    async list(tenant) {
      let q = db.selectFrom('server_api_key').selectAll().orderBy('created_at');
      if (tenant) q = q.where('tenant', '=', tenant);
      return (await q.execute()).map(toInfo);
    },
    async revoke(id) {
      const r = await db.updateTable('server_api_key').set({ revoked_at: new Date().toISOString() }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async verify(key) {
      const row = await db.selectFrom('server_api_key').selectAll().where('key_hash', '=', hashKey(key)).where(sql<boolean>`revoked_at is null`).executeTakeFirst();
      return row ? toInfo(row) : undefined;
    },
  };
}
