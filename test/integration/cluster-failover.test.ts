// Two `npm start` replicas on one shared state, as the compose cluster profile runs them: Debian's
// mosquitto with the shipped config, redis-server, influxd and 100 devices with their own logins
// publishing a reading a second each (QoS 1). The replicas connect as a cluster does by default:
// MQTT 5, a session that expires 120 s after a disconnect. Mid-stream one replica's Node-RED is
// killed (SIGKILL) and started again 6 s later, as a restart policy would; then, started with a
// short session expiry (MQTT_SESSION_EXPIRY_SECONDS), it is killed again and stays away past it, as a
// replica removed for good; later redis-server restarts on its data. Every reading must be stored
// once (but those the broker held for the expired session: counted and printed; those the
// killed replica had confirmed to the broker and not yet handled come back from its receive
// journal when it starts again), each alert stored and sent by SMS once (through a Twilio-style
// gateway this test runs), and the survivor must keep the fleet's presence right.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { influxQuery, rowsOf } from '../../scripts/lib/influx-setup';
import { loadShippedFlows } from '../../scripts/lib/shipped-flows';
import { deviceIds, killReplica, startClusterServices, startReplica, storedReadings, type ClusterServices, type ReplicaName } from '../support/cluster';
import { journalReplayed, receivedSentAgain } from '../support/device';
import { DeviceFleet } from '../support/device-fleet';
import type { RunningProduct } from '../support/runtime';
import { requireBinary } from '../support/system';
import { eventually } from '../support/wait';

const DEVICES = 100;
const INTERVAL_MS = 1000;
/** DEVICE_ONLINE_TIMEOUT_SECONDS of the replicas */
const ONLINE_TIMEOUT_S = 20;
/** settings.js onlineTrackerCheckInterval: a timed-out device is reported at the next sweep */
const TRACKER_SWEEP_MS = 5000;
const RESTART_AFTER_MS = 6000;
/** MQTT_SESSION_EXPIRY_SECONDS of the replica killed for good: short, so that the test need not wait long */
const GONE_EXPIRY_S = 5;
/** the stream runs this long on both replicas before a kill of b */
const STREAM_BEFORE_KILL_MS = 3000;
const CRITICAL_VOLTAGE = 255;
const ADMINS = ['+4917000000001', '+4917000000002'];
const TWILIO_SID = `AC${'0'.repeat(32)}`;
const TWILIO_TOKEN = 'cluster-test-token';
const PACKAGES = 'mosquitto redis-server influxdb';

interface Sms {
  to: string;
  body: string;
}

/** A Twilio-style SMS gateway on loopback: records each message, answers 201 as Twilio does. */
async function startSmsGateway(): Promise<{ url: string; received: Sms[]; close(): Promise<void> }> {
  const received: Sms[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const authorized = req.headers.authorization === `Basic ${Buffer.from(`${TWILIO_SID}:${TWILIO_TOKEN}`).toString('base64')}`;
      if (!authorized || !req.url?.endsWith(`/Accounts/${TWILIO_SID}/Messages.json`)) {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"code":20003,"message":"Authenticate","status":401}');
        return;
      }
      received.push({ to: form.get('To') ?? '', body: form.get('Body') ?? '' });
      res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ sid: `SM${received.length}`, status: 'queued' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The shipped flows with the SMS gateway config node on Twilio (its API base the test's gateway), as an installer sets it in the editor. */
function flowsWithTwilio(apiBase: string): unknown[] {
  const flows = loadShippedFlows().map((node) => structuredClone(node));
  const gateway = flows.find((node) => node.id === 'hp_sms_gateway');
  assert.ok(gateway, 'the shipped flows have the SMS gateway config node');
  Object.assign(gateway, { transport: 'twilio', twilioAccountSid: TWILIO_SID, twilioFrom: '+15005550006', twilioApiBase: apiBase, credentials: { twilioAuthToken: TWILIO_TOKEN } });
  return flows;
}

async function api<T>(product: RunningProduct, route: string): Promise<T> {
  const res = await fetch(`${product.baseUrl}${route}`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200, `${route} answered ${res.status}`);
  return (await res.json()) as T;
}

interface DeviceEntry {
  device_id: string;
  is_online: boolean;
  last_seen: string | null;
}

/** A phase of the stream: from its mark (readings sent per device when it began) to the next phase's. */
interface Phase {
  name: string;
  sentBefore: Map<string, number>;
}

describe('cluster failover: two npm start replicas, mosquitto, redis-server, influxd, 100 devices', function () {
  this.timeout(240_000);
  let services: ClusterServices;
  let gateway: Awaited<ReturnType<typeof startSmsGateway>>;
  let fleet: DeviceFleet;
  let flows: unknown[];
  const homes = new Map<ReplicaName, string>();
  const replicas = new Map<ReplicaName, RunningProduct>();
  const phases: Phase[] = [];
  /** alerts the test caused: device and the timestamp of its first critical reading */
  const expectedAlerts: { deviceId: string; at: number }[] = [];
  const ids = deviceIds(DEVICES);
  const silentDevice = ids[DEVICES - 1] as string;
  const firstTimestamp = Date.now() - 3_600_000;

  const replica = (name: ReplicaName): RunningProduct => {
    const running = replicas.get(name);
    assert.ok(running, `replica ${name} runs`);
    return running;
  };
  /**
   * readings the broker may have held for replica b's session when it expired (queued, or in flight:
   * sent to b and not yet confirmed, which with b's event loop seconds behind on a loaded machine
   * reaches back before the kill): device id -> timestamps
   */
  const queuedForGone = new Map<string, Set<number>>();
  /** a missing reading the broker held for b's expired session (counted apart), not a loss */
  const queuedForGoneSession = (id: string, timestamp: number): boolean => queuedForGone.get(id)?.has(timestamp) === true;
  /**
   * Kills b while the devices publish, STREAM_BEFORE_KILL_MS from now; `phase` begins at the kill
   * signal (not once b has exited: readings sent in between are the new phase's). Resolves to the
   * count of readings each device had sent when the wait began.
   */
  const killBMidStream = async (phase?: string): Promise<Map<string, number>> => {
    const streamFrom = new Map([...fleet.sent()].map(([id, sent]) => [id, sent.length]));
    await new Promise((resolve) => setTimeout(resolve, STREAM_BEFORE_KILL_MS));
    if (phase !== undefined) beginPhase(phase);
    await killReplica(replica('b'));
    return streamFrom;
  };
  /** Starts `npm start` as replica `name`; with `sessionExpiryS`, its MQTT session expires that long after it disconnects, instead of the cluster's default 120 s. */
  const start = async (name: ReplicaName, sessionExpiryS?: number) => {
    const env = { DEVICE_ONLINE_TIMEOUT_SECONDS: String(ONLINE_TIMEOUT_S), SMS_ADMIN_NUMBERS: ADMINS.join(','), ...(sessionExpiryS === undefined ? {} : { MQTT_SESSION_EXPIRY_SECONDS: String(sessionExpiryS) }) };
    replicas.set(name, await startReplica(services, name, homes.get(name) as string, { flows, env }));
  };
  const beginPhase = (name: string) => phases.push({ name, sentBefore: new Map([...fleet.sent()].map(([id, sent]) => [id, sent.length])) });
  const metric = async (product: RunningProduct, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(await (await fetch(`${product.baseUrl}/metrics`)).text())?.[1]);

  /** The device's readings from now on are critical. */
  const turnCritical = (deviceId: string) => {
    fleet.setVoltage(deviceId, CRITICAL_VOLTAGE);
    expectedAlerts.push({ deviceId, at: fleet.publish(deviceId) });
  };
  /** Waits until the device's alert is stored and its SMS went out. */
  const alertDelivered = async (deviceId: string) => {
    await eventually(async () => ((await alertRows()).some((row) => row.device_id === deviceId) ? true : undefined), 30_000, `the alert of ${deviceId} in InfluxDB`, 500);
    await eventually(() => (ADMINS.every((to) => gateway.received.some((sms) => sms.to === to && sms.body.includes(deviceId))) ? true : undefined), 30_000, `the SMS about ${deviceId} to both admins`, 250);
  };
  /** Raises a critical voltage alert on the device now; waits until it is stored and its SMS went out. */
  const raiseAlert = async (deviceId: string) => {
    turnCritical(deviceId);
    await alertDelivered(deviceId);
  };
  const alertRows = async () => rowsOf(await influxQuery({ url: services.influxd.url }, 'SELECT "value", "device_id", "alert_type", "level", "source" FROM "raw"."alert"', 'heatpump'));
  /** Waits until every reading sent up to now (from `since` on: device id -> readings sent before) is stored (a timeout says how many are missing). */
  const allStored = async (timeoutMs: number, what: string, since = new Map<string, number>()) => {
    const sent = fleet.sent();
    let missing: string[] = [];
    await eventually(async () => {
      const stored = await storedReadings(services.influxd.url, firstTimestamp);
      missing = [];
      for (const [id, timestamps] of sent) {
        const rows = new Set(stored.get(id));
        timestamps.forEach((timestamp, index) => {
          if (index >= (since.get(id) ?? 0) && !rows.has(timestamp) && !queuedForGoneSession(id, timestamp)) missing.push(`${id} #${index}`);
        });
      }
      return missing.length === 0 ? true : undefined;
    }, timeoutMs, () => `${what} (${missing.length} of ${[...sent.values()].flat().length} missing: ${missing.slice(0, 10).join(', ')}; phases began at #${phases.map((phase) => phase.sentBefore.get(ids[0] as string)).join(', #')})`, 1000);
  };
  /** Waits until `name` shows the devices online, but `offline` (a timeout names those that are not as expected). */
  const presenceOn = async (name: ReplicaName, timeoutMs: number, offline: string[] = []) => {
    let wrong: string[] = [];
    await eventually(async () => {
      const devices = await onlineOn(replica(name));
      wrong = ids.filter((id) => devices.get(id)?.is_online !== !offline.includes(id));
      return wrong.length === 0 ? true : undefined;
    }, timeoutMs, () => `replica ${name} to show ${offline.length > 0 ? `${offline.join(', ')} offline and ` : ''}the other devices online (wrong: ${wrong.length} ${wrong.slice(0, 5).join(', ')})`);
  };
  const onlineOn = async (product: RunningProduct) => new Map((await api<DeviceEntry[]>(product, '/api/devices')).map((device) => [device.device_id, device]));

  before(async function () {
    const binaries = {
      mosquitto: requireBinary(this, 'mosquitto', PACKAGES),
      openssl: requireBinary(this, 'openssl', 'openssl'),
      redis: requireBinary(this, 'redis-server', PACKAGES),
      influxd: requireBinary(this, 'influxd', PACKAGES),
    };
    requireBinary(this, 'mosquitto_passwd', PACKAGES);
    gateway = await startSmsGateway();
    flows = flowsWithTwilio(gateway.url);
    services = await startClusterServices(binaries, ids);
    for (const name of ['a', 'b'] as const) homes.set(name, fs.mkdtempSync(path.join(os.tmpdir(), `hp-replica-${name}-`)));
    await Promise.all([start('a'), start('b')]);
    fleet = await DeviceFleet.connect(services.mosquitto.url, services.deviceLogins, firstTimestamp);
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    for (const [name, product] of replicas) console.log(`--- replica ${name}, the end of its output:\n${product.output().slice(-3000)}`);
  });

  after(async function () {
    await fleet?.end();
    await Promise.all([...replicas.values()].map((product) => product.stop()));
    await services?.stop();
    await gateway?.close();
    for (const home of homes.values()) fs.rmSync(home, { recursive: true, force: true });
  });

  it('both replicas take the stream of 100 devices; an alert is stored and sent once', async function () {
    beginPhase('both replicas');
    fleet.startSteady(INTERVAL_MS);
    await eventually(() => (fleet.totalSent() >= 3 * DEVICES ? true : undefined), 20_000, 'three rounds of readings');
    await raiseAlert(ids[0] as string);
    await allStored(30_000, 'the readings of both replicas in InfluxDB');
    // a cluster's default: MQTT 5 (Mosquitto logs the protocol as p5), so that sessions can expire
    for (const name of ['a', 'b']) assert.match(services.mosquitto.output(), new RegExp(`New client connected from \\S+ as nodered-${name} \\(p5,`), `nodered-${name} connected with MQTT 5`);
  });

  it('replica b killed (SIGKILL) mid-stream and started 6 s later: the survivor shows the fleet online; the readings queued for b arrive', async function () {
    await killBMidStream('b killed, back after 6 s');
    const killedAt = Date.now();
    // the survivor alone: every publishing device stays online on it
    await presenceOn('a', ONLINE_TIMEOUT_S * 1000);
    await eventually(() => (Date.now() - killedAt >= RESTART_AFTER_MS ? true : undefined), RESTART_AFTER_MS + 1000, 'the restart delay', 250);
    await start('b');
    const restartedAt = Date.now();
    await allStored(60_000, 'every reading, those queued for b included, in InfluxDB');
    console.log(`      b back ${((restartedAt - killedAt) / 1000).toFixed(1)} s after the kill; its queue stored ${((Date.now() - restartedAt) / 1000).toFixed(1)} s later; ${journalReplayed(replica('b').output())} points replayed from b's journal, ${receivedSentAgain(replica('b').output())} messages sent again from its receive journal`);
    await raiseAlert(ids[1] as string);
    await presenceOn('a', ONLINE_TIMEOUT_S * 1000);
  });

  it('replica b with a session expiry, then gone past it: the survivor takes the whole stream; a silent device is offline on it within the online timeout, every other device online', async function () {
    // b again, now with MQTT 5 and a session expiry
    await killBMidStream();
    await start('b', GONE_EXPIRY_S);
    await allStored(60_000, 'every reading, those queued for b included, in InfluxDB');
    const streamFrom = await killBMidStream('b gone, a device silent');
    const killedAt = Date.now();
    // the broker routes part of the stream to b's session until it expires (Mosquitto checks
    // expiries in whole seconds, seen up to 2 s late here); then all to a
    await eventually(() => (Date.now() - killedAt >= (GONE_EXPIRY_S + 3) * 1000 ? true : undefined), (GONE_EXPIRY_S + 4) * 1000, 'the session expiry', 250);
    const expired = new Map<string, number>();
    for (const [id, sent] of fleet.sent()) {
      queuedForGone.set(id, new Set(sent.slice(streamFrom.get(id) ?? 0)));
      expired.set(id, sent.length);
    }
    fleet.silence(silentDevice);
    await presenceOn('a', ONLINE_TIMEOUT_S * 1000 + TRACKER_SWEEP_MS + 10_000, [silentDevice]);
    console.log(`      a showed ${silentDevice} offline and the others online ${((Date.now() - killedAt) / 1000).toFixed(1)} s after b was killed for good`);
    // with b's session kept (MQTT 3.1.1, the default), its share would wait for b in the broker
    await allStored(15_000, 'every reading since the session expired, stored by the survivor alone', expired);
    // b back as by default (a new session, no expiry): what it had taken in but not written comes from its journal
    await start('b');
    await allStored(30_000, 'every reading but those queued for b\'s expired session');
  });

  it('redis-server restarted on its data: both replicas reconnect and keep storing; an alert after it is sent once', async function () {
    beginPhase('redis-server restarted');
    const readingsBefore = await metric(replica('a'), 'heatpump_readings_total');
    const sentBefore = fleet.totalSent();
    await services.redis.stop();
    // five rounds of readings while Redis is away, then three in which one device is critical: both
    // replicas hold its normal and its critical readings and work them off at once when Redis is
    // back, so one may take older normal readings after the other raised on a newer critical one
    await eventually(() => (fleet.totalSent() >= sentBefore + 5 * (DEVICES - 1) ? true : undefined), 20_000, 'readings while Redis is down');
    turnCritical(ids[2] as string);
    const criticalFrom = fleet.totalSent();
    await eventually(() => (fleet.totalSent() >= criticalFrom + 3 * (DEVICES - 1) ? true : undefined), 20_000, 'critical readings while Redis is down');
    await services.redis.restart();
    const restartedAt = Date.now();
    // each replica hears of every device's newest report again (its subscription to the fleet's channel is back)
    for (const name of ['a', 'b'] as const) {
      await eventually(async () => {
        const devices = await onlineOn(replica(name));
        return ids.every((id) => id === silentDevice || Date.parse(devices.get(id)?.last_seen ?? '') >= restartedAt) ? true : undefined;
      }, 30_000, `replica ${name} to show reports made after the Redis restart`);
    }
    // the fleet's shared total counted every reading from the stop on: both replicas write to Redis again
    const sentSinceStop = fleet.totalSent() - sentBefore;
    await eventually(async () => ((await metric(replica('a'), 'heatpump_readings_total')) - readingsBefore >= sentSinceStop ? true : undefined), 30_000, 'the readings total in Redis to grow by every reading since the stop');
    await allStored(30_000, 'every reading, those of the Redis outage included, in InfluxDB');
    // raised once, and not cleared by an older normal reading the other replica took later
    await alertDelivered(ids[2] as string);
  });

  it('every reading stored exactly once, each alert stored once and sent once, the silent device offline once', async function () {
    beginPhase('end');
    fleet.stopSteady();
    await eventually(() => (fleet.allConfirmed() ? true : undefined), 30_000, () => `every reading confirmed by the broker (${fleet.totalConfirmed()} of ${fleet.totalSent()})`);
    await allStored(60_000, 'every reading in InfluxDB');
    const sent = fleet.sent();
    const stored = await storedReadings(services.influxd.url, firstTimestamp);
    let lostTotal = 0;
    let lostQueued = 0;
    let duplicatedTotal = 0;
    for (const [index, phase] of phases.slice(0, -1).entries()) {
      const next = phases[index + 1] as Phase;
      let phaseSent = 0;
      let phaseStored = 0;
      let duplicated = 0;
      for (const id of ids) {
        const timestamps = (sent.get(id) ?? []).slice(phase.sentBefore.get(id) ?? 0, next.sentBefore.get(id) ?? 0);
        const rows = stored.get(id) ?? [];
        phaseSent += timestamps.length;
        for (const timestamp of timestamps) {
          const copies = rows.filter((row) => row === timestamp).length;
          if (copies > 0) phaseStored += 1;
          else if (queuedForGoneSession(id, timestamp)) lostQueued += 1;
          duplicated += Math.max(0, copies - 1);
        }
      }
      lostTotal += phaseSent - phaseStored;
      duplicatedTotal += duplicated;
      console.log(`      ${phase.name.padEnd(26)} readings sent ${phaseSent}, stored ${phaseStored}, lost ${phaseSent - phaseStored}, duplicated ${duplicated}`);
    }
    const queuedTotal = [...queuedForGone.values()].reduce((sum, queued) => sum + queued.size, 0);
    console.log(`      of the ${queuedTotal} readings sent from ${STREAM_BEFORE_KILL_MS} ms before b's last kill until its session expired, ${lostQueued} went with it (the broker had them queued or in flight for b)`);
    assert.equal(lostTotal - lostQueued, 0, 'readings were lost');
    assert.equal(duplicatedTotal, 0, 'readings were stored twice');
    for (const id of ids) {
      const rows = new Set(stored.get(id));
      const expected = (sent.get(id) ?? []).filter((timestamp) => rows.has(timestamp) || !queuedForGoneSession(id, timestamp));
      assert.deepEqual([...(stored.get(id) ?? [])].sort((x, y) => x - y), expected, `the rows of ${id} are its readings, once each`);
    }

    // the row carries the time of the critical reading evaluated first: the one the device sent
    // first, or the next one when the replicas took the two at the same moment
    const alerts = (await alertRows()).map((row) => {
      const time = Date.parse(String(row.time));
      const raised = expectedAlerts.find(({ deviceId }) => deviceId === row.device_id);
      const critical = raised !== undefined && time >= raised.at && (sent.get(raised.deviceId) ?? []).includes(time);
      return `${String(row.device_id)} ${String(row.alert_type)} ${String(row.level)} ${String(row.source)}${critical ? '' : ` at ${time}, not at a critical reading`}`;
    });
    assert.deepEqual(alerts.sort(), expectedAlerts.map(({ deviceId }) => `${deviceId} voltage_high critical threshold`).sort(), 'one alert row per alert');
    const alertsCounted = await metric(replica('a'), 'heatpump_alerts_total');
    assert.equal(alertsCounted, expectedAlerts.length, 'alert events counted by the fleet (a duplicate event would count twice)');
    const sms = gateway.received.map(({ to, body }) => `${to} ${/^CRITICAL (\S+):/.exec(body)?.[1] ?? body}`).sort();
    assert.deepEqual(sms, expectedAlerts.flatMap(({ deviceId }) => ADMINS.map((to) => `${to} ${deviceId}`)).sort(), 'one SMS per alert and admin');

    console.log(`      alerts ${alerts.length} stored, ${alertsCounted} counted, ${gateway.received.length} SMS`);
    const offline: string[] = [];
    for (const name of ['a', 'b'] as const) {
      const { events } = await api<{ events: { time: string; message: string }[] }>(replica(name), `/api/events?device_id=${silentDevice}&type=device_offline`);
      offline.push(...events.map((event) => `${name} ${event.time} ${event.message}`));
    }
    assert.equal(offline.length, 1, `${silentDevice} went offline once over both replicas' event logs:\n${offline.join('\n')}`);
  });
});
