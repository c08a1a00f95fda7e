import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import type { Handler, NavanResponse } from '../shared/http.js';
import { headerValue } from '../shared/http.js';
import type { Secret } from '../shared/secret.js';
import { journalLines } from './documents.js';
import { ErpAuthError, ErpDocumentRejectedError, ErpPeriodClosedError, ErpUnavailableError } from './errors.js';
import { sendToErp } from './gateway.js';
import type { ErpDocument } from './model.js';
import { tbaMiddleware, type TbaCredentials } from './oauth1.js';
import type { ErpTarget, Posted } from './target.js';

const RECORD_PATH = '/services/rest/record/v1';

export interface NetSuiteTargetOptions {
  tenant: string;
  /** The REST host origin, e.g. https://1234567-sb1.suitetalk.api.netsuite.com */
  baseUrl: string;
  recordType: 'journalentry' | 'vendorbill';
  concurrency: number;
  billDueDays: number;
  /** The gateway handler of this tenant's NetSuite (see createErpGateway). */
  handler: Handler;
}

/** The REST host of an account: lower case, `_` → `-` (1234567_SB1 → 1234567-sb1). */
export function netsuiteBaseUrl(accountId: string): string {
  return `https://${accountId.toLowerCase().replace(/_/g, '-')}.suitetalk.api.netsuite.com`;
}

/** The OAuth realm of an account: upper case with `_`. */
export function netsuiteRealm(accountId: string): string {
  return accountId.toUpperCase().replace(/-/g, '_');
}

export function netsuiteAuth(accountId: string, c: { consumerKey: string; consumerSecret: Secret; tokenId: string; tokenSecret: Secret }, clock: Clock = systemClock) {
  const creds: TbaCredentials = { realm: netsuiteRealm(accountId), ...c };
  return tbaMiddleware(creds, clock);
}

const num = (s: string) => Number(s);
const ref = (id: string | undefined) => (id === undefined ? undefined : { id });

/** NetSuite REST record API: journal entries or vendor bills, upserted by external id. */
export function createNetSuiteTarget(o: NetSuiteTargetOptions): ErpTarget {
  const label = 'NetSuite';
  const path = (externalId: string) => `${RECORD_PATH}/${o.recordType}/eid:${externalId}`;
  const endpoint = `${RECORD_PATH}/${o.recordType}/eid:{externalId}`;

  const body = (doc: ErpDocument): Record<string, unknown> => {
    const header = { externalId: doc.externalId, tranDate: doc.date, memo: doc.memo, ...(doc.subsidiary ? { subsidiary: ref(doc.subsidiary) } : {}), ...(doc.currencyId ? { currency: ref(doc.currencyId) } : {}) };
    if (o.recordType === 'vendorbill') {
      const due = new Date(Date.parse(`${doc.date}T00:00:00Z`) + o.billDueDays * 86_400_000).toISOString().slice(0, 10);
      return {
        ...header,
        entity: ref(doc.funding.vendor),
        account: ref(doc.funding.account),
        dueDate: due,
        expense: { items: doc.lines.map((l) => ({ account: ref(l.account), amount: num(l.amount), memo: l.memo, ...dims(l) })) },
      };
    }
    const items = journalLines(doc).map((j) => ({
      account: ref(j.account),
      ...(j.debit !== undefined ? { debit: num(j.debit) } : { credit: num(j.credit!) }),
      memo: j.line ? j.line.memo : `Navan ${doc.funding.key}`,
      ...(j.line ? dims(j.line) : doc.funding.vendor ? { entity: ref(doc.funding.vendor) } : {}),
    }));
    return { ...header, line: { items } };
  };

  const send = async (method: 'GET' | 'PUT' | 'DELETE', externalId: string, payload?: unknown): Promise<NavanResponse> =>
    sendToErp(o.handler, label, {
      tenant: o.tenant,
      method,
      baseUrl: o.baseUrl,
      path: path(externalId),
      endpoint,
      ...(method === 'GET' ? { query: { expandSubResources: true } } : {}),
      headers: payload === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
      correlationId: randomUUID(),
      idempotent: true,
    });

  return {
    name: 'netsuite',
    label,
    recordType: o.recordType,
    mode: 'update',
    reversible: o.recordType === 'journalentry',
    concurrency: o.concurrency,
    validate(doc) {
      const reasons: string[] = [];
      if (o.recordType === 'vendorbill') {
        if (!doc.funding.vendor) reasons.push(`document ${doc.externalId}: a vendor bill needs a vendor; add "vendor: <NetSuite vendor id>" to the card program or reimbursable entry under credit in the mapping.`);
        if (!new Decimal(doc.total).isPositive()) reasons.push(`document ${doc.externalId}: its total ${doc.total} ${doc.currency} is not positive, and a refund needs a vendor credit, which navan-bridge does not post; use recordType journalentry or a wider grouping.`);
      }
      return reasons;
    },
    render: (doc) => ({ method: 'PUT', path: path(doc.externalId), body: body(doc) }),
    async upsert(doc): Promise<Posted> {
      const res = await send('PUT', doc.externalId, body(doc));
      if (res.status === 204 || res.status === 200 || res.status === 201) {
        const location = headerValue(res.headers, 'location');
        return { documentNumber: location ? location.slice(location.lastIndexOf('/') + 1) : null };
      }
      throw failure(res, doc.externalId, label);
    },
    async remove(externalId) {
      const res = await send('DELETE', externalId);
      if (res.status === 204 || res.status === 200 || res.status === 404) return;
      throw failure(res, externalId, label);
    },
    async readBack(externalId) {
      const res = await send('GET', externalId);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw failure(res, externalId, label);
      const record = JSON.parse(res.body.toString('utf8')) as { line?: { items?: NetSuiteLine[] }; expense?: { items?: NetSuiteLine[] } };
      if (o.recordType === 'vendorbill') return (record.expense?.items ?? []).map((l) => ({ text: l.memo ?? '', amount: new Decimal(String(l.amount ?? 0)).toFixed(2) }));
      return (record.line?.items ?? []).map((l) => ({ text: l.memo ?? '', amount: (l.debit !== undefined && l.debit !== null ? new Decimal(String(l.debit)) : new Decimal(String(l.credit ?? 0)).negated()).toFixed(2) }));
    },
    close: async () => undefined,
  };
}

interface NetSuiteLine {
  memo?: string;
  debit?: number | null;
  credit?: number | null;
  amount?: number;
}

function dims(l: { department?: string; class?: string; location?: string }) {
  return { ...(l.department ? { department: ref(l.department) } : {}), ...(l.class ? { class: ref(l.class) } : {}), ...(l.location ? { location: ref(l.location) } : {}) };
}

/** A NetSuite error answer as one of our typed errors, with NetSuite's own detail (never headers or credentials). */
function failure(res: NavanResponse, externalId: string, label: string): Error {
  let detail = '';
  try {
    const json = JSON.parse(res.body.toString('utf8')) as { title?: string; 'o:errorDetails'?: { detail?: string; 'o:errorCode'?: string; 'o:errorPath'?: string }[] };
    detail = (json['o:errorDetails'] ?? []).map((d) => `${d['o:errorCode'] ?? ''} ${d.detail ?? ''}${d['o:errorPath'] ? ` at ${d['o:errorPath']}` : ''}`.trim()).join('; ') || (json.title ?? '');
  } catch {
    detail = res.body.toString('utf8').slice(0, 200);
  }
  if (res.status === 401 || res.status === 403) return new ErpAuthError(`${label} refused the credentials (${res.status} ${detail}); check the consumer key and secret, the token id and secret, and the role's permissions.`);
  if (res.status === 429 || res.status >= 500) return new ErpUnavailableError(`${label} answered ${res.status} (${detail}) after retries; run the export again later and it resumes where it stopped.`);
  if (/period\b.*\bclosed|closed period/i.test(detail)) return new ErpPeriodClosedError(`${label} refused to change document ${externalId} in a closed period (${detail}).`, externalId);
  return new ErpDocumentRejectedError(`${label} rejected document ${externalId} (${res.status}: ${detail}); fix the mapping or the record in ${label}, then export again.`, externalId);
}
