// The main flow as `npm start` runs it: a real Node-RED runtime with the shipped flows, its
// embedded MQTT broker and Debian's influxd. Devices publish over MQTT; rows are checked in
// InfluxDB, answers on every API endpoint, messages on /api/ws and text on /metrics.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { influxQuery, rowsOf } from '../../scripts/lib/influx-setup';
import { devicePayload, seedFields } from '../fixtures/payloads';
import { requireBinary } from '../support/system';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';

const DB = 'heatpump';
const ADMIN = '+4915112345678';

describe('main flow end to end (npm start, MQTT, InfluxDB, API, WebSocket)', function () {
  this.timeout(120_000);
  let influx: RunningInfluxd;
  let influxDir: string;
  let product: RunningProduct;
  let device: MqttClient;
  const wsMessages: Record<string, unknown>[] = [];
  /** what the server published to devices: SMS to send through their modems, commands */
  const toDevices: { topic: string; payload: Record<string, unknown> }[] = [];
  let ws: WebSocket;

  // InfluxDB trims trailing zeros of RFC 3339 times: compare times as milliseconds
  const query = async (q: string): Promise<Record<string, unknown>[]> =>
    rowsOf(await influxQuery({ url: influx.url }, q, DB)).map((row) => ({ ...row, time: Date.parse(String(row.time)) }));
  const api = async (pathAndQuery: string) => {
    const res = await fetch(`${product.baseUrl}${pathAndQuery}`);
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, type, body: type.includes('json') ? ((await res.json()) as unknown) : await res.text() };
  };
  const publish = (topic: string, payload: unknown) =>
    new Promise<void>((resolve, reject) =>
      device.publish(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 }, (err) => (err ? reject(err) : resolve())),
    );

  before(async function () {
    requireBinary(this, 'influxd', 'influxdb');
    influxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-pipeline-influx-'));
    influx = await startInfluxd({ dataDir: influxDir, port: 0 });
    product = await startProduct({ INFLUXDB_URL: influx.url, DEVICE_ONLINE_TIMEOUT_SECONDS: '4', SMS_ADMIN_NUMBERS: ADMIN });
    await eventually(async () => ((await api('/api/health')).body as { status?: string }).status === 'healthy' || undefined, 20_000, 'healthy');
    ws = new WebSocket(`${product.baseUrl.replace('http', 'ws')}/api/ws`);
    ws.on('message', (data) => wsMessages.push(JSON.parse(data.toString()) as Record<string, unknown>));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    device = mqtt.connect(product.mqttUrl, { clientId: 'test-device-site1' });
    await new Promise((resolve, reject) => device.once('connect', resolve).once('error', reject));
    device.on('message', (topic, payload) => toDevices.push({ topic, payload: JSON.parse(payload.toString()) as Record<string, unknown> }));
    await device.subscribeAsync(['heatpump/+/sms/send', 'heatpump/+/cmd'], { qos: 1 });
  });

  after(async () => {
    ws?.close();
    await device?.endAsync();
    const code = await product?.stop();
    await influx?.stop();
    fs.rmSync(influxDir, { recursive: true, force: true });
    assert.equal(code, 0, 'npm start exits 0 on SIGTERM');
  });

  it('stores a device reading in sensor_reading with exact fields, tag and timestamp', async () => {
    const timestamp = Date.now() - 2000;
    await publish('heatpump/site1/data', devicePayload({ device: 'site1', timestamp }));
    const rows = await eventually(async () => {
      const found = await query(`SELECT * FROM "raw"."sensor_reading" WHERE "device_id" = 'site1'`);
      // influxd has no read isolation: a query racing the write may see a point with some fields yet
      return found.length > 0 && Object.values(found[0] ?? {}).every((value) => value !== null) ? found : undefined;
    }, 10_000, 'the reading in InfluxDB');
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0], { time: timestamp, device_id: 'site1', ...seedFields() });
    const fieldTypes = rowsOf(await influxQuery({ url: influx.url }, 'SHOW FIELD KEYS FROM "sensor_reading"', DB));
    assert.deepEqual(
      Object.fromEntries(fieldTypes.map((f) => [f.fieldKey, f.fieldType])),
      {
        compressor_running: 'boolean',
        current: 'float',
        defrost_active: 'boolean',
        fan_running: 'boolean',
        power: 'float',
        pressure_high: 'float',
        pressure_low: 'float',
        temp_ambient: 'float',
        temp_compressor: 'float',
        temp_inlet: 'float',
        temp_outlet: 'float',
        voltage: 'float',
      },
    );
  });

  it('stores every reading of a buffered array, and leaves out sensors flagged invalid', async () => {
    const base = Date.now() - 60_000;
    const batch = [0, 1, 2].map((i) => devicePayload({ device: 'site2', timestamp: base + i * 10_000, valid: { voltage: i !== 1 } }));
    await publish('heatpump/site2/data', batch);
    const rows = await eventually(async () => {
      const found = await query(`SELECT "voltage", "current" FROM "raw"."sensor_reading" WHERE "device_id" = 'site2'`);
      return found.length === 3 ? found : undefined;
    }, 10_000, 'three rows for site2');
    assert.deepEqual(
      rows.map((r) => [r.time, r.voltage, r.current]),
      [
        [base, 230.5, 8.5],
        [base + 10_000, null, 8.5],
        [base + 20_000, 230.5, 8.5],
      ],
    );
  });

  it('rejects bad payloads without storing anything and counts them', async () => {
    const before = await api('/metrics');
    const rejectedBefore = Number(/^heatpump_readings_rejected_total (\d+)$/m.exec(String(before.body))?.[1]);
    await publish('heatpump/site3/data', 'not json at all');
    await publish('heatpump/site3/data', devicePayload({ device: 'other', timestamp: Date.now() }));
    await eventually(async () => {
      const text = String((await api('/metrics')).body);
      const rejected = Number(/^heatpump_readings_rejected_total (\d+)$/m.exec(text)?.[1]);
      return rejected >= rejectedBefore + 2 || undefined;
    }, 10_000, 'two rejected payloads counted');
    assert.deepEqual(await query(`SELECT * FROM "raw"."sensor_reading" WHERE "device_id" = 'site3' OR "device_id" = 'other'`), []);
  });

  it('stores device-raised alerts', async () => {
    const timestamp = Date.now() - 1000;
    await publish('heatpump/site1/alerts', { device: 'site1', timestamp, alert_type: 'pressure_low', level: 'warning', value: 35, threshold: 40, message: 'Low pressure' });
    const rows = await eventually(async () => {
      const found = await query(`SELECT * FROM "raw"."alert" WHERE "alert_type" = 'pressure_low'`);
      return found.length > 0 ? found : undefined;
    }, 10_000, 'the device alert row');
    // through threshold-alert: one episode with the server's own check, tagged with who raised it
    assert.deepEqual(rows, [{ time: timestamp, alert_type: 'pressure_low', device_id: 'site1', level: 'warning', message: 'Low pressure: 35 PSI < 40 PSI (warning, device)', source: 'device', value: 35 }]);
  });

  it('raises a threshold alert once within the cooldown and stores it', async () => {
    const now = Date.now();
    await publish('heatpump/site4/data', devicePayload({ device: 'site4', timestamp: now - 3000, electrical: { voltage: 252 } }));
    await publish('heatpump/site4/data', devicePayload({ device: 'site4', timestamp: now - 2000, electrical: { voltage: 253 } }));
    const rows = await eventually(async () => {
      const found = await query(`SELECT * FROM "raw"."alert" WHERE "device_id" = 'site4'`);
      return found.length > 0 ? found : undefined;
    }, 10_000, 'the threshold alert row');
    // both readings are stored before the alert check settles; give a duplicate time to show up
    await eventually(async () => ((await query(`SELECT * FROM "raw"."sensor_reading" WHERE "device_id" = 'site4'`)).length === 2 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const all = await query(`SELECT * FROM "raw"."alert" WHERE "device_id" = 'site4'`);
    assert.equal(all.length, 1, 'the same (device, type, level) is not stored twice within the cooldown');
    assert.equal(rows[0]?.alert_type, 'voltage_high');
    assert.equal(rows[0]?.level, 'critical');
    assert.equal(rows[0]?.value, 252);
    assert.equal(typeof rows[0]?.message, 'string');
  });

  it('sends a critical alert as SMS through the device modem, and answers STATUS and RESET by SMS', async () => {
    const alertSms = await eventually(async () => toDevices.find((m) => m.topic === 'heatpump/site4/sms/send'), 10_000, 'the alert SMS');
    assert.equal(alertSms.payload.to, ADMIN);
    assert.match(String(alertSms.payload.text), /site4/);
    assert.ok(String(alertSms.payload.text).length <= 160);
    await publish('heatpump/site4/sms/sent', { id: alertSms.payload.id, ok: true, ref: 12 });

    await publish('heatpump/site1/sms/received', { from: ADMIN, text: ' status ', timestamp: Date.now(), handled: false });
    const status = await eventually(async () => toDevices.find((m) => m.topic === 'heatpump/site1/sms/send' && /^HEAT PUMP STATUS/.test(String(m.payload.text))), 10_000, 'the STATUS answer');
    assert.equal(status.payload.to, ADMIN);
    assert.match(String(status.payload.text), /Device: site1/);

    await publish('heatpump/site1/sms/received', { from: ADMIN, text: 'RESET', timestamp: Date.now(), handled: false });
    await eventually(async () => toDevices.find((m) => m.topic === 'heatpump/site1/cmd' && m.payload.cmd === 'RESET'), 10_000, 'the RESET command');

    const before = toDevices.length;
    await publish('heatpump/site1/sms/received', { from: '+4917000000000', text: 'RESET', timestamp: Date.now(), handled: false });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(toDevices.slice(before), [], 'an unknown number gets no answer and commands nothing');
  });

  it('sends sensor_data, alert and device_online messages on /api/ws, and device_offline when a device falls silent', async () => {
    const types = () => wsMessages.map((m) => `${String(m.type)}:${String(m.device_id)}`);
    await eventually(async () => (types().includes('sensor_data:site1') ? true : undefined), 5000, 'sensor_data');
    await eventually(async () => (types().includes('alert:site4') ? true : undefined), 5000, 'alert');
    await eventually(async () => (types().includes('device_online:site1') ? true : undefined), 5000, 'device_online');
    await eventually(async () => (types().includes('device_offline:site1') ? true : undefined), 15_000, 'device_offline');
    const sensor = wsMessages.find((m) => m.type === 'sensor_data' && m.device_id === 'site1') as { data: Record<string, unknown>; timestamp: string };
    assert.equal(sensor.data.voltage, 230.5);
    assert.match(sensor.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const alert = wsMessages.find((m) => m.type === 'alert' && m.device_id === 'site4');
    assert.equal(alert?.alert_type, 'voltage_high');
    assert.equal(alert?.level, 'critical');
    assert.equal(alert?.value, 252);
  });

  it('answers health, stats and the device endpoints', async () => {
    const health = await api('/api/health');
    assert.equal(health.status, 200);
    assert.equal((health.body as { status: string }).status, 'healthy');
    assert.equal((health.body as { influxdb_connected: boolean }).influxdb_connected, true);

    const devices = await api('/api/devices');
    assert.equal(devices.status, 200);
    const ids = (devices.body as { device_id: string }[]).map((d) => d.device_id);
    assert.deepEqual(ids, ['site1', 'site2', 'site4']);

    const status = await api('/api/devices/site1/status');
    assert.equal(status.status, 200);
    assert.equal((status.body as { voltage: number }).voltage, 230.5);
    assert.equal(typeof (status.body as { is_online: boolean }).is_online, 'boolean');

    const latest = await api('/api/devices/site2/readings/latest');
    assert.equal(latest.status, 200);
    assert.equal((latest.body as { voltage: number }).voltage, 230.5);

    const readings = await api('/api/devices/site2/readings?hours=1');
    assert.equal(readings.status, 200);
    const body = readings.body as { count: number; readings: { voltage: number | null }[] };
    assert.equal(body.count, 3);
    assert.deepEqual(body.readings.map((r) => r.voltage), [230.5, null, 230.5]);

    const windowed = await api('/api/devices/site2/readings?hours=1&window=1h');
    assert.equal(windowed.status, 200);
    assert.ok((windowed.body as { count: number }).count >= 1);

    const stats = await api('/api/stats');
    assert.equal(stats.status, 200);
    assert.equal((stats.body as { total_readings: number }).total_readings, 6);
    assert.equal((stats.body as { total_alerts: number }).total_alerts, 2);
  });

  it('answers the alert history with filters, and 400 / 404 for bad requests', async () => {
    const alerts = await api('/api/alerts?device_id=site4&hours=1&limit=10');
    assert.equal(alerts.status, 200);
    assert.deepEqual((alerts.body as { alert_type: string }[]).map((a) => a.alert_type), ['voltage_high']);
    const critical = await api('/api/alerts?level=warning');
    assert.deepEqual((critical.body as { alert_type: string }[]).map((a) => a.alert_type), ['pressure_low']);
    for (const bad of ['/api/alerts?hours=0', '/api/alerts?hours=169', '/api/alerts?limit=501', '/api/alerts?limit=abc', '/api/devices/site1/readings?window=5x']) {
      const res = await api(bad);
      assert.equal(res.status, 400, bad);
      assert.match(String((res.body as { error: string }).error), /must/, bad);
    }
    assert.equal((await api('/api/devices/ghost/status')).status, 404);
    assert.equal((await api('/api/devices/ghost/readings')).status, 404);
    assert.equal((await api('/api/devices/ghost/readings/latest')).status, 404);
  });

  it('exposes Prometheus metrics', async () => {
    const metrics = await api('/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.type, /^text\/plain/);
    const text = String(metrics.body);
    assert.match(text, /^heatpump_readings_total 6$/m);
    assert.match(text, /^heatpump_device_online\{device_id="site1"\} [01]$/m);
    assert.match(text, /^heatpump_device_last_seen_seconds\{device_id="site2"\} \d+(\.\d+)?$/m);
    assert.match(text, /^heatpump_write_errors_total 0$/m);
    assert.match(text, /^heatpump_points_written_total \d+$/m);
  });

  it('keeps the retention policies and continuous queries of the storage contract', async () => {
    const policies = rowsOf(await influxQuery({ url: influx.url }, `SHOW RETENTION POLICIES ON "${DB}"`));
    assert.deepEqual(
      policies.map((p) => [p.name, p.duration, p.default]),
      [
        ['autogen', '0s', false],
        ['raw', '720h0m0s', true],
        ['hourly', '8736h0m0s', false],
        ['daily', '0s', false],
      ],
    );
    const cqs = JSON.stringify(await influxQuery({ url: influx.url }, 'SHOW CONTINUOUS QUERIES'));
    assert.match(cqs, /cq_hourly/);
    assert.match(cqs, /cq_daily/);
  });
});
