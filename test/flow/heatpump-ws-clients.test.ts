// heatpump-ws-clients in the runtime, with a stand-in websocket-listener (the connection events
// 22-websocket.js emits) and a real heatpump-fleet: pushed messages shaped and addressed per
// connection (dropped while none is open), answers to the asking connection, connections
// forgotten on close, bad requests and bad pushed messages at a Catch node.
import assert from 'node:assert/strict';
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { FleetLink } from '../../nodes/shared/fleet-link';
import { seedReading } from '../fixtures/payloads';
import { catchModule, collect, flowSuiteHooks, helper, nodeById, withCatalog, type NodeInit } from '../support/flow-helper';
import { nodeModule } from '../support/node-red';

const clientsModule = withCatalog(nodeModule('heatpump-ws-clients') as NodeInit, 'heatpump-ws-clients');
const fleetModule = withCatalog(nodeModule('heatpump-fleet') as NodeInit, 'heatpump-fleet');
/** Emits what websocket-listener emits when a connection opens or closes. */
const listenerModule: NodeInit = (RED: NodeAPI) => {
  function WebSocketListener(this: Node, config: NodeDef) {
    RED.nodes.createNode(this, config);
    (this as Node & { _clients: Record<string, unknown> })._clients = { early: {} };
  }
  RED.nodes.registerType('websocket-listener', WebSocketListener);
};

type WsOut = NodeMessage & { _session?: { type: string; id: string }; payload: Record<string, unknown> };

const at = { z: 'tab', x: 100, y: 100 };
const flow = [
  { id: 'tab', type: 'tab', label: 'ws clients' },
  { id: 'listener', type: 'websocket-listener', path: '/ws', wholemsg: 'false' },
  { id: 'fleet', type: 'heatpump-fleet', name: '', store: '', broker: '', influxdb: '' },
  { id: 'n1', ...at, type: 'heatpump-ws-clients', name: 'per-client subscriptions', listener: 'listener', fleet: 'fleet', wires: [['out']] },
  { id: 'out', ...at, type: 'helper', wires: [] },
  { id: 'catcher', ...at, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
  { id: 'caught', ...at, type: 'helper', wires: [] },
];
const load = () => helper.load([listenerModule, fleetModule, clientsModule, catchModule], flow);
const listener = () => nodeById('listener');
const fromClient = (id: string, request: unknown) => ({ payload: typeof request === 'string' ? request : JSON.stringify(request), _session: { type: 'websocket', id } });
const sessionsOf = (messages: NodeMessage[]) => (messages as WsOut[]).map((msg) => msg._session?.id ?? 'broadcast');

describe('heatpump-ws-clients node', function () {
  flowSuiteHooks();

  it('should be loaded with correct defaults', async function () {
    await load();
    const node = nodeById('n1') as unknown as { type: string; name: string };
    assert.deepEqual([node.type, node.name], ['heatpump-ws-clients', 'per-client subscriptions']);
  });

  it('broadcasts while nobody subscribed, then addresses each connection that wants the device', async function () {
    await load();
    listener().emit('opened', { id: 'a' });
    listener().emit('opened', { id: 'b' });
    const broadcast = collect('out', 1);
    nodeById('n1').receive({ payload: { type: 'sensor_data', device_id: 'site2' } });
    assert.deepEqual(sessionsOf(await broadcast), ['broadcast']);

    const ack = collect('out', 1);
    nodeById('n1').receive(fromClient('a', { type: 'subscribe_device', device_id: 'site1' }));
    const [subscribed] = (await ack) as WsOut[];
    assert.deepEqual([subscribed?._session?.id, subscribed?.payload.type, subscribed?.payload.devices], ['a', 'subscribed', ['site1']]);

    const site1 = collect('out', 3);
    nodeById('n1').receive({ payload: { type: 'sensor_data', device_id: 'site1' } });
    assert.deepEqual(sessionsOf(await site1).sort(), ['a', 'b', 'early'], 'the connection older than the node counts too');
    const site2 = collect('out', 2);
    nodeById('n1').receive({ payload: { type: 'alert', device_id: 'site2' } });
    assert.deepEqual(sessionsOf(await site2).sort(), ['b', 'early']);

    listener().emit('closed', { id: 'a' });
    const again = collect('out', 1);
    nodeById('n1').receive({ payload: { type: 'sensor_data', device_id: 'site2' } });
    assert.deepEqual(sessionsOf(await again), ['broadcast'], 'the closed connection and its subscription are forgotten');
  });

  it('shapes a reading, an alert event and a presence event from the ingest tab into the WebSocket messages', async function () {
    await load();
    const out = collect('out', 3);
    nodeById('n1').receive({ payload: [seedReading({ device_id: 'site1', timestamp: 1706600000000 })], alerts: [{ voltage_high: 'warning' }] } as NodeMessage);
    nodeById('n1').receive({ payload: { device_id: 'site1', alert_type: 'voltage_high', level: 'warning', state: 'raised', value: 251, threshold: 250, message: 'high', timestamp: 1706600000000 } });
    nodeById('n1').receive({ payload: { event: 'device_offline', device_id: 'site1', last_seen: null, reason: 'timeout', timestamp: 1706600000000 } });
    const [sensor, alert, offline] = ((await out) as WsOut[]).map((msg) => msg.payload);
    assert.deepEqual([sensor?.type, sensor?.device_id, sensor?.alerts, sensor?.timestamp], ['sensor_data', 'site1', { voltage_high: 'warning' }, '2024-01-30T07:33:20.000Z']);
    assert.deepEqual([alert?.type, alert?.source], ['alert', 'threshold']);
    assert.deepEqual(offline, { type: 'device_offline', device_id: 'site1', reason: 'timeout', last_seen: null, timestamp: '2024-01-30T07:33:20.000Z' });
  });

  it('drops pushed messages unshaped while no connection is open', async function () {
    await load();
    listener().emit('closed', { id: 'early' });
    const out = collect('out', 1);
    const caught = collect('caught', 1);
    nodeById('n1').receive({ payload: { device_id: 'site1', timestamp: 1706600000000 }, topic: 'nobody listens' });
    nodeById('n1').receive({ payload: 'not a reading', topic: 'nobody listens' });
    listener().emit('opened', { id: 'a' });
    nodeById('n1').receive({ payload: 'not a reading', topic: 'refused' });
    nodeById('n1').receive({ payload: { device_id: 'site1', timestamp: 1706600000000 }, topic: 'sent' });
    const [error] = (await caught) as (NodeMessage & { error: { message: string } })[];
    assert.equal(error?.topic, 'refused', 'the message sent while nobody listened was not even shaped');
    assert.match(String(error?.error.message), /message not pushed: the payload must be a reading, an array of readings, an alert or a presence event, not string/);
    assert.deepEqual((await out).map((msg) => msg.topic), ['sent']);
  });

  it('without its listener reports it, and still broadcasts what it is given (it cannot tell who is connected)', async function () {
    await helper.load([listenerModule, fleetModule, clientsModule, catchModule], flow.map((node) => (node.id === 'n1' ? { ...node, listener: 'gone' } : node)));
    const logged = helper.log().args.map((args) => String((args[0] as { msg?: unknown }).msg));
    assert.ok(logged.some((text) => text.startsWith('no websocket-listener selected')), logged.join('\n'));
    const out = collect('out', 1);
    nodeById('n1').receive({ payload: { event: 'device_online', device_id: 'site1', last_seen: null, reason: 'data', timestamp: 0 } });
    const [online] = (await out) as WsOut[];
    assert.deepEqual([online?._session, online?.payload.type], [undefined, 'device_online']);
  });

  it('answers get_current_status from the fleet, and an unknown device with an error', async function () {
    await load();
    const fleet = (nodeById('fleet') as unknown as { fleet: FleetLink }).fleet;
    await fleet.ready;
    fleet.reading(seedReading({ device_id: 'site1', timestamp: Date.now() }), []);
    const answers = collect('out', 2);
    nodeById('n1').receive(fromClient('a', { type: 'get_current_status', device_id: 'site1' }));
    nodeById('n1').receive(fromClient('a', { type: 'get_current_status', device_id: 'nobody' }));
    const [status, unknown] = (await answers) as WsOut[];
    assert.equal(status?._session?.id, 'a');
    assert.equal(status?.payload.type, 'current_status');
    assert.equal((status?.payload.status as { device_id: string; voltage: number }).voltage, 230.5);
    assert.deepEqual([unknown?.payload.type, unknown?.payload.error], ['error', 'unknown device "nobody"']);
  });

  it('answers text that is not JSON with an error to that connection, and reports it to a Catch node', async function () {
    await load();
    const answer = collect('out', 1);
    const caught = collect('caught', 1);
    nodeById('n1').receive(fromClient('a', '{"type":'));
    const [reply] = (await answer) as WsOut[];
    assert.deepEqual([reply?._session?.id, reply?.payload.type, reply?.payload.error], ['a', 'error', 'the request is not JSON']);
    const [error] = (await caught) as (NodeMessage & { error: { message: string } })[];
    assert.match(String(error?.error.message), /WebSocket client request refused: the request is not JSON/);
  });

  it('stops listening to the connection events when closed', async function () {
    await load();
    const config = listener();
    assert.equal(config.listenerCount('opened'), 1);
    await nodeById('n1').close(true);
    assert.equal(config.listenerCount('opened'), 0);
    assert.equal(config.listenerCount('closed'), 0);
  });
});
