import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { systemClock } from '../../../shared/clock.js';
import { SimHarness, controlBody, sendCanned } from '../common/harness.js';
import type { ErpSimClock, NetSuiteDocument, NetSuiteLoginAudit, NetSuiteMasterData, NetSuiteRecordType, NetSuiteSim, NetSuiteSimOptions } from '../index.js';
import { concurrencyLimitExceeded, injectedFault, invalidLogin, netSuiteError, nonexistent, userError } from './errors.js';
import { TbaVerifier, type TbaCredentials } from './oauth.js';
import { EXTERNAL_ID, isIsoDate, isRecordType, periodOf, validateRecord, type MasterSets } from './records.js';
import { NetSuiteStore } from './store.js';

const RECORD_BASE = '/services/rest/record/v1';

function range(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
}

function masterSets(m: NetSuiteMasterData = {}): MasterSets {
  return {
    accounts: new Set(m.accounts ?? range(1, 200)),
    departments: new Set(m.departments ?? range(1, 20)),
    classes: new Set(m.classes ?? range(1, 20)),
    locations: new Set(m.locations ?? range(1, 20)),
    subsidiaries: new Set(m.subsidiaries ?? range(1, 5)),
    vendors: new Set(m.vendors ?? range(1000, 1099)),
    currencies: new Set(m.currencies ?? range(1, 5)),
  };
}

interface NetSuiteState {
  origin: string;
  realm: string;
  clock: ErpSimClock;
  master: MasterSets;
  closedPeriods: Set<string>;
  initialClosedPeriods: string[];
  concurrencyLimit: number | null;
  store: NetSuiteStore;
  verifier: TbaVerifier;
  audit: NetSuiteLoginAudit[];
  harness: SimHarness;
}

/** Starts the NetSuite SuiteTalk REST record simulator on 127.0.0.1 (see ../index.ts for the surface). */
export async function startNetSuiteSim(options: NetSuiteSimOptions = {}): Promise<NetSuiteSim> {
  const clock = options.clock ?? systemClock;
  const realm = options.accountId ?? '1234567_SB1';
  const credentials: TbaCredentials = {
    consumerKey: options.consumerKey ?? randomBytes(32).toString('hex'),
    consumerSecret: options.consumerSecret ?? randomBytes(32).toString('hex'),
    tokenId: options.tokenId ?? randomBytes(32).toString('hex'),
    tokenSecret: options.tokenSecret ?? randomBytes(32).toString('hex'),
  };
  const state: NetSuiteState = {
    origin: '',
    realm,
    clock,
    master: masterSets(options.masterData),
    closedPeriods: new Set(options.closedPeriods ?? []),
    initialClosedPeriods: [...(options.closedPeriods ?? [])],
    concurrencyLimit: options.concurrencyLimit === undefined ? 5 : options.concurrencyLimit,
    store: new NetSuiteStore(),
    verifier: new TbaVerifier(credentials, realm, options.timestampToleranceSeconds ?? 300, clock),
    audit: [],
    harness: new SimHarness({
      isApi: (path) => path.startsWith('/services/rest/'),
      faultAnswer: injectedFault,
      admit: (inFlight) => (state.concurrencyLimit !== null && inFlight >= state.concurrencyLimit ? concurrencyLimitExceeded() : undefined),
      latencyMs: options.latencyMs,
    }),
  };
  const app = state.harness.app;
  // Bodies are parsed by the routes, so a syntax error gets NetSuite's error shape.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return sendCanned(reply, netSuiteError(status, [userError(error.message)]));
  });
  app.setNotFoundHandler(async (request, reply) => {
    if (request.url.startsWith('/services/rest/') && !authenticate(state, request, reply)) return reply;
    return sendCanned(reply, netSuiteError(404, [{ detail: `Unknown path ${request.url.split('?')[0]}.`, 'o:errorCode': 'NONEXISTENT_ID' }]));
  });
  app.register(async (api) => registerApiRoutes(api, state), { prefix: '/services/rest' });
  registerControl(state);

  state.origin = await state.harness.listen(options.host, options.port);
  const reset = () => resetState(state);
  return {
    url: `${state.origin}${RECORD_BASE}`,
    origin: state.origin,
    accountId: realm,
    credentials: { ...credentials },
    documents: (type) => state.store.all(type).map((d) => structuredClone(d)),
    document: (type, ref) => {
      const doc = 'id' in ref ? state.store.findById(type, ref.id) : state.store.findByExternalId(type, ref.externalId);
      return doc && structuredClone(doc);
    },
    faults: state.harness.faults,
    stats: () => state.harness.stats.snapshot(),
    loginAuditTrail: () => state.audit.map((a) => ({ ...a })),
    setConcurrencyLimit: (limit) => void (state.concurrencyLimit = limit),
    setLatency: (ms) => void (state.harness.latencyMs = ms),
    lock: (type, externalId) => state.store.lock(type, externalId),
    unlock: (type, externalId) => state.store.unlock(type, externalId),
    closePeriod: (period) => void state.closedPeriods.add(period),
    reset,
    close: () => state.harness.close(),
  };
}

function resetState(state: NetSuiteState): void {
  state.store.reset();
  state.audit.length = 0;
  state.closedPeriods = new Set(state.initialClosedPeriods);
  state.verifier.forgetNonces();
  state.harness.resetCommon();
}

/** Verifies TBA; on failure answers 401 INVALID_LOGIN and records the reason in the audit trail. */
function authenticate(state: NetSuiteState, request: FastifyRequest, reply: FastifyReply): boolean {
  const verdict = state.verifier.verify({
    method: request.method,
    host: String(request.headers.host ?? ''),
    rawUrl: request.raw.url ?? request.url,
    authorization: request.headers.authorization,
  });
  if (verdict.ok) return true;
  state.harness.stats.authFailure(verdict.reason);
  state.audit.push({ at: state.clock.now(), reason: verdict.reason, consumerKey: verdict.consumerKey, tokenId: verdict.tokenId, method: request.method, path: request.url.split('?')[0]! });
  sendCanned(reply, invalidLogin(state.realm));
  return false;
}

type Ref = { id: string } | { externalId: string };

/** "123" → internal id; "eid:ABC" → external id; undefined when the external id is not allowed. */
function parseRef(raw: string): Ref | undefined {
  if (!raw.startsWith('eid:')) return /^\d+$/.test(raw) ? { id: raw } : undefined;
  const externalId = raw.slice(4);
  return EXTERNAL_ID.test(externalId) ? { externalId } : undefined;
}

function badRef(raw: string): ReturnType<typeof netSuiteError> {
  return netSuiteError(400, [
    userError(`Invalid record reference ${JSON.stringify(raw)}: use an internal id or eid:<externalId> with letters, digits, "_" and "-" only.`, 'id'),
  ]);
}

function parseJsonBody(raw: unknown): Record<string, unknown> | string {
  if (typeof raw !== 'string' || raw.trim() === '') return 'The request body is empty; send the record as JSON.';
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'The request body must be a JSON object.';
    return value as Record<string, unknown>;
  } catch (error) {
    return `Invalid JSON in the request body: ${(error as Error).message}`;
  }
}

function registerApiRoutes(api: FastifyInstance, state: NetSuiteState): void {
  api.addHook('preHandler', async (request, reply) => {
    if (!authenticate(state, request, reply)) return reply;
  });
  const find = (type: NetSuiteRecordType, ref: Ref) => ('id' in ref ? state.store.findById(type, ref.id) : state.store.findByExternalId(type, ref.externalId));
  const location = (doc: NetSuiteDocument) => `${state.origin}${RECORD_BASE}/${doc.type}/${doc.id}`;
  const unknownType = (type: string) => netSuiteError(404, [{ detail: `Record type '${type}' does not exist or is not supported by the simulator (journalentry, vendorbill).`, 'o:errorCode': 'NONEXISTENT_ID' }]);

  /** Parses and validates a body; answers 400 itself and returns undefined when it is not valid. */
  const acceptBody = (type: NetSuiteRecordType, raw: unknown, reply: FastifyReply, externalId?: string): Record<string, unknown> | undefined => {
    const body = parseJsonBody(raw);
    if (typeof body === 'string') {
      sendCanned(reply, netSuiteError(400, [userError(body)]));
      return undefined;
    }
    if (externalId !== undefined) {
      if (body.externalId !== undefined && body.externalId !== externalId) {
        sendCanned(reply, netSuiteError(400, [userError(`The externalId in the body (${JSON.stringify(body.externalId)}) differs from eid:${externalId} in the URL.`, 'externalId')]));
        state.harness.stats.count('documentsRejected');
        return undefined;
      }
      body.externalId = externalId;
    }
    const errors = validateRecord(type, body, { master: state.master, closedPeriods: state.closedPeriods });
    if (errors.length > 0) {
      state.harness.stats.count('documentsRejected');
      sendCanned(reply, netSuiteError(400, errors));
      return undefined;
    }
    return body;
  };

  /** A change to an existing record: refused when a workflow locked it or its period is closed. */
  const changeRefusal = (doc: NetSuiteDocument) => {
    if (state.store.isLocked(doc)) return netSuiteError(400, [userError('This record has been locked by a user defined workflow.')]);
    const date = doc.body.tranDate;
    if (isIsoDate(date) && state.closedPeriods.has(periodOf(date))) {
      return netSuiteError(400, [userError(`The accounting period ${periodOf(date)} is closed; this transaction can no longer be changed. Post a reversal in an open period.`, 'tranDate')]);
    }
    return undefined;
  };

  api.post('/record/v1/:type', async (request, reply) => {
    const { type } = request.params as { type: string };
    if (!isRecordType(type)) return sendCanned(reply, unknownType(type));
    const body = acceptBody(type, request.body, reply);
    if (!body) return reply;
    if (typeof body.externalId === 'string' && state.store.findByExternalId(type, body.externalId)) {
      state.harness.stats.count('documentsRejected');
      return sendCanned(reply, netSuiteError(400, [userError('This entity already exists.', 'externalId')]));
    }
    const doc = state.store.create(type, body, state.clock.now());
    state.harness.stats.count('documentsCreated');
    return reply.code(204).header('location', location(doc)).send();
  });

  api.put('/record/v1/:type/:ref', async (request, reply) => {
    const { type, ref: raw } = request.params as { type: string; ref: string };
    if (!isRecordType(type)) return sendCanned(reply, unknownType(type));
    if (!raw.startsWith('eid:')) {
      return sendCanned(reply, netSuiteError(400, [userError('PUT creates or replaces a record by external id only: use PUT /record/v1/<type>/eid:<externalId>.', 'id')]));
    }
    const ref = parseRef(raw);
    if (!ref || !('externalId' in ref)) return sendCanned(reply, badRef(raw));
    const body = acceptBody(type, request.body, reply, ref.externalId);
    if (!body) return reply;
    const existing = state.store.findByExternalId(type, ref.externalId);
    if (existing) {
      const refusal = changeRefusal(existing);
      if (refusal) return sendCanned(reply, refusal);
      state.store.replace(existing, body, state.clock.now());
      state.harness.stats.count('documentsReplaced');
      return reply.code(204).header('location', location(existing)).send();
    }
    const doc = state.store.create(type, body, state.clock.now());
    state.harness.stats.count('documentsCreated');
    return reply.code(204).header('location', location(doc)).send();
  });

  api.get('/record/v1/:type', async (request, reply) => {
    const { type } = request.params as { type: string };
    if (!isRecordType(type)) return sendCanned(reply, unknownType(type));
    const q = request.query as { limit?: string; offset?: string };
    const limit = Math.min(1000, Math.max(1, Number(q.limit ?? 1000) || 1000));
    const offset = Math.max(0, Number(q.offset ?? 0) || 0);
    const all = state.store.all(type);
    const page = all.slice(offset, offset + limit);
    const base = `${state.origin}${RECORD_BASE}/${type}`;
    return reply.send({
      links: [{ rel: 'self', href: `${base}?limit=${limit}&offset=${offset}` }],
      count: page.length,
      hasMore: offset + page.length < all.length,
      items: page.map((d) => ({ links: [{ rel: 'self', href: `${base}/${d.id}` }], id: d.id })),
      offset,
      totalResults: all.length,
    });
  });

  api.get('/record/v1/:type/:ref', async (request, reply) => {
    const { type, ref: raw } = request.params as { type: string; ref: string };
    if (!isRecordType(type)) return sendCanned(reply, unknownType(type));
    const ref = parseRef(raw);
    if (!ref) return sendCanned(reply, badRef(raw));
    const doc = find(type, ref);
    if (!doc) return sendCanned(reply, nonexistent(type, raw));
    const expand = String((request.query as { expandSubResources?: string }).expandSubResources) === 'true';
    return reply.send(renderRecord(doc, location(doc), expand));
  });

  api.delete('/record/v1/:type/:ref', async (request, reply) => {
    const { type, ref: raw } = request.params as { type: string; ref: string };
    if (!isRecordType(type)) return sendCanned(reply, unknownType(type));
    const ref = parseRef(raw);
    if (!ref) return sendCanned(reply, badRef(raw));
    const doc = find(type, ref);
    if (!doc) return sendCanned(reply, nonexistent(type, raw));
    const refusal = changeRefusal(doc);
    if (refusal) return sendCanned(reply, refusal);
    state.store.delete(doc);
    state.harness.stats.count('documentsDeleted');
    return reply.code(204).send();
  });

  api.patch('/record/v1/:type/:ref', async (_request, reply) =>
    sendCanned(reply, netSuiteError(405, [userError('The simulator does not support PATCH; replace the record with PUT /record/v1/<type>/eid:<externalId>.')])),
  );

  // Shape unsure in the reference; the figure is what matters to a client sizing its concurrency.
  api.get('/system/v1/governanceLimits', async () => ({
    accountConcurrencyLimit: state.concurrencyLimit,
    integrationConcurrencyLimit: state.concurrencyLimit,
  }));
}

/** GET answer: the fields as stored, plus links; sublists are links unless expanded. */
function renderRecord(doc: NetSuiteDocument, self: string, expand: boolean): Record<string, unknown> {
  const sublist = doc.type === 'journalentry' ? 'line' : 'expense';
  const { [sublist]: lines, ...header } = structuredClone(doc.body);
  const items = ((lines as { items?: unknown[] } | undefined)?.items ?? []) as Record<string, unknown>[];
  const sublistLinks = [{ rel: 'self', href: `${self}/${sublist}` }];
  return {
    links: [{ rel: 'self', href: self }],
    id: doc.id,
    ...header,
    tranId: header.tranId ?? `${doc.type === 'journalentry' ? 'JE' : 'VB'}${doc.id}`,
    createdDate: new Date(doc.createdAt).toISOString(),
    lastModifiedDate: new Date(doc.updatedAt).toISOString(),
    [sublist]: expand
      ? { links: sublistLinks, items: items.map((item, i) => ({ links: [], line: i, ...item })), count: items.length, hasMore: false, offset: 0, totalResults: items.length }
      : { links: sublistLinks },
  };
}

function registerControl(state: NetSuiteState): void {
  const app = state.harness.app;
  state.harness.registerControlRoutes({
    documents: () => state.store.all(),
    reset: () => resetState(state),
    configure: (body) => {
      if (body.concurrencyLimit !== undefined) {
        const v = body.concurrencyLimit;
        if (v !== null && (!Number.isInteger(v) || (v as number) < 1)) return 'Set concurrencyLimit to a whole number, 1 or more, or null for no limit.';
        state.concurrencyLimit = v as number | null;
      }
      if (body.closePeriod !== undefined) {
        if (typeof body.closePeriod !== 'string' || !/^\d{4}-\d{2}$/.test(body.closePeriod)) return 'Set closePeriod to a period such as "2026-10".';
        state.closedPeriods.add(body.closePeriod);
      }
      return { concurrencyLimit: state.concurrencyLimit, closedPeriods: [...state.closedPeriods] };
    },
  });
  app.get('/__sim/login-audit', async () => ({ entries: state.audit }));
  app.post('/__sim/locks', async (request, reply) => {
    const b = controlBody(request.body) as { type?: unknown; externalId?: unknown; locked?: unknown };
    if (typeof b.type !== 'string' || !isRecordType(b.type) || typeof b.externalId !== 'string') {
      return reply.code(400).send({ error: 'Send {"type":"journalentry","externalId":"…","locked":true}.' });
    }
    if (b.locked === false) state.store.unlock(b.type, b.externalId);
    else state.store.lock(b.type, b.externalId);
    return { type: b.type, externalId: b.externalId, locked: b.locked !== false };
  });
}
