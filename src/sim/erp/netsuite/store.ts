import type { NetSuiteDocument, NetSuiteRecordType } from '../index.js';

/**
 * The simulated account's transactions. Internal ids come from one sequence shared by all
 * transaction types, as in NetSuite; external ids are unique per record type.
 */
export class NetSuiteStore {
  #nextId = 101;
  #byId = new Map<string, NetSuiteDocument>();
  #byExternalId = new Map<string, string>();
  #locked = new Set<string>();

  create(type: NetSuiteRecordType, body: Record<string, unknown>, now: number): NetSuiteDocument {
    const id = String(this.#nextId++);
    const externalId = typeof body.externalId === 'string' ? body.externalId : undefined;
    const doc: NetSuiteDocument = { type, id, externalId, body: structuredClone(body), createdAt: now, updatedAt: now, version: 1 };
    this.#byId.set(id, doc);
    if (externalId) this.#byExternalId.set(eidKey(type, externalId), id);
    return doc;
  }

  /** Upsert of an existing record: the new body replaces the old one, sublists included. */
  replace(doc: NetSuiteDocument, body: Record<string, unknown>, now: number): NetSuiteDocument {
    doc.body = structuredClone(body);
    doc.updatedAt = now;
    doc.version++;
    return doc;
  }

  delete(doc: NetSuiteDocument): void {
    this.#byId.delete(doc.id);
    if (doc.externalId) this.#byExternalId.delete(eidKey(doc.type, doc.externalId));
  }

  findById(type: NetSuiteRecordType, id: string): NetSuiteDocument | undefined {
    const doc = this.#byId.get(id);
    return doc && doc.type === type ? doc : undefined;
  }

  findByExternalId(type: NetSuiteRecordType, externalId: string): NetSuiteDocument | undefined {
    const id = this.#byExternalId.get(eidKey(type, externalId));
    return id === undefined ? undefined : this.#byId.get(id);
  }

  all(type?: NetSuiteRecordType): NetSuiteDocument[] {
    const docs = [...this.#byId.values()];
    return type ? docs.filter((d) => d.type === type) : docs;
  }

  lock(type: NetSuiteRecordType, externalId: string): void {
    this.#locked.add(eidKey(type, externalId));
  }

  unlock(type: NetSuiteRecordType, externalId: string): void {
    this.#locked.delete(eidKey(type, externalId));
  }

  isLocked(doc: NetSuiteDocument): boolean {
    return doc.externalId !== undefined && this.#locked.has(eidKey(doc.type, doc.externalId));
  }

  reset(): void {
    this.#byId.clear();
    this.#byExternalId.clear();
    this.#locked.clear();
  }
}

function eidKey(type: string, externalId: string): string {
  return `${type}\n${externalId}`;
}
