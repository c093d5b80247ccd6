// The Viessmann login in the product as users run it (npm start with an editor login): the admin
// endpoints want the editor's permission, the callback (a plain browser navigation) does not; the
// login reaches the deployed account at once, and a deploy saves it so it survives a restart.
// Viessmann is the local stand-in of test/support/viessmann-standin.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { startProduct, type RunningProduct } from '../support/runtime';
import { GATEWAY_SERIAL, INSTALLATION_ID, startStandIn, type StandIn } from '../support/viessmann-standin';

const ADMIN_USER = 'operator';
const ADMIN_PASSWORD = 'let-me-in-please';
const CLIENT_ID = 'stand-in-client';

async function editorToken(base: string): Promise<string> {
  const res = await fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username: ADMIN_USER, password: ADMIN_PASSWORD }),
  });
  const json = (await res.json()) as { access_token?: string };
  assert.ok(json.access_token, `editor login: HTTP ${res.status}`);
  return json.access_token;
}

describe('Viessmann login in the running product', function () {
  this.timeout(120_000);
  let product: RunningProduct | undefined;
  let standIn: StandIn;
  const homes: string[] = [];

  beforeEach(async () => {
    standIn = await startStandIn(CLIENT_ID);
    standIn.features.set('0', 'Vitocal200.json');
  });
  afterEach(async () => {
    await product?.stop();
    product = undefined;
    await standIn.close();
    for (const home of homes.splice(0)) fs.rmSync(home, { recursive: true, force: true });
  });

  it('needs the editor login for "Log in" and the device search, not for the callback; a deploy keeps the login across a restart', async () => {
    const flows = [
      { id: 'tab', type: 'tab', label: 'Viessmann' },
      { id: 'acct', type: 'viessmann-account', name: '', clientId: CLIENT_ID, redirectUri: '', authorizeUrl: standIn.authorizeUrl, tokenUrl: standIn.tokenUrl, apiUrl: standIn.apiUrl, store: 'file' },
      { id: 'dev', type: 'viessmann-device', z: 'tab', x: 200, y: 100, name: '', account: 'acct', installationId: INSTALLATION_ID, gatewaySerial: GATEWAY_SERIAL, deviceId: '0', model: '', heatpumpId: '', interval: 300, wires: [[], [], []] },
    ];
    const env = { LOCAL_INFLUXD: '0', NODE_RED_ADMIN_USER: ADMIN_USER, NODE_RED_ADMIN_PASSWORD_HASH: bcrypt.hashSync(ADMIN_PASSWORD, 8), HEATPUMP_RESET_FLOWS: '0' };
    const ready = async (running: RunningProduct) => running.output().includes('Started flows');
    // one home for both starts (startProduct removes only a home it made itself)
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'viessmann-login-'));
    homes.push(home);
    product = await startProduct(env, { flows, ready, home });
    const base = product.baseUrl;
    const loginRequest = { id: 'acct', clientId: CLIENT_ID, redirectUri: `${base}/viessmann-account/callback`, authorizeUrl: standIn.authorizeUrl, tokenUrl: standIn.tokenUrl };
    const post = (headers: Record<string, string>) => fetch(`${base}/viessmann-account/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(loginRequest) });

    assert.equal((await post({})).status, 401, 'no "Log in" without the editor login');
    assert.equal((await fetch(`${base}/viessmann-account/acct/devices`)).status, 401, 'no device search without the editor login');
    const token = await editorToken(base);
    const auth = { authorization: `Bearer ${token}` };
    const started = await post(auth);
    assert.equal(started.status, 200);
    const { url } = (await started.json()) as { url: string };

    const authorized = await fetch(url, { redirect: 'manual' });
    const callback = authorized.headers.get('location') ?? '';
    assert.ok(callback.startsWith(`${base}/viessmann-account/callback?`), callback);
    const page = await fetch(callback);
    assert.equal(page.status, 200, 'the callback needs no editor login (the state ties it to the login)');
    assert.match(await page.text(), /Logged in to Viessmann/);
    assert.equal(standIn.log.pkceChecked, 1);

    const search = await fetch(`${base}/viessmann-account/acct/devices`, { headers: auth });
    assert.equal(search.status, 200, 'the deployed account uses the new login at once');
    assert.deepEqual(((await search.json()) as { devices: Array<{ deviceId: string }> }).devices.map((d) => d.deviceId), ['0']);

    // deploy (as the editor does after the login): the refresh token goes to flows_cred.json
    const current = (await (await fetch(`${base}/flows`, { headers: { ...auth, 'node-red-api-version': 'v2' } })).json()) as { rev: string; flows: unknown[] };
    const deployed = await fetch(`${base}/flows`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'node-red-api-version': 'v2', 'node-red-deployment-type': 'full' },
      body: JSON.stringify({ rev: current.rev, flows: current.flows }),
    });
    assert.equal(deployed.status, 200, await deployed.text());
    await product.stop();
    const grantsBefore = standIn.log.grants.length;

    product = await startProduct(env, { ready, home });
    assert.match(product.output(), /keeping your edited flows/);
    const afterRestart = await fetch(`${product.baseUrl}/viessmann-account/acct/devices`, { headers: { authorization: `Bearer ${await editorToken(product.baseUrl)}` } });
    assert.equal(afterRestart.status, 200, 'still logged in after the restart');
    assert.deepEqual(standIn.log.grants.slice(grantsBefore), ['refresh_token'], 'the restarted account renewed with the saved refresh token');
  });
});
