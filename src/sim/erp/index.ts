/**
 * ERP simulators for tests and demos: a NetSuite SuiteTalk REST record simulator and an SAP S/4HANA
 * Cloud "Journal Entry – Post (Synchronous)" SOAP simulator. Both are strict like the real services
 * (see /work/shared/reference/erp-apis.md), bind 127.0.0.1 on a free port, and never log credentials.
 *
 * NetSuite (`startNetSuiteSim`) — `url` is the REST base `http://127.0.0.1:<port>/services/rest/record/v1`:
 * - Every API request needs `Authorization: OAuth realm="<accountId>", oauth_consumer_key, oauth_token,
 *   oauth_signature_method="HMAC-SHA256", oauth_timestamp, oauth_nonce, oauth_version="1.0",
 *   oauth_signature`. The simulator recomputes the RFC 5849 signature itself, from the method,
 *   `http://` + the Host header + the request path exactly as sent (sign what you send: `eid:X`
 *   raw or percent-encoded, the same both times), the decoded query and the oauth parameters; the
 *   JSON body is not signed. Timestamps more than `timestampToleranceSeconds` (300) from the
 *   simulator's clock are refused (give the simulator the connector's ManualClock), so are nonces
 *   shorter than 6 characters or used before. Every failure is 401 `INVALID_LOGIN`; the reason,
 *   hidden from the client as NetSuite does, is in `loginAuditTrail()` and `stats().authFailures`.
 * - `POST /journalentry`, `POST /vendorbill` → 204 + `Location: <url>/<type>/<internalId>`;
 *   a POST whose `externalId` exists → 400 USER_ERROR "This entity already exists."
 * - `PUT /<type>/eid:<externalId>` → upsert: creates, or replaces the whole record (sublists
 *   included, `version` + 1) → 204 + Location. PUT by internal id → 400. PATCH → 405 (not simulated).
 * - `GET /<type>/<id>` and `GET /<type>/eid:<externalId>` → the record as stored plus `id`, `links`,
 *   `createdDate`, `lastModifiedDate`; its sublist is only links unless `?expandSubResources=true`.
 *   `GET /<type>?limit&offset` lists ids. `DELETE` by id or eid → 204. Unknown → 404 NONEXISTENT_ID.
 * - Rejections: 400 with `{type, title, status, "o:errorDetails": [{detail, "o:errorCode", "o:errorPath"}]}`,
 *   one detail per problem: unbalanced journal (debits ≠ credits in exact decimals), an amount
 *   that is not a number/numeric string with at most 2 decimals (journal lines: above 0; bill
 *   lines: not 0), a journal line with both or neither of debit/credit, unknown account/department/class/location/subsidiary/vendor(entity)/
 *   currency ids ("Invalid Field Value <id> for the following field: <field>.", path
 *   `line.items[i]` / `expense.items[i]` / the header field), a bad external id (letters, digits,
 *   `_`, `-` only), unknown fields (custbody…/custcol… allowed), bad dates, a workflow-locked
 *   record, a tranDate in a closed period (new or changed record).
 * - More API requests in flight than `concurrencyLimit` (default 5) → 429 CONCURRENCY_LIMIT_EXCEEDED,
 *   no Retry-After. `GET /services/rest/system/v1/governanceLimits` → {accountConcurrencyLimit} (shape unsure).
 *
 * SAP (`startSapSim`) — `url` is `http://127.0.0.1:<port>/sap/bc/srt/scs_ext/sap/journalentrycreaterequestconfi`:
 * - Basic auth of the communication user (401 + `WWW-Authenticate: Basic` otherwise). `POST` a
 *   SOAP 1.1 envelope (text/xml) holding `sfin:JournalEntryBulkCreateRequest`; SOAPAction is
 *   optional, a different one is a Fault. The answer is always HTTP 200 with
 *   `JournalEntryBulkCreateConfirmation`, one `JournalEntryCreateConfirmation` per entry, each
 *   judged alone: `JournalEntryCreateConfirmation{AccountingDocument, CompanyCode, FiscalYear}` and
 *   `Log{MaximumLogItemSeverityCode, Item[]{TypeID, SeverityCode, Note}}`. Posted: a document
 *   number from 0100000000 per company code and fiscal year (= posting year), note 605(RW).
 *   Refused: `0000000000`/`0000`, note 609(RW) plus one severity-3 note per problem: 702(F5)
 *   balance (exact decimals), 507(F5) G/L account, 248(KI) cost center, 165(F5) company code,
 *   151(F5) creditor, sign vs DebitCreditCode, currency mix/unknown, decimals, DocumentReferenceID
 *   > 16 characters, missing fields, closed period. Rely on SeverityCode, not TypeID.
 *   Malformed XML or an unknown operation → HTTP 500 SOAP Fault.
 * - Duplicates are NOT refused (like SAP). The reference offers no check, so the simulator offers
 *   the documented way, reading journal entries by reference through a simulated Journal Entry Item
 *   Basic OData v2 API (SAP_COM_0087), same user, `readUrl`:
 *   `GET <readUrl>/A_JournalEntryItemBasic?$filter=OriginalReferenceDocument eq 'X'&$format=json`
 *   (filters: `eq` joined by `and` on CompanyCode, FiscalYear, AccountingDocument,
 *   OriginalReferenceDocument, DocumentReferenceID, ReferenceDocumentType, GLAccount,
 *   AccountingDocumentType; `$select`, `$top`, `$skip`, `$inlinecount=allpages`) →
 *   `{d:{results:[{CompanyCode, FiscalYear, AccountingDocument, AccountingDocumentItem, GLAccount,
 *   CostCenter, Supplier, AmountInTransactionCurrency, TransactionCurrency, DebitCreditCode, …}]}}`,
 *   one row per line item. No reversal service is simulated (the reference names none): reverse
 *   by posting a counter-entry.
 *
 * Both: fault injection (`faults.inject({kind:'429'|'500'|'502'|'503'|'timeout'|'reset', count,
 * everyNth, phase, paths, holdMs})`, applied before the concurrency limit and authentication),
 * posted documents (`documents()`), statistics (`stats()`), `reset()`, and the same over the HTTP
 * control plane on the same port (no auth):
 *   GET /__sim/documents · GET /__sim/stats · GET|POST|DELETE /__sim/faults · POST /__sim/reset ·
 *   POST /__sim/config ({latencyMs, closePeriod: "YYYY-MM", NetSuite also concurrencyLimit}) ·
 *   NetSuite: GET /__sim/login-audit, POST /__sim/locks ({type, externalId, locked}).
 * `navan-bridge sim --erp` starts both beside the Navan simulator and prints their URLs and credentials.
 */
export { startNetSuiteSim } from './netsuite/server.js';
export { startSapSim } from './sap/server.js';

/** A clock the simulators read for timestamps, nonce windows, createdAt and fiscal years. */
export interface ErpSimClock {
  now(): number;
}

export type ErpFaultKind = '429' | '500' | '502' | '503' | 'timeout' | 'reset';

/** One fault rule. */
export interface ErpFault {
  kind: ErpFaultKind;
  /** How many requests this rule breaks; default 1, or unlimited when `everyNth` is given. */
  count?: number;
  /** Break every n-th matching request (the n-th, 2n-th …) instead of the next ones. */
  everyNth?: number;
  /**
   * `before` (default): the request is not processed. `after`: the request is processed (the
   * document is stored) and then the answer is replaced by the fault, like a crash or a lost
   * response between the ERP's commit and ours: the test for idempotent re-posting.
   */
  phase?: 'before' | 'after';
  /** Only requests whose path starts with one of these (path after the host, e.g. "/services/rest/record/v1/journalentry"). */
  paths?: string[];
  /** For `timeout`: how long the request hangs before the socket is destroyed; default 60 000 ms (or until close()). */
  holdMs?: number;
}

export interface ErpFaultControl {
  inject(fault: ErpFault): void;
  clear(): void;
  /** The active rules with what is left of their count. */
  list(): (ErpFault & { remaining: number; seen: number })[];
}

/** Counters for the API routes (never the /__sim control plane). */
export interface ErpSimStats {
  /** API requests received. */
  requests: number;
  /** Per answer: "204", "400", "429", "reset", "timeout" … */
  byStatus: Record<string, number>;
  /** Per "METHOD /route/{template}" and answer. */
  byEndpoint: Record<string, Record<string, number>>;
  /** API requests being processed now, and the most at any one time. */
  inFlight: number;
  maxConcurrent: number;
  /** 429s from the concurrency limit (NetSuite), apart from injected ones. */
  concurrencyRejections: number;
  /** Requests broken by an injected fault. */
  injectedFaults: number;
  /** 401s, by reason ("bad_signature", "nonce_reused", "stale_timestamp", "unknown_token", "bad_password" …). */
  authFailures: Record<string, number>;
  /** Documents created, replaced (NetSuite upsert of an existing one), deleted, and refused on validation. */
  documentsCreated: number;
  documentsReplaced: number;
  documentsDeleted: number;
  documentsRejected: number;
}

// ---------------------------------------------------------------- NetSuite

export type NetSuiteRecordType = 'journalentry' | 'vendorbill';

/** The internal ids the simulated account knows; anything else is "Invalid Field Value". */
export interface NetSuiteMasterData {
  accounts?: string[];
  departments?: string[];
  classes?: string[];
  locations?: string[];
  subsidiaries?: string[];
  /** Vendors (and other entities) usable as `entity` on a vendor bill or a journal line. */
  vendors?: string[];
  /** Currency internal ids; default ["1","2","3","4","5"] (USD, GBP, CAD, EUR, JPY in a typical account). */
  currencies?: string[];
}

export interface NetSuiteSimOptions {
  /** Realm form, upper case with `_`, e.g. "1234567_SB1" (default). */
  accountId?: string;
  consumerKey?: string;
  consumerSecret?: string;
  tokenId?: string;
  tokenSecret?: string;
  /** Default: accounts 1–200, departments/classes/locations 1–20, subsidiary 1–5, vendors 1000–1099. */
  masterData?: NetSuiteMasterData;
  /** Concurrent API requests allowed; beyond it 429. Default 5 (a developer account); null = unlimited. */
  concurrencyLimit?: number | null;
  /** Artificial processing time per API request, so the concurrency limit bites. Default 0. */
  latencyMs?: number;
  /** Allowed clock skew of oauth_timestamp; default 300 s. */
  timestampToleranceSeconds?: number;
  /** Accounting periods ("YYYY-MM") closed to posting and to changes of records dated in them. */
  closedPeriods?: string[];
  clock?: ErpSimClock;
  port?: number;
  host?: string;
}

export interface NetSuiteDocument {
  type: NetSuiteRecordType;
  /** NetSuite internal id (one sequence across transaction types). */
  id: string;
  externalId?: string;
  /** The record as last accepted (the request body, with `externalId` filled in from `eid:`). */
  body: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  /** 1 on create, +1 per upsert replacement. */
  version: number;
}

/** One rejected login, as NetSuite's Login Audit Trail would show it (never the secrets). */
export interface NetSuiteLoginAudit {
  at: number;
  reason: string;
  consumerKey?: string;
  tokenId?: string;
  method: string;
  path: string;
}

export interface NetSuiteSim {
  /** REST record base: http://127.0.0.1:<port>/services/rest/record/v1 */
  url: string;
  /** http://127.0.0.1:<port> (for /services/rest/system/v1/… and /__sim/…). */
  origin: string;
  /** Realm form, e.g. "1234567_SB1". */
  accountId: string;
  credentials: { consumerKey: string; consumerSecret: string; tokenId: string; tokenSecret: string };
  /** Live documents (deleted ones excluded), optionally of one type, in creation order. */
  documents(type?: NetSuiteRecordType): NetSuiteDocument[];
  document(type: NetSuiteRecordType, idOrEid: { id: string } | { externalId: string }): NetSuiteDocument | undefined;
  faults: ErpFaultControl;
  stats(): ErpSimStats;
  loginAuditTrail(): NetSuiteLoginAudit[];
  setConcurrencyLimit(limit: number | null): void;
  setLatency(ms: number): void;
  /** A workflow lock: PUT/DELETE of this record get 400 USER_ERROR "This record has been locked by a user defined workflow." */
  lock(type: NetSuiteRecordType, externalId: string): void;
  unlock(type: NetSuiteRecordType, externalId: string): void;
  closePeriod(period: string): void;
  /** Forgets documents, stats, faults, nonces, locks, the audit trail and periods closed since start (keeps limit and latency). */
  reset(): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- SAP

export interface SapMasterData {
  /** G/L accounts (any length up to 10 digits; compared zero-padded to 10). Default 0060000000–0060000199, 0021000000–0021000099, 0016000000–0016000009. */
  glAccounts?: string[];
  /** Cost centers (compared zero-padded to 10 when numeric). Default 0010101101–0010101120. */
  costCenters?: string[];
  /** Company codes (4 characters). Default ["1010", "1710"]. */
  companyCodes?: string[];
  /** Creditors (suppliers) for CreditorItem. Default 0017300001–0017300050. */
  creditors?: string[];
  /** ISO currency codes accepted. Default a common list (EUR, USD, GBP, CHF, JPY, CAD, AUD, …). */
  currencies?: string[];
}

export interface SapSimOptions {
  /** Communication user; default "NAVAN_BRIDGE_COMM". */
  user?: string;
  password?: string;
  masterData?: SapMasterData;
  /** Artificial processing time per request. Default 0. */
  latencyMs?: number;
  /** Posting periods ("YYYY-MM") that are closed: entries posted into them get a severity-3 note. */
  closedPeriods?: string[];
  clock?: ErpSimClock;
  port?: number;
  host?: string;
}

export interface SapJournalEntryLine {
  /** "item" for a G/L Item, "creditor" for a CreditorItem. */
  kind: 'item' | 'creditor';
  referenceDocumentItem: string;
  glAccount?: string;
  creditor?: string;
  /** Signed, as sent: debits positive, credits negative (exact decimal string). */
  amount: string;
  currency: string;
  debitCreditCode: 'S' | 'H';
  costCenter?: string;
  profitCenter?: string;
  taxCode?: string;
  text?: string;
}

export interface SapJournalEntry {
  accountingDocument: string;
  companyCode: string;
  fiscalYear: string;
  originalReferenceDocument?: string;
  originalReferenceDocumentType?: string;
  originalReferenceDocumentLogicalSystem?: string;
  documentReferenceId?: string;
  documentHeaderText?: string;
  accountingDocumentType: string;
  businessTransactionType: string;
  createdByUser?: string;
  documentDate: string;
  postingDate: string;
  currency: string;
  lines: SapJournalEntryLine[];
  /** The bulk message id that carried it. */
  messageId?: string;
  createdAt: number;
}

export interface SapSim {
  /** The synchronous SOAP endpoint. */
  url: string;
  /** OData v2 base of the simulated Journal Entry Item Basic API: …/sap/opu/odata/sap/API_JOURNALENTRYITEMBASIC_SRV */
  readUrl: string;
  origin: string;
  credentials: { user: string; password: string };
  /** The expected SOAPAction header (optional on requests; a different one is a SOAP Fault). */
  soapAction: string;
  /** Posted journal entries in posting order. */
  documents(): SapJournalEntry[];
  faults: ErpFaultControl;
  stats(): ErpSimStats;
  setLatency(ms: number): void;
  closePeriod(period: string): void;
  /** Forgets documents, number ranges, stats, faults and periods closed since start. */
  reset(): void;
  close(): Promise<void>;
}
