import { NavanBridgeError } from '../shared/errors.js';

/** The ERP refused one document (validation, unknown id, locked record): that document fails, the export goes on. */
export class ErpDocumentRejectedError extends NavanBridgeError {
  constructor(message: string, readonly externalId: string, options?: { correlationId?: string }) {
    super('ERP_DOCUMENT_REJECTED', message, options);
  }
}

/** The ERP is down, timing out, throttling past our patience, or its breaker is open: the export stops and resumes on the next run. */
export class ErpUnavailableError extends NavanBridgeError {
  constructor(message: string, options?: { cause?: unknown; correlationId?: string }) {
    super('ERP_UNAVAILABLE', message, options);
  }
}

/** The ERP refused our credentials (401/403): nothing more can be posted until they are fixed. */
export class ErpAuthError extends NavanBridgeError {
  constructor(message: string, options?: { correlationId?: string }) {
    super('ERP_AUTH', message, options);
  }
}

/** The ERP refuses to change a document dated in a closed accounting period: it must be corrected by a reversal plus a new document. */
export class ErpPeriodClosedError extends ErpDocumentRejectedError {}
