// Fault test against the real parts: `npm start` (embedded broker with its disk queue, Node-RED,
// a local influxd) killed with SIGKILL while a device keeps publishing QoS 1, then started again
// on the same HEATPUMP_HOME. Every reading the device sent must be confirmed (PUBACK) and in
// InfluxDB, once: those sent while Node-RED was down or starting through the broker's disk queue,
// those Node-RED had already taken from the broker when it was killed (PUBACKed, then buffered or
// in a write) through heatpump-batch's write-ahead journal, replayed at the restart.
// Time-compressed: 200 readings/s for a 6 s outage (the figures: 60 s and devices every
// 10 s; the rate here makes each second of outage hold as many readings as ~2,000 devices).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { influxdPidsOn } from '../../scripts/lib/influxd';
import { freePort } from '../../scripts/lib/ports';
import { countAfterKill, journalReplayed, startPublishingDevice, type PublishingDevice } from '../support/device';
import { spawnNpmStart, type StartedProcess } from '../support/runtime';
import { requireBinary } from '../support/system';
import { eventually } from '../support/wait';

const RATE = 200;
const OUTAGE_MS = 6000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('npm start killed (SIGKILL) and started again: no reading the embedded broker confirmed is lost', function () {
  this.timeout(120_000);
  let home = '';
  let running: StartedProcess | undefined;
  let device: PublishingDevice | undefined;

  before(function () {
    requireBinary(this, 'influxd', 'influxdb');
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-broker-restart-'));
  });
  after(async function () {
    await device?.end();
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGTERM');
      await running.exit;
    }
    for (const pid of influxdPidsOn(path.join(home, 'influxdb'))) process.kill(pid, 'SIGKILL');
    fs.rmSync(home, { recursive: true, force: true });
  });

  it(`${RATE} readings/s, ${OUTAGE_MS / 1000} s outage: every reading is confirmed and stored, once`, async function () {
    const ports = { SIMULATOR: '0', MQTT_PORT: String(await freePort()), INFLUXDB_PORT: String(await freePort()) };
    const influxUrl = `http://127.0.0.1:${ports.INFLUXDB_PORT}`;
    const start = async () => {
      const started = await spawnNpmStart(home, ports, ['LOCAL_INFLUXD']);
      await eventually(() => (started.output().includes('devices accepted') ? true : undefined), 30_000, () => `the broker to accept devices:\n${started.output().slice(-2000)}`);
      return started;
    };
    running = await start();
    device = startPublishingDevice(`mqtt://127.0.0.1:${ports.MQTT_PORT}`, 'restart1', RATE, Date.now() - 3_600_000);
    await sleep(3000);

    const killedAt = device.sent.length;
    running.child.kill('SIGKILL');
    await running.exit;
    await sleep(OUTAGE_MS);
    const duringOutage = device.sent.length - killedAt;
    running = await start();
    await sleep(5_000);
    device.stopPublishing();

    const outcome = await countAfterKill(device, 'restart1', killedAt, influxUrl);
    const replayed = journalReplayed(running.output());
    console.log(`      ${outcome.line}; ${duringOutage} sent while npm start was down; ${replayed} replayed from heatpump-batch's journal`);
    // at 200 readings/s the killed Node-RED always held a batch being filled: the journal is what saved it
    assert.ok(replayed > 0, 'the restart replayed nothing from the journal');
    assert.equal(outcome.lost, 0, 'readings were lost');
    assert.equal(outcome.duplicateRows, 0, 'a replay added rows (a point replayed under other tags)');
  });
});
