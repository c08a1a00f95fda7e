import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { netSuiteCaller } from './_tba.js';

const entry = fileURLToPath(new URL('../fixtures/sim-cli.ts', import.meta.url));
const tsx = new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

describe('navan-bridge sim --erp', () => {
  it('also starts the NetSuite and SAP simulators, prints their URLs and credentials, and serves signed requests', async () => {
    const child = spawn(process.execPath, ['--import', tsx, entry, 'sim', '--port', '0', '--bookings', '5', '--transactions', '5', '--erp'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c) => {
        stdout += c;
        if (stdout.includes('\n')) resolve(stdout.split('\n')[0]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const printed = JSON.parse(line);
    expect(printed.erp.netsuite.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/services\/rest\/record\/v1$/);
    expect(printed.erp.sap.url).toMatch(/\/sap\/bc\/srt\/scs_ext\/sap\/journalentrycreaterequestconfi$/);
    const ns = printed.erp.netsuite;
    const call = netSuiteCaller({ url: ns.url, accountId: ns.accountId, credentials: ns });
    const put = await call('PUT', '/journalentry/eid:NB-cli-1', { subsidiary: { id: '1' }, line: { items: [{ account: { id: '1' }, debit: 2 }, { account: { id: '2' }, credit: 2 }] } });
    expect(put.status).toBe(204);
    const sap = await request(printed.erp.sap.url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<x/>' });
    expect(sap.statusCode).toBe(401);
    await sap.body.text();
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    for (const secret of [ns.consumerSecret, ns.tokenSecret, printed.erp.sap.password]) expect(stderr).not.toContain(secret);
  });
});
