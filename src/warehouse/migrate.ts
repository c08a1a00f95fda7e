import { sql, type Kysely } from 'kysely';
import type { Dialect } from './dialect.js';

/** One versioned schema change. `up` receives the dialect because DDL differs (NUMERIC vs TEXT, identity columns). */
export interface Migration {
  version: number;
  name: string;
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
}

/**
 * Applies the migrations of one namespace that are not applied yet, in version order, each in its
 * own transaction with its bookkeeping row. Modules (warehouse, server api keys, erp postings) keep
 * their own namespace, so their version numbers never collide.
 *
 * Several processes may start at once: PostgreSQL serialises them with an advisory lock, SQLite with
 * BEGIN IMMEDIATE (a write lock taken up front, so two migrators never deadlock on lock upgrade).
 */
export async function runMigrations(db: Kysely<any>, dialect: Dialect, namespace: string, migrations: Migration[]): Promise<void> {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.version === sorted[i - 1]!.version) throw new Error(`Migration version ${sorted[i]!.version} is used twice in "${namespace}"; give each migration its own version.`);
  }
  await ensureLedger(db);
  for (const m of sorted) {
    await inMigrationTransaction(db, dialect, namespace, async (trx) => {
      const done = await trx
        .selectFrom('schema_migration')
        .select('version')
        .where('namespace', '=', namespace)
        .where('version', '=', m.version)
        .executeTakeFirst();
      if (done) return;
      await m.up(trx, dialect);
      await trx
        .insertInto('schema_migration')
        .values({ namespace, version: m.version, name: m.name, applied_at: new Date().toISOString() })
        .execute();
    });
  }
}

async function ensureLedger(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('schema_migration')
    .ifNotExists()
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('applied_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('schema_migration_pk', ['namespace', 'version'])
    .execute()
    .catch(async (err) => {
      // Two PostgreSQL processes racing on CREATE TABLE IF NOT EXISTS can still collide on the catalog.
      const exists = await sql`select 1 from schema_migration limit 1`.execute(db).then(() => true, () => false);
      if (!exists) throw err;
    });
}

async function inMigrationTransaction(db: Kysely<any>, dialect: Dialect, namespace: string, fn: (trx: Kysely<any>) => Promise<void>): Promise<void> {
  if (dialect === 'postgres') {
    await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${'navan-bridge:migrate:' + namespace}))`.execute(trx);
      await fn(trx);
    });
    return;
  }
  await db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      await fn(conn);
      await sql`commit`.execute(conn);
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw err;
    }
  });
}
