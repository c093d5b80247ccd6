// HeishaMon and ESPAltherma end to end: an mqtt client publishes what the gateways publish (per-value
// topics as text, a binary raw frame, the ATTR JSON, retained last wills) through a real broker into
// Node-RED's core `mqtt in` and the decoders; then, in the product as `npm start` runs it with
// Debian's influxd, the same topics become heatpump_metrics rows, an alert on a HeishaMon
// flow_temperature, a device of the API the dashboard reads, and a changed set value an entry of
// the change log (GET /api/changelog).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import type { NodeMessage } from 'node-red';
import type { MetricsReading } from '../../nodes/shared/contract';
import type { ChangelogEntry } from '../../nodes/heatpump-database/records';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { influxQuery, rowsOf } from '../../scripts/lib/influx-setup';
import { loadShippedFlows, type FlowNode } from '../../scripts/lib/shipped-flows';
import { catchModule, helper, nodeById as get, withCatalog, type NodeInit } from '../support/flow-helper';
import { attrOf } from '../support/espaltherma';
import { buildFrame } from '../support/heishamon';
import { startInProcessBroker, type InProcessBroker } from '../support/aedes-broker';
import { nodeModule, nodeRedPath } from '../support/node-red';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';
import { requireBinary } from '../support/system';
import { waitFor } from '../support/wait';

const heishamon = withCatalog(nodeModule('heishamon-decode') as NodeInit, 'heishamon-decode');
const espaltherma = withCatalog(nodeModule('espaltherma-decode') as NodeInit, 'espaltherma-decode');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mqttNodes = require(require.resolve('@node-red/nodes/core/network/10-mqtt.js', { paths: [nodeRedPath] })) as NodeInit;
const BASE = 'panasonic_heat_pump';
/** generous: the broker, the runtime and the gateway client share a busy CI machine */
const DEADLINE_MS = 30_000;

describe('gateways through a real broker (aedes) and mqtt in', function () {
  this.timeout(5 * DEADLINE_MS);
  let broker: InProcessBroker;
  let port: number;
  let gateway: mqtt.MqttClient;
  /** "clientId topic" of every subscription the broker granted */
  let subscribed: Set<string>;

  before(async function () {
    helper.init(nodeRedPath);
    broker = await startInProcessBroker();
    ({ port, subscribed } = broker);
    gateway = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'gateway' });
  });
  after(async function () {
    await gateway.endAsync();
    await broker.close();
  });
  afterEach(async function () {
    await helper.unload();
  });

  /** mqtt in on `topic` → the decoder `type` (config) → helper nodes readings, presence; a Catch node → caught */
  async function load(type: string, topic: string, config: Record<string, unknown>): Promise<{ readings: NodeMessage[]; presence: unknown[]; caught: NodeMessage[] }> {
    await helper.load(
      [heishamon, espaltherma, catchModule, mqttNodes],
      [
        { id: 'tab', type: 'tab', label: type },
        { id: 'broker', type: 'mqtt-broker', broker: '127.0.0.1', port: String(port), clientid: `nodered-${type}`, protocolVersion: '4', keepalive: '60', cleansession: true, autoConnect: true },
        { id: 'in', z: 'tab', type: 'mqtt in', topic, qos: '1', datatype: 'auto-detect', broker: 'broker', nl: false, rap: false, inputs: 0, x: 100, y: 100, wires: [['n1']] },
        { id: 'n1', z: 'tab', type, name: '', quiet: '0.5', fleet: '', x: 300, y: 100, wires: [['readings'], ['presence']], ...config },
        { id: 'readings', z: 'tab', type: 'helper', x: 500, y: 100, wires: [] },
        { id: 'presence', z: 'tab', type: 'helper', x: 500, y: 150, wires: [] },
        { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, x: 100, y: 200, wires: [['caught']] },
        { id: 'caught', z: 'tab', type: 'helper', x: 300, y: 200, wires: [] },
      ],
    );
    const seen = { readings: [] as NodeMessage[], presence: [] as unknown[], caught: [] as NodeMessage[] };
    get('readings').on('input', (msg: NodeMessage) => seen.readings.push(msg));
    get('presence').on('input', (msg: NodeMessage) => seen.presence.push([msg.topic, msg.payload]));
    get('caught').on('input', (msg: NodeMessage) => seen.caught.push(msg));
    await waitFor(() => subscribed.has(`nodered-${type} ${topic}`), { timeoutMs: DEADLINE_MS, what: () => `the mqtt in subscription (have: ${[...subscribed].join(', ')})` });
    return seen;
  }

  it('HeishaMon: a cycle of per-value topics is one reading, an old and a new firmware name alike; the retained last will is presence', async () => {
    await gateway.publishAsync(`${BASE}/LWT`, 'Online', { qos: 1, retain: true });
    const seen = await load('heishamon-decode', `${BASE}/#`, { base: BASE, deviceId: 'heishamon', raw: false });
    await waitFor(() => seen.presence.length === 1, { timeoutMs: DEADLINE_MS, what: 'online from the retained LWT' });
    const cycle: Array<[string, string]> = [
      ['main/Main_Outlet_Temp', '35.5'], ['main/Main_Inlet_Temp', '30.25'], ['main/Outside_Temp', '-4'], ['main/Compressor_Freq', '46'], ['main/Pump_Flow', '14.32'],
      ['main/Heat_Energy_Production', '4200'], ['main/Heat_Energy_Consumption', '1000'], ['main/DHW_Power_Production', '0'], ['main/DHW_Power_Consumption', '0'],
      ['main/Cool_Power_Production', '0'], ['main/Cool_Power_Consumption', '0'], ['main/Error', 'No error'], ['main/Discharge_Temp', '62'], ['s0/Watt/1', '1012'],
    ];
    for (const [topic, payload] of cycle) await gateway.publishAsync(`${BASE}/${topic}`, payload, { qos: 1 });
    // a command to the gateway on the same base is none of the decoder's business
    await gateway.publishAsync(`${BASE}/commands/SetHeatpump`, '1', { qos: 1 });
    await waitFor(() => seen.readings.length === 1, { timeoutMs: DEADLINE_MS, what: 'the reading after the quiet time' });
    await gateway.publishAsync(`${BASE}/LWT`, 'Offline', { qos: 1, retain: true });
    await waitFor(() => seen.presence.length === 2, { timeoutMs: DEADLINE_MS, what: 'offline' });
    const reading = seen.readings[0]!.payload as MetricsReading;
    assert.deepEqual(reading.metrics, {
      flow_temperature: 35.5, return_temperature: 30.25, outdoor_temperature: -4, compressor_frequency: 46, compressor_running: true, flow_rate: 14.32,
      heat_power_heating: 4200, electrical_power_heating: 1000, heat_power_dhw: 0, electrical_power_dhw: 0, heat_power_cooling: 0, electrical_power_cooling: 0,
      error_code: 0, discharge_temp: 62, s0_1_power: 1012, heat_power: 4200, electrical_power: 1000,
    });
    assert.deepEqual(seen.presence, [['heishamon', 'online'], ['heishamon', 'offline']]);
    assert.deepEqual(seen.caught, []);
    await gateway.publishAsync(`${BASE}/LWT`, '', { qos: 1, retain: true });
  });

  it('HeishaMon raw data: a binary frame is one reading; a frame with a wrong checksum goes to the Catch node', async () => {
    const seen = await load('heishamon-decode', 'hm_raw/#', { base: 'hm_raw', deviceId: '', raw: true });
    const frame = buildFrame({ 143: 30 + 128, 144: 35 + 128, 118: 0b001_001, 142: 2 + 128, 166: 51, 111: 0b0101_0101 });
    await gateway.publishAsync('hm_raw/raw/data', Buffer.from(frame), { qos: 1 });
    await waitFor(() => seen.readings.length === 1, { timeoutMs: DEADLINE_MS, what: 'the reading of the frame' });
    const reading = seen.readings[0]!.payload as MetricsReading;
    assert.equal(reading.device_id, 'hm_raw', 'the device id from the base topic');
    assert.deepEqual([reading.metrics.flow_temperature, reading.metrics.return_temperature, reading.metrics.outdoor_temperature, reading.metrics.compressor_frequency, reading.metrics.dhw_active, reading.metrics.defrost_active], [35, 30, 2, 50, false, false]);
    const bad = Buffer.from(frame);
    bad[150] = bad[150]! + 1;
    await gateway.publishAsync('hm_raw/raw/data', bad, { qos: 1 });
    await waitFor(() => seen.caught.length === 1, { timeoutMs: DEADLINE_MS, what: 'the checksum error' });
    assert.match(String((seen.caught[0] as { error?: { message?: string } }).error?.message), /raw frame checksum mismatch/);
    assert.equal(seen.readings.length, 1);
  });

  it('ESPAltherma: the ATTR JSON of an HPSU6 Ultra (its label list) is one reading; its last will is presence', async () => {
    const seen = await load('espaltherma-decode', 'espaltherma/#', { base: 'espaltherma', deviceId: 'espaltherma', family: 'ALTHERMA(HPSU6_ULTRA)' });
    const attributes = attrOf('ALTHERMA(HPSU6_ULTRA)');
    await gateway.publishAsync('espaltherma/ATTR', JSON.stringify(attributes), { qos: 1 });
    await waitFor(() => seen.readings.length === 1, { timeoutMs: DEADLINE_MS, what: 'the ATTR reading' });
    await gateway.publishAsync('espaltherma/LWT', 'Offline', { qos: 1 });
    await waitFor(() => seen.presence.length === 2, { timeoutMs: DEADLINE_MS, what: 'offline' });
    const reading = seen.readings[0]!.payload as MetricsReading;
    assert.equal(reading.metrics.flow_temperature, attributes['Outlet Water Heat Exch. Temp. (R1T)']);
    assert.equal(reading.metrics.outdoor_temperature, attributes['Outdoor air temp.']);
    assert.equal(reading.info?.model, 'ALTHERMA(HPSU6_ULTRA)');
    assert.deepEqual(seen.presence, [['espaltherma', 'online'], ['espaltherma', 'offline']]);
    assert.deepEqual(seen.caught, []);
  });
});

describe('HeishaMon in the shipped pipeline (npm start, InfluxDB, alerts, API)', function () {
  this.timeout(120_000);
  const DB = 'heatpump';
  const FLOW_HOT = { name: 'flow_hot', label: 'Flow temperature', metric: 'flow_temperature', direction: 'above', warning: 55, critical: 60, hysteresis: 2, forSeconds: 0, enabled: true };
  let influx: RunningInfluxd;
  let influxDir: string;
  let product: RunningProduct;
  let gateway: mqtt.MqttClient | undefined;

  /** The shipped flow with a flow_hot rule and its gateways tab enabled, as an integrator does. */
  function flowsWithHeishamon(): FlowNode[] {
    const flows = loadShippedFlows().map((node) => structuredClone(node));
    const byId = (id: string) => {
      const node = flows.find((n) => n.id === id);
      assert.ok(node, `the shipped flow has ${id}`);
      return node;
    };
    const threshold = flows.find((node) => node.type === 'threshold-alert');
    assert.ok(threshold && Array.isArray(threshold.rules));
    threshold.rules = [...(threshold.rules as unknown[]), FLOW_HOT];
    Object.assign(byId('hp_tab_gateways'), { disabled: false });
    // a shorter quiet time than the shipped 5 s: the cycle's reading is out sooner
    Object.assign(byId('hp_heishamon'), { base: BASE, quiet: '1' });
    return flows;
  }

  const query = async (q: string): Promise<Record<string, unknown>[]> => rowsOf(await influxQuery({ url: influx.url }, q, DB));

  before(async function () {
    requireBinary(this, 'influxd', 'influxdb');
    influxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-heishamon-influx-'));
    influx = await startInfluxd({ dataDir: influxDir, port: 0 });
    product = await startProduct({ INFLUXDB_URL: influx.url }, { flows: flowsWithHeishamon() });
    await eventually(async () => ((await (await fetch(`${product.baseUrl}/api/health`)).json()) as { status?: string }).status === 'healthy' || undefined, 20_000, 'healthy');
    // the broker admits devices once Node-RED has subscribed
    gateway = await eventually(async () => mqtt.connectAsync(product.mqttUrl, { clientId: 'heishamon-gateway', reconnectPeriod: 0 }).catch(() => undefined), 20_000, 'the gateway connected');
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(product?.output().split('\n').slice(-40).join('\n'));
  });

  after(async () => {
    await gateway?.endAsync();
    const code = await product?.stop();
    await influx?.stop();
    if (influxDir) fs.rmSync(influxDir, { recursive: true, force: true });
    assert.equal(code, 0, 'npm start exits 0 on SIGTERM');
  });

  it('topics of one cycle become one heatpump_metrics row, a flow_hot alert, and a device of the API', async () => {
    const cycle: Array<[string, string]> = [['Main_Outlet_Temp', '61.5'], ['Main_Inlet_Temp', '55'], ['Outside_Temp', '3'], ['Heat_Power_Production', '5000'], ['Error', 'H23']];
    for (const [name, value] of cycle) await gateway!.publishAsync(`${BASE}/main/${name}`, value, { qos: 1 });
    const rows = await eventually(async () => {
      const found = await query(`SELECT * FROM "raw"."heatpump_metrics" WHERE "heatpump_id" = 'heishamon'`);
      return found.length === 1 && Object.values(found[0]!).every((value) => value !== null) ? found : undefined;
    }, 15_000, 'the heatpump_metrics row');
    assert.deepEqual(
      Object.fromEntries(Object.entries(rows[0]!).filter(([key]) => key !== 'time')),
      { heatpump_id: 'heishamon', flow_temperature: 61.5, return_temperature: 55, outdoor_temperature: 3, heat_power_heating: 5000, error_code: 1023 },
    );
    const alerts = await eventually(async () => {
      const found = await query(`SELECT * FROM "raw"."alert" WHERE "device_id" = 'heishamon'`);
      return found.length > 0 ? found : undefined;
    }, 10_000, 'the flow_hot alert');
    assert.deepEqual(alerts.map((row) => [row.alert_type, row.level, row.value]), [['flow_hot', 'critical', 61.5]]);
    const devices = await eventually(async () => {
      const res = await fetch(`${product.baseUrl}/api/devices`);
      const body = (await res.json()) as Array<{ device_id: string }>;
      return body.some((device) => device.device_id === 'heishamon') ? body : undefined;
    }, 10_000, 'heishamon in /api/devices');
    assert.ok(devices.some((device) => device.device_id === 'heishamon'));
    // what the Device page shows: the latest reading from the fleet, and the history from InfluxDB
    const latest = (await (await fetch(`${product.baseUrl}/api/devices/heishamon/readings/latest`)).json()) as { metrics?: Record<string, unknown>; info?: Record<string, unknown> };
    assert.deepEqual([latest.metrics?.flow_temperature, latest.metrics?.error_code, latest.info?.source], [61.5, 1023, 'heishamon']);
    const history = (await (await fetch(`${product.baseUrl}/api/devices/heishamon/readings?hours=1`)).json()) as unknown;
    assert.match(JSON.stringify(history), /"flow_temperature":61\.5/);
  });

  it('a set value HeishaMon publishes changed (DHW target 50 -> 48 °C) is one setting change in GET /api/changelog', async () => {
    const changelog = async (): Promise<ChangelogEntry[]> => {
      const res = await fetch(`${product.baseUrl}/api/changelog?device_id=heishamon`);
      assert.equal(res.status, 200);
      return ((await res.json()) as { entries: ChangelogEntry[] }).entries;
    };
    // the first value is the baseline; the same value again ends its cycle and changes nothing
    for (const value of ['50', '50', '48']) await gateway!.publishAsync(`${BASE}/main/DHW_Target_Temp`, value, { qos: 1 });
    const entries = await eventually(async () => {
      const found = await changelog();
      return found.length > 0 ? found : undefined;
    }, 15_000, 'the setting change in /api/changelog');
    assert.deepEqual(
      entries.map((entry) => [entry.kind, entry.device_id, entry.setting, entry.old_value, entry.new_value, entry.unit, entry.source]),
      [['setting', 'heishamon', 'dhw_target_temp', 50, 48, '°C', 'heishamon']],
    );
  });
});
