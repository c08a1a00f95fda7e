import { request } from 'undici';
import type { Simulator } from '../helpers/sim.js';

/** Raw HTTP for the simulator tests: they check the wire, so no typed client in between. */
export async function fetchToken(sim: Pick<Simulator, 'url' | 'clientId' | 'clientSecret'>, creds?: { clientId: string; clientSecret: string }): Promise<string> {
  const res = await tokenRequest(sim.url, creds ?? sim);
  if (res.status !== 200) throw new Error(`token ${res.status}`);
  return (res.json as { access_token: string }).access_token;
}

export async function tokenRequest(url: string, creds: { clientId: string; clientSecret: string }, headers: Record<string, string> = {}) {
  const res = await request(`${url}/ta-auth/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret }).toString(),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: safeJson(text) };
}

export async function api(url: string, path: string, token?: string, headers: Record<string, string> = {}) {
  const res = await request(`${url}${path}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  const buf = Buffer.from(await res.body.arrayBuffer());
  const text = buf.toString('utf8');
  return { status: res.statusCode, headers: res.headers, buf, text, json: safeJson(text) as any };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The helper's default clock start is 2026-01-15T12:00Z; its anchor is that day's midnight. */
export const ANCHOR_S = Date.UTC(2026, 0, 15) / 1000;
export const DAY_S = 86_400;
