import type { SapJournalEntry } from '../index.js';
import type { EntryDraft } from './journal-entry.js';

/** Posted journal entries, numbered per company code and fiscal year like an SAP number range. */
export class SapStore {
  #entries: SapJournalEntry[] = [];
  #next = new Map<string, number>();

  post(draft: EntryDraft, messageId: string | undefined, now: number): SapJournalEntry {
    // Calendar fiscal year (variant K4): the year of the posting date.
    const fiscalYear = draft.postingDate.slice(0, 4);
    const key = `${draft.companyCode}/${fiscalYear}`;
    const n = this.#next.get(key) ?? 100_000_000;
    this.#next.set(key, n + 1);
    const entry: SapJournalEntry = { ...structuredClone(draft), accountingDocument: String(n).padStart(10, '0'), fiscalYear, messageId, createdAt: now };
    this.#entries.push(entry);
    return entry;
  }

  all(): SapJournalEntry[] {
    return this.#entries;
  }

  reset(): void {
    this.#entries = [];
    this.#next.clear();
  }
}
