// shelly-em polling a local stand-in of the meter: an HTTP server that replays the recorded
// Shelly.GetStatus answers verbatim and, with a password, enforces Digest through the server side
// of the node's own digest module (itself checked against RFC 7616's example in
// test/unit/shelly-digest.test.ts). A real Shelly cannot be had here.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeMessage } from 'node-red';
import { metricsReadingProblem, type MetricsReading } from '../../nodes/shared/contract';
import type { FleetLink } from '../../nodes/shared/fleet-link';
import { verifyDigest } from '../../nodes/shelly-em/digest';
import { catchModule, collect, flowSuiteHooks, flowWithCatch, helper, nodeById as get, withCatalog, type NodeInit, type Spied } from '../support/flow-helper';
import { readFixture } from '../support/fixtures';
import { nodeModule } from '../support/node-red';
import { waitFor } from '../support/wait';

const shellyEm = withCatalog(nodeModule('shelly-em') as NodeInit, 'shelly-em');
const fleetInit = nodeModule('heatpump-fleet') as NodeInit;
const PRO3EM_STATUS = JSON.stringify((JSON.parse(readFixture('shelly', 'aioshelly_gen2_Shelly_Pro_3EM_SPEM-003CEBEU_fw1.1.0_full_dump.json')) as { status: unknown }).status);
const PROEM50_STATUS = readFixture('shelly', 'evcc_proEM50_Shelly.GetStatus_export.json');
const REALM = 'shellypro3em-aabbccddeeff';
const DEADLINE_MS = 20_000;

/** The meter stand-in: what it answers, and what it saw. */
class FakeShelly {
  answer: { status: number; body: string } = { status: 200, body: PRO3EM_STATUS };
  password: string | undefined;
  readonly nonces = new Map<string, number>();
  challenges = 0;
  /** the nc of each accepted authenticated request */
  readonly acceptedNc: number[] = [];
  readonly paths: string[] = [];
  /** requests wait here until the test has its listeners on the loaded flow */
  private opened: Promise<void>;
  open: () => void = () => undefined;
  private readonly server = http.createServer((req, res) => void this.opened.then(() => this.handle(req, res)));

  constructor(startOpen = false) {
    this.opened = startOpen ? Promise.resolve() : new Promise((resolve) => (this.open = resolve));
  }
  port = 0;

  async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const uri = req.url ?? '';
    this.paths.push(uri);
    if (this.password !== undefined) {
      const header = req.headers.authorization;
      const check = verifyDigest({ method: req.method ?? '', uri, header, realm: REALM, username: 'admin', password: this.password, algorithm: 'SHA-256', nonces: this.nonces });
      if (!check.ok) {
        const nonce = crypto.randomBytes(8).toString('hex');
        this.nonces.set(nonce, 0);
        this.challenges += 1;
        res.writeHead(401, { 'www-authenticate': `Digest qop="auth", realm="${REALM}", nonce="${nonce}", algorithm=SHA-256`, 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 401, message: 'Unauthorized' }));
        return;
      }
      this.acceptedNc.push(Number.parseInt(/nc=([0-9a-f]+)/.exec(header ?? '')?.[1] ?? '', 16));
    }
    if (uri !== '/rpc/Shelly.GetStatus') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(this.answer.status, { 'content-type': 'application/json' });
    res.end(this.answer.body);
  }
}

/** Node-RED's log levels */
const ERROR = 20;
const WARN = 30;
const INFO = 40;
/** Every line the node logged at `level` since the flow was loaded (the helper records them all). */
const logLines = (level: number): string[] =>
  helper
    .log()
    .args.map((args) => args[0] as { level?: number; msg?: unknown; type?: string })
    .filter((entry) => entry.level === level && entry.type === 'shelly-em')
    .map((entry) => String(entry.msg));

const payloadOf = (msg: NodeMessage | undefined): MetricsReading => msg?.payload as MetricsReading;

describe('shelly-em node (polling a replayed Shelly)', function () {
  this.timeout(60_000);
  flowSuiteHooks();
  let meter: FakeShelly;
  beforeEach(async () => {
    meter = new FakeShelly();
    await meter.listen();
  });
  afterEach(async () => {
    await meter.close();
  });

  /** Loads the flow; the meter answers once `listen` has attached the test's listeners. */
  const load = async (config: Record<string, unknown>, credentials: Record<string, string> = {}, listen: () => void = () => undefined) => {
    await helper.load([shellyEm, catchModule], flowWithCatch('shelly-em', ['readings', 'presence'], { host: meter.host, interval: '0.1', profile: 'auto', deviceId: '', ...config }), { n1: credentials });
    listen();
    meter.open();
  };
  const onStatus = (statuses: string[]) => get('n1').on('call:status', (call: Spied<{ text?: string }>) => statuses.push(call.args[0]?.text ?? ''));

  it('should be loaded with correct defaults (no host: no polling, no timer)', async () => {
    await helper.load([shellyEm], [{ id: 'n1', type: 'shelly-em', name: 'meter' }]);
    const node = get('n1') as unknown as { name: string; type: string };
    assert.deepEqual([node.name, node.type], ['meter', 'shelly-em']);
  });

  it('polls Shelly.GetStatus of a Pro 3EM: the recorded values as a MetricsReading, presence online once', async () => {
    const presence: NodeMessage[] = [];
    let readings: Promise<NodeMessage[]> = Promise.resolve([]);
    await load({}, {}, () => {
      readings = collect('readings', 2, DEADLINE_MS);
      get('presence').on('input', (msg: NodeMessage) => presence.push(msg));
    });
    const [first, second] = await readings;
    const reading = payloadOf(first);
    assert.equal(first?.topic, 'shelly-aabbccddeeff');
    assert.equal(metricsReadingProblem(reading), undefined);
    assert.deepEqual([reading.device_id, reading.info], ['shelly-aabbccddeeff', { source: 'shelly' }]);
    assert.equal(reading.metrics.total_act_power, 558.965);
    assert.equal(reading.metrics.a_total_act_energy, 2034616.71);
    assert.equal(reading.units?.total_act, 'Wh');
    assert.deepEqual([reading.metrics.electrical_power, reading.units?.electrical_power], [558.965, 'W'], 'the common name of the heat pump power');
    assert.deepEqual([reading.metrics.electrical_energy, reading.units?.electrical_energy], [2589.77339, 'kWh']);
    assert.equal('n_current' in reading.metrics, false);
    assert.ok(payloadOf(second).timestamp >= reading.timestamp);
    assert.deepEqual(presence.map((msg) => [msg.topic, msg.payload]), [['shelly-aabbccddeeff', 'online']]);
    assert.ok(meter.paths.every((path) => path === '/rpc/Shelly.GetStatus'));
  });

  it('keeps the negative power of a Pro EM-50 with its sign, flags it, and says so on the status', async () => {
    meter.answer = { status: 200, body: PROEM50_STATUS };
    const statuses: string[] = [];
    let readings: Promise<NodeMessage[]> = Promise.resolve([]);
    await load({ deviceId: 'garage-meter', profile: 'em50', channels: '1' }, {}, () => {
      readings = collect('readings', 1, DEADLINE_MS);
      onStatus(statuses);
    });
    const reading = payloadOf((await readings)[0]);
    assert.equal(reading.device_id, 'garage-meter');
    assert.deepEqual([reading.metrics.em1_0_act_power, reading.metrics.em1_0_act_power_negative, reading.metrics.em1_1_act_power], [-332.2, true, -38.5]);
    assert.deepEqual([reading.metrics.electrical_power, reading.metrics.electrical_energy], [-38.5, 48.00283], 'the heat pump channel only');
    await waitFor(() => statuses.includes('-38.5 W ⇄ negative'), { timeoutMs: DEADLINE_MS, what: () => `the negative status (have ${statuses.join(' | ')})` });
  });

  it('reports each reading into the fleet (heatpump-fleet config node) under the configured device id', async () => {
    const flows = [
      ...flowWithCatch('shelly-em', ['readings', 'presence'], { host: meter.host, interval: '0.1', profile: 'auto', deviceId: 'vitocal-1', fleet: 'fleet' }),
      { id: 'fleet', type: 'heatpump-fleet', name: '', store: '', broker: '', influxdb: '' },
    ];
    await helper.load([shellyEm, fleetInit, catchModule], flows);
    const fleet = (get('fleet') as unknown as { fleet: FleetLink }).fleet;
    const readings = collect('readings', 1, DEADLINE_MS);
    meter.open();
    const reading = payloadOf((await readings)[0]);
    await waitFor(() => fleet.state.get('vitocal-1')?.metrics?.timestamp === reading.timestamp, { timeoutMs: DEADLINE_MS, what: 'the reading in the fleet' });
    assert.equal(fleet.state.get('vitocal-1')?.metrics?.metrics.electrical_power, 558.965);
    assert.equal(fleet.state.get('vitocal-1')?.metrics?.units?.electrical_energy, 'kWh');
  });

  it('answers the Digest challenge once and reuses the nonce with nc counting up', async () => {
    meter.password = 'secret pass';
    let readings: Promise<NodeMessage[]> = Promise.resolve([]);
    await load({}, { password: 'secret pass' }, () => (readings = collect('readings', 3, DEADLINE_MS)));
    await readings;
    assert.equal(meter.challenges, 1, 'one 401: later polls reuse the nonce');
    assert.deepEqual(meter.acceptedNc.slice(0, 3), [1, 2, 3]);
  });

  it('answers a new challenge when the device forgets the nonce (reboot, nonce expiry), without a bad answer', async () => {
    meter.password = 'secret pass';
    let first: Promise<NodeMessage[]> = Promise.resolve([]);
    await load({}, { password: 'secret pass' }, () => (first = collect('readings', 1, DEADLINE_MS)));
    await first;
    const more = collect('readings', 2, DEADLINE_MS);
    meter.nonces.clear();
    await more;
    assert.equal(meter.challenges, 2);
    assert.deepEqual(logLines(ERROR), []);
  });

  it('a wrong password is a bad answer: status, one error line, no reading, presence stays online', async () => {
    meter.password = 'secret pass';
    const statuses: string[] = [];
    const presence: unknown[] = [];
    let readings = 0;
    await load({ deviceId: 'meter1' }, { password: 'wrong' }, () => {
      onStatus(statuses);
      get('presence').on('input', (msg: NodeMessage) => presence.push(msg.payload));
      get('readings').on('input', () => (readings += 1));
    });
    await waitFor(() => statuses.includes('bad answer (3)'), { timeoutMs: DEADLINE_MS, what: () => `three bad answers (have ${statuses.join(' | ')})` });
    assert.deepEqual(logLines(ERROR), ['Meter answered but not with readings: the device refused the password']);
    assert.equal(readings, 0);
    assert.deepEqual(presence, ['online'], 'a meter that answers is reachable, whatever it answers');
  });

  const badAnswers: Array<[string, { status: number; body: string }, string]> = [
    ['HTTP 500', { status: 500, body: '{"code":-114,"message":"Internal error"}' }, 'HTTP 500'],
    ['garbage JSON', { status: 200, body: '{"em:0": {"a_act_power": 37' }, 'the answer is not JSON'],
    ['an answer without a meter', { status: 200, body: '{"sys":{"mac":"AABBCCDDEEFF"}}' }, 'no energy meter'],
  ];
  for (const [name, answer, logged] of badAnswers) {
    it(`${name}: counted on the status, logged once, no reading, no crash`, async () => {
      meter.answer = answer;
      const statuses: string[] = [];
      await load({}, {}, () => onStatus(statuses));
      await waitFor(() => statuses.includes('bad answer (3)'), { timeoutMs: DEADLINE_MS, what: () => `three bad answers (have ${statuses.join(' | ')})` });
      // one line for the kind of failure, not one per poll
      const errors = logLines(ERROR);
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.ok(errors[0]?.includes(logged), errors[0]);
      // and the meter recovers on the next good answer
      const readings = collect('readings', 1, DEADLINE_MS);
      meter.answer = { status: 200, body: PRO3EM_STATUS };
      await readings;
    });
  }

  it('a meter that flags power_meter_failure: its power is left out, the energy still read, one warning line, ⚠ on the status', async () => {
    const status = JSON.parse(PRO3EM_STATUS) as Record<string, Record<string, unknown>>;
    meter.answer = { status: 200, body: JSON.stringify({ ...status, 'em:0': { ...status['em:0'], errors: ['power_meter_failure'] } }) };
    const statuses: string[] = [];
    let readings: Promise<NodeMessage[]> = Promise.resolve([]);
    await load({}, {}, () => {
      readings = collect('readings', 3, DEADLINE_MS);
      onStatus(statuses);
    });
    for (const msg of await readings) {
      const { metrics } = payloadOf(msg);
      assert.deepEqual([metrics.total_act_power, metrics.total_act], [undefined, 2589773.39]);
    }
    assert.deepEqual(logLines(WARN), ['The meter reports errors; the values concerned are left out: em:0: power_meter_failure']);
    assert.ok(statuses.includes('8 metrics ⚠ errors'), statuses.join(' | '));
  });

  it('a meter that disappears and returns: one offline, one online, one log line each, backoff on the status', async () => {
    const statuses: string[] = [];
    const presence: unknown[] = [];
    let firstReading: Promise<NodeMessage[]> = Promise.resolve([]);
    await load({}, {}, () => {
      firstReading = collect('readings', 1, DEADLINE_MS);
      get('presence').on('input', (msg: NodeMessage) => presence.push(msg.payload));
      onStatus(statuses);
    });
    await firstReading;
    const port = meter.port;
    await meter.close();
    // 0.1 s, 0.2 s, 0.4 s, 0.8 s: the waits double while the meter is away
    await waitFor(() => statuses.includes('offline, retry in 0.8 s'), { timeoutMs: DEADLINE_MS, what: () => `the backoff to 0.8 s (have ${statuses.join(' | ')})` });
    const retries = statuses.filter((text) => text.startsWith('offline')).map((text) => Number(/in ([\d.]+) s/.exec(text)?.[1]));
    assert.deepEqual(retries, [0.1, 0.2, 0.4, 0.8]);
    meter = new FakeShelly(true);
    const back = collect('readings', 1, DEADLINE_MS);
    await meter.listen(port);
    await back;
    assert.deepEqual(presence, ['online', 'offline', 'online']);
    const warnings = logLines(WARN);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0] ?? '', /unreachable \(connect ECONNREFUSED/);
    assert.equal(logLines(INFO).filter((line) => line.includes('reachable again')).length, 1);
  });

  it('a bad input message: status and done(err) to Catch, and the node goes on', async () => {
    await load({ host: '' });
    const caught = collect('caught', 1, DEADLINE_MS);
    get('n1').receive({ topic: 'shellypro3em-aabbccddeeff/status/em:0', payload: '{"a_act_power": ' });
    const error = (await caught)[0] as NodeMessage & { error?: { message?: string } };
    assert.match(error.error?.message ?? '', /the payload is not JSON/);
    const readings = collect('readings', 1, DEADLINE_MS);
    get('n1').receive({ topic: 'shellypro3em-aabbccddeeff/status/em:0', payload: JSON.parse(readFixture('shelly', 'aioshelly_pro3em_EM.GetStatus_em0.json')) as unknown });
    assert.equal(payloadOf((await readings)[0]).metrics.a_act_power, 375.5);
  });

  it('an invalid configuration: an error naming it, no polling', async () => {
    await helper.load([shellyEm], [{ id: 'n1', type: 'shelly-em', host: 'ftp://meter', interval: '10', wires: [[], []] }]);
    assert.deepEqual(logLines(ERROR), ['Invalid configuration: ftp: is not http: or https:']);
    assert.deepEqual(meter.paths, []);
  });
});
