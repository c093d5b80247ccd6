// Per-client subscriptions on /api/ws through the shipped flows (`npm start`, its embedded broker,
// history off): a client subscribed to site1 gets only site1's messages while another gets all;
// get_current_status answers the asking client only with what GET /api/devices/{id}/status says;
// an unknown device, an unknown request and text that is not JSON are answered with an error and
// the connection keeps working.
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { devicePayload } from '../fixtures/payloads';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';

type WsMessage = Record<string, unknown>;

interface Client {
  socket: WebSocket;
  messages: WsMessage[];
  /** the first message from `from` on that satisfies `match` */
  next(match: (message: WsMessage) => boolean, what: string, from?: number): Promise<WsMessage>;
}

describe('WebSocket /api/ws subscriptions end to end (npm start)', function () {
  this.timeout(120_000);
  let product: RunningProduct;
  let device: MqttClient;
  const clients: Client[] = [];

  const connect = async (): Promise<Client> => {
    const socket = new WebSocket(`${product.baseUrl.replace('http', 'ws')}/api/ws`);
    const messages: WsMessage[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(data.toString()) as WsMessage));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const client: Client = {
      socket,
      messages,
      next: (match, what, from = 0) => eventually(async () => messages.slice(from).find(match), 10_000, what),
    };
    clients.push(client);
    return client;
  };
  const publish = (id: string, timestamp: number) => device.publishAsync(`heatpump/${id}/data`, JSON.stringify(devicePayload({ device: id, timestamp })), { qos: 1 });
  const sensorData = (id: string) => (message: WsMessage) => message.type === 'sensor_data' && message.device_id === id;

  before(async () => {
    product = await startProduct({ LOCAL_INFLUXD: '0', INFLUXDB_URL: '' });
    device = mqtt.connect(product.mqttUrl, { clientId: 'test-ws-subscriptions' });
    await new Promise((resolve, reject) => device.once('connect', resolve).once('error', reject));
  });

  after(async () => {
    for (const client of clients) client.socket.close();
    await device?.endAsync();
    if (product) assert.equal(await product.stop(), 0, 'npm start exits 0 on SIGTERM');
  });

  it('sends a subscribed client only its device, the other client everything', async () => {
    const subscribed = await connect();
    const everyone = await connect();
    subscribed.socket.send(JSON.stringify({ type: 'subscribe_device', device_id: 'ws-site1' }));
    const ack = await subscribed.next((message) => message.type === 'subscribed', 'the subscription acknowledged');
    assert.deepEqual([ack.device_id, ack.devices], ['ws-site1', ['ws-site1']]);

    const now = Date.now();
    await publish('ws-site2', now - 2000);
    await publish('ws-site1', now - 1000);
    await publish('ws-site2', now);
    await everyone.next(sensorData('ws-site1'), 'ws-site1 at the unfiltered client');
    await eventually(async () => (everyone.messages.filter(sensorData('ws-site2')).length === 2 ? true : undefined), 10_000, 'both ws-site2 readings at the unfiltered client');
    await subscribed.next(sensorData('ws-site1'), 'ws-site1 at the subscribed client');
    // a round trip on the same connection: whatever was sent to it before has arrived by its answer
    subscribed.socket.send(JSON.stringify({ type: 'get_current_status', device_id: 'ws-site2' }));
    await subscribed.next((message) => message.type === 'current_status', 'the round trip');
    const devicesSeen = new Set(subscribed.messages.filter((message) => message.type !== 'subscribed' && message.type !== 'current_status').map((message) => message.device_id));
    assert.deepEqual([...devicesSeen], ['ws-site1'], JSON.stringify(subscribed.messages));
    assert.equal(everyone.messages.some((message) => message.type === 'subscribed'), false, 'the answer went to the asking client only');

    subscribed.socket.send(JSON.stringify({ type: 'unsubscribe_device', device_id: 'ws-site1' }));
    const undone = await subscribed.next((message) => message.type === 'unsubscribed', 'the subscription undone');
    assert.deepEqual(undone.devices, []);
    const from = subscribed.messages.length;
    await publish('ws-site2', Date.now());
    await subscribed.next(sensorData('ws-site2'), 'ws-site2 again once nothing is subscribed', from);
  });

  it('answers get_current_status with the device status of the HTTP API, to the asking client only', async () => {
    const asking = await connect();
    const other = await connect();
    asking.socket.send(JSON.stringify({ type: 'get_current_status', device_id: 'ws-site1' }));
    const answer = await asking.next((message) => message.type === 'current_status', 'the current status');
    const res = await fetch(`${product.baseUrl}/api/devices/ws-site1/status`);
    assert.equal(res.status, 200);
    const viaHttp = (await res.json()) as WsMessage;
    assert.equal(answer.device_id, 'ws-site1');
    assert.deepEqual(answer.status, viaHttp);
    assert.equal((answer.status as WsMessage).voltage, 230.5);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(other.messages.some((message) => message.type === 'current_status'), false);
  });

  it('answers an unknown device, an unknown request and text that is not JSON with an error, and keeps the connection', async () => {
    const client = await connect();
    client.socket.send(JSON.stringify({ type: 'get_current_status', device_id: 'ws-nobody' }));
    const unknown = await client.next((message) => message.type === 'error' && message.device_id === 'ws-nobody', 'the unknown device error');
    assert.deepEqual([unknown.request, unknown.error], ['get_current_status', 'unknown device "ws-nobody"']);

    client.socket.send('{"type": "subscribe_device", ');
    const notJson = await client.next((message) => message.type === 'error' && message.error === 'the request is not JSON', 'the not-JSON error');
    assert.equal(notJson.request, undefined);

    client.socket.send(JSON.stringify({ type: 'reboot', device_id: 'ws-site1' }));
    await client.next((message) => message.type === 'error' && String(message.error).startsWith('unknown request type "reboot"'), 'the unknown request error');

    client.socket.send(JSON.stringify({ type: 'subscribe_device', device_id: 'ws/site1' }));
    await client.next((message) => message.type === 'error' && message.error === 'device_id: device id contains the unsafe character "/"', 'the unsafe id error');

    assert.equal(client.socket.readyState, WebSocket.OPEN);
    client.socket.send(JSON.stringify({ type: 'get_current_status', device_id: 'ws-site2' }));
    await client.next((message) => message.type === 'current_status' && message.device_id === 'ws-site2', 'an answer after the errors');
    assert.equal(product.child.exitCode, null, 'Node-RED still runs');
  });
});
