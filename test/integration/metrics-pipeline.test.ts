// Metrics readings (what modbus-poll and the other polled sources emit) through the shipped flow as
// `npm start` runs it, with Debian's influxd: into the ingest tab's `metrics readings` link in, out
// as `heatpump_metrics` rows with their tags, alerts on a metric rule and on a default rule whose
// metric name matches, `sensor_data` on /api/ws, a bad metric refused and never stored; and a
// unit's offline / online through the `source presence` link in. The test adds one tab that posts
// into both link ins, where a polled source's node would sit.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import type { MetricsReading } from '../../nodes/shared/contract';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { influxQuery, rowsOf } from '../../scripts/lib/influx-setup';
import { loadShippedFlows, type FlowNode } from '../../scripts/lib/shipped-flows';
import { requireBinary } from '../support/system';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';

const DB = 'heatpump';
const METRICS_IN = 'hp_in_metrics';
const PRESENCE_IN = 'hp_in_source_presence';
const FLOW_HOT = { name: 'flow_hot', label: 'Flow temperature', metric: 'flow_temperature', direction: 'above', warning: 55, critical: 60, hysteresis: 2, forSeconds: 0, enabled: true };

/** The shipped flow, a flow_hot rule added to its threshold-alert, plus a tab that posts into the metrics link in. */
function flowsWithSource(): FlowNode[] {
  const flows = loadShippedFlows().map((node) => structuredClone(node));
  const threshold = flows.find((node) => node.type === 'threshold-alert');
  assert.ok(threshold && Array.isArray(threshold.rules), 'the shipped flow has a threshold-alert with rules');
  threshold.rules = [...(threshold.rules as unknown[]), FLOW_HOT];
  /**
   * POST /test/<name> -> the body alone (no HTTP request riding along, as a source node sends it)
   * -> link out to `target`; with `asMessage` the body is `{topic, payload}` of the message
   */
  const endpoint = (name: string, target: string, y: number, asMessage = false): FlowNode[] => {
    const linkIn = flows.find((node) => node.id === target);
    assert.ok(linkIn, `the shipped flow has the link in ${target}`);
    linkIn.links = [`t_${name}_out`];
    return [
      { id: `t_${name}_http`, type: 'http in', z: 't_tab', url: `/test/${name}`, method: 'post', x: 150, y, wires: [[`t_${name}_ok`, `t_${name}_plain`]] },
      { id: `t_${name}_ok`, type: 'http response', z: 't_tab', statusCode: '204', x: 400, y: y - 20, wires: [] },
      {
        id: `t_${name}_plain`,
        type: 'change',
        z: 't_tab',
        rules: [
          ...(asMessage
            ? [
                { t: 'set', p: 'topic', pt: 'msg', to: 'payload.topic', tot: 'msg' },
                { t: 'set', p: 'payload', pt: 'msg', to: 'payload.payload', tot: 'msg' },
              ]
            : []),
          { t: 'delete', p: 'req', pt: 'msg' },
          { t: 'delete', p: 'res', pt: 'msg' },
        ],
        x: 400,
        y: y + 20,
        wires: [[`t_${name}_out`]],
      },
      { id: `t_${name}_out`, type: 'link out', z: 't_tab', mode: 'link', links: [target], x: 600, y: y + 20 },
    ];
  };
  return [...flows, { id: 't_tab', type: 'tab', label: 'test source' }, ...endpoint('metrics', METRICS_IN, 80), ...endpoint('presence', PRESENCE_IN, 200, true)];
}

describe('metrics readings end to end (shipped flow, InfluxDB, alerts, WebSocket)', function () {
  this.timeout(120_000);
  let influx: RunningInfluxd;
  let influxDir: string;
  let product: RunningProduct;
  let ws: WebSocket;
  const wsMessages: Record<string, unknown>[] = [];

  const query = async (q: string): Promise<Record<string, unknown>[]> =>
    rowsOf(await influxQuery({ url: influx.url }, q, DB)).map((row) => ({ ...row, time: Date.parse(String(row.time)) }));
  const post = async (payload: unknown, endpoint = 'metrics'): Promise<void> => {
    const res = await fetch(`${product.baseUrl}/test/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    assert.equal(res.status, 204);
  };
  const reading = (deviceId: string, timestamp: number, metrics: MetricsReading['metrics']): MetricsReading => ({
    device_id: deviceId,
    timestamp,
    metrics,
    units: { flow_temperature: '°C', high_pressure: 'bar' },
    info: { name: 'Keller', location: 'Haus 1', model: 'NIBE F1255', source: 'modbus' },
  });

  before(async function () {
    requireBinary(this, 'influxd', 'influxdb');
    influxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-metrics-influx-'));
    influx = await startInfluxd({ dataDir: influxDir, port: 0 });
    product = await startProduct({ INFLUXDB_URL: influx.url }, { flows: flowsWithSource() });
    await eventually(async () => ((await (await fetch(`${product.baseUrl}/api/health`)).json()) as { status?: string }).status === 'healthy' || undefined, 20_000, 'healthy');
    ws = new WebSocket(`${product.baseUrl.replace('http', 'ws')}/api/ws`);
    ws.on('message', (data) => wsMessages.push(JSON.parse(data.toString()) as Record<string, unknown>));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(product?.output().split('\n').slice(-40).join('\n'));
  });

  after(async () => {
    ws?.close();
    const code = await product?.stop();
    await influx?.stop();
    if (influxDir) fs.rmSync(influxDir, { recursive: true, force: true });
    assert.equal(code, 0, 'npm start exits 0 on SIGTERM');
  });

  it('stores metrics readings as heatpump_metrics rows: tags heatpump_id, name, location, model; floats and booleans', async () => {
    const base = Date.now() - 30_000;
    // one reading per message, as a source node sends them (threshold-alert and online-tracker take one at a time)
    await post(reading('nibe1', base, { flow_temperature: 35.5, high_pressure: 18.25, compressor_on: true }));
    await post(reading('nibe1', base + 10_000, { flow_temperature: 36, high_pressure: 18.5, compressor_on: false }));
    const rows = await eventually(async () => {
      const found = await query(`SELECT * FROM "raw"."heatpump_metrics" WHERE "heatpump_id" = 'nibe1'`);
      return found.length === 2 && found.every((row) => Object.values(row).every((value) => value !== null)) ? found : undefined;
    }, 10_000, 'two heatpump_metrics rows');
    assert.deepEqual(rows, [
      { time: base, heatpump_id: 'nibe1', name: 'Keller', location: 'Haus 1', model: 'NIBE F1255', flow_temperature: 35.5, high_pressure: 18.25, compressor_on: true },
      { time: base + 10_000, heatpump_id: 'nibe1', name: 'Keller', location: 'Haus 1', model: 'NIBE F1255', flow_temperature: 36, high_pressure: 18.5, compressor_on: false },
    ]);
    const fieldTypes = rowsOf(await influxQuery({ url: influx.url }, 'SHOW FIELD KEYS FROM "heatpump_metrics"', DB));
    assert.deepEqual(Object.fromEntries(fieldTypes.map((f) => [f.fieldKey, f.fieldType])), { compressor_on: 'boolean', flow_temperature: 'float', high_pressure: 'float' });
    const tagKeys = rowsOf(await influxQuery({ url: influx.url }, 'SHOW TAG KEYS FROM "heatpump_metrics"', DB)).map((t) => t.tagKey);
    assert.deepEqual(tagKeys, ['heatpump_id', 'location', 'model', 'name']);
  });

  it('raises an alert on a rule of a metric name, and a default rule where a metric has its name; stores both', async () => {
    const now = Date.now();
    await post(reading('nibe2', now - 2000, { flow_temperature: 61.5, voltage: 251 }));
    const rows = await eventually(async () => {
      const found = await query(`SELECT * FROM "raw"."alert" WHERE "device_id" = 'nibe2'`);
      return found.length === 2 ? found : undefined;
    }, 10_000, 'two alert rows for nibe2');
    assert.deepEqual(
      rows.map((row) => [row.alert_type, row.level, row.value, row.message, row.source]).sort(),
      [
        ['flow_hot', 'critical', 61.5, 'Flow temperature: 61.5 °C > 60 °C (critical)', 'threshold'],
        ['voltage_high', 'critical', 251, 'High voltage: 251 V > 250 V (critical)', 'threshold'],
      ],
    );
    const alert = await eventually(async () => wsMessages.find((m) => m.type === 'alert' && m.device_id === 'nibe2' && m.alert_type === 'flow_hot'), 5000, 'the alert on /api/ws');
    assert.equal(alert.level, 'critical');
  });

  it('sends metrics readings as sensor_data on /api/ws, with the device\'s active levels', async () => {
    const sensor = await eventually(async () => wsMessages.find((m) => m.type === 'sensor_data' && m.device_id === 'nibe2'), 5000, 'sensor_data for nibe2');
    assert.deepEqual((sensor.data as MetricsReading).metrics, { flow_temperature: 61.5, voltage: 251 });
    assert.deepEqual(sensor.alerts, { flow_hot: 'critical', voltage_high: 'critical' });
    assert.match(String(sensor.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('takes a polled unit offline and online again on {topic: id, payload: offline | online} (source presence)', async () => {
    await eventually(async () => wsMessages.find((m) => m.type === 'device_online' && m.device_id === 'nibe1'), 5000, 'nibe1 online from its readings');
    await post({ topic: 'nibe1', payload: 'offline' }, 'presence');
    const offline = await eventually(async () => wsMessages.find((m) => m.type === 'device_offline' && m.device_id === 'nibe1'), 5000, 'nibe1 offline');
    assert.equal(offline.reason, 'status');
    await post({ topic: 'nibe1', payload: 'online' }, 'presence');
    await eventually(async () => (wsMessages.filter((m) => m.type === 'device_online' && m.device_id === 'nibe1').length === 2 ? true : undefined), 5000, 'nibe1 online again');
  });

  it('refuses a metrics reading with a value that is not a number or boolean: nothing of it is stored', async () => {
    const now = Date.now();
    await post({ ...reading('nibe3', now - 1000, { flow_temperature: 41 }), metrics: { flow_temperature: 'hot' } });
    // a good reading after it shows the refused one had its turn
    await post(reading('nibe4', now - 500, { flow_temperature: 42 }));
    await eventually(async () => ((await query(`SELECT * FROM "raw"."heatpump_metrics" WHERE "heatpump_id" = 'nibe4'`)).length === 1 ? true : undefined), 10_000, 'the reading after');
    assert.deepEqual(await query(`SELECT * FROM "raw"."heatpump_metrics" WHERE "heatpump_id" = 'nibe3'`), [], 'heatpump-batch refuses it');
    // the error itself (naming the metric) goes to the ingest tab's catch node; test/flow/heatpump-batch checks its text
  });
});
