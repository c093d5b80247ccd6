// fleet-view against the real heatpump-fleet config node: reports go into the fleet through its
// FleetLink (helper.getNode('fleet').fleet), the views come out of the fleet-view nodes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { AlertEvent, Reading } from '../../nodes/shared/contract';
import type { FleetLink } from '../../nodes/shared/fleet-link';
import type { DeviceRow } from '../../nodes/fleet-view/rows';
import type { SystemPayload } from '../../nodes/fleet-view/system';
import type { DeviceView } from '../../nodes/fleet-view/device-view';
import { utcText } from '../../nodes/fleet-view/format';
import { helperInternals as internals, loadContextStores } from '../support/context-stores';
import { catchModule, flowSuiteHooks, helper, nodeById, sleep, type NodeInit } from '../support/flow-helper';
import { nodeModule, projectRoot } from '../support/node-red';

/** Both nodes share the helper's one RED, so one translator answers from both catalogs. */
function withCatalogs(names: string[]): (init: NodeInit) => NodeInit {
  const catalog: Record<string, unknown> = {};
  for (const name of names) Object.assign(catalog, JSON.parse(fs.readFileSync(path.join(projectRoot, 'dist', 'nodes', name, 'locales', 'en-US', `${name}.json`), 'utf8')) as object);
  const translate = (key: string, params: Record<string, unknown> = {}) => {
    let entry: unknown = catalog;
    for (const part of key.split('.')) entry = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)[part] : undefined;
    return typeof entry === 'string' ? entry.replace(/__(\w+)__/g, (_, param: string) => String(params[param])) : `MISSING ${key}`;
  };
  return (init) => (RED: NodeAPI) => {
    (RED as unknown as { _: typeof translate })._ = translate;
    return init(RED);
  };
}

const catalogs = withCatalogs(['heatpump-fleet', 'fleet-view']);
const fleetModule = catalogs(nodeModule('heatpump-fleet') as NodeInit);
const viewModule = catalogs(nodeModule('fleet-view') as NodeInit);
/**
 * What each `recorder` node received since it was created. A listener on a helper node comes only
 * once helper.load returned, and a restored fleet's first views may have gone out by then.
 */
const recorded = new Map<string, { got: NodeMessage[]; wake?: () => void }>();
const recorderModule = ((RED: NodeAPI) => {
  RED.nodes.registerType('recorder', function (this: Node, config: NodeDef) {
    RED.nodes.createNode(this, config);
    const box: { got: NodeMessage[]; wake?: () => void } = { got: [] };
    recorded.set(config.id, box);
    this.on('input', (msg: NodeMessage) => {
      box.got.push(msg);
      box.wake?.();
    });
  });
}) as unknown as NodeInit;

const modules = [loadContextStores, fleetModule, viewModule, catchModule, recorderModule];

const VIEWS = ['summary', 'devices', 'alerts', 'system', 'device'] as const;
type View = (typeof VIEWS)[number];

/** A tab with one fleet-view per view (id `v_<view>`, output to helper `out_<view>`) and a Catch. */
function flow(store = '', extra: Record<string, Record<string, unknown>> = {}): Array<Record<string, unknown>> {
  const at = { z: 'tab', x: 100, y: 100 };
  return [
    { id: 'tab', type: 'tab', label: 'fleet-view' },
    { id: 'fleet', type: 'heatpump-fleet', name: '', store },
    ...VIEWS.flatMap((view) => [
      { id: `v_${view}`, ...at, type: 'fleet-view', name: '', fleet: 'fleet', view, maxRows: '', wires: [[`out_${view}`]], ...extra[view] },
      { id: `out_${view}`, ...at, type: 'recorder', wires: [] },
    ]),
    { id: 'catcher', ...at, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', ...at, type: 'recorder', wires: [] },
  ];
}

const fleetLink = (): FleetLink => {
  const fleet = (nodeById('fleet') as unknown as { fleet?: FleetLink }).fleet;
  assert.ok(fleet, 'the fleet node has a FleetLink');
  return fleet;
};

/** Every message a recorder node received since it was created; waits for one matching a condition. */
class Inbox {
  private readonly box: { got: NodeMessage[]; wake?: () => void };

  constructor(id: string) {
    const box = recorded.get(id);
    if (!box) throw new Error(`no recorder node ${id}`);
    this.box = box;
  }

  get got(): NodeMessage[] {
    return this.box.got;
  }

  async next<T extends NodeMessage>(what: string, match: (msg: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (let seen = 0; ; ) {
      while (seen < this.got.length) {
        const msg = this.got[seen++] as T;
        if (match(msg)) {
          this.got.splice(0, seen);
          return msg;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(this.got.map((m) => m.payload))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.box.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

const inboxes = () => Object.fromEntries(VIEWS.map((view) => [view, new Inbox(`out_${view}`)])) as Record<View, Inbox>;

const reading = (id: string, values: Partial<Reading> = {}): Reading => ({ device_id: id, timestamp: Date.now(), voltage: 231, temp_inlet: 45.2, power: 1960, ...values });
const alert = (id: string, state: AlertEvent['state'], value: number): AlertEvent => ({
  device_id: id,
  alert_type: 'voltage_high',
  level: 'critical',
  value,
  threshold: 250,
  message: `High voltage: ${value} V`,
  state,
  timestamp: Date.now(),
});

type RowsMsg = NodeMessage & { payload: DeviceRow[]; total: number; options?: unknown[] };
type DeviceMsg = NodeMessage & { payload: DeviceView; range: string; selected: boolean; reading?: Reading; _client?: { socketId: string } };

describe('fleet-view node', function () {
  flowSuiteHooks();

  afterEach(function () {
    helper.settings({ contextStorage: undefined });
  });

  it('shows the restored fleet right after a restart, without a new reading', async function () {
    this.timeout(20_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-view-'));
    try {
      helper.settings({ contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem', config: { dir } } } });
      await helper.load(modules, flow('file'));
      const before = fleetLink();
      before.reading(reading('site1'), []);
      before.reading(reading('site2'), []);
      before.reading(reading('site3', { voltage: 252 }), []);
      before.presence({ event: 'device_online', device_id: 'site1', last_seen: Date.now(), reason: 'data', timestamp: Date.now() });
      before.presence({ event: 'device_online', device_id: 'site2', last_seen: Date.now(), reason: 'data', timestamp: Date.now() });
      before.presence({ event: 'device_offline', device_id: 'site3', last_seen: Date.now(), reason: 'timeout', timestamp: Date.now() });
      before.alert(alert('site3', 'raised', 252));
      await sleep(1200); // applied (the fleet loads its store first)

      // restart: the fleet saves on close; the context files are kept for the next start
      await internals._redNodes.stopFlows();
      await internals._context.close();
      internals._context.init(internals._settings);
      await helper.unload();

      await helper.load(modules, flow('file'));
      const started = Date.now();
      const out = inboxes();
      const summary = await out.summary.next('the restored summary', (m) => (m.payload as { total: number }).total === 3);
      assert.deepEqual(summary.payload, { total: 3, online: 2, offline: 1, alerting: 1, warning: 0, critical: 1 });
      const devices = await out.devices.next<RowsMsg>('the restored rows', (m) => m.total === 3);
      assert.deepEqual(
        devices.payload.map((r) => `${r.device_id} ${r.status}`),
        ['site3 offline', 'site1 online', 'site2 online'],
      );
      assert.equal(typeof devices.payload[0]?.last_seen, 'number', 'last seen is the time heard, not "never"');
      const alerts = await out.alerts.next<RowsMsg>('the restored alert', (m) => m.total === 1);
      assert.match(JSON.stringify(alerts.payload[0]), /"device_id":"site3".*"level":"critical".*"value":"252 V"/);
      const system = await out.system.next<NodeMessage & { payload: SystemPayload }>('the restored counters');
      assert.equal(system.payload.counters.readings_accepted, 3);
      assert.ok(Date.now() - started < 5000, `within 5 s (took ${Date.now() - started} ms)`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends a view again only when the part it shows changed', async function () {
    await helper.load(modules, flow());
    const out = inboxes();
    const fleet = fleetLink();
    await out.summary.next('the first summary');
    await out.devices.next('the first rows');
    await out.alerts.next('the first alerts');

    fleet.reading(reading('site1'), []);
    const rows = await out.devices.next<RowsMsg>('site1 in the table', (m) => m.total === 1);
    assert.deepEqual(rows.options, [{ label: 'site1', value: 'site1' }], 'a new device: the device list');
    await out.summary.next('the count', (m) => (m.payload as { total: number }).total === 1);

    fleet.reading(reading('site1', { temp_inlet: 47 }), []);
    const changed = await out.devices.next<RowsMsg>('the new inlet', (m) => m.payload[0]?.inlet === '47.0 °C');
    assert.equal(changed.options, undefined, 'the same devices: no device list');
    await sleep(1300);
    assert.equal(out.summary.got.length, 0, 'a reading changes no count');
    assert.equal(out.alerts.got.length, 0, 'nor an alert');

    fleet.alert(alert('site1', 'raised', 251));
    const raised = await out.alerts.next<RowsMsg>('the active alert', (m) => m.total === 1);
    assert.equal(raised.payload[0]?.device_id, 'site1');
    const first = await out.devices.next<RowsMsg>('the alert in the table', (m) => m.payload[0]?.alerts !== 'none');
    assert.equal(first.payload[0]?.alerts, 'voltage_high (critical)');
    fleet.alert(alert('site1', 'cleared', 240));
    await out.alerts.next<RowsMsg>('no active alert', (m) => m.total === 0);
  });

  it('answers an input on the same message: msg._client, msg.req and msg.res survive', async function () {
    await helper.load(modules, flow());
    const out = inboxes();
    await out.devices.next('the first rows');
    fleetLink().reading(reading('site1'), []);
    await out.devices.next('site1', (m) => (m as RowsMsg).total === 1);
    const req = { params: { id: 'x' } };
    const res = { marker: 'http response' };
    nodeById('v_devices').receive({ payload: 'anything', topic: 'fleet', _client: { socketId: 'abc' }, req, res, _msgid: 'm1' } as object);
    const reply = await out.devices.next<RowsMsg & { req: unknown; res: unknown; _client: unknown }>('the reply');
    assert.equal(reply._msgid, 'm1');
    assert.deepEqual([reply._client, reply.req, reply.res, reply.topic], [{ socketId: 'abc' }, req, res, 'fleet']);
    assert.deepEqual(
      reply.payload.map((r) => r.device_id),
      ['site1'],
    );
    assert.deepEqual(reply.options, [{ label: 'site1', value: 'site1' }]);
  });

  it('device view: each browser its own device; later changes only to the browsers showing it', async function () {
    await helper.load(modules, flow());
    const out = inboxes();
    const fleet = fleetLink();
    fleet.reading(reading('site1', { voltage: 221.1 }), []);
    fleet.reading(reading('site2', { voltage: 242.2 }), []);
    await out.devices.next('both devices', (m) => (m as RowsMsg).total === 2);

    const device = nodeById('v_device');
    device.receive({ payload: 'site1', _client: { socketId: 'b1' } });
    const one = await out.device.next<DeviceMsg>('the reply to b1');
    assert.deepEqual([one._client, one.payload.device_id, one.payload.voltage, one.range, one.selected], [{ socketId: 'b1' }, 'site1', 221.1, '24h', true]);
    device.receive({ payload: 'site2', range: '7d', _client: { socketId: 'b2' } });
    const two = await out.device.next<DeviceMsg>('the reply to b2');
    assert.deepEqual([two._client, two.payload.device_id, two.payload.voltage, two.range], [{ socketId: 'b2' }, 'site2', 242.2, '7d']);
    device.receive({ payload: { page: { name: 'Device' } }, _client: { socketId: 'b3' } });
    const three = await out.device.next<DeviceMsg>('the reply to a browser without a device');
    assert.equal(three.payload.device_id, 'site1', 'adopts the first known device');

    fleet.reading(reading('site1', { voltage: 225.5 }), []);
    const first = await out.device.next<DeviceMsg>('site1 to b1', (m) => m._client?.socketId === 'b1');
    assert.equal(first.payload.voltage, 225.5);
    assert.equal(first.reading?.voltage, 225.5, 'a new reading: one chart point');
    assert.equal(first.selected, false);
    const third = await out.device.next<DeviceMsg>('site1 to b3', (m) => m._client?.socketId === 'b3');
    assert.equal(third.payload.voltage, 225.5);
    await sleep(1200);
    assert.deepEqual(
      out.device.got.map((m) => (m as DeviceMsg)._client?.socketId),
      [],
      'nothing for b2, which shows site2',
    );

    device.receive({ range: '1h', _client: { socketId: 'b2' } });
    const range = await out.device.next<DeviceMsg>('the new range');
    assert.deepEqual([range.payload.device_id, range.range, range.selected], ['site2', '1h', true]);
  });

  it('device view of a polled source\'s device (fleet.metrics): kind metrics and its metrics rows, updated per reading', async function () {
    await helper.load(modules, flow());
    const out = inboxes();
    const fleet = fleetLink();
    const first = Date.now();
    fleet.metrics({ device_id: 'nibe1', timestamp: first, metrics: { flow_temperature: 35.5, compressor_on: true }, units: { flow_temperature: '°C' }, info: { source: 'modbus' } });
    await out.devices.next('the device', (m) => (m as RowsMsg).total === 1);
    const device = nodeById('v_device');
    device.receive({ payload: 'nibe1', _client: { socketId: 'b1' } });
    const shown = await out.device.next<DeviceMsg>('the reply to b1');
    assert.equal(shown.payload.kind, 'metrics');
    assert.deepEqual(shown.payload.metrics_rows, [
      { metric: 'flow_temperature', value: '35.5', unit: '°C', updated: utcText(first) },
      { metric: 'compressor_on', value: 'on', unit: '', updated: utcText(first) },
    ]);
    const second = Date.now();
    fleet.metrics({ device_id: 'nibe1', timestamp: second, metrics: { flow_temperature: 36, compressor_on: false } });
    const next = await out.device.next<DeviceMsg>('the next reading to b1', (m) => m._client?.socketId === 'b1');
    assert.deepEqual(next.payload.metrics_rows, [
      { metric: 'flow_temperature', value: '36', unit: '', updated: utcText(second) },
      { metric: 'compressor_on', value: 'off', unit: '', updated: utcText(second) },
    ]);
    assert.equal(next.reading, undefined, 'no ESP32 chart point');
  });

  it('a bad input goes to Catch nodes; a misconfigured node refuses input', async function () {
    await helper.load(modules, [...flow(), { id: 'v_bad', z: 'tab', x: 100, y: 100, type: 'fleet-view', name: '', fleet: 'nowhere', view: 'summary', maxRows: '', wires: [[]] }]);
    const caught = new Inbox('caught');
    nodeById('v_device').receive({ payload: 'a/b' });
    const bad = await caught.next<NodeMessage & { error: { message: string } }>('the bad device id');
    assert.match(bad.error.message, /msg\.payload is not a usable device id: device id contains the unsafe character "\/"/);
    nodeById('v_device').receive({ range: '2y', _client: { socketId: 'b1' } });
    const range = await caught.next<NodeMessage & { error: { message: string } }>('the bad range');
    assert.match(range.error.message, /msg\.range "2y" is not one of 1h, 24h, 7d, 30d, day, week, month, year$/);
    nodeById('v_bad').receive({ payload: 1 });
    const misconfigured = await caught.next<NodeMessage & { error: { message: string } }>('the missing fleet');
    assert.match(misconfigured.error.message, /No heatpump-fleet config node/);
  });

  it('system view: health, counters, rates and rejections; its timer stops on close', async function () {
    this.timeout(20_000);
    await helper.load(modules, flow());
    const out = inboxes();
    const first = await out.system.next<NodeMessage & { payload: SystemPayload }>('the first system view');
    assert.equal(first.payload.text.history, 'History is off: no InfluxDB is set on the fleet node');
    assert.equal(first.payload.text.status, 'degraded (history off)');
    assert.equal(first.payload.text.readings_rate, '\u2013');
    const fleet = fleetLink();
    fleet.rejected({ scope: 'payload', device_id: null, field: null, reason: 'payload is not JSON' });
    fleet.reading(reading('site1'), [{ field: 'temp_inlet', reason: 'out of range' }]);
    const counted = await out.system.next<NodeMessage & { payload: SystemPayload }>('the counters', (m) => m.payload.counters.readings_accepted === 1);
    assert.equal(counted.payload.text.readings_total, '1');
    assert.deepEqual(
      counted.payload.rejections.map((r) => `${r.device_id} ${r.field} ${r.reason}`),
      ['site1 temp_inlet out of range', '\u2013 \u2013 payload is not JSON'],
    );
    const rated = await out.system.next<NodeMessage & { payload: SystemPayload }>('a rate', (m) => m.payload.rates.readings_accepted !== null, 8000);
    assert.match(rated.payload.text.readings_rate, /^\d+\.\d readings\/min$/);
  });
});
