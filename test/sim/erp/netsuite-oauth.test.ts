import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/shared/clock.js';
import { startNetSuiteSim, type NetSuiteSim } from '../../../src/sim/erp/index.js';
import { signatureBaseString } from '../../../src/sim/erp/netsuite/oauth.js';
import { baseString, signRequest } from './_tba.js';

// The example of the OAuth Core 1.0 spec (appendix A.5) and RFC 5849 §1.2 (same values).
const RFC_EXAMPLE = {
  url: 'http://photos.example.net/photos?file=vacation.jpg&size=original',
  consumerKey: 'dpf43f3p2l4k3l03',
  consumerSecret: 'kd94hf93k423kf44',
  token: 'nnch734d00sl2jdk',
  tokenSecret: 'pfkkdhi9sl3r4s00',
  timestamp: '1191242096',
  nonce: 'kllo9940pd9333jh',
  base:
    'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal',
  signature: 'tR3+Ty81lMeYAr/Fid0kMTYa/WM=',
};

describe('OAuth 1.0a signature base string against published examples', () => {
  const oauth = {
    oauth_consumer_key: RFC_EXAMPLE.consumerKey,
    oauth_token: RFC_EXAMPLE.token,
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: RFC_EXAMPLE.timestamp,
    oauth_nonce: RFC_EXAMPLE.nonce,
    oauth_version: '1.0',
  };

  it("the tests' signer reproduces the spec's base string and HMAC-SHA1 signature", () => {
    const base = baseString('GET', RFC_EXAMPLE.url, oauth);
    expect(base).toBe(RFC_EXAMPLE.base);
    const sig = createHmac('sha1', `${RFC_EXAMPLE.consumerSecret}&${RFC_EXAMPLE.tokenSecret}`).update(base).digest('base64');
    expect(sig).toBe(RFC_EXAMPLE.signature);
  });

  it("the simulator's verifier builds the same base string", () => {
    const params: [string, string][] = [['file', 'vacation.jpg'], ['size', 'original'], ...Object.entries(oauth)];
    expect(signatureBaseString('GET', 'http://photos.example.net/photos', params)).toBe(RFC_EXAMPLE.base);
  });

  it('RFC 5849 §3.4.1.1: encoding and sorting of repeated and reserved parameters', () => {
    // The RFC's example request; its form body parameters are passed as extra parameters here.
    const expected =
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7';
    const o = { oauth_consumer_key: '9djdj82h48djs9d2', oauth_token: 'kkk9d7dh3k39sjv7', oauth_signature_method: 'HMAC-SHA1', oauth_timestamp: '137131201', oauth_nonce: '7d8f3e4a' };
    const body: [string, string][] = [['c2', ''], ['a3', '2 q']];
    expect(baseString('POST', 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b', o, body)).toBe(expected);
    const params: [string, string][] = [['b5', '=%3D'], ['a3', 'a'], ['c@', ''], ['a2', 'r b'], ...body, ...Object.entries(o)];
    expect(signatureBaseString('POST', 'http://example.com/request', params)).toBe(expected);
  });
});

describe('NetSuite simulator: token-based authentication', () => {
  const keys = { consumerKey: 'ck-navan-bridge-test', consumerSecret: 'cs-s3cret/+=value', tokenId: 'tk-navan-bridge-test', tokenSecret: 'ts-s3cret&value' };
  const clock = new ManualClock(Date.UTC(2026, 9, 15, 12, 0, 0));
  let sim: NetSuiteSim;

  beforeAll(async () => {
    sim = await startNetSuiteSim({ accountId: '1234567_SB1', ...keys, clock });
  });
  afterAll(async () => {
    await sim.close();
  });

  const body = JSON.stringify({ subsidiary: { id: '1' }, tranDate: '2026-10-15', line: { items: [{ account: { id: '58' }, debit: 187 }, { account: { id: '4' }, credit: 187 }] } });

  async function send(method: string, url: string, header: string | undefined, payload?: string) {
    const res = await request(url, {
      method: method as 'POST',
      headers: { ...(header ? { authorization: header } : {}), ...(payload ? { 'content-type': 'application/json' } : {}) },
      body: payload,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : undefined, text };
  }

  it('accepts a request signed per the worked example (fixed timestamp and nonce)', async () => {
    const url = `${sim.url}/journalentry`;
    const timestamp = Math.floor(clock.now() / 1000);
    const signed = signRequest({ method: 'POST', url, keys, realm: '1234567_SB1', timestamp, nonce: 'worked-example-1' });
    // The same signature computed by hand, step by step from RFC 5849, to pin the worked example.
    const port = new URL(sim.url).port;
    const params = `oauth_consumer_key=ck-navan-bridge-test&oauth_nonce=worked-example-1&oauth_signature_method=HMAC-SHA256&oauth_timestamp=${timestamp}&oauth_token=tk-navan-bridge-test&oauth_version=1.0`;
    const base = `POST&${encodeURIComponent(`http://127.0.0.1:${port}/services/rest/record/v1/journalentry`)}&${encodeURIComponent(params)}`;
    expect(signed.base).toBe(base);
    const byHand = createHmac('sha256', 'cs-s3cret%2F%2B%3Dvalue&ts-s3cret%26value').update(base).digest('base64');
    expect(signed.signature).toBe(byHand);
    const res = await send('POST', url, signed.header, body);
    expect(res.status).toBe(204);
    expect(res.headers.location).toMatch(new RegExp(`^${sim.url}/journalentry/\\d+$`));
  });

  it('signs query parameters: a GET with a query is accepted, a tampered query is refused', async () => {
    const url = `${sim.url}/journalentry?limit=10&offset=0`;
    const ok = await send('GET', url, signRequest({ method: 'GET', url, keys, realm: '1234567_SB1', timestamp: clock.now() / 1000 }).header);
    expect(ok.status).toBe(200);
    const signed = signRequest({ method: 'GET', url, keys, realm: '1234567_SB1', timestamp: clock.now() / 1000 });
    const bad = await send('GET', `${sim.url}/journalentry?limit=11&offset=0`, signed.header);
    expect(bad.status).toBe(401);
    expect(sim.loginAuditTrail().at(-1)?.reason).toBe('bad_signature');
  });

  it('refuses a reused nonce with 401 INVALID_LOGIN in NetSuite\'s error shape', async () => {
    const url = `${sim.url}/journalentry/eid:nonce-test`;
    const signed = signRequest({ method: 'GET', url, keys, realm: '1234567_SB1', timestamp: clock.now() / 1000, nonce: 'reused-nonce-42' });
    const first = await send('GET', url, signed.header);
    expect(first.status).toBe(404); // authenticated, the record does not exist
    const second = await send('GET', url, signed.header);
    expect(second.status).toBe(401);
    expect(second.json).toMatchObject({ title: 'Unauthorized', status: 401, 'o:errorDetails': [{ 'o:errorCode': 'INVALID_LOGIN' }] });
    expect(second.json['o:errorDetails'][0].detail).toContain('Login Audit Trail');
    expect(sim.loginAuditTrail().at(-1)?.reason).toBe('nonce_reused');
  });

  it('refuses stale timestamps, SHA1, a wrong realm, wrong secrets and a missing header, each for its reason', async () => {
    const url = `${sim.url}/journalentry/eid:x`;
    const now = clock.now() / 1000;
    const cases: [string, string | undefined][] = [
      ['stale_timestamp', signRequest({ method: 'GET', url, keys, realm: '1234567_SB1', timestamp: now - 301 }).header],
      ['unsupported_signature_method', signRequest({ method: 'GET', url, keys, realm: '1234567_SB1', timestamp: now, signatureMethod: 'HMAC-SHA1' }).header],
      ['wrong_realm', signRequest({ method: 'GET', url, keys, realm: '1234567-sb1', timestamp: now }).header],
      ['bad_signature', signRequest({ method: 'GET', url, keys: { ...keys, tokenSecret: 'other' }, realm: '1234567_SB1', timestamp: now }).header],
      ['bad_signature', signRequest({ method: 'POST', url, keys, realm: '1234567_SB1', timestamp: now }).header],
      ['unknown_token', signRequest({ method: 'GET', url, keys: { ...keys, tokenId: 'revoked' }, realm: '1234567_SB1', timestamp: now }).header],
      ['short_nonce', signRequest({ method: 'GET', url, keys, realm: '1234567_SB1', timestamp: now, nonce: 'abc' }).header],
      ['missing_header', undefined],
      ['malformed_header', 'Bearer abc'],
    ];
    for (const [reason, header] of cases) {
      const res = await send('GET', url, header);
      expect(res.status, reason).toBe(401);
      expect(res.json['o:errorDetails'][0]['o:errorCode']).toBe('INVALID_LOGIN');
      expect(sim.loginAuditTrail().at(-1)?.reason).toBe(reason);
    }
    // A timestamp inside the window after the clock moves is still fine.
    await clock.advance(200_000);
    const ok = await send('GET', url, signRequest({ method: 'GET', url, keys, realm: '1234567_SB1', timestamp: now + 100 }).header);
    expect(ok.status).toBe(404);
    expect(sim.stats().authFailures.stale_timestamp).toBe(1);
  });

  it('never puts a secret in its answers, its audit trail or its stats', async () => {
    const url = `${sim.url}/journalentry/eid:x`;
    const res = await send('GET', url, signRequest({ method: 'GET', url, keys: { ...keys, consumerSecret: 'wrong' }, realm: '1234567_SB1', timestamp: clock.now() / 1000 }).header);
    const everything = JSON.stringify([res.json, res.headers, sim.loginAuditTrail(), sim.stats()]);
    for (const secret of [keys.consumerSecret, keys.tokenSecret]) expect(everything).not.toContain(secret);
    const control = await request(`${sim.origin}/__sim/login-audit`);
    expect(await control.body.text()).not.toContain(keys.tokenSecret);
  });
});
