// Twilio and SMS Gateway for Android, end to end in a Node-RED runtime: real http in / http
// response nodes take signed webhooks, and loopback servers that behave as the two APIs
// document (bodies from test/fixtures/sms_gateways) take the outgoing SMS.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFixture } from '../support/fixtures';
import { nodeRedPath } from '../support/node-red';
import { Collector, bridgeModule, configModule, coreNode, helper, wait, type NodeInit } from '../support/sms-flow';
import { waitFor } from '../support/wait';

const fixture = (name: string) => readFixture('sms_gateways', name);
/** for what the bridge does in answer to a test: generous, a busy CI machine can take seconds */
const DEADLINE_MS = 20_000;

const SID = 'AC' + 'a'.repeat(32);
const TOKEN = 'twilio-test-token';
const ADMIN = '+16505551212';

interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A loopback server: records requests, answers with `reply`. */
async function loopback(reply: (req: Received) => { status: number; body: string }) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const entry = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      received.push(entry);
      const answer = reply(entry);
      res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { received, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Serve RED.httpNode (where http in registers its routes) on an ephemeral port. */
let httpNode: http.RequestListener | undefined;
const capturingConfig: NodeInit = (red) => {
  httpNode = red.httpNode as http.RequestListener;
  return configModule(red);
};
async function serveHttpNode() {
  if (!httpNode) throw new Error('httpNode not captured');
  const server = http.createServer(httpNode);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function twilioSign(url: string, params: Record<string, string>): string {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
  return createHmac('sha1', TOKEN).update(data).digest('base64');
}

/** POSTs `params` to `url` as Twilio does: form-encoded, signed. */
function postSignedTwilio(url: string, params: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilioSign(url, params) },
    body: new URLSearchParams(params).toString(),
  });
}

function flow(config: Record<string, unknown>, skipBodyParsing: boolean) {
  return [
    { id: 'cfg', type: 'sms-gateway-config', defaultCountry: '+1', timeout: 5, ...config },
    { id: 'in', type: 'http in', url: '/sms/hook', method: 'post', skipBodyParsing, wires: [['b']] },
    { id: 'b', type: 'sms-gateway-bridge', gateway: 'cfg', recipients: ADMIN, retries: 2, wires: [['results'], ['commands'], ['resp'], ['inbound']] },
    { id: 'resp', type: 'http response' },
    { id: 'results', type: 'helper' },
    { id: 'commands', type: 'helper' },
    { id: 'inbound', type: 'helper' },
  ];
}

const alert = { device_id: 'site1', alert_type: 'voltage_high', level: 'critical', value: 252, threshold: 250, message: 'high', state: 'raised', timestamp: Date.now() };

describe('sms-gateway-bridge with Twilio (loopback API, real http in)', function () {
  let api: Awaited<ReturnType<typeof loopback>>;
  let web: Awaited<ReturnType<typeof serveHttpNode>>;
  let results: Collector;
  let failFirst = 0;

  before(async function () {
    helper.init(nodeRedPath, { smsGatewayBridgeRetryDelay: 10 });
    api = await loopback((req) => {
      const form = new URLSearchParams(req.body);
      if (req.headers.authorization !== `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`) return { status: 401, body: '{"code":20003,"message":"Authenticate","status":401}' };
      if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') return { status: 415, body: '{}' };
      if (form.get('To') === '+15005550001') return { status: 400, body: fixture('twilio/error_400_21211.json') };
      if (failFirst > 0) {
        failFirst -= 1;
        return { status: 503, body: '{"code":20500,"message":"Internal Server Error","status":503}' };
      }
      const created = JSON.parse(fixture('twilio/messages_create_201_response.json')) as Record<string, unknown>;
      return { status: 201, body: JSON.stringify({ ...created, to: form.get('To'), body: form.get('Body'), status: 'queued' }) };
    });
  });
  after(async function () {
    await api.close();
  });
  beforeEach(async function () {
    api.received.length = 0;
    await helper.load([capturingConfig, bridgeModule, coreNode('network/21-httpin.js')], flow({ transport: 'twilio', twilioAccountSid: SID, twilioFrom: '+14155552345', twilioApiBase: api.url }, false), {
      cfg: { twilioAuthToken: TOKEN },
    });
    web = await serveHttpNode();
    results = new Collector(helper.getNode('results'));
  });
  afterEach(async function () {
    await web.close();
    await helper.unload();
  });

  it('sends an alert as form-encoded Messages.json with basic auth', async function () {
    helper.getNode('b').receive({ payload: alert });
    const result = (await results.next(1)).payload as Record<string, unknown>;
    assert.equal(result.status, 'sent');
    assert.equal(result.ref, 'SM' + 'a'.repeat(32));
    assert.equal(api.received[0]?.path, `/2010-04-01/Accounts/${SID}/Messages.json`);
    const form = new URLSearchParams(api.received[0]?.body);
    assert.equal(form.get('To'), ADMIN);
    assert.equal(form.get('From'), '+14155552345');
    assert.match(form.get('Body') ?? '', /^CRITICAL site1: voltage_high 252V > 250V\./);
  });

  it('retries a 503 and does not retry error 21211', async function () {
    failFirst = 1;
    helper.getNode('b').receive({ payload: alert });
    const sent = (await results.next(1)).payload as Record<string, unknown>;
    assert.equal(sent.status, 'sent');
    assert.equal(sent.attempts, 2);
    helper.getNode('b').receive({ payload: 'test', to: '+15005550001' });
    const failed = (await results.next(2)).payload as Record<string, unknown>;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attempts, 1);
    assert.equal(failed.code, 21211);
    assert.match(String(failed.error), /not a valid phone number/);
  });

  it('answers a signed STATUS webhook with empty TwiML and the status SMS through the API', async function () {
    helper.getNode('b').receive({ payload: { device_id: 'site1', timestamp: Date.now(), voltage: 231, current: 8.2, power: 1890 } });
    const params = { From: ADMIN, To: '+14155552345', Body: 'status', MessageSid: 'SM' + 'b'.repeat(32), AccountSid: SID };
    const url = `${web.url}/sms/hook`;
    const response = await postSignedTwilio(url, params);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /<Response><\/Response>/);
    const result = (await results.next(1)).payload as Record<string, unknown>;
    assert.equal(result.kind, 'reply');
    assert.match(String(new URLSearchParams(api.received[0]?.body).get('Body')), /^HEAT PUMP STATUS\nDevice: site1\nTemps: -\/-\/-\/-C\nV: 231V I: 8.2A P: 1890W\nAlerts: OK/);
  });

  it('runs a replayed signed RESET (same MessageSid) once: both answered 200, one device command, one reply', async function () {
    const commands = new Collector(helper.getNode('commands'));
    const inbound = new Collector(helper.getNode('inbound'));
    helper.getNode('b').receive({ payload: { device_id: 'site1', timestamp: Date.now(), voltage: 231 } });
    const params = { From: ADMIN, To: '+14155552345', Body: 'RESET site1', MessageSid: 'SM' + 'f'.repeat(32), AccountSid: SID };
    const url = `${web.url}/sms/hook`;
    const request = () => postSignedTwilio(url, params);
    const answers = [await request(), await request()];
    assert.deepEqual(
      answers.map((r) => r.status),
      [200, 200],
    );
    for (const answer of answers) assert.match(await answer.text(), /<Response><\/Response>/);
    await inbound.next(2, DEADLINE_MS);
    assert.deepEqual(inbound.payloads().map((p) => p.reason), ['command', 'replayed']);
    await results.next(1, DEADLINE_MS);
    await wait(50);
    assert.equal(commands.messages.length, 1);
    assert.deepEqual(commands.messages[0]?.payload, { cmd: 'RESET' });
    assert.equal(api.received.length, 1, 'one "Restarting device..." SMS');
  });

  it('a signed RESET from a number not on the whitelist is answered 200, reported, and runs nothing', async function () {
    const commands = new Collector(helper.getNode('commands'));
    const inbound = new Collector(helper.getNode('inbound'));
    helper.getNode('b').receive({ payload: { device_id: 'site1', timestamp: Date.now(), voltage: 231 } });
    const params = { From: '+16505550000', To: '+14155552345', Body: 'RESET site1', MessageSid: 'SM' + '2'.repeat(32), AccountSid: SID };
    const url = `${web.url}/sms/hook`;
    const response = await postSignedTwilio(url, params);
    assert.equal(response.status, 200);
    const report = (await inbound.next(1, DEADLINE_MS)).payload as Record<string, unknown>;
    assert.deepEqual([report.accepted, report.reason], [false, 'unknown-number']);
    await wait(50);
    assert.equal(api.received.length + commands.messages.length, 0);
  });

  it('refuses an unsigned request with 403 and sends nothing', async function () {
    const commands = new Collector(helper.getNode('commands'));
    const response = await fetch(`${web.url}/sms/hook`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ From: ADMIN, Body: 'RESET', MessageSid: 'SM' + '1'.repeat(32) }).toString(),
    });
    assert.equal(response.status, 403);
    await wait(50);
    assert.equal(api.received.length + commands.messages.length, 0);
  });

  it('refuses a wrong signature with 403 and sends nothing', async function () {
    const params = { From: ADMIN, Body: 'RESET' };
    const response = await fetch(`${web.url}/sms/hook`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilioSign(`${web.url}/other`, params) },
      body: new URLSearchParams(params).toString(),
    });
    assert.equal(response.status, 403);
    await wait(50);
    assert.equal(api.received.length, 0);
  });
});

describe('sms-gateway-bridge with SMS Gateway for Android (loopback API, real http in)', function () {
  const KEY = 'android-signing-key';
  let api: Awaited<ReturnType<typeof loopback>>;
  let web: Awaited<ReturnType<typeof serveHttpNode>>;
  let results: Collector;
  let inbound: Collector;
  const PENDING_ID = 'zXDYfTmTVf3iMd16zzdBj';
  const FAILED_ID = 'failed-1';
  /** GET /3rdparty/v1/messages/{id}: the pending fixture, a failed variant of it, or 404. */
  const messageState = (id: string) => {
    const pending = fixture('android_sms_gateway/message_state_response_pending_2recipients.json');
    if (id === PENDING_ID) return { status: 200, body: pending };
    if (id === FAILED_ID) {
      const state = JSON.parse(pending) as { recipients: Record<string, unknown>[] };
      const recipients = [{ ...state.recipients[0], state: 'Delivered' }, { ...state.recipients[1], state: 'Failed', error: 'RESULT_ERROR_NO_SERVICE' }];
      return { status: 200, body: JSON.stringify({ ...state, id: FAILED_ID, state: 'Failed', recipients }) };
    }
    return { status: 404, body: '{"message":"message not found"}' };
  };

  before(async function () {
    helper.init(nodeRedPath, { smsGatewayBridgeRetryDelay: 10 });
    api = await loopback((req) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('sms:secret').toString('base64')}`) return { status: 401, body: '{"message":"Unauthorized"}' };
      const stateOf = /^\/3rdparty\/v1\/messages\/([^/?]+)$/.exec(req.path);
      if (req.method === 'GET' && stateOf?.[1]) return messageState(decodeURIComponent(stateOf[1]));
      if (req.method !== 'POST' || req.path !== '/3rdparty/v1/messages') return { status: 404, body: '{"message":"not found"}' };
      const body = JSON.parse(req.body) as { textMessage?: { text?: unknown }; phoneNumbers?: unknown };
      if (typeof body.textMessage?.text !== 'string' || !Array.isArray(body.phoneNumbers)) return { status: 400, body: '{"message":"bad request"}' };
      return { status: 202, body: fixture('android_sms_gateway/message_state_response_pending_2recipients.json') };
    });
  });
  after(async function () {
    await api.close();
  });
  const loadAndroid = (password: string) =>
    helper.load([capturingConfig, bridgeModule, coreNode('network/21-httpin.js')], flow({ transport: 'android', androidBaseUrl: `${api.url}/3rdparty/v1`, androidUsername: 'sms' }, true), {
      cfg: { androidPassword: password, androidSigningKey: KEY },
    });
  beforeEach(async function () {
    api.received.length = 0;
    await loadAndroid('secret');
    web = await serveHttpNode();
    results = new Collector(helper.getNode('results'));
    inbound = new Collector(helper.getNode('inbound'));
  });
  afterEach(async function () {
    await web.close();
    await helper.unload();
  });

  const post = (body: string, headers: Record<string, string>) => fetch(`${web.url}/sms/hook`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
  const signed = (body: string) => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    return { 'X-Timestamp': timestamp, 'X-Signature': createHmac('sha256', KEY).update(body + timestamp).digest('hex') };
  };

  it('sends through POST /3rdparty/v1/messages and reports the message id', async function () {
    helper.getNode('b').receive({ payload: alert });
    const result = (await results.next(1)).payload as Record<string, unknown>;
    assert.equal(result.status, 'sent');
    assert.equal(result.ref, 'zXDYfTmTVf3iMd16zzdBj');
    assert.equal(result.state, 'Pending');
    assert.equal(api.received[0]?.path, '/3rdparty/v1/messages');
    assert.deepEqual(JSON.parse(api.received[0]?.body ?? '{}').phoneNumbers, [ADMIN]);
  });

  it('answers the real sms:received webhook (sender without +) when signed', async function () {
    const body = fixture('android_sms_gateway/webhook_sms_received.json').replace('Android is always a sweet treat!', 'HELP');
    const response = await post(body, signed(body));
    assert.equal(response.status, 200);
    const report = (await inbound.next(1)).payload as Record<string, unknown>;
    assert.deepEqual([report.accepted, report.number, report.command], [true, ADMIN, 'HELP']);
    await results.next(1);
    assert.match(JSON.parse(api.received[0]?.body ?? '{}').textMessage.text, /^Commands: STATUS/);
  });

  it('reports an unknown sender on the inbound output without answering', async function () {
    const body = fixture('android_sms_gateway/webhook_sms_received.json').replace('6505551212', '6505550000');
    assert.equal((await post(body, signed(body))).status, 200);
    const report = (await inbound.next(1)).payload as Record<string, unknown>;
    assert.deepEqual([report.accepted, report.reason], [false, 'unknown-number']);
    await wait(50);
    assert.equal(api.received.length, 0);
  });

  it('turns sms:failed and sms:delivered webhooks into delivery results', async function () {
    const failedBody = fixture('android_sms_gateway/webhook_sms_failed_status_tracking_variant.json');
    assert.equal((await post(failedBody, signed(failedBody))).status, 200);
    const failed = (await results.next(1)).payload as Record<string, unknown>;
    assert.deepEqual([failed.status, failed.ref, failed.reason], ['delivery-failed', 'zXDYfTmTVf3iMd16zzdBj', 'Invalid number']);
    const deliveredBody = fixture('android_sms_gateway/webhook_sms_delivered.json');
    assert.equal((await post(deliveredBody, signed(deliveredBody))).status, 200);
    assert.equal(((await results.next(2)).payload as Record<string, unknown>).status, 'delivered');
  });

  it('answers msg.smsState with GET /3rdparty/v1/messages/{id} (basic auth) as a pending result with both recipients', async function () {
    helper.getNode('b').receive({ smsState: PENDING_ID });
    const message = await results.next(1);
    assert.equal(message.topic, 'sms/pending');
    const result = message.payload as Record<string, unknown>;
    assert.deepEqual([result.status, result.ref, result.state, result.transport], ['pending', PENDING_ID, 'Pending', 'android']);
    assert.deepEqual(result.recipients, [
      { phoneNumber: '+12025550123', state: 'Pending' },
      { phoneNumber: '+12025550124', state: 'Pending' },
    ]);
    assert.equal(api.received.length, 1);
    assert.deepEqual([api.received[0]?.method, api.received[0]?.path, api.received[0]?.body], ['GET', `/3rdparty/v1/messages/${PENDING_ID}`, '']);
    assert.equal(api.received[0]?.headers.authorization, `Basic ${Buffer.from('sms:secret').toString('base64')}`);
  });

  it('a failed message is a delivery-failed result with the recipient error, not a node error', async function () {
    const errors: unknown[] = [];
    helper.getNode('b').on('call:error', (call: { args: unknown[] }) => errors.push(call.args[0]));
    helper.getNode('b').receive({ smsState: FAILED_ID });
    const result = (await results.next(1)).payload as Record<string, unknown>;
    assert.deepEqual([result.status, result.ref, result.reason], ['delivery-failed', FAILED_ID, 'RESULT_ERROR_NO_SERVICE']);
    assert.deepEqual((result.recipients as { state: string }[]).map((r) => r.state), ['Delivered', 'Failed']);
    assert.deepEqual(errors, []);
  });

  it('an unknown id and a wrong password are errors with a red status; the node keeps answering', async function () {
    const errors: string[] = [];
    const statuses: { fill?: string }[] = [];
    const watch = () => {
      helper.getNode('b').on('call:error', (call: { args: unknown[] }) => errors.push(String(call.args[0])));
      helper.getNode('b').on('call:status', (call: { args: unknown[] }) => statuses.push(call.args[0] as { fill?: string }));
    };
    watch();
    helper.getNode('b').receive({ smsState: 'no-such-id' });
    await waitFor(() => errors.length >= 1, { timeoutMs: DEADLINE_MS, what: 'the failed state query' });
    assert.deepEqual(errors, ['Error: sms-gateway-bridge.errors.state-failed']);
    assert.equal(statuses.at(-1)?.fill, 'red');
    assert.equal(api.received[0]?.path, '/3rdparty/v1/messages/no-such-id');
    helper.getNode('b').receive({ smsState: PENDING_ID });
    assert.equal(((await results.next(1)).payload as Record<string, unknown>).status, 'pending');
    assert.equal(statuses.at(-1)?.fill, 'green');

    await helper.unload();
    await loadAndroid('wrong');
    results = new Collector(helper.getNode('results'));
    watch();
    helper.getNode('b').receive({ smsState: PENDING_ID });
    await waitFor(() => errors.length >= 2, { timeoutMs: DEADLINE_MS, what: 'the state query with the wrong password to fail' });
    assert.deepEqual(errors, ['Error: sms-gateway-bridge.errors.state-failed', 'Error: sms-gateway-bridge.errors.state-failed']);
    assert.equal(api.received.at(-1)?.headers.authorization, `Basic ${Buffer.from('sms:wrong').toString('base64')}`);
    assert.equal(results.messages.length, 0);
  });

  it('runs a replayed sms:received (same event id) once: both answered 200, one reply', async function () {
    const body = fixture('android_sms_gateway/webhook_sms_received.json').replace('Android is always a sweet treat!', 'HELP');
    assert.equal((await post(body, signed(body))).status, 200);
    assert.equal((await post(body, signed(body))).status, 200);
    await inbound.next(2, DEADLINE_MS);
    assert.deepEqual(inbound.payloads().map((p) => p.reason), ['command', 'replayed']);
    await results.next(1, DEADLINE_MS);
    await wait(50);
    assert.equal(api.received.length, 1, 'one HELP answer');
  });

  it('refuses bad signatures, stale timestamps and malformed bodies', async function () {
    const body = fixture('android_sms_gateway/webhook_sms_received.json');
    assert.equal((await post(body, {})).status, 403, 'unsigned');
    assert.equal((await post(body, { ...signed(body), 'X-Signature': 'ab'.repeat(32) })).status, 403);
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    assert.equal((await post(body, { 'X-Timestamp': old, 'X-Signature': createHmac('sha256', KEY).update(body + old).digest('hex') })).status, 403);
    const broken = '{"event":"sms:received",';
    assert.equal((await post(broken, signed(broken))).status, 400);
    const noPayload = '{"event":"sms:received"}';
    assert.equal((await post(noPayload, signed(noPayload))).status, 400);
    await wait(50);
    assert.equal(api.received.length, 0);
  });
});
