import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from '../shared/logger.js';
import { silentLogger } from '../shared/logger.js';
import { NavanBridgeError } from '../shared/errors.js';
import type { Dialect } from './dialect.js';
import { runMigrations } from './migrate.js';
import { warehouseMigrations } from './migrations.js';
import type { NavanUserTable, TransactionTable, WarehouseDatabase } from './schema.js';
import * as writers from './writers.js';
import type { BookingWrite, RefreshedTable, TransactionWriteResult } from './writers.js';

type Db = Kysely<WarehouseDatabase>;

/**
 * The warehouse: one Kysely handle over SQLite or PostgreSQL plus batched, idempotent writers.
 * Every writer takes an optional `db`; pass the `trx` of `transaction()` to commit a page of
 * records together with its checkpoint.
 */
export interface Warehouse {
  db: Db;
  dialect: Dialect;
  /** Runs the warehouse migrations (idempotent); `openWarehouse` does not migrate by itself. */
  migrate(): Promise<void>;
  transaction<T>(fn: (trx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  upsertBookings(writes: BookingWrite[], db?: Db): Promise<number>;
  upsertTransactions(rows: TransactionTable[], db?: Db): Promise<TransactionWriteResult>;
  upsertUsers(rows: NavanUserTable[], db?: Db): Promise<number>;
  countUnseen(table: RefreshedTable, tenant: string, since: string, db?: Db): Promise<{ live: number; unseen: number }>;
  markUnseenDeleted(table: RefreshedTable, tenant: string, since: string, at: string, db?: Db): Promise<number>;
  latestSyncedAt(table: RefreshedTable, tenant: string, db?: Db): Promise<string | undefined>;
  touchRows(table: RefreshedTable, tenant: string, ids: string[], at: string, db?: Db): Promise<void>;
}

export interface OpenWarehouseOptions {
  /** `sqlite:<path>`, `sqlite::memory:` or `postgres://…` */
  databaseUrl: string;
  logger?: Logger;
  /** PostgreSQL only (tests): a private schema, created if missing and used as search_path. */
  pgSchema?: string;
}

export async function openWarehouse(options: OpenWarehouseOptions): Promise<Warehouse> {
  const logger = options.logger ?? silentLogger;
  const { db, dialect } = options.databaseUrl.startsWith('sqlite:')
    ? openSqlite(options.databaseUrl.slice('sqlite:'.length))
    : await openPostgres(options.databaseUrl, options.pgSchema);
  logger.debug({ dialect }, 'warehouse opened');
  return {
    db,
    dialect,
    migrate: () => runMigrations(db, dialect, 'warehouse', warehouseMigrations),
    transaction: (fn) => db.transaction().execute(fn),
    close: () => db.destroy(),
    upsertBookings: (w, d = db) => writers.upsertBookings(d, w),
    upsertTransactions: (r, d = db) => writers.upsertTransactions(d, r),
    upsertUsers: (r, d = db) => writers.upsertUsers(d, r),
    countUnseen: (t, tenant, since, d = db) => writers.countUnseen(d, t, tenant, since),
    markUnseenDeleted: (t, tenant, since, at, d = db) => writers.markUnseenDeleted(d, t, tenant, since, at),
    latestSyncedAt: (t, tenant, d = db) => writers.latestSyncedAt(d, t, tenant),
    touchRows: (t, tenant, ids, at, d = db) => writers.touchRows(d, t, tenant, ids, at),
  };
}

function openSqlite(path: string): { db: Db; dialect: Dialect } {
  const file = path === ':memory:' || path === '' ? ':memory:' : resolve(path);
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  let database: Database.Database;
  try {
    database = new Database(file);
  } catch (err) {
    throw new NavanBridgeError('WAREHOUSE_OPEN', `Cannot open the SQLite warehouse at ${file} (${(err as Error).message}); check the path in DATABASE_URL and its permissions.`, { cause: err });
  }
  // WAL lets readers (the consumer API) work while a sync writes; NORMAL sync is crash-safe in WAL
  // for a killed process, and only a power cut can lose the last commits.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 10000');
  // Bookings carry their raw JSON (several KB each): a larger page cache saves re-reading overflow pages.
  database.pragma('cache_size = -65536');
  return { db: new Kysely<WarehouseDatabase>({ dialect: new SqliteDialect({ database }) }), dialect: 'sqlite' };
}

async function openPostgres(url: string, schema: string | undefined): Promise<{ db: Db; dialect: Dialect }> {
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new NavanBridgeError('WAREHOUSE_OPEN', `The PostgreSQL schema name "${schema}" is not valid; use lower-case letters, digits and underscores.`);
  }
  if (schema) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query(`create schema if not exists "${schema}"`);
    } catch (err) {
      throw new NavanBridgeError('WAREHOUSE_OPEN', `Cannot reach the PostgreSQL warehouse (${(err as Error).message}); check DATABASE_URL and that PostgreSQL is running.`, { cause: err });
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const pool = new pg.Pool({ connectionString: url, max: 10, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  // An idle client that loses its connection must not crash the process.
  pool.on('error', () => undefined);
  const db = new Kysely<WarehouseDatabase>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw new NavanBridgeError('WAREHOUSE_OPEN', `Cannot reach the PostgreSQL warehouse (${(err as Error).message}); check DATABASE_URL and that PostgreSQL is running.`, { cause: err });
  }
  return { db, dialect: 'postgres' };
}
