// Readings that arrive while InfluxDB is down are not lost: the main flow retries the failed
// batch with back-off, reports the outage on /api/health and /metrics, and the rows land once the
// database is back.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { influxQuery, rowsOf } from '../../scripts/lib/influx-setup';
import { devicePayload } from '../fixtures/payloads';
import { requireBinary } from '../support/system';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';

describe('main flow while InfluxDB is down', function () {
  this.timeout(120_000);
  let influx: RunningInfluxd | undefined;
  let dataDir: string;
  let product: RunningProduct | undefined;
  let device: MqttClient | undefined;

  const api = async (route: string) => {
    const res = await fetch(`${product?.baseUrl}${route}`);
    return { status: res.status, text: await res.text() };
  };

  before(async function () {
    requireBinary(this, 'influxd', 'influxdb');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-retry-influx-'));
    influx = await startInfluxd({ dataDir, port: 0 });
    product = await startProduct({ INFLUXDB_URL: influx.url });
    await eventually(async () => (JSON.parse((await api('/api/health')).text) as { status: string }).status === 'healthy' || undefined, 20_000, 'healthy');
    device = await mqtt.connectAsync(product.mqttUrl);
  });

  after(async () => {
    await device?.endAsync();
    await product?.stop();
    await influx?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('retries the batch and stores the reading once InfluxDB is back', async () => {
    assert.ok(influx && device);
    const port = influx.port;
    await influx.stop();
    await eventually(async () => ((await api('/api/health')).status === 503 ? true : undefined), 15_000, 'unhealthy while InfluxDB is down');

    const timestamp = Date.now() - 1000;
    await device.publishAsync('heatpump/retry1/data', JSON.stringify(devicePayload({ device: 'retry1', timestamp })), { qos: 1 });
    await eventually(async () => (/^heatpump_write_errors_total [1-9]\d*$/m.test((await api('/metrics')).text) ? true : undefined), 10_000, 'a counted write error');

    influx = await startInfluxd({ dataDir, port });
    const url = influx.url;
    const rows = await eventually(async () => {
      const found = rowsOf(await influxQuery({ url }, `SELECT "voltage" FROM "raw"."sensor_reading" WHERE "device_id" = 'retry1'`, 'heatpump'));
      return found.length > 0 ? found : undefined;
    }, 40_000, 'the reading written by a retry');
    assert.equal(rows.length, 1);
    assert.equal(Date.parse(String(rows[0]?.time)), timestamp);
    assert.equal(rows[0]?.voltage, 230.5);
    await eventually(async () => ((await api('/api/health')).status === 200 ? true : undefined), 15_000, 'healthy again');
    assert.doesNotMatch(product?.output() ?? '', /points lost/);
  });
  it('a reading older than the retention policy is counted and dropped, not retried: the readings around it are stored and nothing waits behind it', async () => {
    assert.ok(influx && device);
    const url = influx.url;
    const now = Date.now();
    // a device whose clock is 40 days behind, beside one that is right, in the same batch
    await device.publishAsync('heatpump/oldclock/data', JSON.stringify(devicePayload({ device: 'oldclock', timestamp: now - 40 * 86_400_000 })), { qos: 1 });
    await device.publishAsync('heatpump/rightclock/data', JSON.stringify(devicePayload({ device: 'rightclock', timestamp: now - 500 })), { qos: 1 });
    const health = async () => JSON.parse((await api('/api/health')).text) as { status: string; spooled_points: number; dropped: Record<string, number> };
    await eventually(async () => ((await health()).dropped.beyond_retention === 1 ? true : undefined), 15_000, 'one point dropped as beyond retention');
    await device.publishAsync('heatpump/rightclock/data', JSON.stringify(devicePayload({ device: 'rightclock', timestamp: now })), { qos: 1 });
    const rows = await eventually(async () => {
      const found = rowsOf(await influxQuery({ url }, `SELECT "voltage" FROM "raw"."sensor_reading" WHERE "device_id" = 'rightclock'`, 'heatpump'));
      return found.length === 2 ? found : undefined;
    }, 15_000, 'both readings of the device with the right clock');
    assert.equal(rows.length, 2);
    const after = await health();
    assert.equal(after.spooled_points, 0, 'nothing spooled behind the refused point');
    assert.equal(after.status, 'healthy');
    assert.match((await api('/metrics')).text, /^heatpump_dropped_total\{reason="beyond_retention"\} 1$/m);
  });
});
