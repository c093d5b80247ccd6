// Debian's mosquitto with the SHIPPED docker/mosquitto/mosquitto.conf and acl. The temp copy of
// the config rewrites only what must differ outside the container:
//   `listener 1883`            -> `listener <free port> 127.0.0.1`
//   password_file, acl_file, persistence_location -> files/dirs in a temp directory
// Everything else (allow_anonymous false, persistence, queue limits, ...) is used as shipped;
// the acl file is copied unchanged.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { freePort } from '../../scripts/lib/ports';
import { projectRoot } from '../support/node-red';
import { requireBinary } from '../support/system';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';

const SHIPPED = path.join(projectRoot, 'docker', 'mosquitto');

export function rewriteMosquittoConf(text: string, paths: { port: number; passwords: string; acl: string; data: string }): string {
  const rules: [RegExp, string][] = [
    [/^listener 1883$/m, `listener ${paths.port} 127.0.0.1`],
    [/^password_file .*$/m, `password_file ${paths.passwords}`],
    [/^acl_file .*$/m, `acl_file ${paths.acl}`],
    [/^persistence_location .*$/m, `persistence_location ${paths.data}/`],
  ];
  let out = text;
  for (const [pattern, replacement] of rules) {
    assert.match(out, pattern, `shipped mosquitto.conf lost ${pattern}`);
    out = out.replace(pattern, replacement);
  }
  return out;
}

function connect(port: number, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

describe('Mosquitto with the shipped config (docker/mosquitto)', function () {
  this.timeout(30_000);
  let dir = '';
  let port = 0;
  let broker: ChildProcess | undefined;
  const clients: MqttClient[] = [];
  const open = async (options: IClientOptions) => {
    const client = await connect(port, options);
    clients.push(client);
    return client;
  };

  before(async function () {
    const binary = requireBinary(this, 'mosquitto', 'mosquitto');
    const passwd = requireBinary(this, 'mosquitto_passwd', 'mosquitto');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-mosquitto-'));
    port = await freePort();
    const paths = { port, passwords: path.join(dir, 'passwords'), acl: path.join(dir, 'acl'), data: path.join(dir, 'data') };
    fs.mkdirSync(paths.data);
    fs.copyFileSync(path.join(SHIPPED, 'acl'), paths.acl);
    fs.writeFileSync(paths.passwords, '');
    execFileSync(passwd, ['-b', paths.passwords, 'nodered', 'nodered-secret']);
    execFileSync(passwd, ['-b', paths.passwords, 'site1', 'site1-secret']);
    execFileSync(passwd, ['-b', paths.passwords, 'site2', 'site2-secret']);
    const conf = path.join(dir, 'mosquitto.conf');
    fs.writeFileSync(conf, rewriteMosquittoConf(fs.readFileSync(path.join(SHIPPED, 'mosquitto.conf'), 'utf8'), paths));
    // run as root, mosquitto drops to the `mosquitto` user: let it read and write the temp files
    for (const file of [dir, paths.data]) fs.chmodSync(file, 0o777);
    for (const file of [conf, paths.acl, paths.passwords]) fs.chmodSync(file, 0o644);

    broker = spawn(binary, ['-c', conf], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        (await connect(port, { username: 'nodered', password: 'nodered-secret' })).end(true);
        break;
      } catch (err) {
        if (Date.now() > deadline || broker.exitCode !== null) throw new Error(`mosquitto did not start: ${String(err)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });

  after(async function () {
    for (const client of clients) client.end(true);
    if (broker && broker.exitCode === null) {
      const exited = new Promise((resolve) => broker?.once('exit', resolve));
      broker.kill('SIGTERM');
      await exited;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses anonymous clients and wrong passwords', async function () {
    await assert.rejects(connect(port, {}), /Not authorized|Connection refused/i);
    await assert.rejects(connect(port, { username: 'site1', password: 'wrong' }), /Not authorized|Bad User Name or Password|Connection refused/i);
  });

  it('a device publishes only under its own id; nodered reads them all', async function () {
    const nodered = await open({ username: 'nodered', password: 'nodered-secret' });
    const site1 = await open({ username: 'site1', password: 'site1-secret' });
    const received: string[] = [];
    nodered.on('message', (topic, payload) => received.push(`${topic} ${payload.toString()}`));
    await nodered.subscribeAsync('heatpump/#', { qos: 1 });

    const own = new Promise<void>((resolve) =>
      nodered.on('message', (topic) => topic === 'heatpump/site1/data' && resolve()),
    );
    // the forbidden publish goes first: in-order delivery means it would arrive before the allowed one
    await site1.publishAsync('heatpump/site2/data', '{"device":"site2"}', { qos: 1 });
    await site1.publishAsync('heatpump/site1/status/online', 'online', { qos: 1 });
    await site1.publishAsync('heatpump/site1/data', '{"device":"site1"}', { qos: 1 });
    await own;
    assert.deepEqual(received, ['heatpump/site1/status/online online', 'heatpump/site1/data {"device":"site1"}']);
  });

  it('a device receives its own commands but cannot read another device', async function () {
    const nodered = await open({ username: 'nodered', password: 'nodered-secret' });
    const site1 = await open({ username: 'site1', password: 'site1-secret' });
    const got: string[] = [];
    site1.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
    await site1.subscribeAsync(['heatpump/site2/#', 'heatpump/site1/cmd'], { qos: 1 });
    const done = new Promise<void>((resolve) => site1.on('message', (topic) => topic === 'heatpump/site1/cmd' && resolve()));
    await nodered.publishAsync('heatpump/site2/cmd', '{"cmd":"RESET"}', { qos: 1 });
    await nodered.publishAsync('heatpump/site1/cmd', '{"cmd":"STATUS"}', { qos: 1 });
    await done;
    assert.deepEqual(got, ['heatpump/site1/cmd {"cmd":"STATUS"}']);
  });

  it('the shipped flows log in with MQTT_USER / MQTT_PASSWORD from the environment (credentials, no secret in a file)', async function () {
    this.timeout(60_000);
    const started = async (password: string) =>
      startProduct({ MQTT_BROKER: '127.0.0.1', MQTT_PORT: String(port), MQTT_USER: 'nodered', MQTT_PASSWORD: password, LOCAL_INFLUXD: '0', SIMULATOR: '0' });
    const health = async (product: RunningProduct) => (await (await fetch(`${product.baseUrl}/api/health`)).json()) as { mqtt_connected: boolean };

    const rejected = await started('wrong-password');
    try {
      // the mqtt-broker node logs the refused attempt; only then is "not connected" an answer
      await eventually(() => (/Connection failed to broker/.test(rejected.output()) ? true : undefined), 30_000, () => `the broker to refuse the wrong password:\n${rejected.output().slice(-2000)}`);
      assert.equal((await health(rejected)).mqtt_connected, false, 'a wrong password is refused by the broker');
      const stored = fs.readFileSync(path.join(rejected.home, 'node-red', 'flows_cred.json'), 'utf8');
      assert.doesNotMatch(stored, /wrong-password/, 'the password stays in the environment');
    } finally {
      await rejected.stop();
    }

    const product = await started('nodered-secret');
    try {
      await eventually(async () => ((await health(product)).mqtt_connected ? true : undefined), 15_000, 'Node-RED connected to mosquitto');
      const site1 = await open({ username: 'site1', password: 'site1-secret' });
      await site1.publishAsync('heatpump/site1/status/online', 'online', { qos: 1 });
      const metrics = await eventually(async () => {
        const body = await (await fetch(`${product.baseUrl}/metrics`)).text();
        return /^heatpump_device_online\{device_id="site1"\} 1$/m.test(body) ? body : undefined;
      }, 15_000, 'site1 online through mosquitto');
      assert.match(metrics, /^heatpump_mqtt_connected 1$/m);
    } finally {
      await product.stop();
    }
  });
});
