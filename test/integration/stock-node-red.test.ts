// The complete example (Import ▸ Examples ▸ 10) in a Node-RED as a user runs it: Node-RED's own
// settings (no `file` context store), deployed through the admin API as the editor does, and only
// the README's variables set (MQTT_BROKER, MQTT_PORT, INFLUXDB_URL). Every other ${VAR} is unset.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { startBroker, type RunningBroker } from '../../scripts/lib/broker';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { influxQuery, rowsOf, setupInfluxDb } from '../../scripts/lib/influx-setup';
import { freePort } from '../../scripts/lib/ports';
import { COMPLETE_EXAMPLE } from '../../scripts/export-example';
import { devicePayload } from '../fixtures/payloads';
import { projectRoot } from '../support/node-red';
import { requireBinary } from '../support/system';
import { eventually } from '../support/runtime';

describe('the complete example in a stock Node-RED', function () {
  this.timeout(120_000);
  let broker: RunningBroker;
  let influx: RunningInfluxd;
  let influxDir: string;
  let userDir: string;
  let child: ChildProcess;
  let output = '';
  let baseUrl: string;

  before(async function () {
    requireBinary(this, 'influxd', 'influxdb');
    influxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-stock-influx-'));
    influx = await startInfluxd({ dataDir: influxDir, port: 0 });
    await setupInfluxDb({ url: influx.url, database: 'heatpump' });
    broker = await startBroker({ port: 0 });
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-stock-nr-'));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const env: Record<string, string | undefined> = { ...process.env };
    for (const key of Object.keys(env)) if (/^(MQTT_|INFLUXDB_|SMS_|HEATPUMP_|DEVICE_ONLINE)/.test(key)) delete env[key];
    Object.assign(env, { MQTT_BROKER: '127.0.0.1', MQTT_PORT: String(broker.port), INFLUXDB_URL: influx.url });
    child = spawn(process.execPath, [path.join(projectRoot, 'dist', 'test', 'support', 'stock-node-red.js'), userDir, String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(async () => (output.includes('ready') ? true : undefined), 60_000, `Node-RED ready:\n${output}`);
    // what Import ▸ Examples + Deploy does: the example's nodes, credentials included, in one full deploy
    const flows = JSON.parse(fs.readFileSync(path.join(projectRoot, 'examples', COMPLETE_EXAMPLE), 'utf8')) as unknown[];
    const res = await fetch(`${baseUrl}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'node-red-deployment-type': 'full', 'node-red-api-version': 'v1' },
      body: JSON.stringify(flows),
    });
    assert.equal(res.status, 204, await res.text());
  });

  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await broker?.close();
    await influx?.stop();
    for (const dir of [influxDir, userDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const health = async () => (await (await fetch(`${baseUrl}/api/health`)).json()) as { status: string; influxdb_connected: boolean; mqtt_connected: boolean };

  it('connects to the broker and to INFLUXDB_URL, parsed into host and port, and is healthy', async () => {
    await eventually(async () => ((await health()).status === 'healthy' ? true : undefined), 20_000, 'healthy');
  });

  it('stores a device reading in the default database and answers from the fleet', async () => {
    const device = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'stock-site1' });
    await new Promise((resolve, reject) => device.once('connect', resolve).once('error', reject));
    const timestamp = Date.now() - 1000;
    await device.publishAsync('heatpump/site1/data', JSON.stringify(devicePayload({ device: 'site1', timestamp })), { qos: 1 });
    await device.endAsync();
    const rows = await eventually(async () => {
      const found = rowsOf(await influxQuery({ url: influx.url }, `SELECT "voltage" FROM "raw"."sensor_reading" WHERE "device_id" = 'site1'`, 'heatpump'));
      return found.length > 0 ? found : undefined;
    }, 10_000, `the reading in InfluxDB; Node-RED said:\n${output}`);
    assert.equal(rows[0]?.voltage, 230.5);
    const status = await fetch(`${baseUrl}/api/devices/site1/status`);
    assert.equal(status.status, 200);
  });

  it('says that without a file context store the state is kept in memory only', () => {
    assert.match(output, /Context store "file" is not configured in settings\.js/);
    assert.deepEqual(output.split('\n').filter((line) => /\$\{[A-Z_]+\}/.test(line)), [], 'no unset ${VAR} reached a node as text');
  });

  it('logs one line when InfluxDB becomes unreachable, not one per check, and turns unhealthy', async () => {
    await influx.stop();
    await eventually(async () => ((await health()).status === 'unhealthy' ? true : undefined), 15_000, 'unhealthy');
    // two more health checks (every 5 s)
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    const lines = output.split('\n').filter((line) => /InfluxDB at .* is unreachable/.test(line));
    assert.equal(lines.length, 1, lines.join('\n'));
  });
});
