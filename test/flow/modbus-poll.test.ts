// modbus-poll with a modbus-connection in a Node-RED runtime, against an independent Modbus server
// (pymodbus): every data type, block reads counted on the server, an exception answer naming the
// register once, presence on change, setting changes, and a map refused at deploy.
import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import { catchModule, collect, flowSuiteHooks, flowWithCatch, helper, nodeById, withCatalog, type NodeInit } from '../support/flow-helper';
import { nodeModule } from '../support/node-red';
import { ModbusServer, requirePymodbus } from '../support/modbus-server';
import { waitFor } from '../support/wait';
import { typeBank } from '../fixtures/modbus-types';
import type { FleetLink } from '../../nodes/shared/fleet-link';

const poll = withCatalog(nodeModule('modbus-poll') as NodeInit, 'modbus-poll');
const connection = withCatalog(nodeModule('modbus-connection') as NodeInit, 'modbus-connection');
const fleetInit = nodeModule('heatpump-fleet') as NodeInit;

const HEATPUMP_YAML = [
  'models:',
  '  test-pump:',
  '    registers:',
  '      - {name: flow_temperature, address: 0, register_type: input, data_type: int16, unit: "°C", scale: 0.1}',
  '      - {name: return_temperature, address: 1, register_type: input, data_type: int16, unit: "°C", scale: 0.1}',
  '      - {name: outdoor_temperature, address: 2, register_type: input, data_type: int16, unit: "°C", scale: 0.1}',
  '      - {name: energy_total, address: 10, register_type: input, data_type: uint32, unit: kWh}',
  '      - {name: dhw_set_point, address: 0, register_type: holding, data_type: int16, unit: "°C", scale: 0.1, setting: true}',
  '      - {name: operating_mode, address: 1, register_type: holding, data_type: uint16, setting: true}',
].join('\n');
const HEATPUMP_BANK = { input: { 0: 351, 1: 302, 2: 0xffec, 10: 0, 11: 1234 }, holding: { 0: 480, 1: 3 } };

interface Recorder {
  statuses: { fill?: string; text?: string }[];
  warnings: string[];
  errors: string[];
}

function record(): Recorder {
  const rec: Recorder = { statuses: [], warnings: [], errors: [] };
  const node = nodeById('n1') as unknown as { on(event: string, listener: (call: { args: unknown[] }) => void): void };
  node.on('call:status', (call) => rec.statuses.push(call.args[0] as { fill?: string; text?: string }));
  node.on('call:warn', (call) => rec.warnings.push(String(call.args[0])));
  node.on('call:error', (call) => rec.errors.push(String(call.args[0])));
  return rec;
}

function flow(port: number, config: Record<string, unknown>, connectionConfig: Record<string, unknown> = {}) {
  return [
    ...flowWithCatch('modbus-poll', ['readings', 'presence', 'settings'], {
      connection: 'conn',
      deviceId: 'hp-1',
      unitId: 1,
      interval: 1,
      mapSource: 'yaml',
      yaml: HEATPUMP_YAML,
      hpName: 'Cellar',
      location: 'Berlin',
      ...config,
    }),
    { id: 'conn', type: 'modbus-connection', transport: 'tcp', host: '127.0.0.1', port, timeout: 300, timeoutUnit: 'ms', retries: 1, ...connectionConfig },
  ];
}

/** supertest, as node-red-node-test-helper's request() returns it */
interface SuperTest {
  get(url: string): { expect(status: number): Promise<{ body: unknown }> };
  post(url: string): { send(body: object): { expect(status: number): Promise<{ body: unknown }> } };
}

const payloadOf = (msg: NodeMessage | undefined) => msg?.payload as { metrics: Record<string, unknown>; units: Record<string, string>; info: Record<string, string>; device_id: string; timestamp: number };

describe('modbus-poll (node) against pymodbus', function () {
  this.timeout(60_000);
  let server: ModbusServer | undefined;

  before(function () {
    requirePymodbus(this);
  });
  flowSuiteHooks();
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('sends a reading with units and info, online once, and counts its block reads on the server', async () => {
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: HEATPUMP_BANK } }]);
    await helper.load([poll, connection, catchModule], flow(server.port, {}));
    const readings = collect('readings', 2, 10_000);
    const presence = collect('presence', 1, 10_000);
    const rec = record();
    const [first, second] = await readings;
    assert.deepEqual(payloadOf(first).metrics, { flow_temperature: 35.1, return_temperature: 30.2, outdoor_temperature: -2, energy_total: 1234, dhw_set_point: 48, operating_mode: 3 });
    assert.deepEqual(payloadOf(first).units, { flow_temperature: '°C', return_temperature: '°C', outdoor_temperature: '°C', energy_total: 'kWh', dhw_set_point: '°C' });
    assert.deepEqual(payloadOf(first).info, { name: 'Cellar', location: 'Berlin', model: 'test-pump', source: 'modbus' });
    assert.equal(payloadOf(second).device_id, 'hp-1');
    assert.deepEqual((await presence).map((m) => [m.topic, m.payload]), [['hp-1', 'online']]);
    // three blocks per poll (input 0-2, input 10-11, holding 0-1) instead of six single reads
    const served = (await server.stats()).a?.['1'] ?? 0;
    assert.ok(served >= 6 && served % 3 === 0, `requests served: ${served}`);
    assert.ok(rec.statuses.some((s) => s.fill === 'green' && /^6 reg in 3 req, \d\d:\d\d:\d\d$/.test(s.text ?? '')), JSON.stringify(rec.statuses));
  });

  it('every data type in both word orders, and coil / discrete bits', async () => {
    const bank = typeBank();
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: { holding: bank.holding, coil: { 3: true }, discrete: { 7: false } } } }]);
    await helper.load([poll, connection, catchModule], flow(server.port, { yaml: bank.yaml }));
    const readings = collect('readings', 1, 10_000);
    const [msg] = await readings;
    assert.deepEqual(payloadOf(msg).metrics, bank.expected);
  });

  it('a register the unit refuses is named in one warning and left out; the others are read', async () => {
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: { ...HEATPUMP_BANK, exceptions: [{ table: 'input', from: 1, to: 1 }] } } }]);
    await helper.load([poll, connection, catchModule], flow(server.port, {}));
    const readings = collect('readings', 3, 15_000);
    const rec = record();
    const msgs = await readings;
    for (const msg of msgs) {
      assert.equal(payloadOf(msg).metrics.return_temperature, undefined);
      assert.equal(payloadOf(msg).metrics.flow_temperature, 35.1);
    }
    const refused = rec.warnings.filter((w) => w.includes('return_temperature'));
    assert.deepEqual(rec.warnings.filter((w) => !w.includes('return_temperature')), [], 'nothing else warned about');
    assert.equal(refused.length, 1, rec.warnings.join(' | '));
    assert.match(refused[0]!, /register "return_temperature" refused by the unit \(unit 1: Modbus exception 2: Illegal data address/);
  });

  it('reports each reading into the fleet (heatpump-fleet config node), which keeps the latest metrics', async () => {
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: HEATPUMP_BANK } }]);
    const flows = [...flow(server.port, { fleet: 'fleet' }), { id: 'fleet', type: 'heatpump-fleet', name: '', store: '', broker: '', influxdb: '' }];
    await helper.load([poll, connection, fleetInit, catchModule], flows);
    const [msg] = await collect('readings', 1, 10_000);
    const state = (nodeById('fleet') as unknown as { fleet: FleetLink }).fleet.state;
    await waitFor(() => state.get('hp-1')?.metrics?.timestamp === payloadOf(msg).timestamp, { timeoutMs: 5000, what: 'the reading in the fleet' });
    assert.deepEqual(state.get('hp-1')?.metrics?.metrics, payloadOf(msg).metrics);
    assert.ok(state.counters.readings_accepted >= 1);
  });

  it('a value outside its range is left out and named once', async () => {
    const yaml = HEATPUMP_YAML.replace('unit: "°C", scale: 0.1}', 'unit: "°C", scale: 0.1, max: 30}');
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: HEATPUMP_BANK } }]);
    await helper.load([poll, connection, catchModule], flow(server.port, { yaml }));
    const rec = record();
    const msgs = await collect('readings', 2, 10_000);
    for (const msg of msgs) assert.equal(payloadOf(msg).metrics.flow_temperature, undefined);
    assert.equal(payloadOf(msgs[0]).metrics.return_temperature, 30.2);
    assert.deepEqual(rec.warnings, ['value of register "flow_temperature" left out (outside min..max, raw 351); said once per register and reason']);
  });

  it('a setting that changes is reported with its old and new value', async () => {
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: HEATPUMP_BANK } }]);
    await helper.load([poll, connection, catchModule], flow(server.port, {}));
    await collect('readings', 1, 10_000);
    const settings = collect('settings', 1, 10_000);
    await server.set('a', 1, 'holding', 0, [505]);
    const [msg] = await settings;
    const change = msg?.payload as Record<string, unknown>;
    assert.deepEqual({ ...change, timestamp: 0 }, { device_id: 'hp-1', setting: 'dhw_set_point', old_value: 48, new_value: 50.5, unit: '°C', source: 'modbus', timestamp: 0 });
  });

  it('a poll still running when the next is due is skipped, with one warning', async () => {
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: HEATPUMP_BANK } }]);
    await server.silence('a', 1);
    // one silent poll takes 2 x 800 ms: longer than the 0.5 s interval
    await helper.load([poll, connection, catchModule], flow(server.port, { interval: 0.5 }, { timeout: 800, retries: 1 }));
    const rec = record();
    await waitFor(() => rec.warnings.some((w) => w.startsWith('a poll was still running')), { timeoutMs: 10_000, what: 'the skip warning' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(rec.warnings, ['a poll was still running when the next was due (every 0.5 s): that one is skipped, never overlapped']);
    const counters = (nodeById('conn') as unknown as { modbus: { counters: { waiting: number } } }).modbus.counters;
    assert.equal(counters.waiting, 0, 'no request queued behind the one in flight');
  });

  it('a unit that stops answering goes offline once, shows when it retries, and comes back online', async () => {
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: HEATPUMP_BANK } }]);
    const presence: NodeMessage[] = [];
    await helper.load([poll, connection, catchModule], flow(server.port, {}));
    const rec = record();
    nodeById('presence').on('input', (msg: NodeMessage) => presence.push(msg));
    await waitFor(() => presence.length === 1, { timeoutMs: 10_000, what: 'online' });
    await server.silence('a', 1);
    await waitFor(() => presence.length === 2, { timeoutMs: 10_000, what: 'offline' });
    assert.equal(presence[1]?.payload, 'offline');
    await waitFor(() => rec.statuses.some((s) => s.fill === 'red' && /^unit 1 silent, retry \d+ s$/.test(s.text ?? '')), { timeoutMs: 10_000, what: 'offline status' });
    await server.answer('a', 1);
    await waitFor(() => presence.length === 3, { timeoutMs: 15_000, what: 'online again' });
    assert.deepEqual(presence.map((m) => m.payload), ['online', 'offline', 'online']);
  });
});

describe('modbus-poll (node) refusing a bad map at deploy', function () {
  flowSuiteHooks();

  const badMaps: [string, string, RegExp][] = [
    ['an unknown data type', 'models:\n  m:\n    registers:\n      - {name: flow, address: 0, register_type: input, data_type: int24}', /register "flow": unknown data_type "int24"/],
    ['overlapping addresses', 'models:\n  m:\n    registers:\n      - {name: energy, address: 0, register_type: input, data_type: uint32}\n      - {name: flow, address: 1, register_type: input, data_type: int16}', /register "flow": input address 1 overlaps "energy"/],
    ['a missing field', 'models:\n  m:\n    registers:\n      - {name: flow, register_type: input, data_type: int16}', /register "flow": missing field "address"/],
  ];
  for (const [title, yaml, expected] of badMaps) {
    it(`${title}: refused with an error naming the register`, async () => {
      await helper.load([poll, connection, catchModule], flow(1, { yaml }));
      const logged = helper.log().args.map((args) => args[0] as { level?: number; msg?: unknown; type?: string });
      const errors = logged.filter((e) => e.type === 'modbus-poll' && /register map refused/.test(String(e.msg)));
      assert.equal(errors.length, 1, JSON.stringify(logged));
      assert.match(String(errors[0]?.msg), expected);
    });
  }

  it('a connection with bad settings: both the connection and the poll node say why', async () => {
    await helper.load([poll, connection, catchModule], flow(1, {}, { host: '' }));
    const logged = helper.log().args.map((args) => args[0] as { msg?: unknown; type?: string });
    const said = logged.filter((e) => e.type === 'modbus-connection' || e.type === 'modbus-poll').map((e) => `${e.type}: ${String(e.msg)}`);
    assert.deepEqual(said, ['modbus-connection: Modbus connection not usable: host is missing', 'modbus-poll: Modbus connection not usable: host is missing']);
  });

  it('no connection chosen', async () => {
    await helper.load([poll, connection, catchModule], flow(1, { connection: '' }));
    const logged = helper.log().args.map((args) => String((args[0] as { msg?: unknown }).msg));
    assert.ok(logged.includes('no Modbus connection chosen (a modbus-connection config node)'), logged.join(' | '));
  });

  it("the editor's endpoints: the shipped profiles, and the map check naming the register", async () => {
    await helper.load([poll, connection, catchModule], flow(1, {}));
    const admin = (helper as unknown as { request(): SuperTest }).request();
    const profiles = await admin.get('/modbus-poll/profiles').expect(200);
    assert.ok((profiles.body as { name: string }[]).some((p) => p.name === 'stiebel-eltron-isg-wpm'));
    const good = await admin.post('/modbus-poll/check').send({ mapSource: 'profile', profile: 'nibe-f-series' }).expect(200);
    assert.equal((good.body as { ok: boolean }).ok, true);
    const bad = await admin.post('/modbus-poll/check').send({ mapSource: 'yaml', yaml: badMaps[0]![1] }).expect(200);
    assert.deepEqual(bad.body, { ok: false, problems: ['model "m", register "flow": unknown data_type "int24" (int16, uint16, int32, uint32, float32, int64, uint64, float64, bool)'] });
  });

  it('an invalid heat pump id is refused', async () => {
    await helper.load([poll, connection, catchModule], flow(1, { deviceId: 'a/b' }));
    const logged = helper.log().args.map((args) => String((args[0] as { msg?: unknown }).msg));
    assert.ok(logged.some((m) => /heat pump id: device id contains the unsafe character "\/"/.test(m)), logged.join(' | '));
  });
});
