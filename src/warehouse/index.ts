export { openWarehouse } from './open.js';
export type { Warehouse, OpenWarehouseOptions } from './open.js';
export { runMigrations } from './migrate.js';
export { warehouseMigrations } from './migrations.js';
export type { Migration } from './migrate.js';
export type { Dialect } from './dialect.js';
export type { BookingWrite, TransactionWriteResult, RefreshedTable } from './writers.js';
export * from './schema.js';
