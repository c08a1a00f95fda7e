import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { percentEncode, signatureBaseString, tbaAuthorization } from '../../src/erp/index.js';
import { Secret } from '../../src/shared/secret.js';

function headerParams(header: string): Record<string, string> {
  expect(header.startsWith('OAuth ')).toBe(true);
  return Object.fromEntries(header.slice(6).split(',').map((kv) => {
    const m = /^([a-z_]+)="([^"]*)"$/.exec(kv.trim());
    expect(m, kv).not.toBeNull();
    return [m![1]!, decodeURIComponent(m![2]!)];
  }));
}

describe('NetSuite TBA (OAuth 1.0a, RFC 5849)', () => {
  it('builds the signature base string of the RFC 5849 section 3.4.1.1 example', () => {
    // The RFC's request parameters (query and form body are one set), given here all as query.
    const url = 'http://EXAMPLE.COM:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b&c2=&a3=2%20q';
    const base = signatureBaseString('post', url, {
      oauth_consumer_key: '9djdj82h48djs9d2',
      oauth_token: 'kkk9d7dh3k39sjv7',
      oauth_signature_method: 'HMAC-SHA1',
      oauth_timestamp: '137131201',
      oauth_nonce: '7d8f3e4a',
    });
    // Copied from the RFC text, section 3.4.1.1.
    expect(base).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
  });

  it('signs with HMAC-SHA256 over a base string and key worked out by hand', () => {
    const header = tbaAuthorization(
      { realm: '1234567_SB1', consumerKey: 'ck', consumerSecret: new Secret('c&s+1'), tokenId: 'tk', tokenSecret: new Secret('t s') },
      'PUT',
      'http://127.0.0.1:8080/services/rest/record/v1/journalentry/eid:nb-acme-t-1',
      'abc123nonce',
      1767225600,
    );
    // By hand: method, encoded URI (":" of the port and of "eid:" encoded), sorted oauth_* parameters.
    const base =
      'PUT&http%3A%2F%2F127.0.0.1%3A8080%2Fservices%2Frest%2Frecord%2Fv1%2Fjournalentry%2Feid%3Anb-acme-t-1&' +
      'oauth_consumer_key%3Dck%26oauth_nonce%3Dabc123nonce%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1767225600%26oauth_token%3Dtk%26oauth_version%3D1.0';
    // Key: percent-encoded consumer secret & percent-encoded token secret.
    const expected = createHmac('sha256', 'c%26s%2B1&t%20s').update(base).digest('base64');
    const p = headerParams(header);
    expect(p).toEqual({
      realm: '1234567_SB1',
      oauth_consumer_key: 'ck',
      oauth_nonce: 'abc123nonce',
      oauth_signature_method: 'HMAC-SHA256',
      oauth_timestamp: '1767225600',
      oauth_token: 'tk',
      oauth_version: '1.0',
      oauth_signature: expected,
    });
    // The signature is percent-encoded in the header (base64 has + / =).
    expect(header).toContain(`oauth_signature="${percentEncode(expected)}"`);
    expect(header).not.toContain('c&s+1');
  });

  it('includes query parameters and drops the default https port', () => {
    const base = signatureBaseString('GET', 'https://acct.suitetalk.api.netsuite.com:443/services/rest/record/v1/journalentry/eid:x?expandSubResources=true', { oauth_nonce: 'n' });
    expect(base).toBe('GET&https%3A%2F%2Facct.suitetalk.api.netsuite.com%2Fservices%2Frest%2Frecord%2Fv1%2Fjournalentry%2Feid%3Ax&expandSubResources%3Dtrue%26oauth_nonce%3Dn');
  });

  it('percent-encodes the RFC 3986 reserved characters that encodeURIComponent leaves', () => {
    expect(percentEncode("!*'()~-._ a")).toBe('%21%2A%27%28%29~-._%20a');
  });
});
