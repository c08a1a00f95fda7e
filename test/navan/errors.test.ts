import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import {
  NavanAuthError, NavanBadRequestError, NavanForbiddenError, NavanNetworkError, NavanNotFoundError, NavanServerError, type NavanBridgeError,
} from '../../src/shared/errors.js';
import type { Handler, NavanRequest } from '../../src/shared/http.js';
import { createNavanClient } from '../../src/navan/index.js';

// Status mapping is the client's own logic; a canned handler isolates it from the pipeline.
function clientAnswering(status: number, body = '{"message":"nope"}') {
  const seen: NavanRequest[] = [];
  const handler: Handler = async (req) => {
    seen.push(req);
    return { status, headers: {}, body: Buffer.from(body) };
  };
  const tenant = loadConfig({ env: {}, cwd: '/nonexistent', overrides: { tenants: [{ id: 'acme', baseUrl: 'http://127.0.0.1:1', clientId: 'c', clientSecret: 'top-secret-value' }] } }).tenants[0]!;
  let n = 0;
  return { seen, client: createNavanClient({ tenant, handler, newCorrelationId: () => `corr-${++n}` }) };
}
const q = { createdFrom: new Date('2025-01-01T00:00:00Z'), createdTo: new Date('2025-01-10T00:00:00Z') };
async function first(it: AsyncIterable<unknown>) {
  for await (const x of it) return x;
}

describe('error mapping', () => {
  it.each([
    [400, NavanBadRequestError],
    [401, NavanAuthError],
    [404, NavanNotFoundError],
    [503, NavanServerError],
  ])('maps %i to the typed error carrying the correlation id', async (status, type) => {
    const { client, seen } = clientAnswering(status);
    const err = (await first(client.listBookings(q)).catch((e: unknown) => e)) as NavanBridgeError;
    expect(err).toBeInstanceOf(type);
    expect(err.correlationId).toBe('corr-1');
    expect(seen[0]!.endpoint).toBe('/v1/bookings');
    expect(seen[0]!.idempotent).toBe(true);
    expect(seen[0]!.query!.createdFrom).toBe(1735689600);
    expect(String(err.message)).not.toContain('top-secret-value');
  });

  it('names the missing scope on 403, or expense enablement on expense paths', async () => {
    const b = await first(clientAnswering(403).client.listBookings(q)).catch((e: unknown) => e);
    expect(b).toBeInstanceOf(NavanForbiddenError);
    expect((b as NavanForbiddenError).missing).toBe('bookings:read');
    const u = await first(clientAnswering(403).client.listUsers()).catch((e: unknown) => e);
    expect((u as NavanForbiddenError).missing).toBe('users:read');
    const { client, seen } = clientAnswering(403);
    const t = await first(client.listTransactions({ modifiedFrom: '2025-01-01', modifiedTo: '2025-01-02', kind: 'fees' })).catch((e: unknown) => e);
    expect((t as Error).message).toMatch(/Navan support/);
    expect(seen[0]!.endpoint).toBe('/v1/expense/{kind}');
    expect(seen[0]!.path).toBe('/v1/expense/fees');
  });

  it('maps a body that is not JSON to NavanNetworkError', async () => {
    const err = await first(clientAnswering(200, '<html>').client.listBookings(q)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NavanNetworkError);
    expect((err as NavanBridgeError).correlationId).toBe('corr-1');
  });
});
