import { Decimal } from 'decimal.js';
import type { SapJournalEntry, SapJournalEntryLine } from '../index.js';
import { list, node, text, type LogItem, type XmlNode } from './soap.js';

/**
 * Reads one JournalEntry element and checks it like S/4HANA would: known company code, G/L
 * accounts, cost centers and creditors, one currency, signs that match the debit/credit code, and
 * a balance of exactly zero. Every problem is a log note of severity 3.
 *
 * Message classes and numbers: 507(F5) (G/L account) is from the reference; 702(F5) (balance),
 * 605(RW)/609(RW) (posted / error in document) are SAP's well-known ones; the others are close
 * approximations. Clients should rely on SeverityCode, not on TypeID.
 */

export interface SapMasterSets {
  glAccounts: Set<string>;
  costCenters: Set<string>;
  companyCodes: Set<string>;
  creditors: Set<string>;
  currencies: Set<string>;
}

export type EntryDraft = Omit<SapJournalEntry, 'accountingDocument' | 'fiscalYear' | 'createdAt' | 'messageId'>;

const ZERO_DECIMAL_CURRENCIES = new Set(['JPY', 'KRW', 'HUF', 'ISK', 'CLP', 'VND']);
const DOCUMENT_TYPES = new Set(['SA', 'KR', 'KG', 'KZ', 'AB', 'DR', 'DG', 'DZ', 'ZP']);

/** SAP's ALPHA conversion: a numeric key is compared zero-padded to its field length. */
export function alpha(value: string, length = 10): string {
  return /^\d+$/.test(value) && value.length <= length ? value.padStart(length, '0') : value;
}

function isIsoDate(value: string | undefined): value is string {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

function error(typeId: string, note: string): LogItem {
  return { typeId, severity: 3, note };
}

export interface EntryCheck {
  draft: EntryDraft;
  errors: LogItem[];
}

export function readJournalEntry(entry: XmlNode, master: SapMasterSets, closedPeriods: Set<string>): EntryCheck {
  const errors: LogItem[] = [];
  const companyCode = text(entry, 'CompanyCode') ?? '';
  const postingDate = text(entry, 'PostingDate') ?? '';
  const documentDate = text(entry, 'DocumentDate') ?? '';
  const draft: EntryDraft = {
    companyCode,
    originalReferenceDocument: text(entry, 'OriginalReferenceDocument'),
    originalReferenceDocumentType: text(entry, 'OriginalReferenceDocumentType'),
    originalReferenceDocumentLogicalSystem: text(entry, 'OriginalReferenceDocumentLogicalSystem'),
    documentReferenceId: text(entry, 'DocumentReferenceID'),
    documentHeaderText: text(entry, 'DocumentHeaderText'),
    accountingDocumentType: text(entry, 'AccountingDocumentType') ?? '',
    businessTransactionType: text(entry, 'BusinessTransactionType') ?? '',
    createdByUser: text(entry, 'CreatedByUser'),
    documentDate,
    postingDate,
    currency: '',
    lines: [],
  };
  for (const field of ['CompanyCode', 'PostingDate', 'DocumentDate', 'AccountingDocumentType', 'BusinessTransactionType', 'OriginalReferenceDocumentType', 'CreatedByUser'] as const) {
    if (!text(entry, field)) errors.push(error('055(00)', `Make an entry in all required fields: ${field} is missing.`));
  }
  if (companyCode && !master.companyCodes.has(companyCode)) errors.push(error('165(F5)', `Company code ${companyCode} is not defined.`));
  if (draft.businessTransactionType && draft.businessTransactionType !== 'RFBU') errors.push(error('012(FINS_ACDOC_CUST)', `Business transaction type ${draft.businessTransactionType} is not allowed; use RFBU.`));
  if (draft.accountingDocumentType && !DOCUMENT_TYPES.has(draft.accountingDocumentType)) errors.push(error('814(F5)', `Document type ${draft.accountingDocumentType} is not defined.`));
  if ((draft.documentReferenceId ?? '').length > 16) errors.push(error('032(FINS_FI_MISC)', `DocumentReferenceID "${draft.documentReferenceId}" is longer than 16 characters.`));
  if ((draft.documentHeaderText ?? '').length > 25) errors.push(error('033(FINS_FI_MISC)', 'DocumentHeaderText is longer than 25 characters.'));
  for (const [name, value] of [['PostingDate', postingDate], ['DocumentDate', documentDate]] as const) {
    if (value && !isIsoDate(value)) errors.push(error('001(FINS_FI_MISC)', `${name} "${value}" is not a valid date (YYYY-MM-DD).`));
  }
  if (isIsoDate(postingDate) && closedPeriods.has(postingDate.slice(0, 7))) {
    errors.push(error('201(F5)', `Posting period ${postingDate.slice(5, 7).padStart(3, '0')} ${postingDate.slice(0, 4)} is not open.`));
  }
  errors.push(...readLines(entry, draft, master));
  return { draft, errors };
}

function readLines(entry: XmlNode, draft: EntryDraft, master: SapMasterSets): LogItem[] {
  const errors: LogItem[] = [];
  const glItems = list(entry, 'Item').map((n) => ({ n, kind: 'item' as const }));
  const creditorItems = list(entry, 'CreditorItem').map((n) => ({ n, kind: 'creditor' as const }));
  if (glItems.length + creditorItems.length < 2) errors.push(error('112(F5)', 'A journal entry needs at least two items.'));
  const currencies = new Set<string>();
  let balance = new Decimal(0);
  for (const { n, kind } of [...glItems, ...creditorItems]) {
    const ref = text(n, 'ReferenceDocumentItem') ?? '';
    const where = `item ${ref || '?'}`;
    const amountNode = node(n.AmountInTransactionCurrency);
    const amountText = text(n, 'AmountInTransactionCurrency') ?? '';
    const currency = typeof amountNode?.['@_currencyCode'] === 'string' ? (amountNode['@_currencyCode'] as string) : '';
    const dc = text(n, 'DebitCreditCode') ?? '';
    const line: SapJournalEntryLine = { kind, referenceDocumentItem: ref, amount: amountText, currency, debitCreditCode: dc as 'S' | 'H', text: text(n, 'DocumentItemText') };
    if (!ref) errors.push(error('055(00)', `Make an entry in all required fields: ReferenceDocumentItem is missing on an ${kind === 'item' ? 'Item' : 'CreditorItem'}.`));
    if (kind === 'item') {
      const gl = alpha(text(n, 'GLAccount') ?? '');
      line.glAccount = gl;
      if (!/^\d{10}$/.test(gl) || !master.glAccounts.has(gl)) errors.push(error('507(F5)', `G/L account ${gl || '(empty)'} is not defined in chart of accounts YCOA (${where}).`));
      const assignment = node(n.AccountAssignment);
      const costCenter = text(assignment, 'CostCenter');
      const profitCenter = text(assignment, 'ProfitCenter');
      if (costCenter !== undefined) {
        line.costCenter = alpha(costCenter);
        if (!master.costCenters.has(line.costCenter)) errors.push(error('248(KI)', `Cost center ${draft.companyCode || '?'}/${costCenter} does not exist on ${draft.postingDate} (${where}).`));
      }
      if (profitCenter !== undefined) line.profitCenter = alpha(profitCenter);
      line.taxCode = text(node(n.Tax), 'TaxCode');
    } else {
      const creditor = alpha(text(n, 'Creditor') ?? '');
      line.creditor = creditor;
      if (!master.creditors.has(creditor)) errors.push(error('151(F5)', `Supplier ${creditor || '(empty)'} is not defined in company code ${draft.companyCode} (${where}).`));
    }
    draft.lines.push(line);
    if (!currency || !master.currencies.has(currency)) {
      errors.push(error('084(FINS_FI_MISC)', `Currency "${currency}" is not defined (${where}); set the currencyCode attribute.`));
      continue;
    }
    currencies.add(currency);
    const decimals = ZERO_DECIMAL_CURRENCIES.has(currency) ? 0 : 2;
    const pattern = decimals === 0 ? /^-?\d+$/ : /^-?\d+(\.\d{1,2})?$/;
    if (!pattern.test(amountText)) {
      errors.push(error('102(FINS_FI_MISC)', `Amount "${amountText}" is not a valid ${currency} amount with at most ${decimals} decimals (${where}).`));
      continue;
    }
    const amount = new Decimal(amountText);
    if (dc !== 'S' && dc !== 'H') errors.push(error('013(F5)', `DebitCreditCode "${dc}" is not valid; use S (debit) or H (credit) (${where}).`));
    else if ((dc === 'S' && amount.isNegative()) || (dc === 'H' && amount.isPositive() && !amount.isZero())) {
      errors.push(error('014(F5)', `The sign of amount ${amountText} does not match debit/credit code ${dc}: debits are positive, credits negative (${where}).`));
    }
    balance = balance.plus(amount);
  }
  if (currencies.size > 1) errors.push(error('085(FINS_FI_MISC)', `A journal entry has one transaction currency; this one has ${[...currencies].join(', ')}.`));
  draft.currency = [...currencies][0] ?? '';
  if (errors.length === 0 && !balance.isZero()) {
    errors.push(error('702(F5)', `Balance in transaction currency ${draft.currency}: ${balance.toFixed(ZERO_DECIMAL_CURRENCIES.has(draft.currency) ? 0 : 2)}`));
  }
  return errors;
}
