// The device-modem transport through a real broker (aedes, in-process) with Node-RED's own
// mqtt in / mqtt out nodes, and the mqtt npm client acting as the device firmware.
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startInProcessBroker, type InProcessBroker } from '../support/aedes-broker';
import { nodeRedPath } from '../support/node-red';
import { Collector, bridgeModule, configModule, coreNode, helper } from '../support/sms-flow';
import { waitFor } from '../support/wait';

const ADMIN = '+491711234567';
/** generous: the broker, the runtime and the device client share a busy CI machine */
const DEADLINE_MS = 30_000;

describe('sms-gateway-bridge over MQTT with a real broker (aedes)', function () {
  this.timeout(5 * DEADLINE_MS);
  let broker: InProcessBroker;
  let port: number;
  let device: mqtt.MqttClient;
  const deviceGot: { topic: string; payload: Record<string, unknown> }[] = [];
  /** "clientId topic" of every subscription the broker granted */
  let subscribed: Set<string>;

  before(async function () {
    helper.init(nodeRedPath);
    broker = await startInProcessBroker();
    ({ port, subscribed } = broker);
    device = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'site1-device' });
    // The firmware side of the contract: send the SMS, acknowledge with the same id.
    device.on('message', (topic, raw) => {
      const payload = JSON.parse(raw.toString()) as Record<string, unknown>;
      deviceGot.push({ topic, payload });
      if (topic === 'heatpump/site1/sms/send') device.publish('heatpump/site1/sms/sent', JSON.stringify({ id: payload.id, ok: true, ref: 42 }));
    });
    await device.subscribeAsync(['heatpump/site1/sms/send', 'heatpump/site1/cmd']);
  });
  after(async function () {
    await device.endAsync();
    await broker.close();
  });
  afterEach(async function () {
    await helper.unload();
  });

  const loadFlow = () =>
    helper.load(
      [configModule, bridgeModule, coreNode('network/10-mqtt.js')],
      [
        { id: 'broker', type: 'mqtt-broker', broker: '127.0.0.1', port: String(port), clientid: 'nodered-sms', protocolVersion: '4', keepalive: '60', cleansession: true, autoConnect: true },
        { id: 'cfg', type: 'sms-gateway-config', transport: 'device-mqtt', defaultCountry: '+49', ackTimeout: 5 },
        { id: 'in', type: 'mqtt in', topic: 'heatpump/+/sms/#', qos: '1', datatype: 'json', broker: 'broker', nl: false, rap: false, inputs: 0, wires: [['b']] },
        { id: 'b', type: 'sms-gateway-bridge', gateway: 'cfg', recipients: ADMIN, wires: [['results'], ['out'], ['out'], ['inbound']] },
        { id: 'out', type: 'mqtt out', qos: '1', retain: 'false', broker: 'broker' },
        { id: 'results', type: 'helper' },
        { id: 'inbound', type: 'helper' },
      ],
    );

  it('alerts go out on sms/send, acks come back on sms/sent, RESET by SMS reaches heatpump/{id}/cmd', async function () {
    deviceGot.length = 0;
    await loadFlow();
    const results = new Collector(helper.getNode('results'));
    const inbound = new Collector(helper.getNode('inbound'));
    // the device talks once the broker has the mqtt in node's subscription
    await waitFor(() => subscribed.has('nodered-sms heatpump/+/sms/#'), { timeoutMs: DEADLINE_MS, what: () => `the mqtt in subscription (have: ${[...subscribed].join(', ')})` });
    helper.getNode('b').receive({ payload: { device_id: 'site1', alert_type: 'current', level: 'critical', value: 15.6, threshold: 15, message: '', state: 'raised', timestamp: Date.now() } });
    const sent = (await results.next(1, DEADLINE_MS)).payload as Record<string, unknown>;
    assert.deepEqual([sent.status, sent.ref, sent.to], ['sent', '42', ADMIN]);
    const publish = deviceGot.find((m) => m.topic === 'heatpump/site1/sms/send');
    assert.ok(publish);
    assert.deepEqual(Object.keys(publish.payload).sort(), ['id', 'text', 'to']);

    device.publish('heatpump/site1/sms/received', JSON.stringify({ from: ADMIN, text: 'RESET', timestamp: Date.now(), handled: false }));
    const report = (await inbound.next(1, DEADLINE_MS)).payload as Record<string, unknown>;
    assert.equal(report.command, 'RESET');
    const reply = (await results.next(2, DEADLINE_MS)).payload as Record<string, unknown>;
    assert.deepEqual([reply.status, reply.text], ['sent', 'Restarting device...']);
    const cmd = deviceGot.find((m) => m.topic === 'heatpump/site1/cmd');
    assert.deepEqual(cmd?.payload, { cmd: 'RESET' });
  });

  it('a forged report on heatpump/site2/sms/received naming site1 does not reset site1', async function () {
    deviceGot.length = 0;
    await loadFlow();
    const inbound = new Collector(helper.getNode('inbound'));
    await waitFor(() => subscribed.has('nodered-sms heatpump/+/sms/#'), { timeoutMs: DEADLINE_MS, what: () => `the mqtt in subscription (have: ${[...subscribed].join(', ')})` });
    // any client that may publish as site2 (here another connection) claims an admin sent RESET site1
    const forger = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'site2-device' });
    try {
      await forger.publishAsync('heatpump/site2/sms/received', JSON.stringify({ from: ADMIN, text: 'RESET site1', timestamp: Date.now(), handled: false }), { qos: 1 });
      const report = (await inbound.next(1, DEADLINE_MS)).payload as Record<string, unknown>;
      assert.deepEqual([report.accepted, report.reason, report.device, report.requested], [false, 'other-device', 'site2', 'site1']);
      // the legitimate RESET of site1 afterwards is the first command site1 gets
      device.publish('heatpump/site1/sms/received', JSON.stringify({ from: ADMIN, text: 'RESET', timestamp: Date.now(), handled: false }));
      await inbound.next(2, DEADLINE_MS);
      await waitFor(() => deviceGot.some((m) => m.topic === 'heatpump/site1/cmd'), { timeoutMs: DEADLINE_MS, what: () => 'the RESET of site1' });
      assert.equal(deviceGot.filter((m) => m.topic === 'heatpump/site1/cmd').length, 1);
    } finally {
      await forger.endAsync();
    }
  });
});
