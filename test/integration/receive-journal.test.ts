// The receive journal against a real kill: npm start (Node-RED and its embedded broker) with a flow
// whose readings wait 60 s in a delay node on their way from `mqtt in` through heatpump-decode to a
// file, as a reading waits on a busy event loop between `mqtt in`'s PUBACK and heatpump-batch's
// journal. Node-RED is killed (SIGKILL) while they wait and started again on the same directory.
// With the journal every reading reaches the file after the restart; without it (the control) the
// broker has its PUBACKs and none comes back. A deploy that stops the nodes while the readings wait
// in a function node (which drops its timers at a stop without calling done) is the same case
// without a kill; a graceful stop (SIGTERM) of a flow that handled every reading sends none again.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { devicePayload } from '../fixtures/payloads';
import { projectRoot } from '../support/node-red';
import { startProduct, type RunningProduct } from '../support/runtime';
import { eventually, waitFor } from '../support/wait';

const READINGS = 20;
const FIRST_TIMESTAMP = Date.now() - 3_600_000;

const brokerConfig = (JSON.parse(fs.readFileSync(path.join(projectRoot, 'flows', '00-config.json'), 'utf8')) as Array<{ type: string }>).find((node) => node.type === 'mqtt-broker');

/** how the readings wait: a delay node, or a function node that calls done once it sent the reading on */
type Holder = 'delay' | 'function';

/**
 * mqtt in -> heatpump-decode (gathered: the messages of a burst go on as one, folded in the journal)
 * -> (file "seen", holder -> file "stored"), the same node ids every start
 */
function flowsHolding(home: string, holdSeconds: number, holder: Holder = 'delay'): unknown[] {
  const z = 'rj_tab';
  const file = (id: string, name: string) => ({ id, type: 'file', z, name, filename: path.join(home, `${name}.ndjson`), filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'none', wires: [] });
  return [
    { id: z, type: 'tab', label: 'receive journal' },
    brokerConfig,
    { id: 'rj_in', type: 'mqtt in', z, name: 'device readings', topic: 'heatpump/+/data', qos: '1', datatype: 'buffer', broker: 'hp_mqtt_broker', nl: false, rap: true, rh: 0, inputs: 0, wires: [['rj_decode']] },
    { id: 'rj_decode', type: 'heatpump-decode', z, name: '', output: 'gathered', maxBytes: 262144, ranges: {}, sampleInterval: 10, wires: [['rj_seen', 'rj_hold'], [], []] },
    file('rj_seen', 'seen'),
    holder === 'delay'
      ? { id: 'rj_hold', type: 'delay', z, name: 'a busy way', pauseType: 'delay', timeout: String(holdSeconds), timeoutUnits: 'seconds', rate: '1', nbRateUnits: '1', rateUnits: 'second', randomFirst: '1', randomLast: '5', randomUnits: 'seconds', drop: false, allowrate: false, outputs: 1, wires: [['rj_stored']] }
      : { id: 'rj_hold', type: 'function', z, name: 'a busy way', func: `setTimeout(() => { node.send(msg); node.done(); }, ${holdSeconds * 1000});\nreturn null;`, outputs: 1, wires: [['rj_stored']] },
    file('rj_stored', 'stored'),
  ];
}

/** the messages in a file the flow wrote (one a line) */
function linesIn(home: string, name: string): string[] {
  const file = path.join(home, `${name}.ndjson`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((line) => line !== '') : [];
}

/** the timestamps of the readings in a file the flow wrote (one array of readings a line) */
function timestampsIn(home: string, name: string): number[] {
  return linesIn(home, name).flatMap((line) => (JSON.parse(line) as Array<{ timestamp: number }>).map((reading) => reading.timestamp));
}

describe('receive journal: readings confirmed to the broker survive a kill of Node-RED', function () {
  this.timeout(120_000);
  const homes: string[] = [];
  let product: RunningProduct | undefined;

  afterEach(async function () {
    if (product && product.child.exitCode === null) product.child.kill('SIGKILL');
    await product?.stop();
    product = undefined;
  });
  after(function () {
    for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
  });

  async function start(home: string, journal: boolean, holdSeconds: number, holder: Holder = 'delay'): Promise<RunningProduct> {
    product = await startProduct(
      { SIMULATOR: '0', LOCAL_INFLUXD: '0', HEATPUMP_RESET_FLOWS: '0', HEATPUMP_RECEIVE_JOURNAL: journal ? '1' : '0' },
      { home, flows: flowsHolding(home, holdSeconds, holder), ready: async (p) => p.output().includes('Started flows') },
    );
    return product;
  }

  /** Publishes the readings in one burst (QoS 1, every PUBACK awaited), so that heatpump-decode gathers them. */
  async function publishReadings(running: RunningProduct): Promise<number[]> {
    const device = mqtt.connect(running.mqttUrl, { clientId: 'rj-device', reconnectPeriod: 250, reconnectOnConnackError: true });
    device.on('error', () => {}); // refused until Node-RED has subscribed
    const sent = Array.from({ length: READINGS }, (_, i) => FIRST_TIMESTAMP + i * 1000);
    try {
      await new Promise<void>((resolve) => device.once('connect', () => resolve()));
      await Promise.all(sent.map((timestamp) => device.publishAsync('heatpump/rj-001/data', JSON.stringify(devicePayload({ device: 'rj-001', timestamp })), { qos: 1 })));
    } finally {
      await device.endAsync();
    }
    return sent;
  }

  /** Publishes the readings and waits until the flow took them in; they wait on their way to "stored". */
  async function publish(running: RunningProduct, home: string): Promise<number[]> {
    const sent = await publishReadings(running);
    await waitFor(() => timestampsIn(home, 'seen').length === READINGS, { timeoutMs: 15_000, what: () => `the flow took in ${READINGS} readings (seen ${timestampsIn(home, 'seen').length})` });
    // the journal's fold is what keeps the gathered ones: some messages must have been gathered
    const messages = linesIn(home, 'seen').length;
    console.log(`      ${READINGS} readings went on in ${messages} gathered message(s)`);
    assert.ok(messages < READINGS, `no message was gathered (${messages} messages for ${READINGS} readings)`);
    // the broker (in the same process) has handled Node-RED's PUBACKs by now
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(timestampsIn(home, 'stored'), [], 'the readings are still waiting');
    return sent;
  }

  /** Publishes the readings, and kills Node-RED (SIGKILL) while they wait. */
  async function publishAndKill(running: RunningProduct, home: string): Promise<number[]> {
    const sent = await publish(running, home);
    running.child.kill('SIGKILL');
    await running.stop();
    return sent;
  }

  it('with the journal: every reading taken in before the kill is handled after the restart', async function () {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-received-'));
    homes.push(home);
    const sent = await publishAndKill(await start(home, true, 60), home);

    const restarted = await start(home, true, 0.1);
    await eventually(() => (timestampsIn(home, 'stored').length >= READINGS ? true : undefined), 20_000, () => `stored after the restart: ${timestampsIn(home, 'stored').length} of ${READINGS}`);
    assert.deepEqual([...new Set(timestampsIn(home, "stored"))].sort((a, b) => a - b), sent);
    assert.equal(timestampsIn(home, 'seen').length, 2 * READINGS, 'each reading went through the flow again once');
    assert.match(restarted.output(), new RegExp(`sent again ${READINGS} message\\(s\\)`));
    // handled now: the next start sends nothing again
    await waitFor(() => fs.readdirSync(path.join(home, 'node-red', 'heatpump-spool', 'received')).length === 0, { timeoutMs: 5000, what: 'the journal emptied' });
  });

  it('a deploy while readings are on their way: the stopped nodes dropped them, the journal sends them again', async function () {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-received-'));
    homes.push(home);
    const running = await start(home, true, 60, 'function');
    const sent = await publish(running, home);
    const from = running.output().length;
    // a full deploy, as the editor's Deploy button does it: every node stops (the function node drops its timers) and starts
    const res = await fetch(`${running.baseUrl}/flows`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(flowsHolding(home, 0.1, 'function')),
    });
    assert.equal(res.status, 204, `deploy: ${await res.text()}`);
    await eventually(() => (timestampsIn(home, 'stored').length >= READINGS ? true : undefined), 20_000, () => `stored after the deploy: ${timestampsIn(home, 'stored').length} of ${READINGS}`);
    assert.deepEqual([...new Set(timestampsIn(home, 'stored'))].sort((a, b) => a - b), sent);
    assert.match(running.output().slice(from), new RegExp(`sent again ${READINGS} message\\(s\\) that were on their way and not done when the deploy`));
  });

  it('a stop (SIGTERM) after the flow handled every reading: the next start sends none again', async function () {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-received-'));
    homes.push(home);
    const running = await start(home, true, 0.1);
    const sent = await publishReadings(running);
    await eventually(() => (timestampsIn(home, 'stored').length >= READINGS ? true : undefined), 15_000, () => `stored: ${timestampsIn(home, 'stored').length} of ${READINGS}`);
    // stopped at once: the last releases are the ones a stop must write
    assert.equal(await running.stop(), 0);

    const restarted = await start(home, true, 0.1);
    await waitFor(() => restarted.output().includes('Connected to broker'), { timeoutMs: 20_000, what: 'Node-RED connected to the broker again' });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // one burst: the broker need not keep its order
    assert.deepEqual([...timestampsIn(home, 'stored')].sort((a, b) => a - b), sent);
    assert.equal(timestampsIn(home, 'seen').length, READINGS);
    assert.doesNotMatch(restarted.output(), /sent again/);
  });

  it('without it (the control): the broker had the PUBACKs, the readings are gone', async function () {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-received-'));
    homes.push(home);
    await publishAndKill(await start(home, false, 60), home);

    const restarted = await start(home, false, 0.1);
    await waitFor(() => restarted.output().includes('Connected to broker'), { timeoutMs: 20_000, what: 'Node-RED connected to the broker again' });
    // what would come back (a broker redelivery) comes within moments of the reconnection
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.deepEqual(timestampsIn(home, 'stored'), []);
    assert.equal(timestampsIn(home, 'seen').length, READINGS);
    assert.doesNotMatch(restarted.output(), /sent again/);
  });
});
