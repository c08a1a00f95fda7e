/**
 * ERP connectors: Navan transactions from the warehouse into NetSuite (REST, journal entries or
 * vendor bills), SAP S/4HANA Cloud (journal entry SOAP) or CSV/JSON files, mapped per tenant,
 * idempotent through the erp_posting ledger, corrected when Navan changes, and reconciled.
 */
export { createErpExporter, exportAfterEachSync } from './exporter.js';
export type { ErpExporter, ErpExporterOptions, ErpExportOptions, ErpExportReport, ErpExportProgress, ErpAction } from './exporter.js';
export type { ReconcileReport, ReconcileRow } from './reconcile.js';
export { loadMapping, mappingSchema } from './mapping.js';
export type { ErpMapping, MappingIssue } from './mapping.js';
export { erpMigrations } from './ledger.js';
export type { ErpDatabase, ErpPostingTable, ErpPostingItemTable, ErpPostingEventTable } from './ledger.js';
export type { ErpDocument, DocumentLine, BlockedDocument, ErpTargetName, Grouping } from './model.js';
export { signatureBaseString, tbaAuthorization, percentEncode } from './oauth1.js';
export { createSapReference } from './sap.js';
export { ErpAuthError, ErpDocumentRejectedError, ErpUnavailableError } from './errors.js';
