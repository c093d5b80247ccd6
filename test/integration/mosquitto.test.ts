// Debian's mosquitto with the SHIPPED docker/mosquitto config (test/support/mosquitto.ts says what
// differs outside the container): logins, ACL, the replicas' shared subscriptions, TLS, and faults
// with Node-RED (npm start) in front of it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { freePort } from '../../scripts/lib/ports';
import { projectRoot } from '../support/node-red';
import { requireBinary } from '../support/system';
import { influxdPidsOn } from '../../scripts/lib/influxd';
import { devicePayload } from '../fixtures/payloads';
import { countAfterKill, journalReplayed, startPublishingDevice, storedTimestamps, type PublishingDevice } from '../support/device';
import { MOSQUITTO_ENTRYPOINT, ShippedMosquitto, makeMosquittoRoot } from '../support/mosquitto';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';
import { makeTestCertificates } from '../support/tls';

function connect(port: number, options: IClientOptions, protocol: 'mqtt' | 'mqtts' = 'mqtt'): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`${protocol}://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Mosquitto with the shipped config (docker/mosquitto)', function () {
  this.timeout(30_000);
  let mosquitto: ShippedMosquitto;
  let dir = '';
  let port = 0;
  let tlsPort = 0;
  let ca = '';
  let otherCa = '';
  const clients: MqttClient[] = [];
  const open = async (options: IClientOptions) => {
    const client = await connect(port, options);
    clients.push(client);
    return client;
  };

  before(async function () {
    this.timeout(60_000);
    const binary = requireBinary(this, 'mosquitto', 'mosquitto');
    requireBinary(this, 'mosquitto_passwd', 'mosquitto');
    const openssl = requireBinary(this, 'openssl', 'openssl');
    mosquitto = await ShippedMosquitto.prepare({
      binary,
      openssl,
      logins: { MQTT_PASSWORD: 'nodered-secret', MQTT_DEVICE_CREDENTIALS: 'site1:site1-secret site2:site2-secret', MQTT_REPLICA_USERS: 'nodered-a nodered-b' },
    });
    ({ root: dir, port, tlsPort } = mosquitto);
    ({ ca, otherCa } = mosquitto.certificates);
    await mosquitto.start();
  });

  after(async function () {
    for (const client of clients) client.end(true);
    await mosquitto?.remove();
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

  /**
   * A replica's connection as the shipped flow makes it with REDIS_URL set: MQTT 5, a persistent
   * session expiring MQTT_SESSION_EXPIRY_SECONDS (`sessionExpiryS`, 120 by default) after a disconnect. `onPayload` is attached before the connection is up: a returning
   * session's queue comes right after CONNACK.
   */
  const connectReplica = async (name: 'a' | 'b', onPayload: (payload: string) => void, sessionExpiryS = 120): Promise<MqttClient> => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      username: `nodered-${name}`,
      password: 'nodered-secret',
      clientId: `heatpump-monitor-${name}`,
      clean: false,
      reconnectPeriod: 0,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: sessionExpiryS },
    });
    clients.push(client);
    client.on('message', (_topic, payload) => onPayload(payload.toString()));
    await new Promise((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    return client;
  };
  const SHARED = '$share/heatpump-monitor/heatpump/+/data';

  it('two replicas share the device stream ($share, QoS 1, a persistent session each): none lost, none twice, also when one drops out', async function () {
    const got = new Map<string, string[]>([['a', []], ['b', []]]);
    const replica = (name: 'a' | 'b') => connectReplica(name, (payload) => got.get(name)?.push(payload));
    const a = await replica('a');
    const b = await replica('b');
    await a.subscribeAsync(SHARED, { qos: 1 });
    await b.subscribeAsync(SHARED, { qos: 1 });
    const site1 = await open({ username: 'site1', password: 'site1-secret' });
    const publish = async (from: number, to: number) => {
      for (let n = from; n < to; n++) await site1.publishAsync('heatpump/site1/data', `${n}`, { qos: 1 });
    };
    const received = () => [...(got.get('a') ?? []), ...(got.get('b') ?? [])].map(Number).sort((x, y) => x - y);
    const upTo = (count: number) => Array.from({ length: count }, (_, n) => n);
    await publish(0, 40);
    await eventually(() => (received().length >= 40 ? true : undefined), 5000, () => `40 readings over both replicas (got ${received().length})`);
    assert.ok((got.get('a')?.length ?? 0) > 0 && (got.get('b')?.length ?? 0) > 0, 'each replica takes a share');
    assert.deepEqual(received(), upTo(40));

    // replica a drops out without a goodbye (killed); its persistent session stays subscribed
    a.stream.destroy();
    await eventually(() => (a.connected ? undefined : true), 5000, 'replica a gone');
    await publish(40, 80);
    // a comes back with the same login (so the same client id and session): what was queued for it arrives
    const back = await replica('a');
    await eventually(() => (received().length >= 80 ? true : undefined), 10_000, () => `80 readings over both replicas (got ${received().length})`);
    assert.deepEqual(received(), upTo(80), 'every reading once');
    await back.endAsync();
    await b.endAsync();
  });

  it('with MQTT_SESSION_EXPIRY_SECONDS, a replica gone past its session expiry takes no more of the stream: the other gets every reading', async function () {
    const got: string[] = [];
    const a = await connectReplica('a', () => undefined, 1);
    const b = await connectReplica('b', (payload) => got.push(payload), 1);
    await a.subscribeAsync(SHARED, { qos: 1 });
    await b.subscribeAsync(SHARED, { qos: 1 });
    // a killed: its session lives on for a second (Mosquitto checks expiries in whole seconds), then
    // the broker stops routing to it
    a.stream.destroy();
    await eventually(() => (a.connected ? undefined : true), 5000, 'replica a gone');
    await sleep(3000);
    const site1 = await open({ username: 'site1', password: 'site1-secret' });
    for (let n = 0; n < 20; n++) await site1.publishAsync('heatpump/site1/data', `${n}`, { qos: 1 });
    await eventually(() => (got.length >= 20 ? true : undefined), 5000, () => `20 readings on b (got ${got.length})`);
    assert.deepEqual(got.map(Number), Array.from({ length: 20 }, (_, n) => n));
    await b.endAsync();
  });

  it('no device login takes over Node-RED\'s session: the client id is the user name', async function () {
    // Node-RED's persistent session, subscribed at QoS 1, then offline (as while it restarts)
    const first = await open({ username: 'nodered', password: 'nodered-secret', clientId: 'heatpump-monitor-nodered', clean: false });
    await first.subscribeAsync('heatpump/+/data', { qos: 1 });
    await first.endAsync();

    const site1 = await open({ username: 'site1', password: 'site1-secret' });
    for (let i = 0; i < 5; i++) await site1.publishAsync('heatpump/site1/data', `{"n":${i}}`, { qos: 1 });
    // a device logs in with Node-RED's client id and a clean session: before, the broker handed it
    // Node-RED's session and dropped the queue; now its id is replaced by "site1"
    const hijack = await open({ username: 'site1', password: 'site1-secret', clientId: 'heatpump-monitor-nodered', clean: true });
    await hijack.endAsync();

    // Node-RED comes back: all five readings were kept for it
    const got: string[] = [];
    const back = mqtt.connect(`mqtt://127.0.0.1:${port}`, { username: 'nodered', password: 'nodered-secret', clientId: 'heatpump-monitor-nodered', clean: false, reconnectPeriod: 0 });
    clients.push(back);
    back.on('message', (_topic, payload) => got.push(payload.toString()));
    const sessionPresent = await new Promise<boolean>((resolve, reject) => {
      back.once('connect', (packet) => resolve(packet.sessionPresent));
      back.once('error', reject);
    });
    assert.equal(sessionPresent, true, 'the broker kept Node-RED\'s session');
    await eventually(() => (got.length === 5 ? true : undefined), 5000, () => `the queued readings (got ${JSON.stringify(got)})`);
    assert.deepEqual(got, [0, 1, 2, 3, 4].map((n) => `{"n":${n}}`));

    // while Node-RED is connected, a device with its client id does not disconnect it ...
    let closed = 0;
    back.on('close', () => closed++);
    const again = await open({ username: 'site2', password: 'site2-secret', clientId: 'heatpump-monitor-nodered' });
    await again.publishAsync('heatpump/site2/data', '{"n":5}', { qos: 1 });
    await eventually(() => (got.length === 6 ? true : undefined), 5000, 'site2\'s reading at the still connected Node-RED');
    assert.equal(closed, 0);
    assert.equal(back.connected, true);

    // ... neither does the compose healthcheck, which logs in as "healthcheck"
    const compose = fs.readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8');
    const healthcheck = /^\s+test: \["CMD-SHELL", "(mosquitto_pub .*)"\]$/m.exec(compose)?.[1];
    assert.ok(healthcheck, 'the mosquitto healthcheck in docker-compose.yml');
    const command = healthcheck.replaceAll('\\"', '"').replaceAll('$$', '$').replace('-p 1883', `-p ${port}`).replaceAll('/mosquitto/', `${dir}/`);
    assert.notEqual(command, healthcheck);
    const result = spawnSync('sh', ['-c', command], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(result.status, 0, `healthcheck failed: ${result.stderr}`);
    await sleep(300);
    assert.equal(closed, 0, 'the healthcheck took over Node-RED\'s session');

    // (the check above can see a take-over: a second "nodered" login does take the session over)
    const second = await open({ username: 'nodered', password: 'nodered-secret', clientId: 'anything' });
    await eventually(() => (closed > 0 ? true : undefined), 5000, 'the second nodered login to take over');
    second.end(true);
  });

  it('a device cannot publish server -> device topics, not even its own', async function () {
    const nodered = await open({ username: 'nodered', password: 'nodered-secret' });
    const site1 = await open({ username: 'site1', password: 'site1-secret' });
    const received: string[] = [];
    nodered.on('message', (topic) => received.push(topic));
    await nodered.subscribeAsync('heatpump/#', { qos: 1 });
    const forbidden = ['heatpump/site1/cmd', 'heatpump/site1/sms/send', 'heatpump/site2/cmd', 'heatpump/site2/status/online', 'heatpump/site1', 'heatpump/site1/other', 'heatpump/x'];
    for (const topic of forbidden) await site1.publishAsync(topic, 'x', { qos: 1 });
    const allowed = ['heatpump/site1/alerts', 'heatpump/site1/sms/sent', 'heatpump/site1/sms/received', 'heatpump/site1/status/online', 'heatpump/site1/data'];
    for (const topic of allowed) await site1.publishAsync(topic, 'x', { qos: 1 });
    await eventually(() => (received.includes('heatpump/site1/data') ? true : undefined), 5000, 'the allowed publishes');
    assert.deepEqual(received, allowed);
  });

  it('a device receives nothing but its own cmd and sms/send, whatever it subscribes to', async function () {
    // Mosquitto 2.0's ACL grants every SUBSCRIBE (SUBACK 1 here) and checks read access for each
    // message it would deliver, retained ones included: that is what is tested.
    const nodered = await open({ username: 'nodered', password: 'nodered-secret' });
    const site2 = await open({ username: 'site2', password: 'site2-secret' });
    await site2.publishAsync('heatpump/site2/status/online', 'online', { qos: 1, retain: true });
    await nodered.publishAsync('heatpump/site2/cmd', 'retained', { qos: 1, retain: true });
    const site1 = await open({ username: 'site1', password: 'site1-secret' });
    const got: string[] = [];
    site1.on('message', (topic) => got.push(topic));
    await site1.subscribeAsync(['#', 'heatpump/#', 'heatpump/+/cmd', 'heatpump/site2/cmd', 'heatpump/site2/sms/send', 'heatpump/site1/#', 'heatpump/site1/data'], { qos: 1 });
    for (const topic of ['heatpump/site2/cmd', 'heatpump/site2/sms/send', 'heatpump/site2/data', 'heatpump/site1/data', 'heatpump/site1/alerts', 'heatpump/site1/cmd', 'heatpump/site1/sms/send']) {
      await nodered.publishAsync(topic, 'x', { qos: 1 });
    }
    await site2.publishAsync('heatpump/site2/data', 'x', { qos: 1 });
    await eventually(() => (got.includes('heatpump/site1/sms/send') ? true : undefined), 5000, 'site1\'s own server -> device messages');
    await sleep(300);
    // own cmd and sms/send, once per matching subscription (#, heatpump/#, heatpump/+/cmd, heatpump/site1/#)
    assert.deepEqual([...new Set(got)], ['heatpump/site1/cmd', 'heatpump/site1/sms/send']);
    await nodered.publishAsync('heatpump/site2/cmd', '', { qos: 1, retain: true });
    await site2.publishAsync('heatpump/site2/status/online', '', { qos: 1, retain: true });
  });

  it('TLS on the 8883 listener: a client with the CA connects, one without it does not', async function () {
    const tls = (options: IClientOptions) => connect(tlsPort, { username: 'site1', password: 'site1-secret', ...options }, 'mqtts');
    const good = await tls({ ca: fs.readFileSync(ca), servername: 'localhost' });
    clients.push(good);
    await good.publishAsync('heatpump/site1/status/online', 'online', { qos: 1 });
    await assert.rejects(tls({}), /self[- ]signed|unable to (get|verify)|certificate/i);
    await assert.rejects(tls({ ca: fs.readFileSync(otherCa) }), /self[- ]signed|unable to (get|verify)|certificate/i);
    // the TLS listener asks for a login as the plain one does
    await assert.rejects(connect(tlsPort, { ca: fs.readFileSync(ca) }, 'mqtts'), /Not authorized|Connection refused/i);
    await assert.rejects(tls({ ca: fs.readFileSync(ca), password: 'wrong' }), /Not authorized|Bad User Name or Password|Connection refused/i);
    // the client id is the user name on this listener too: a device using Node-RED's id takes nothing over
    const nodered = await open({ username: 'nodered', password: 'nodered-secret', clientId: 'heatpump-monitor-nodered' });
    let closed = 0;
    nodered.on('close', () => closed++);
    const spoof = await tls({ ca: fs.readFileSync(ca), servername: 'localhost', clientId: 'heatpump-monitor-nodered' });
    clients.push(spoof);
    await sleep(300);
    assert.equal(closed, 0);
    // and plain MQTT is not spoken on it
    await assert.rejects(connect(tlsPort, { username: 'site1', password: 'site1-secret', connectTimeout: 2000 }));
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

  describe('faults: Node-RED killed, mosquitto restarted (npm start with MQTT_BROKER, a local influxd)', function () {
    const RATE = 200;
    const homes: string[] = [];
    let product: RunningProduct | undefined;
    let device: PublishingDevice | undefined;
    const nodeRedEnv = () => ({
      MQTT_BROKER: '127.0.0.1',
      MQTT_PORT: String(port),
      MQTT_USER: 'nodered',
      MQTT_PASSWORD: 'nodered-secret',
      // as docker-compose.yml: mosquitto makes the user name the client id anyway
      MQTT_CLIENT_ID: 'nodered',
      LOCAL_INFLUXD: '1',
      SIMULATOR: '0',
    });
    const mqttConnected = async (running: RunningProduct) =>
      ((await (await fetch(`${running.baseUrl}/api/health`)).json()) as { mqtt_connected: boolean }).mqtt_connected;
    const startNodeRed = async (home: string, influxPort: number) =>
      startProduct({ ...nodeRedEnv(), INFLUXDB_PORT: String(influxPort) }, { home, ready: mqttConnected });

    before(function () {
      requireBinary(this, 'influxd', 'influxdb');
    });
    afterEach(async function () {
      await device?.end();
      device = undefined;
      await product?.stop();
      product = undefined;
    });
    after(function () {
      for (const home of homes) {
        for (const pid of influxdPidsOn(path.join(home, 'influxdb'))) process.kill(pid, 'SIGKILL');
        fs.rmSync(home, { recursive: true, force: true });
      }
    });
    const newHome = () => {
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-mosquitto-faults-'));
      homes.push(home);
      return home;
    };

    it(`Node-RED killed (SIGKILL) for 6 s while a device publishes ${RATE} readings/s: every reading is stored, once`, async function () {
      this.timeout(120_000);
      const home = newHome();
      const influxPort = await freePort();
      product = await startNodeRed(home, influxPort);
      device = startPublishingDevice(`mqtt://127.0.0.1:${port}`, 'site1', RATE, Date.now() - 3_600_000, { username: 'site1', password: 'site1-secret' });
      await sleep(3000);
      const killedAt = device.sent.length;
      product.child.kill('SIGKILL');
      await new Promise((resolve) => (product?.child.exitCode !== null ? resolve(undefined) : product.child.once('exit', resolve)));
      await sleep(6000);
      const duringOutage = device.sent.length - killedAt;
      product = await startNodeRed(home, influxPort);
      await sleep(3_000);
      device.stopPublishing();
      const outcome = await countAfterKill(device, 'site1', killedAt, `http://127.0.0.1:${influxPort}`);
      const replayed = journalReplayed(product.output());
      console.log(`      ${outcome.line}; ${duringOutage} sent while Node-RED was down (queued by mosquitto in the session "nodered"); ${replayed} replayed from heatpump-batch's journal`);
      assert.ok(replayed > 0, 'the restart replayed nothing from the journal');
      // readings the killed Node-RED had taken come back from heatpump-batch's journal
      assert.equal(outcome.lost, 0, 'readings were lost');
      assert.equal(outcome.duplicateRows, 0, 'a replay added rows (a point replayed under other tags)');
    });

    it('mosquitto restarted while Node-RED runs: back within 10 s, subscriptions restored, the outage counted', async function () {
      this.timeout(90_000);
      const influxPort = await freePort();
      product = await startNodeRed(newHome(), influxPort);
      const running = product;
      const outages = async () => Number(/^heatpump_mqtt_outages_total (\d+)$/m.exec(await (await fetch(`${running.baseUrl}/metrics`)).text())?.[1]);
      const before = await outages();
      await mosquitto.stop();
      await eventually(async () => ((await mqttConnected(running)) ? undefined : true), 10_000, 'Node-RED to see the broker gone');
      await mosquitto.start();
      const restartedAt = Date.now();
      await eventually(() => mqttConnected(running).then((up) => (up ? true : undefined)), 10_000, 'Node-RED to reconnect within 10 s');
      const reconnectMs = Date.now() - restartedAt;
      // a reading after the restart arrives: Node-RED's subscriptions are back
      const site1 = await open({ username: 'site1', password: 'site1-secret' });
      const timestamp = Date.now() - 60_000;
      await site1.publishAsync('heatpump/site1/data', JSON.stringify(devicePayload({ device: 'site1', timestamp })), { qos: 1 });
      await eventually(async () => ((await storedTimestamps(`http://127.0.0.1:${influxPort}`, 'site1')).has(timestamp) ? true : undefined), 15_000, 'the reading published after the restart in InfluxDB');
      const counted = await outages();
      console.log(`      mosquitto restarted: Node-RED reconnected ${reconnectMs} ms after mosquitto was back, a reading after it stored, mqtt_outages ${before} -> ${counted}`);
      assert.equal(counted, before + 1);
    });
  });
});

describe('docker/mosquitto/entrypoint.sh (sh in a temp dir, mosquitto replaced by a recorder)', function () {
  this.timeout(30_000);
  let certs = '';
  let made: ReturnType<typeof makeTestCertificates> | undefined;
  const roots: string[] = [];

  before(function () {
    requireBinary(this, 'mosquitto_passwd', 'mosquitto');
    const openssl = requireBinary(this, 'openssl', 'openssl');
    certs = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-mosquitto-certs-'));
    made = makeTestCertificates(openssl, certs);
  });
  after(function () {
    for (const temp of [...roots, certs]) if (temp) fs.rmSync(temp, { recursive: true, force: true });
  });

  const run = (credentials: string, options: { tls?: boolean; shell?: string[] } = {}) => {
    const root = makeMosquittoRoot('# the recorder never reads it\n', options.tls === false ? undefined : made);
    roots.push(root);
    const recorder = path.join(root, 'recorder.sh');
    fs.writeFileSync(recorder, `#!/bin/sh\necho "$@" >"${root}/ran"\n`, { mode: 0o755 });
    const [shell = 'sh', ...shellArgs] = options.shell ?? ['sh'];
    const result = spawnSync(shell, [...shellArgs, MOSQUITTO_ENTRYPOINT], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', MOSQUITTO_ROOT: root, MOSQUITTO_BIN: recorder, MQTT_PASSWORD: 'nodered-secret', MQTT_DEVICE_CREDENTIALS: credentials },
    });
    return { ...result, root, ran: fs.existsSync(path.join(root, 'ran')) ? fs.readFileSync(path.join(root, 'ran'), 'utf8') : undefined };
  };
  const users = (root: string) =>
    fs.readFileSync(path.join(root, 'auth', 'passwords'), 'utf8').trim().split('\n').map((line) => line.split(':')[0]);

  it('writes nodered, healthcheck and the devices, copies the TLS files, then runs mosquitto', function () {
    const result = run('site1:secret-1 site-2.b:pass:with:colons');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.ran, `-c ${result.root}/config/mosquitto.conf\n`);
    assert.deepEqual(users(result.root), ['nodered', 'healthcheck', 'site1', 'site-2.b']);
    assert.equal(fs.statSync(path.join(result.root, 'auth', 'passwords')).mode & 0o077, 0);
    assert.equal(fs.statSync(path.join(result.root, 'auth', 'healthcheck')).mode & 0o077, 0);
    assert.match(fs.readFileSync(path.join(result.root, 'auth', 'healthcheck'), 'utf8'), /^[0-9a-f]{48}$/);
    for (const file of ['ca.crt', 'server.crt', 'server.key']) {
      assert.deepEqual(fs.readFileSync(path.join(result.root, 'tls', file)), fs.readFileSync(path.join(result.root, 'tls-in', file)));
    }
    assert.equal(fs.statSync(path.join(result.root, 'tls', 'server.key')).mode & 0o077, 0);
    assert.doesNotMatch(result.stdout + result.stderr, /secret-1|with:colons/);
  });

  it('refuses device ids the ACL pattern heatpump/%u/... cannot hold, and reserved or malformed ones', function () {
    const refused: [string, RegExp][] = [
      ['si+te', /wildcard or "\/"/],
      ['site#', /wildcard or "\/"/],
      ['+', /wildcard or "\/"/],
      ['site1/cmd', /wildcard or "\/"/],
      ['nodered', /reserved/],
      ['healthcheck', /reserved/],
      ['_internal', /starts with "_"/],
      ['a,b', /contains one of/],
      ['x'.repeat(65), /longer than 64/],
    ];
    for (const [id, why] of refused) {
      const result = run(`site1:ok-secret ${id}:device-secret`);
      assert.equal(result.status, 1, `${id} was not refused`);
      assert.match(result.stderr, why, id);
      assert.ok(result.stderr.includes(`"${id}"`), `the message names ${id}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /device-secret|ok-secret/);
      assert.equal(result.ran, undefined, `mosquitto started with ${id}`);
      assert.equal(fs.existsSync(path.join(result.root, 'auth', 'passwords')), false, `a password file was written with ${id}`);
    }
    for (const entry of ['site1', 'site1:', ':secret']) {
      const result = run(entry);
      assert.equal(result.status, 1, `${entry} was not refused`);
      assert.equal(result.ran, undefined);
    }
  });

  it('the same under busybox sh, the shell of the Alpine image (eclipse-mosquitto:2)', function () {
    const busybox = requireBinary(this, 'busybox', 'busybox');
    const shell = [busybox, 'sh'];
    const result = run('site1:secret-1 site-2.b:pass:with:colons', { shell });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.ran, `-c ${result.root}/config/mosquitto.conf\n`);
    assert.deepEqual(users(result.root), ['nodered', 'healthcheck', 'site1', 'site-2.b']);
    assert.match(fs.readFileSync(path.join(result.root, 'auth', 'healthcheck'), 'utf8'), /^[0-9a-f]{48}$/);
    for (const [id, why] of [['si+te', /wildcard or "\/"/], ['nodered', /reserved/], ['a,b', /contains one of/], ['x'.repeat(65), /longer than 64/]] as const) {
      const refused = run(`site1:ok-secret ${id}:device-secret`, { shell });
      assert.equal(refused.status, 1, `${id} was not refused`);
      assert.match(refused.stderr, why, id);
      assert.equal(refused.ran, undefined);
    }
    assert.match(run('site1:secret-1', { tls: false, shell }).stderr, /MQTT_TLS_CA_FILE/);
  });

  it('refuses to start without the TLS files', function () {
    const result = run('site1:secret-1', { tls: false });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /MQTT_TLS_CA_FILE/);
    assert.equal(result.ran, undefined);
  });
});
