/** The domain of an export: what is read from the warehouse, and the accounting documents built from it. */

export type ErpTargetName = 'netsuite' | 'sap' | 'csv';
export type Grouping = 'transaction' | 'day' | 'statement';

/** A warehouse transaction with the fields the mapping and grouping read. */
export interface ExportTransaction {
  id: string;
  version: string;
  transaction_type: string | null;
  /** YYYY-MM-DD */
  date: string;
  posted_amount: string | null;
  posted_currency: string | null;
  original_amount: string | null;
  original_currency: string | null;
  gl_code_number: string | null;
  /** The expense category, when Navan sends one (in the raw record). */
  category: string | null;
  vendor_name: string | null;
  vendor_category: string | null;
  policy: string | null;
  booking_type: string | null;
  statement_id: string | null;
  department: string | null;
  cost_center: string | null;
  region: string | null;
  subsidiary: string | null;
  legal_entity: string | null;
  employee_id: string | null;
  cardholder: string | null;
  approval_status: string | null;
  personal: boolean;
  deleted: boolean;
}

/** One expense line: one transaction, signed (a refund is negative). */
export interface DocumentLine {
  transactionId: string;
  version: string;
  account: string;
  /** Exact decimal text with two places, signed. */
  amount: string;
  memo: string;
  department?: string;
  class?: string;
  location?: string;
  costCenter?: string;
  /** The Navan department, for reconciliation by department. */
  sourceDepartment: string;
  /** YYYY-MM of the transaction, for reconciliation by period. */
  period: string;
}

/** One accounting document: balanced (expense lines against one credit account), one currency. */
export interface ErpDocument {
  externalId: string;
  /** YYYY-MM-DD */
  date: string;
  currency: string;
  /** NetSuite currency internal id, when the target is NetSuite. */
  currencyId?: string;
  subsidiary?: string;
  companyCode?: string;
  funding: { key: string; account: string; vendor?: string };
  memo: string;
  lines: DocumentLine[];
  /** Sum of the expense lines; the credit line carries its negation. */
  total: string;
  /** sha256 of everything that is posted: a different hash means the ERP must be corrected. */
  contentHash: string;
}

/** A document that cannot be posted, and every reason why. */
export interface BlockedDocument {
  externalId: string;
  transactionIds: string[];
  reasons: string[];
}
