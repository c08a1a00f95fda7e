import { describe, expect, it } from 'vitest';
import { buildUrl, copyRequest, pathOf, withHeader, type NavanRequest } from '../../src/shared/http.js';

/** What the URL parser makes of a request: the reference the fast path must match exactly. */
function viaUrlParser(req: Pick<NavanRequest, 'baseUrl' | 'path' | 'query'>): string {
  const url = new URL(req.path, req.baseUrl);
  for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.toString();
}

describe('request target', () => {
  const baseUrl = 'https://api.navan.com';
  const paths = [
    '/v1/users', '/v1/expense/transactions/tx_1-2', "/v1/a'b(c)*!~", '/v1/%41%zz', '/v1/with space', '/v1/ü', '/v1/a/../b', '/v1/./a',
    '/v1/a/..', '/v1/..a/b.', '/v1/x?keep=1', '/v1/x#frag', '/v1/<q>', '/v1/a\\b', '/sap/opu/odata/sap/API_JOURNALENTRYITEMBASIC_SRV/A_JournalEntryItemBasic',
  ];
  const queries: NavanRequest['query'][] = [
    undefined, {}, { page: 0, size: 100 }, { skip: undefined, size: 1 }, { q: 'a b+c&d=e/é', flag: true },
    { $filter: "CompanyCode eq '1010' and Reference1IDByBusinessPartner eq 'X'", $top: 5 }, { keep: 2 },
  ];
  it('matches the URL parser for every path and query, plain or not', () => {
    for (const path of paths) {
      for (const query of queries) {
        const req = { baseUrl, path, query };
        const expected = viaUrlParser(req).replace(/#.*$/, '');
        expect(buildUrl(req), `${path} ${JSON.stringify(query)}`).toBe(expected);
        expect(pathOf(req)).toBe(expected.slice(baseUrl.length));
      }
    }
  });

  it('keeps only the origin of a base URL with a path', () => {
    expect(buildUrl({ baseUrl: 'http://127.0.0.1:8080/api/', path: '/v1/users', query: { page: 1 } })).toBe('http://127.0.0.1:8080/v1/users?page=1');
  });
});

describe('request copies', () => {
  it('copyRequest keeps every field and leaves the original alone when the copy changes', () => {
    const signal = new AbortController().signal;
    const req: NavanRequest = {
      tenant: 'acme', method: 'POST', baseUrl: 'https://api.navan.com', path: '/v1/x', endpoint: '/v1/x', query: { a: 1 },
      headers: { accept: 'application/json' }, body: '{}', correlationId: 'c1', idempotent: false, allowStale: true, signal, meta: { attempt: 2 },
    };
    const copy = copyRequest(req);
    expect(copy).toEqual(req);
    expect(Object.keys(copy).sort()).toEqual(Object.keys(req).sort());
    copy.headers = withHeader(copy.headers, 'authorization', 'Bearer t');
    copy.meta = { attempt: 3 };
    expect(req.headers).toEqual({ accept: 'application/json' });
    expect(req.meta).toEqual({ attempt: 2 });
  });

  it('withHeader copies the headers with one set, replacing a header of the same name', () => {
    const headers = { accept: 'application/json', 'x-request-id': 'old' };
    expect(withHeader(headers, 'x-request-id', 'new')).toEqual({ accept: 'application/json', 'x-request-id': 'new' });
    expect(withHeader({}, 'authorization', 'Bearer t')).toEqual({ authorization: 'Bearer t' });
    expect(headers['x-request-id']).toBe('old');
  });
});
