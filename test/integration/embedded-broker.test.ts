// The embedded broker of `npm start` (scripts/lib/broker.ts): who it lets in (admission, device
// logins), its gate against the real aedes, and its disk queue (aedes-persistence-level + level)
// across a kill -9 of the broker's process.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import bcrypt = require('bcryptjs');
import { admission, REFUSED, startBroker, type NodeRedLogin, type RunningBroker } from '../../scripts/lib/broker';
import {
  DEVICE_PUBLISH_TOPICS,
  DEVICE_SUBSCRIBE_TOPICS,
  deviceLoginValid,
  devicePublishAllowed,
  deviceSubscribeAllowed,
  parseDevicePasswords,
  sha256Hash,
} from '../../scripts/lib/device-logins';
import { projectRoot } from '../support/node-red';
import { eventually } from '../support/wait';

const NODE_RED: NodeRedLogin = { clientId: 'heatpump-monitor-test', username: 'nodered', password: 'secret-of-this-start' };

function connect(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

/** The CONNACK return code a connect gets (0 = accepted). */
async function connackCode(url: string, options: IClientOptions): Promise<number> {
  try {
    (await connect(url, options)).end(true);
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

const nodeRedOptions = { clientId: NODE_RED.clientId, username: NODE_RED.username, password: NODE_RED.password, clean: false };

describe('embedded broker: admission (pure)', function () {
  const cases: [string, { clientId: string; username?: string; password?: string }, boolean, number][] = [
    ['a device before Node-RED subscribed', { clientId: 'site1' }, false, REFUSED.serverUnavailable],
    ['a device after Node-RED subscribed', { clientId: 'site1' }, true, 0],
    ['a device with a login of its own, gate closed', { clientId: 'site1', username: 'nodered', password: NODE_RED.password }, false, REFUSED.serverUnavailable],
    ['Node-RED with its login, gate closed', { clientId: NODE_RED.clientId, username: 'nodered', password: NODE_RED.password }, false, 0],
    ['Node-RED with its login, gate open', { clientId: NODE_RED.clientId, username: 'nodered', password: NODE_RED.password }, true, 0],
    ["Node-RED's client id without a password", { clientId: NODE_RED.clientId }, true, REFUSED.badLogin],
    ["Node-RED's client id, wrong password", { clientId: NODE_RED.clientId, username: 'nodered', password: 'guess' }, true, REFUSED.badLogin],
    ["Node-RED's client id, right password, other user", { clientId: NODE_RED.clientId, username: 'site1', password: NODE_RED.password }, false, REFUSED.badLogin],
  ];
  for (const [name, request, open, expected] of cases) {
    it(`${name} -> ${expected}`, function () {
      assert.equal(admission(request, NODE_RED, open), expected);
    });
  }
});

describe('embedded broker: gate and persistent session (real aedes, LevelDB on disk)', function () {
  this.timeout(30_000);
  const dirs: string[] = [];
  const clients: MqttClient[] = [];
  let broker: RunningBroker | undefined;
  let child: ChildProcess | undefined;
  const newDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-embedded-broker-'));
    dirs.push(dir);
    return dir;
  };
  const open = async (url: string, options: IClientOptions) => {
    const client = await connect(url, options);
    clients.push(client);
    return client;
  };

  afterEach(async function () {
    for (const client of clients.splice(0)) client.end(true);
    await broker?.close();
    broker = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    child = undefined;
  });
  after(function () {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses devices ("server unavailable") until Node-RED has connected and subscribed, then keeps accepting them', async function () {
    const dataDir = newDir();
    broker = await startBroker({ port: 0, dataDir, nodeRed: NODE_RED });
    assert.equal(await connackCode(broker.url, { clientId: 'site1' }), REFUSED.serverUnavailable);
    const nodeRed = await open(broker.url, nodeRedOptions);
    assert.equal(await connackCode(broker.url, { clientId: 'site1' }), REFUSED.serverUnavailable, 'connected but not subscribed yet');
    await nodeRed.subscribeAsync('heatpump/+/data', { qos: 1 });
    await broker.devicesAccepted;
    const site1 = await open(broker.url, { clientId: 'site1' });

    // no device gets Node-RED's session: not without the password, not while it is connected
    let closed = 0;
    nodeRed.on('close', () => closed++);
    assert.equal(await connackCode(broker.url, { clientId: NODE_RED.clientId, clean: true }), REFUSED.badLogin);
    assert.equal(await connackCode(broker.url, { clientId: NODE_RED.clientId, username: 'nodered', password: 'guess' }), REFUSED.badLogin);
    assert.equal(closed, 0, "Node-RED's connection survived");

    // Node-RED away (a redeploy): devices still get in, their readings wait in its session
    await nodeRed.endAsync();
    assert.equal(await connackCode(broker.url, { clientId: 'site2' }), 0);
    for (let n = 0; n < 5; n++) await site1.publishAsync('heatpump/site1/data', `{"n":${n}}`, { qos: 1 });
    const got: string[] = [];
    const back = mqtt.connect(broker.url, { ...nodeRedOptions, reconnectPeriod: 0 });
    clients.push(back);
    back.on('message', (_topic, payload) => got.push(payload.toString()));
    await eventually(() => (got.length === 5 ? true : undefined), 5000, () => `the queued readings (got ${JSON.stringify(got)})`);
    assert.deepEqual(got, [0, 1, 2, 3, 4].map((n) => `{"n":${n}}`));

    // a new start on the same data gates again, and Node-RED's restored session opens it
    for (const client of clients.splice(0)) client.end(true);
    await broker.close();
    broker = await startBroker({ port: 0, dataDir, nodeRed: NODE_RED });
    assert.equal(await connackCode(broker.url, { clientId: 'site1' }), REFUSED.serverUnavailable, 'a fresh start gates again');
    const restored = await open(broker.url, nodeRedOptions);
    await broker.devicesAccepted;
    assert.equal(await connackCode(broker.url, { clientId: 'site1' }), 0);
    restored.end(true);
  });

  it('the connected Node-RED gets every reading published under load (disk writes finishing out of order)', async function () {
    broker = await startBroker({ port: 0, dataDir: newDir(), nodeRed: NODE_RED });
    const nodeRed = await open(broker.url, nodeRedOptions);
    const received = new Set<number>();
    nodeRed.on('message', (_topic, payload) => received.add(Number(payload.toString())));
    await nodeRed.subscribeAsync('heatpump/+/data', { qos: 1 });
    const site1 = await open(broker.url, { clientId: 'site1' });
    const sent = 4000;
    // 20 every 20 ms: many publishes in flight at once, as from a device flushing its buffer
    let confirmed = 0;
    for (let n = 0; n < sent; n += 20) {
      const batch = Array.from({ length: 20 }, (_, i) => site1.publishAsync('heatpump/site1/data', String(n + i), { qos: 1 }));
      await new Promise((resolve) => setTimeout(resolve, 20));
      confirmed += (await Promise.all(batch)).length;
    }
    await eventually(() => (received.size === sent ? true : undefined), 10_000, () => `every reading at Node-RED (${received.size} of ${sent})`).catch(() => undefined);
    console.log(`      sent ${sent}, confirmed ${confirmed}, received by the connected Node-RED ${received.size}, lost ${sent - received.size}`);
    assert.equal(received.size, sent);
  });

  it('a QoS 1 reading queued for Node-RED\'s offline session survives kill -9 of the broker process', async function () {
    const dataDir = newDir();
    const script = `require(${JSON.stringify(path.join(projectRoot, 'dist', 'scripts', 'lib', 'broker.js'))})
      .startBroker({ port: 0, dataDir: ${JSON.stringify(dataDir)}, nodeRed: ${JSON.stringify(NODE_RED)} })
      .then((b) => console.log('port ' + b.port), (err) => { console.error(err); process.exit(1); });`;
    const startChild = async () => {
      const spawned = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      child = spawned;
      let out = '';
      spawned.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const port = await eventually(() => /port (\d+)/.exec(out)?.[1], 10_000, 'the broker process to listen');
      return `mqtt://127.0.0.1:${port}`;
    };
    let url = await startChild();
    const first = await open(url, nodeRedOptions);
    await first.subscribeAsync('heatpump/+/data', { qos: 1 });
    await first.endAsync();
    const site1 = await open(url, { clientId: 'site1' });
    const sent = 200;
    for (let n = 0; n < sent; n++) await site1.publishAsync('heatpump/site1/data', String(n), { qos: 1 });
    site1.end(true);

    const killed = child;
    const exited = new Promise((resolve) => killed?.once('exit', resolve));
    killed?.kill('SIGKILL');
    await exited;
    url = await startChild();

    const got: number[] = [];
    const back = mqtt.connect(url, { ...nodeRedOptions, reconnectPeriod: 0 });
    clients.push(back);
    back.on('message', (_topic, payload) => got.push(Number(payload.toString())));
    await eventually(() => (got.length >= sent ? true : undefined), 10_000, () => `all ${sent} confirmed readings after the kill (got ${got.length})`);
    console.log(`      sent ${sent} (all PUBACKed), broker killed (SIGKILL) and restarted, delivered ${got.length}, lost ${sent - new Set(got).size}`);
    assert.deepEqual(got, [...Array(sent).keys()]);
  });
});

describe('embedded broker: device logins (pure)', function () {
  const hashes = new Map([
    ['site1', sha256Hash('pw1')],
    ['site2', bcrypt.hashSync('pw2', 4)],
  ]);
  const logins: [string, { clientId: string; username?: string; password?: string }, boolean][] = [
    ['sha256 hash, right password', { clientId: 'site1', username: 'site1', password: 'pw1' }, true],
    ['bcrypt hash, right password', { clientId: 'site2', username: 'site2', password: 'pw2' }, true],
    ['wrong password', { clientId: 'site1', username: 'site1', password: 'pw2' }, false],
    ["another device's password", { clientId: 'site2', username: 'site2', password: 'pw1' }, false],
    ['no password', { clientId: 'site1', username: 'site1' }, false],
    ['no user name', { clientId: 'site1', password: 'pw1' }, false],
    ['client id other than the user name', { clientId: 'site2', username: 'site1', password: 'pw1' }, false],
    ['unknown device', { clientId: 'site3', username: 'site3', password: 'pw1' }, false],
  ];
  for (const [name, request, valid] of logins) {
    it(`${name} -> ${valid ? 'in' : 'refused'}`, async function () {
      assert.equal(await deviceLoginValid(request, hashes), valid);
    });
  }

  const topics: [string, 'publish' | 'subscribe', string, boolean][] = [
    ['site1', 'publish', 'heatpump/site1/data', true],
    ['site1', 'publish', 'heatpump/site1/status/online', true],
    ['site1', 'publish', 'heatpump/site2/data', false],
    ['site1', 'publish', 'heatpump/site1/cmd', false],
    ['site1', 'publish', 'heatpump/site1/data/extra', false],
    ['site1', 'publish', 'other/site1/data', false],
    ['site1', 'subscribe', 'heatpump/site1/cmd', true],
    ['site1', 'subscribe', 'heatpump/site1/sms/send', true],
    ['site1', 'subscribe', 'heatpump/+/cmd', false],
    ['site1', 'subscribe', 'heatpump/site1/#', false],
    ['site1', 'subscribe', 'heatpump/site2/cmd', false],
    ['site1', 'subscribe', 'heatpump/site1/data', false],
  ];
  for (const [device, action, topic, allowed] of topics) {
    it(`${device} ${action} ${topic} -> ${allowed ? 'allowed' : 'refused'}`, function () {
      assert.equal((action === 'publish' ? devicePublishAllowed : deviceSubscribeAllowed)(device, topic), allowed);
    });
  }

  it('grants a device what the mosquitto ACL of the Docker set-up grants it, no more', function () {
    const acl = fs.readFileSync(path.join(projectRoot, 'docker', 'mosquitto', 'acl'), 'utf8');
    const granted = (kind: string) => [...acl.matchAll(new RegExp(`^pattern ${kind} heatpump/%u/(\\S+)$`, 'gm'))].map((m) => m[1]).sort();
    assert.deepEqual([...DEVICE_PUBLISH_TOPICS].sort(), granted('write'));
    assert.deepEqual([...DEVICE_SUBSCRIBE_TOPICS].sort(), granted('read'));
  });

  it('reads a password file and names each line it cannot take', function () {
    const sha = sha256Hash('x');
    const text = ['# devices', '', `site1:${sha}`, `site2:${bcrypt.hashSync('y', 4)}`, 'site3:plain-text', `site/4:${sha}`, `site1:${sha}`, 'no-colon'].join('\n');
    const { hashes, problems } = parseDevicePasswords(text);
    assert.deepEqual([...hashes.keys()], ['site1', 'site2']);
    assert.deepEqual(
      problems.map((p) => p.split(':')[0]),
      ['line 5', 'line 6', 'line 7', 'line 8'],
    );
    assert.match(problems[2] as string, /listed twice/);
  });
});

describe('embedded broker: device logins (real aedes)', function () {
  this.timeout(30_000);
  const clients: MqttClient[] = [];
  let broker: RunningBroker | undefined;
  afterEach(async function () {
    for (const client of clients.splice(0)) client.end(true);
    await broker?.close();
    broker = undefined;
  });
  const open = async (url: string, options: IClientOptions) => {
    const client = await connect(url, options);
    clients.push(client);
    return client;
  };

  it('lets a device in only with its login and keeps it to its own topics; Node-RED keeps reading all', async function () {
    broker = await startBroker({ port: 0, nodeRed: NODE_RED, deviceLogins: new Map([['site1', sha256Hash('pw1')], ['site2', sha256Hash('pw2')]]) });
    const nodeRed = await open(broker.url, nodeRedOptions);
    const got: string[] = [];
    nodeRed.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
    await nodeRed.subscribeAsync('heatpump/#', { qos: 1 });
    await broker.devicesAccepted;

    assert.equal(await connackCode(broker.url, { clientId: 'site1' }), REFUSED.badLogin, 'no login');
    assert.equal(await connackCode(broker.url, { clientId: 'site1', username: 'site1', password: 'pw2' }), REFUSED.badLogin, 'wrong password');
    assert.equal(await connackCode(broker.url, { clientId: 'site2', username: 'site1', password: 'pw1' }), REFUSED.badLogin, "another device's client id");

    const site1 = await open(broker.url, { clientId: 'site1', username: 'site1', password: 'pw1' });
    await site1.publishAsync('heatpump/site1/data', 'own', { qos: 1 });
    const granted = await site1.subscribeAsync('heatpump/site1/cmd', { qos: 1 });
    assert.deepEqual(
      granted.map((g) => [g.topic, g.qos]),
      [['heatpump/site1/cmd', 1]],
    );
    // reading other devices: the SUBACK failure code 0x80 (mqtt.js rejects the subscribe)
    await assert.rejects(site1.subscribeAsync('heatpump/+/data', { qos: 1 }), (err: { packet?: { granted?: number[] } }) => {
      assert.deepEqual(err.packet?.granted, [128]);
      return true;
    });
    // publishing as another device: the broker closes the connection, nothing reaches Node-RED
    const closed = new Promise<void>((resolve) => site1.once('close', () => resolve()));
    site1.publish('heatpump/site2/data', 'forged', { qos: 1 });
    await closed;
    const site2 = await open(broker.url, { clientId: 'site2', username: 'site2', password: 'pw2' });
    await site2.publishAsync('heatpump/site2/data', 'real', { qos: 1 });
    await eventually(() => (got.length >= 2 ? true : undefined), 5000, () => `the two allowed readings (got ${JSON.stringify(got)})`);
    assert.deepEqual(got, ['heatpump/site1/data own', 'heatpump/site2/data real']);
  });
});
