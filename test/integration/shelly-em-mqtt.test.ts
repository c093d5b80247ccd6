// shelly-em fed by the device's own MQTT status topics, through a real broker (aedes, in-process)
// and Node-RED's core `mqtt in`; the mqtt npm client publishes what a Shelly Pro 3EM publishes
// with "Generic status update over MQTT" on: the recorded component statuses, verbatim.
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import type { NodeMessage } from 'node-red';
import type { MetricsReading } from '../../nodes/shared/contract';
import { catchModule, helper, nodeById as get, withCatalog, type NodeInit } from '../support/flow-helper';
import { readFixture } from '../support/fixtures';
import { startInProcessBroker, type InProcessBroker } from '../support/aedes-broker';
import { nodeModule, nodeRedPath } from '../support/node-red';
import { waitFor } from '../support/wait';

const shellyEm = withCatalog(nodeModule('shelly-em') as NodeInit, 'shelly-em');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mqttNodes = require(require.resolve('@node-red/nodes/core/network/10-mqtt.js', { paths: [nodeRedPath] })) as NodeInit;
const PREFIX = 'shellypro3em-aabbccddeeff';
/** generous: the broker, the runtime and the device client share a busy CI machine */
const DEADLINE_MS = 30_000;

describe('shelly-em on the Shelly MQTT status topics, through a real broker (aedes) and mqtt in', function () {
  this.timeout(5 * DEADLINE_MS);
  let broker: InProcessBroker;
  let port: number;
  let device: mqtt.MqttClient;
  /** "clientId topic" of every subscription the broker granted */
  let subscribed: Set<string>;

  before(async function () {
    helper.init(nodeRedPath);
    broker = await startInProcessBroker();
    ({ port, subscribed } = broker);
    device = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: PREFIX });
  });
  after(async function () {
    await device.endAsync();
    await broker.close();
  });
  afterEach(async function () {
    await helper.unload();
  });

  it('power, energy and notified changes arrive separately: one reading each with what it carries; the last will takes it offline', async () => {
    await helper.load(
      [shellyEm, catchModule, mqttNodes],
      [
        { id: 'tab', type: 'tab', label: 'shelly' },
        { id: 'broker', type: 'mqtt-broker', broker: '127.0.0.1', port: String(port), clientid: 'nodered-shelly', protocolVersion: '4', keepalive: '60', cleansession: true, autoConnect: true },
        { id: 'in', z: 'tab', type: 'mqtt in', topic: `${PREFIX}/#`, qos: '1', datatype: 'auto-detect', broker: 'broker', nl: false, rap: false, inputs: 0, x: 100, y: 100, wires: [['n1']] },
        { id: 'n1', z: 'tab', type: 'shelly-em', name: '', host: '', deviceId: '', profile: 'auto', interval: '10', x: 300, y: 100, wires: [['readings'], ['presence']] },
        { id: 'readings', z: 'tab', type: 'helper', x: 500, y: 100, wires: [] },
        { id: 'presence', z: 'tab', type: 'helper', x: 500, y: 150, wires: [] },
        { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, x: 100, y: 200, wires: [['caught']] },
        { id: 'caught', z: 'tab', type: 'helper', x: 300, y: 200, wires: [] },
      ],
    );
    const readings: MetricsReading[] = [];
    const presence: unknown[] = [];
    const caught: NodeMessage[] = [];
    get('readings').on('input', (msg: NodeMessage) => readings.push(msg.payload as MetricsReading));
    get('presence').on('input', (msg: NodeMessage) => presence.push([msg.topic, msg.payload]));
    get('caught').on('input', (msg: NodeMessage) => caught.push(msg));
    await waitFor(() => subscribed.has(`nodered-shelly ${PREFIX}/#`), { timeoutMs: DEADLINE_MS, what: () => `the mqtt in subscription (have: ${[...subscribed].join(', ')})` });

    await device.publishAsync(`${PREFIX}/status/em:0`, readFixture('shelly', 'aioshelly_pro3em_EM.GetStatus_em0.json'), { qos: 1 });
    await waitFor(() => readings.length === 1, { timeoutMs: DEADLINE_MS, what: 'the power reading' });
    await device.publishAsync(`${PREFIX}/status/switch:0`, '{"id":0,"output":false}', { qos: 1 });
    await device.publishAsync(`${PREFIX}/status/emdata:0`, readFixture('shelly', 'aioshelly_pro3em_EMData.GetStatus_emdata0.json'), { qos: 1 });
    await waitFor(() => readings.length === 2, { timeoutMs: DEADLINE_MS, what: 'the energy reading' });
    // the default notification topic: only what changed
    const notify = { src: PREFIX, dst: `${PREFIX}/events`, method: 'NotifyStatus', params: { ts: 1707326930.12, 'em:0': { id: 0, c_act_power: -15.2, total_act_power: 530.5 } } };
    await device.publishAsync(`${PREFIX}/events/rpc`, JSON.stringify(notify), { qos: 1 });
    await waitFor(() => readings.length === 3, { timeoutMs: DEADLINE_MS, what: 'the notified change' });
    await device.publishAsync(`${PREFIX}/online`, 'false', { qos: 1 });
    await waitFor(() => presence.length === 2, { timeoutMs: DEADLINE_MS, what: () => `offline (presence ${JSON.stringify(presence)})` });

    const [power, energy, change] = readings;
    assert.deepEqual(change?.metrics, { c_act_power: -15.2, c_act_power_negative: true, total_act_power: 530.5, total_act_power_negative: false, electrical_power: 530.5 });
    assert.equal(power?.device_id, 'shelly-aabbccddeeff', 'from the default topic prefix');
    assert.deepEqual([power?.metrics.total_act_power, power?.units?.total_act_power, power?.metrics.total_act], [558.965, 'W', undefined]);
    assert.deepEqual([power?.metrics.electrical_power, power?.metrics.electrical_energy], [558.965, undefined], 'the common power, no energy invented');
    assert.deepEqual([energy?.metrics.total_act, energy?.units?.total_act, energy?.metrics.total_act_power], [2589773.39, 'Wh', undefined]);
    assert.deepEqual([energy?.metrics.electrical_energy, energy?.units?.electrical_energy, energy?.metrics.electrical_power], [2589.77339, 'kWh', undefined]);
    assert.deepEqual(presence, [
      ['shelly-aabbccddeeff', 'online'],
      ['shelly-aabbccddeeff', 'offline'],
    ]);
    assert.deepEqual(caught, [], 'switch:0 and online are not errors');
  });
});
