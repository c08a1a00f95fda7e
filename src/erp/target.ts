import type { ErpDocument, ErpTargetName } from './model.js';

/** What the ERP answered for one posted document. */
export interface Posted {
  documentNumber: string | null;
}

/**
 * One ERP as the exporter sees it. Two families:
 * - `update` targets (NetSuite) replace a posted document in place: upsert by external id is
 *   idempotent, so a re-run simply sends it again;
 * - `reference` targets (SAP, files) never change a posted document: a correction is a reversal
 *   plus a new document, each under its own reference, and each reference is checked before
 *   anything is posted under it again.
 */
export interface ErpTarget {
  readonly name: ErpTargetName;
  readonly label: string;
  readonly recordType: string;
  readonly mode: 'update' | 'reference';
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** Reasons this target cannot take the document (beyond the mapping). */
  validate(doc: ErpDocument): string[];
  /** The payload as it would be sent, for --dry-run. */
  render(doc: ErpDocument): unknown;
  /** update targets: create or replace by external id. */
  upsert?(doc: ErpDocument): Promise<Posted>;
  /** update targets: whether a document in a closed period can be corrected by a reversal plus a new document (journal entries can; vendor bills cannot). */
  readonly reversible?: boolean;
  /** update targets: delete by external id (absent counts as deleted). */
  remove?(externalId: string): Promise<void>;
  /** reference targets: the reference of revision `revision` of a document, or of its reversal. */
  reference?(externalId: string, revision: number, reversal: boolean): string;
  /** reference targets: what the ERP holds under a reference, if anything. */
  find?(reference: string): Promise<Posted | undefined>;
  /** reference targets: posts a document (or its reversal: every line with its sign flipped) under a reference. */
  postUnder?(doc: ErpDocument, reference: string, reversal: boolean): Promise<Posted>;
  /**
   * Reads a posted document back from the ERP (by the external id or reference it is held under):
   * its expense lines, each text starting with the transaction id, amounts signed (debit positive).
   * undefined when the ERP does not hold it.
   */
  readBack?(recordId: string): Promise<{ text: string; amount: string }[] | undefined>;
  close(): Promise<void>;
}
