// A Stiebel Eltron heat pump on Modbus through the shipped flow as `npm start` runs it: the
// "Modbus heat pumps" tab enabled and pointed at a pymodbus server holding the WPM profile's
// registers, Debian's influxd. The readings land as heatpump_metrics rows with HPManager's tags,
// the profile's default alert rule raises an alert, the API answers the device from the fleet,
// and a unit that stops answering goes offline.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { influxQuery, rowsOf } from '../../scripts/lib/influx-setup';
import { loadShippedFlows, type FlowNode } from '../../scripts/lib/shipped-flows';
import { defaultRules, loadProfile } from '../../nodes/modbus-poll/profiles';
import { bankFor } from '../fixtures/modbus-bank';
import { ModbusServer, requirePymodbus } from '../support/modbus-server';
import { requireBinary } from '../support/system';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';

const DB = 'heatpump';
const PROFILE = 'stiebel-eltron-isg-wpm';
const DEVICE = 'stiebel-1';

/** The shipped flow with the Modbus tab enabled against `port`, polling every second, and the profile's alert rules added. */
function shippedWithModbus(port: number): FlowNode[] {
  const flows = loadShippedFlows().map((node) => structuredClone(node));
  const byId = (id: string) => {
    const node = flows.find((n) => n.id === id);
    assert.ok(node, `the shipped flow has ${id}`);
    return node;
  };
  Object.assign(byId('hp_tab_modbus'), { disabled: false });
  Object.assign(byId('hp_modbus_conn'), { host: '127.0.0.1', port, timeout: 500, timeoutUnit: 'ms', retries: 1 });
  Object.assign(byId('hp_modbus_poll'), { interval: 1, profile: PROFILE, deviceId: DEVICE });
  const threshold = byId('hp_threshold');
  threshold.rules = [...(threshold.rules as unknown[]), ...defaultRules(PROFILE)];
  return flows;
}

describe('a Modbus heat pump through the shipped flow (npm start, pymodbus, InfluxDB, API)', function () {
  this.timeout(120_000);
  let influx: RunningInfluxd;
  let influxDir: string;
  let server: ModbusServer;
  let product: RunningProduct;

  const query = async (q: string) => rowsOf(await influxQuery({ url: influx.url }, q, DB));
  const api = async (pathAndQuery: string) => {
    const res = await fetch(`${product.baseUrl}${pathAndQuery}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  before(async function () {
    requireBinary(this, 'influxd', 'influxdb');
    requirePymodbus(this);
    const map = loadProfile(PROFILE);
    const { unit } = bankFor(map);
    const flow = map.registers.find((r) => r.name === 'flow_temperature');
    assert.ok(flow);
    unit.input![flow.address] = 700; // 70.0 °C: above the profile's critical 65 °C
    server = await ModbusServer.start([{ name: 'a', tcp: { port: 0 }, units: { 1: unit } }]);
    influxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-modbus-influx-'));
    influx = await startInfluxd({ dataDir: influxDir, port: 0 });
    product = await startProduct({ INFLUXDB_URL: influx.url, HEATPUMP_RESET_FLOWS: '0' }, { flows: shippedWithModbus(server.port) });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(product?.output().split('\n').slice(-40).join('\n'));
  });

  after(async () => {
    const code = await product?.stop();
    await influx?.stop();
    await server?.stop();
    if (influxDir) fs.rmSync(influxDir, { recursive: true, force: true });
    assert.equal(code, 0, 'npm start exits 0 on SIGTERM');
  });

  it('stores the polled readings as heatpump_metrics with the tags heatpump_id, name, model', async () => {
    const rows = await eventually(async () => {
      const found = await query(`SELECT * FROM "raw"."heatpump_metrics" WHERE "heatpump_id" = '${DEVICE}'`);
      return found.length >= 2 ? found : undefined;
    }, 30_000, 'heatpump_metrics rows');
    const row = rows[0]!;
    assert.equal(row.heatpump_id, DEVICE);
    assert.equal(row.name, 'Stiebel WPM');
    assert.equal(row.model, PROFILE);
    assert.equal(row.flow_temperature, 70);
    assert.ok(Object.keys(row).length > 100, `one field per register: ${Object.keys(row).length} columns`);
  });

  it("raises the profile's default alert (flow temperature high) and stores it", async () => {
    const alerts = await eventually(async () => {
      const found = await query(`SELECT * FROM "raw"."alert" WHERE "device_id" = '${DEVICE}'`);
      return found.length > 0 ? found : undefined;
    }, 20_000, 'an alert row');
    assert.deepEqual([alerts[0]?.alert_type, alerts[0]?.level, alerts[0]?.value], ['flow_temperature_high', 'critical', 70]);
  });

  it('answers the device from the fleet: latest metrics, online', async () => {
    const latest = await eventually(async () => {
      const answer = await api(`/api/devices/${DEVICE}/readings/latest`);
      return answer.status === 200 ? answer.body : undefined;
    }, 10_000, 'the latest reading');
    assert.equal(JSON.stringify(latest).includes('"flow_temperature":70'), true, JSON.stringify(latest).slice(0, 300));
    const status = await eventually(async () => {
      const answer = await api(`/api/devices/${DEVICE}/status`);
      return answer.body.is_online === true ? answer.body : undefined;
    }, 10_000, 'online');
    assert.equal(status.is_online, true);
  });

  it('a unit that stops answering goes offline', async () => {
    await server.silence('a', 1);
    await eventually(async () => ((await api(`/api/devices/${DEVICE}/status`)).body.is_online === false ? true : undefined), 20_000, 'offline');
    await server.answer('a', 1);
    await eventually(async () => ((await api(`/api/devices/${DEVICE}/status`)).body.is_online === true ? true : undefined), 30_000, 'online again');
  });
});
