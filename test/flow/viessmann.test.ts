// viessmann-account and viessmann-device in a Node-RED runtime (node-red-node-test-helper) against
// local stand-ins of Viessmann's identity server and IoT API (test/support/viessmann-standin.ts),
// which check PKCE and the refresh grant and replay the recorded responses of
// test/fixtures/viessmann/: the login round trip through the admin endpoints, token expiry and
// renewal, a revoked login, a 429 and its reset, gateway and device offline, discovery, the four
// recorded heat pumps, and setting changes.
import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import { isMetricsReading, type MetricsReading } from '../../nodes/shared/contract';
import type { FleetLink } from '../../nodes/shared/fleet-link';
import type { SettingChangeEvent } from '../../nodes/viessmann-device/types';
import { collect, flowSuiteHooks, helper, nodeById, withCatalog, type NodeInit } from '../support/flow-helper';
import { readFixture } from '../support/fixtures';
import { nodeModule } from '../support/node-red';
import { GATEWAY_SERIAL, INSTALLATION_ID, startStandIn, type StandIn } from '../support/viessmann-standin';
import { eventually } from '../support/wait';

const CLIENT_ID = 'stand-in-client';
const fleetInit = nodeModule('heatpump-fleet') as NodeInit;
const modules = [withCatalog(nodeModule('viessmann-account') as NodeInit, 'viessmann-account'), withCatalog(nodeModule('viessmann-device') as NodeInit, 'viessmann-device')];

interface SupertestResponse {
  status: number;
  body: Record<string, unknown>;
  text: string;
}
interface SupertestRequest extends PromiseLike<SupertestResponse> {
  send(body: object): SupertestRequest;
}
const admin = helper as unknown as {
  request(): { get(path: string): SupertestRequest; post(path: string): SupertestRequest };
  _redNodes: { getCredentials(id: string): Record<string, unknown> | undefined; loadContextsPlugin(): Promise<void> };
  settings(settings: Record<string, unknown>): void;
};

interface Status {
  fill?: string;
  text?: string;
}

describe('viessmann-account and viessmann-device (stand-in API)', function () {
  this.timeout(20_000);
  flowSuiteHooks();
  let standIn: StandIn;

  beforeEach(async () => {
    standIn = await startStandIn(CLIENT_ID);
    standIn.features.set('0', 'Vitocal250A.json');
  });
  afterEach(async () => {
    await standIn.close();
  });

  function flow(devices: Array<{ id: string; deviceId: string; interval?: number }> = [{ id: 'dev', deviceId: '0' }], account: Record<string, unknown> = {}): Array<Record<string, unknown>> {
    const at = { z: 'tab', x: 100, y: 100 };
    return [
      { id: 'tab', type: 'tab', label: 'viessmann' },
      { id: 'acct', type: 'viessmann-account', name: '', clientId: CLIENT_ID, redirectUri: '', authorizeUrl: standIn.authorizeUrl, tokenUrl: standIn.tokenUrl, apiUrl: standIn.apiUrl, store: '', ...account },
      ...devices.flatMap((d) => [
        { id: d.id, ...at, type: 'viessmann-device', name: '', account: 'acct', installationId: INSTALLATION_ID, gatewaySerial: GATEWAY_SERIAL, deviceId: d.deviceId, model: 'E3_Vitocal', heatpumpId: '', interval: d.interval ?? 300, wires: [[`${d.id}-readings`], [`${d.id}-presence`], [`${d.id}-settings`]] },
        ...['readings', 'presence', 'settings'].map((port) => ({ id: `${d.id}-${port}`, ...at, type: 'helper', wires: [] })),
      ]),
      { id: 'catcher', ...at, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', ...at, type: 'helper', wires: [] },
    ];
  }

  /** Loads the flow with a refresh token of the stand-in, as after an earlier login. */
  async function loadLoggedIn(...args: Parameters<typeof flow>): Promise<string> {
    const refreshToken = standIn.issueRefreshToken();
    await (helper.load as (nodes: NodeInit[], flow: object[], credentials: object) => Promise<void>)(modules, flow(...args), { acct: { refreshToken } });
    return refreshToken;
  }

  /** Every message helper node `id` receives from now on. */
  function record(id: string): NodeMessage[] {
    const got: NodeMessage[] = [];
    nodeById(id).on('input', (msg: NodeMessage) => got.push(msg));
    return got;
  }

  function statuses(id: string): Status[] {
    const seen: Status[] = [];
    nodeById(id).on('call:status', (call: { args: Status[] }) => seen.push(call.args[0]!));
    return seen;
  }

  /** The Catch node's messages go to the poll waiting for them (one listener: Node-RED's input listeners are not for removing). */
  const catchListening = new WeakSet<object>();
  let onCaught: ((error: Error) => void) | undefined;

  /** Asks the device to poll now; resolves with the error the poll ended with (via Catch), if any. */
  function pollNow(id = 'dev'): Promise<Error | undefined> {
    const caught = nodeById('caught');
    if (!catchListening.has(caught)) {
      catchListening.add(caught);
      caught.on('input', (msg: NodeMessage & { error?: { message: string } }) => onCaught?.(new Error(msg.error?.message)));
    }
    return new Promise((resolve) => {
      const node = nodeById(id);
      // success ends with a green status, a failure with done(err), which reaches the Catch node
      const onStatus = (call: { args: Status[] }) => {
        if (call.args[0]?.fill !== 'green') return;
        finish();
        // the messages of the poll went out before its status; Node-RED delivers them on the next turn
        setImmediate(() => resolve(undefined));
      };
      const finish = () => {
        onCaught = undefined;
        node.removeListener('call:status', onStatus);
      };
      onCaught = (error) => {
        finish();
        resolve(error);
      };
      node.on('call:status', onStatus);
      node.receive({ payload: 'poll' });
    });
  }

  const logged = (level: number) =>
    (helper.log().args as Array<[{ level: number; msg: unknown; type?: string }]>)
      .map(([entry]) => entry)
      .filter((entry) => entry.level === level && String(entry.type).startsWith('viessmann'))
      .map((entry) => String(entry.msg));
  const WARN = 30;
  const ERROR = 20;

  it('logs in through the admin endpoints: PKCE checked by the stand-in, refresh token in the credentials, then readings', async () => {
    await helper.load(modules, flow());
    const presence = record('dev-presence');
    await eventually(() => (presence.length > 0 ? true : undefined), 5000, 'the first poll (not logged in yet)');
    assert.deepEqual(presence.map((m) => m.payload), ['offline']);

    const login = await admin.request().post('/viessmann-account/login').send({ id: 'acct', clientId: CLIENT_ID, redirectUri: 'http://127.0.0.1:1880/viessmann-account/callback', authorizeUrl: standIn.authorizeUrl, tokenUrl: standIn.tokenUrl });
    assert.equal(login.status, 200);
    const authorizeUrl = new URL(String(login.body.url));
    assert.equal(authorizeUrl.searchParams.get('code_challenge_method'), 'S256');
    // the browser at Viessmann's login page: it sends the user back to the callback with a code
    const authorized = await fetch(authorizeUrl, { redirect: 'manual' });
    assert.equal(authorized.status, 302);
    const callback = new URL(authorized.headers.get('location') ?? '');
    assert.equal(callback.pathname, '/viessmann-account/callback');
    const page = await admin.request().get(callback.pathname + callback.search);
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /Logged in to Viessmann/);
    assert.equal(standIn.log.pkceChecked, 1, 'the stand-in checked the verifier against the challenge');
    assert.match(String(admin._redNodes.getCredentials('acct')?.refreshToken), /^refresh-/);
    const again = await admin.request().get(callback.pathname + callback.search);
    assert.equal(again.status, 400, 'a state is good for one callback');

    const readings = collect('dev-readings', 1);
    assert.equal(await pollNow(), undefined);
    const reading = (await readings)[0]!.payload as MetricsReading;
    assert.ok(isMetricsReading(reading));
    assert.equal(reading.device_id, `viessmann-${GATEWAY_SERIAL}-0`);
    assert.deepEqual(reading.info, { source: 'viessmann', model: 'E3_Vitocal' });
    assert.equal(reading.metrics.outdoor_temperature, 12.2);
    assert.deepEqual(presence.map((m) => m.payload), ['offline', 'online']);
  });

  it('refuses a login without client id and a callback of an unknown state', async () => {
    await helper.load(modules, flow([]));
    const bad = await admin.request().post('/viessmann-account/login').send({ id: 'acct', clientId: '', redirectUri: 'http://127.0.0.1/cb' });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.error), /client id/);
    const unknown = await admin.request().get('/viessmann-account/callback?code=x&state=forged');
    assert.equal(unknown.status, 400);
    assert.match(unknown.text, /unknown or older than 10 minutes/);
    assert.deepEqual(standIn.log.grants, [], 'no code was exchanged');
  });

  it('renews the access token before it expires, and once more when the API calls it expired mid-run; a rotated refresh token is used next', async () => {
    standIn.rotateRefreshTokens = true;
    standIn.accessTokenLifetime = 100; // inside the two minutes before expiry: every poll renews first
    await loadLoggedIn();
    const readings = record('dev-readings');
    await eventually(() => (readings.length === 1 ? true : undefined), 5000, 'the first reading');
    assert.equal(await pollNow(), undefined);
    assert.deepEqual(standIn.log.grants, ['refresh_token', 'refresh_token'], 'renewed before each call, each with the rotated token');
    assert.equal(standIn.log.refusedTokens, 0, 'no call was refused');

    standIn.accessTokenLifetime = 3600;
    assert.equal(await pollNow(), undefined);
    const grantsBefore = standIn.log.grants.length;
    standIn.expireAccessTokens(); // the API refuses the token mid-run: expired_token.json
    const callsBefore = standIn.log.api.length;
    assert.equal(await pollNow(), undefined, 'the poll succeeds after one renewal');
    assert.equal(standIn.log.grants.length, grantsBefore + 1);
    assert.equal(standIn.log.api.length, callsBefore + 2, 'the refused call and its repetition');
    assert.equal(standIn.log.refusedTokens, 1);
    assert.equal(readings.length, 4);
  });

  it('a revoked refresh token is one clear "log in again": status, presence offline, one error, no retry storm', async () => {
    await loadLoggedIn();
    const readings = record('dev-readings');
    await eventually(() => (readings.length === 1 ? true : undefined), 5000, 'the first reading');
    const presence = record('dev-presence');
    const seen = statuses('dev');
    standIn.revokeRefreshTokens();
    standIn.expireAccessTokens();
    const failed = await pollNow();
    assert.match(String(failed?.message), /log in again/);
    assert.deepEqual(presence.map((m) => m.payload), ['offline']);
    assert.deepEqual(seen.at(-1), { fill: 'red', shape: 'ring', text: 'log in again' });
    const grants = standIn.log.grants.length;
    const calls = standIn.log.api.length;
    for (let i = 0; i < 3; i++) assert.match(String((await pollNow())?.message), /log in again/);
    assert.equal(standIn.log.grants.length, grants, 'no token request after invalid_grant');
    assert.equal(standIn.log.api.length, calls, 'no API call either');
    assert.equal(logged(ERROR).filter((text) => /log in again/.test(text)).length, 1, 'one error from the account');
    assert.equal(logged(WARN).filter((text) => /log in again/.test(text)).length, 1, 'one warning from the device (its state changed once)');
    assert.deepEqual(presence.map((m) => m.payload), ['offline'], 'offline sent once');
  });

  it('a 429 blocks every call until the reset it announces', async () => {
    await loadLoggedIn();
    const readings = record('dev-readings');
    await eventually(() => (readings.length === 1 ? true : undefined), 5000, 'the first reading');
    // the recorded body, with its reset moved to just ahead of now (the recording's lies in 2020)
    const body = JSON.parse(readFixture('viessmann', 'errors', 'rate_limit.json')) as { extendedPayload: { limitReset: number } };
    const reset = Date.now() + 1500;
    body.extendedPayload.limitReset = reset;
    standIn.failures.push([429, JSON.stringify(body)]);
    const seen = statuses('dev');
    assert.match(String((await pollNow())?.message), /HTTP 429 RATE_LIMIT_EXCEEDED/);
    assert.match(String(seen.at(-1)?.text), /^rate limited until \d\d:\d\d$/);
    const calls = standIn.log.api.length;
    const waiting = pollNow();
    await eventually(() => (seen.at(-1)?.text === 'waiting for call budget' ? true : undefined), 1000, 'the status "waiting for call budget"');
    assert.equal(await waiting, undefined, 'the next poll waits for the reset, then reads');
    assert.equal(standIn.log.api.length, calls + 1);
    assert.ok(standIn.log.api.at(-1)!.at >= reset, 'no call before the reset');
    assert.equal(readings.length, 2);
  });

  it('gateway offline, device offline and a 502 are named on the status, offline once, logged once each; readings bring it back', async () => {
    await loadLoggedIn();
    const readings = record('dev-readings');
    await eventually(() => (readings.length === 1 ? true : undefined), 5000, 'the first reading');
    const presence = record('dev-presence');
    const seen = statuses('dev');
    const cases: Array<[number, string, string]> = [
      [400, 'gateway_offline.json', 'gateway offline'],
      [400, 'gateway_offline.json', 'gateway offline'],
      [400, 'device_offline.json', 'device offline'],
      [502, 'error_502.json', 'Viessmann server error'],
      [500, 'error_500.json', 'Viessmann server error'],
    ];
    for (const [status, file, text] of cases) {
      standIn.failures.push([status, readFixture('viessmann', 'errors', file)]);
      assert.ok(await pollNow(), `${file} fails the poll`);
      assert.deepEqual(seen.at(-1), { fill: 'red', shape: 'ring', text });
    }
    assert.equal(await pollNow(), undefined);
    assert.deepEqual(presence.map((m) => m.payload), ['offline', 'online']);
    assert.equal(logged(WARN).length, 3, 'gateway offline, device offline, server error: one line each');
    assert.match(String(seen.at(-1)?.text), /^\d+ values · \d+ calls left$/);
  });

  it('offers the devices of the account through the admin endpoint (discovery)', async () => {
    standIn.features.set('1', 'Vitocal200.json');
    await loadLoggedIn([]);
    const answer = await admin.request().get('/viessmann-account/acct/devices');
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body.devices, [
      { installationId: INSTALLATION_ID, gatewaySerial: GATEWAY_SERIAL, deviceId: '0', modelId: 'E3_Vitocal', deviceType: 'heating', status: 'Online' },
      { installationId: INSTALLATION_ID, gatewaySerial: GATEWAY_SERIAL, deviceId: '1', modelId: 'E3_Vitocal', deviceType: 'heating', status: 'Online' },
    ]);
    assert.deepEqual(standIn.log.api.map((call) => call.path), ['/iot/v1/equipment/installations?includeGateways=true', `/iot/v1/equipment/installations/${INSTALLATION_ID}/gateways/${GATEWAY_SERIAL}/devices`]);
    assert.equal((await admin.request().get('/viessmann-account/nope/devices')).status, 404);
  });

  it('reads the four recorded heat pumps through one account, sharing its budget', async () => {
    const dumps: Array<[string, string, number]> = [
      ['0', 'Vitocal200.json', 11.6],
      ['1', 'Vitocal200S.json', 13.5],
      ['2', 'Vitocal222S.json', 12.1],
      ['3', 'Vitocal250A.json', 12.2],
    ];
    for (const [id, file] of dumps) standIn.features.set(id, file);
    await loadLoggedIn(dumps.map(([id]) => ({ id: `dev${id}`, deviceId: id })));
    const recorded = new Map(dumps.map(([id]) => [id, record(`dev${id}-readings`)]));
    for (const [id, , outside] of dumps) {
      const readings = recorded.get(id)!;
      const reading = await eventually(() => readings[0]?.payload as MetricsReading | undefined, 5000, `a reading of device ${id}`);
      assert.ok(isMetricsReading(reading));
      assert.equal(reading.device_id, `viessmann-${GATEWAY_SERIAL}-${id}`);
      assert.equal(reading.metrics.outdoor_temperature, outside);
      assert.equal(reading.units?.outdoor_temperature, '°C');
    }
    assert.equal(standIn.log.api.length, 4);
    assert.deepEqual(standIn.log.grants, ['refresh_token'], 'one renewal for the four devices');
  });

  it('reports each reading into the fleet (heatpump-fleet config node) under its heat pump id', async () => {
    const flows = [
      ...flow().map((node) => (node.id === 'dev' ? { ...node, heatpumpId: 'vitocal-1', fleet: 'fleet' } : node)),
      { id: 'fleet', type: 'heatpump-fleet', name: '', store: '', broker: '', influxdb: '' },
    ];
    await (helper.load as (nodes: NodeInit[], flow: object[], credentials: object) => Promise<void>)([...modules, fleetInit], flows, { acct: { refreshToken: standIn.issueRefreshToken() } });
    const readings = record('dev-readings');
    const reading = await eventually(() => readings[0]?.payload as MetricsReading | undefined, 5000, 'the first reading');
    const fleet = (nodeById('fleet') as unknown as { fleet: FleetLink }).fleet;
    const kept = await eventually(() => fleet.state.get('vitocal-1')?.metrics, 5000, 'the reading in the fleet');
    assert.deepEqual(kept.metrics, reading.metrics);
    assert.deepEqual([kept.metrics.outdoor_temperature, kept.units?.outdoor_temperature], [12.2, '°C']);
  });

  it('reports a changed setting on output 3, not on the first poll', async () => {
    await loadLoggedIn();
    const readings = record('dev-readings');
    const settings = record('dev-settings');
    await eventually(() => (readings.length === 1 ? true : undefined), 5000, 'the first reading');
    const features = JSON.parse(readFixture('viessmann', 'Vitocal250A.json')) as { data: Array<{ feature: string; properties: { value?: { value: unknown } } }> };
    features.data.find((f) => f.feature === 'heating.dhw.temperature.main')!.properties.value!.value = 48;
    standIn.featureBodies.set('0', JSON.stringify(features));
    assert.equal(await pollNow(), undefined);
    assert.equal(settings.length, 1);
    const change = settings[0]!.payload as SettingChangeEvent;
    assert.deepEqual({ ...change, timestamp: 0 }, { device_id: `viessmann-${GATEWAY_SERIAL}-0`, setting: 'dhw_target_temperature', old_value: 55, new_value: 48, unit: '°C', source: 'viessmann', timestamp: 0 });
    assert.equal(settings[0]!.topic, `viessmann-${GATEWAY_SERIAL}-0`);
  });

  describe('with a persistent context store', () => {
    /** A context store that outlives the flows (as a file store outlives a restart). */
    const kept = new Map<string, unknown>();
    const lastingStore = () => ({
      open: () => Promise.resolve(),
      close: () => Promise.resolve(),
      get: (scope: string, key: string, callback: (err: null, value: unknown) => void) => callback(null, kept.get(`${scope}/${key}`)),
      set: (scope: string, key: string, value: unknown, callback: (err: null) => void) => {
        kept.set(`${scope}/${key}`, JSON.parse(JSON.stringify(value)));
        callback(null);
      },
      keys: (_scope: string, callback: (err: null, keys: string[]) => void) => callback(null, []),
      delete: () => Promise.resolve(),
      clean: () => Promise.resolve(),
    });
    const loadStores: NodeInit = () => admin._redNodes.loadContextsPlugin();

    beforeEach(() => admin.settings({ contextStorage: { keep: { module: lastingStore } } }));
    afterEach(() => admin.settings({}));

    it('keeps the calls made and a 429 reset across a restart', async () => {
      const load = (refreshToken: string) => (helper.load as (nodes: NodeInit[], flow: object[], credentials: object) => Promise<void>)([...modules, loadStores], flow(undefined, { store: 'keep' }), { acct: { refreshToken } });
      await load(standIn.issueRefreshToken());
      const seen = statuses('dev');
      const readings = record('dev-readings');
      await eventually(() => (readings.length === 1 ? true : undefined), 5000, 'the first reading');
      assert.equal(await pollNow(), undefined);
      assert.equal(seen.at(-1)?.text, '7 values · 1448 calls left');
      const body = JSON.parse(readFixture('viessmann', 'errors', 'rate_limit.json')) as { extendedPayload: { limitReset: number } };
      const reset = Date.now() + 1500;
      body.extendedPayload.limitReset = reset;
      standIn.failures.push([429, JSON.stringify(body)]);
      assert.ok(await pollNow());
      assert.deepEqual((kept.get('acct/viessmann-budget') as { calls: number[] }).calls.length, 3, 'the budget is in the store');

      await helper.unload();
      await load(standIn.issueRefreshToken());
      const afterRestart = statuses('dev');
      const calls = standIn.log.api.length;
      assert.equal(await pollNow(), undefined);
      assert.equal(standIn.log.api.length, calls + 1);
      assert.ok(standIn.log.api.at(-1)!.at >= reset, 'the reset of the 429 held across the restart');
      assert.equal(afterRestart.at(-1)?.text, '7 values · 1446 calls left', 'the three calls before the restart still count');
    });
  });

  it('without an account the device says so and stays quiet', async () => {
    await helper.load(modules, flow().map((n) => (n.type === 'viessmann-device' ? { ...n, account: '' } : n)));
    assert.equal(standIn.log.api.length + standIn.log.grants.length, 0);
    assert.match(logged(ERROR).join('\n'), /viessmann-device is not configured: choose a Viessmann account/);
  });
});
