import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { systemClock } from '../../../shared/clock.js';
import { SimHarness, type CannedAnswer } from '../common/harness.js';
import type { ErpSimClock, SapMasterData, SapSim, SapSimOptions } from '../index.js';
import { alpha, readJournalEntry, type SapMasterSets } from './journal-entry.js';
import { ODATA_BASE, odataError, queryItems, type ODataQuery } from './odata.js';
import { bulkConfirmation, list, node, parseBulkRequest, SOAP_ACTION, soapFault, text, type EntryConfirmation, type LogItem } from './soap.js';
import { SapStore } from './store.js';

const SOAP_PATH = '/sap/bc/srt/scs_ext/sap/journalentrycreaterequestconfi';
const BASIC_REALM = 'SAP NetWeaver Application Server [S4H/100]';

function range(prefix: string, from: number, to: number, width = 10): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`.padStart(width, '0'));
}

function masterSets(m: SapMasterData = {}): SapMasterSets {
  return {
    glAccounts: new Set((m.glAccounts ?? [...range('', 60000000, 60000199), ...range('', 21000000, 21000099), ...range('', 16000000, 16000009)]).map((a) => alpha(a))),
    costCenters: new Set((m.costCenters ?? range('', 10101101, 10101120)).map((c) => alpha(c))),
    companyCodes: new Set(m.companyCodes ?? ['1010', '1710']),
    creditors: new Set((m.creditors ?? range('', 17300001, 17300050)).map((c) => alpha(c))),
    currencies: new Set(m.currencies ?? ['EUR', 'USD', 'GBP', 'CHF', 'JPY', 'CAD', 'AUD', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'INR', 'SGD', 'HKD', 'CNY', 'MXN', 'BRL']),
  };
}

interface SapState {
  origin: string;
  clock: ErpSimClock;
  user: string;
  password: string;
  master: SapMasterSets;
  closedPeriods: Set<string>;
  initialClosedPeriods: string[];
  store: SapStore;
  harness: SimHarness;
}

/** An injected fault as SAP's front end answers it: a SOAP Fault for 500, a plain page otherwise. */
function injectedFault(status: number): CannedAnswer {
  if (status === 500) return { status, contentType: 'text/xml; charset=utf-8', body: soapFault('Internal server error (injected by the simulator).', 'Server') };
  const reason = status === 429 ? 'Too Many Requests' : status === 502 ? 'Bad Gateway' : 'Service Unavailable';
  return { status, contentType: 'text/html; charset=utf-8', body: `<html><head><title>${status} ${reason}</title></head><body><h1>${reason}</h1></body></html>` };
}

/** Starts the SAP S/4HANA Cloud journal entry SOAP simulator on 127.0.0.1 (see ../index.ts). */
export async function startSapSim(options: SapSimOptions = {}): Promise<SapSim> {
  const state: SapState = {
    origin: '',
    clock: options.clock ?? systemClock,
    user: options.user ?? 'NAVAN_BRIDGE_COMM',
    password: options.password ?? randomBytes(24).toString('base64url'),
    master: masterSets(options.masterData),
    closedPeriods: new Set(options.closedPeriods ?? []),
    initialClosedPeriods: [...(options.closedPeriods ?? [])],
    store: new SapStore(),
    harness: new SimHarness({ isApi: (path) => path.startsWith('/sap/'), faultAnswer: injectedFault, latencyMs: options.latencyMs }),
  };
  const app = state.harness.app;
  for (const type of ['text/xml', 'application/xml', 'application/soap+xml']) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  }
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) =>
    reply.code(error.statusCode === 415 ? 415 : 500).type('text/xml; charset=utf-8').send(soapFault(error.message)),
  );
  app.addHook('preHandler', async (request, reply) => {
    if (request.url.startsWith('/sap/') && !authenticate(state, request, reply)) return reply;
  });
  app.post(SOAP_PATH, async (request, reply) => postJournalEntries(state, request, reply));
  app.get(`${ODATA_BASE}/A_JournalEntryItemBasic`, async (request, reply) => {
    const q = request.query as ODataQuery;
    if (q.$format !== undefined && q.$format !== 'json') {
      return reply.code(400).type('application/json').send(odataError('SY/530', 'The simulator answers JSON only; use $format=json.'));
    }
    const answer = queryItems(state.store.all(), q, `${state.origin}${ODATA_BASE}/A_JournalEntryItemBasic`);
    return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
  });
  registerControl(state);

  state.origin = await state.harness.listen(options.host, options.port);
  return {
    url: `${state.origin}${SOAP_PATH}`,
    readUrl: `${state.origin}${ODATA_BASE}`,
    origin: state.origin,
    credentials: { user: state.user, password: state.password },
    soapAction: SOAP_ACTION,
    documents: () => structuredClone(state.store.all()),
    faults: state.harness.faults,
    stats: () => state.harness.stats.snapshot(),
    setLatency: (ms) => void (state.harness.latencyMs = ms),
    closePeriod: (period) => void state.closedPeriods.add(period),
    reset: () => resetState(state),
    close: () => state.harness.close(),
  };
}

function resetState(state: SapState): void {
  state.store.reset();
  state.closedPeriods = new Set(state.initialClosedPeriods);
  state.harness.resetCommon();
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Basic auth of the communication user; anything else gets SAP's 401 page. */
function authenticate(state: SapState, request: FastifyRequest, reply: FastifyReply): boolean {
  const header = request.headers.authorization ?? '';
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  let reason = header ? 'malformed_header' : 'missing_header';
  if (m) {
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    if (user.toUpperCase() !== state.user.toUpperCase()) reason = 'unknown_user';
    else if (!sameSecret(password, state.password)) reason = 'bad_password';
    else return true;
  }
  state.harness.stats.authFailure(reason);
  void reply
    .code(401)
    .header('www-authenticate', `Basic realm="${BASIC_REALM}"`)
    .type('text/html; charset=utf-8')
    .send('<html><head><title>Logon Error Message</title></head><body><h1>401 Unauthorized</h1><p>Logon failed.</p></body></html>');
  return false;
}

function postJournalEntries(state: SapState, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const xml = (status: number, body: string) => reply.code(status).type('text/xml; charset=utf-8').send(body);
  const action = String(request.headers.soapaction ?? '').replace(/^"|"$/g, '');
  if (action && action !== SOAP_ACTION) return xml(500, soapFault(`The SOAPAction "${action}" is not an operation of this service; use ${SOAP_ACTION}.`));
  if (typeof request.body !== 'string') return xml(500, soapFault('Send the SOAP envelope with Content-Type text/xml.'));
  const bulk = parseBulkRequest(request.body);
  if (typeof bulk === 'string') return xml(500, soapFault(bulk));
  const requests = list(bulk, 'JournalEntryCreateRequest');
  if (requests.length === 0) return xml(500, soapFault('JournalEntryBulkCreateRequest holds no JournalEntryCreateRequest.'));
  const now = state.clock.now();
  const confirmations = requests.map((r) => postOne(state, r, text(node(bulk.MessageHeader), 'ID'), now));
  const at = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  // Always HTTP 200, even when every entry failed: the outcome is in the log notes.
  return xml(200, bulkConfirmation(randomUUID().replace(/-/g, '').toUpperCase(), text(node(bulk.MessageHeader), 'ID'), at, confirmations));
}

function postOne(state: SapState, request: Record<string, unknown>, bulkMessageId: string | undefined, now: number): EntryConfirmation {
  const requestMessageId = text(node(request.MessageHeader), 'ID');
  const entry = node(request.JournalEntry);
  const stats = state.harness.stats;
  if (!entry) {
    stats.count('documentsRejected');
    return { requestMessageId, accountingDocument: '0000000000', companyCode: '', fiscalYear: '0000', log: [{ typeId: '055(00)', severity: 3, note: 'JournalEntryCreateRequest holds no JournalEntry.' }] };
  }
  const { draft, errors } = readJournalEntry(entry, state.master, state.closedPeriods);
  const system = draft.originalReferenceDocumentLogicalSystem ?? '';
  const refType = draft.originalReferenceDocumentType ?? 'BKPFF';
  if (errors.length > 0) {
    stats.count('documentsRejected');
    const head: LogItem = { typeId: '609(RW)', severity: 3, note: `Error in document: ${refType} $ ${system}`.trim() };
    return { requestMessageId, accountingDocument: '0000000000', companyCode: draft.companyCode, fiscalYear: '0000', log: [head, ...errors] };
  }
  const posted = state.store.post(draft, requestMessageId ?? bulkMessageId, now);
  stats.count('documentsCreated');
  const key = `${posted.accountingDocument}${posted.companyCode}${posted.fiscalYear}`;
  return {
    requestMessageId,
    accountingDocument: posted.accountingDocument,
    companyCode: posted.companyCode,
    fiscalYear: posted.fiscalYear,
    log: [{ typeId: '605(RW)', severity: 1, note: `Document posted successfully: ${refType} ${key} ${system}`.trim() }],
  };
}

function registerControl(state: SapState): void {
  state.harness.registerControlRoutes({
    documents: () => state.store.all(),
    reset: () => resetState(state),
    configure: (body) => {
      if (body.closePeriod !== undefined) {
        if (typeof body.closePeriod !== 'string' || !/^\d{4}-\d{2}$/.test(body.closePeriod)) return 'Set closePeriod to a period such as "2026-10".';
        state.closedPeriods.add(body.closePeriod);
      }
      return { closedPeriods: [...state.closedPeriods] };
    },
  });
}
