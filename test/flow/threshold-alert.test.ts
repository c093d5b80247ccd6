import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NodeMessage } from 'node-red';
import type { Node, NodeDef } from 'node-red';
import type { AlertEvent } from '../../nodes/shared/contract';
import { catchModule as catchInit, collect, flowSuiteHooks, flowWithCatch, helper, nodeById as get, sleep, withCatalog, type NodeInit, type TestNode } from '../support/flow-helper';
import { nodeModule, nodeRedPath, projectRoot } from '../support/node-red';
import { helperInternals as internals, lastingStore, loadContextStores } from '../support/context-stores';
import { DEFAULT_RULES } from '../../nodes/threshold-alert/rules';

const requireFromNodeRed = (request: string): unknown =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(require.resolve(request, { paths: [nodeRedPath] }));

const injectInit = requireFromNodeRed('@node-red/nodes/core/common/20-inject.js') as NodeInit;
const debugInit = requireFromNodeRed('@node-red/nodes/core/common/21-debug.js') as NodeInit;
const commentInit = requireFromNodeRed('@node-red/nodes/core/common/90-comment.js') as NodeInit;

const thresholdAlert = withCatalog(nodeModule('threshold-alert') as NodeInit, 'threshold-alert');

const T0 = Date.now() - 3600_000;
const reading = (seconds: number, values: Record<string, number>, deviceId = 'site1') => ({
  topic: deviceId,
  payload: { device_id: deviceId, timestamp: T0 + seconds * 1000, ...values },
});

const flow = (config: Record<string, unknown> = {}): Array<Record<string, unknown>> => flowWithCatch('threshold-alert', ['events', 'readings'], config);

/** Messages `id` receives within `ms` (for "nothing was sent" checks). */
function receivedWithin(id: string, ms: number): Promise<NodeMessage[]> {
  const got: NodeMessage[] = [];
  get(id).on('input', (msg: NodeMessage) => got.push(msg));
  return new Promise((resolve) => setTimeout(() => resolve(got), ms));
}

interface StatusCall {
  args: [{ fill?: string; shape?: string; text?: string }];
}

interface StatusEmitter {
  on(event: 'call:status', listener: (call: StatusCall) => void): void;
  removeListener(event: 'call:status', listener: (call: StatusCall) => void): void;
}

/** Resolves with the status n1 shows once `predicate` holds. */
function statusWhere(predicate: (status: { fill?: string; shape?: string; text?: string }) => boolean, timeoutMs = 2000) {
  return new Promise<{ fill?: string; shape?: string; text?: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('status not reached')), timeoutMs);
    const n1 = helper.getNode('n1') as StatusEmitter;
    const listener = (call: StatusCall) => {
      if (predicate(call.args[0])) {
        clearTimeout(timer);
        n1.removeListener('call:status', listener);
        resolve(call.args[0]);
      }
    };
    n1.on('call:status', listener);
  });
}

type Status = { fill?: string; shape?: string; text?: string };
/** The statuses node `id` has shown so far, also those from before a listener could be attached (load). */
function statusesShown(id: string): Status[] {
  const proto = (helper as unknown as { _NodePrototype: { status: { getCalls(): Array<{ thisValue: unknown; args: [Status] }> } } })._NodePrototype;
  const node = helper.getNode(id);
  return proto.status
    .getCalls()
    .filter((call) => call.thisValue === node)
    .map((call) => call.args[0]);
}

const events = (msgs: NodeMessage[]) => msgs.map((m) => m.payload as AlertEvent).map((e) => `${e.alert_type} ${e.state} ${e.level}`);

describe('threshold-alert node', function () {
  flowSuiteHooks();

  afterEach(function () {
    helper.settings({ contextStorage: undefined });
  });

  it('should be loaded with correct defaults', async function () {
    await helper.load(thresholdAlert, [{ id: 'n1', type: 'threshold-alert', wires: [['events'], ['readings']] }, { id: 'events', type: 'helper' }, { id: 'readings', type: 'helper' }]);
    const n1 = get('n1') as TestNode & { type: string };
    assert.equal(n1.type, 'threshold-alert');
    // An empty config works with the contract's defaults: > 250 V is critical.
    const received = collect('events', 1);
    n1.receive(reading(0, { voltage: 250.5 }));
    const [msg] = await received;
    assert.equal(msg?.topic, 'site1');
    assert.deepEqual(msg?.payload, {
      device_id: 'site1',
      alert_type: 'voltage_high',
      level: 'critical',
      value: 250.5,
      threshold: 250,
      message: 'High voltage: 250.5 V > 250 V (critical)',
      state: 'raised',
      timestamp: T0,
      field: 'voltage',
    });
  });

  it('sends events on output 1 and the annotated reading on output 2, with a status', async function () {
    await helper.load(thresholdAlert, flow());
    const out1 = collect('events', 2);
    const out2 = collect('readings', 2);
    // statuses are paced: the one shown names the device seen last
    const status = statusWhere((s) => s.text === '2 active · site2');
    const first = reading(0, { voltage: 246, current: 15.5, temp_compressor: 70 });
    get('n1').receive(first);
    get('n1').receive(reading(10, { voltage: 230 }, 'site2'));
    assert.deepEqual(events(await out1), ['voltage_high raised warning', 'current raised critical']);
    const [annotated, other] = await out2;
    assert.deepEqual(annotated?.payload, first.payload);
    assert.equal(annotated?.topic, 'site1');
    assert.deepEqual((annotated as NodeMessage & { alerts: unknown }).alerts, { voltage_high: 'warning', current: 'critical' });
    assert.deepEqual((other as NodeMessage & { alerts: unknown }).alerts, {});
    const shown = await status;
    assert.equal(shown.fill, 'red');
  });

  it('takes an array of readings in one message: events per element, output 2 once with the levels after each', async function () {
    await helper.load(thresholdAlert, flow());
    const out1 = collect('events', 2);
    const out2 = collect('readings', 1);
    const readings = [reading(0, { voltage: 230 }), reading(10, { voltage: 250.5 }), reading(20, { voltage: 230 }), reading(30, { voltage: 231 })];
    get('n1').receive({ topic: 'site1', payload: readings.map((r) => r.payload), invalid: [[], [], [], ['current']] });
    assert.deepEqual(events(await out1), ['voltage_high raised critical', 'voltage_high cleared critical']);
    const [annotated] = await out2;
    assert.equal((annotated?.payload as unknown[]).length, 4);
    assert.deepEqual((annotated as NodeMessage & { alerts: unknown }).alerts, [{}, { voltage_high: 'critical' }, {}, {}]);
  });

  // table: an array of two devices' readings (heatpump-decode's gathered output), with and without
  // readingsEvery, with and without the lists of fields left out (each device's message has them
  // only when the input has them)
  for (const readingsEvery of [0, 0.3]) {
    for (const lists of [true, false]) {
      it(`splits an array of several devices' readings into one message per device on output 2 (readingsEvery ${readingsEvery}, ${lists ? 'with' : 'without'} msg.invalid)`, async function () {
        await helper.load(thresholdAlert, flow({ readingsEvery }));
        const out1 = collect('events', 1);
        const out2 = collect('readings', 2);
        const gathered = [reading(0, { voltage: 230 }), reading(0, { voltage: 251 }, 'site2'), reading(10, { voltage: 231 })];
        const fieldsLeftOut = lists ? { invalid: [[], ['current'], []], invalidReasons: [null, { current: 'flagged' }, null] } : {};
        get('n1').receive({ payload: gathered.map((r) => r.payload), ...fieldsLeftOut });
        assert.deepEqual(events(await out1), ['voltage_high raised critical']);
        const byDevice = (await out2).map((m) => ({
          topic: m.topic,
          voltages: (m.payload as Array<{ voltage: number }>).map((r) => r.voltage),
          lists: Object.fromEntries(['invalid', 'invalidReasons'].filter((key) => key in m).map((key) => [key, (m as unknown as Record<string, unknown>)[key]])),
          alerts: (m as NodeMessage & { alerts: unknown }).alerts,
        }));
        assert.deepEqual(byDevice, [
          { topic: 'site1', voltages: [230, 231], lists: lists ? { invalid: [[], []], invalidReasons: [null, null] } : {}, alerts: [{}, {}] },
          { topic: 'site2', voltages: [251], lists: lists ? { invalid: [['current']], invalidReasons: [{ current: 'flagged' }] } : {}, alerts: [{ voltage_high: 'critical' }] },
        ]);
      });
    }
  }

  it('refuses an array with a bad element as a whole, through done(err)', async function () {
    await helper.load([thresholdAlert, catchInit], flowWithCatch('threshold-alert', ['events', 'readings'], {}));
    const caught = collect('caught', 1);
    const nothing = receivedWithin('events', 300);
    get('n1').receive({ topic: 'site1', payload: [reading(0, { voltage: 251 }).payload, 'not a reading'] });
    assert.match(((await caught)[0]?.error as { message: string }).message, /\[1\] payload is not a reading object/);
    assert.deepEqual(await nothing, []);
  });

  it('with readingsEvery sends at most one reading per device that often on output 2: the first at once, then the latest', async function () {
    await helper.load(thresholdAlert, flow({ readingsEvery: 0.3 }));
    const out1 = collect('events', 1);
    const out2 = collect('readings', 3);
    for (let n = 0; n < 5; n++) get('n1').receive(reading(n, { voltage: 230 + n }));
    get('n1').receive(reading(0, { voltage: 251 }, 'site2'));
    assert.deepEqual(events(await out1), ['voltage_high raised critical'], 'events are never held back');
    const sent = (await out2).map((m) => `${String(m.topic)} ${(m.payload as { voltage: number }).voltage}`);
    assert.deepEqual(sent, ['site1 230', 'site2 251', 'site1 234']);
    assert.deepEqual(await receivedWithin('readings', 500), [], 'nothing more once the interval passed without readings');
  });

  it('applies a valid control message (msg.thresholds) to one device and removes it with rules: null', async function () {
    await helper.load(thresholdAlert, flow());
    const out1 = collect('events', 2);
    const n1 = get('n1');
    n1.receive({ thresholds: { device_id: 'site1', rules: { voltage_high: { warning: 240, critical: 248 } } } });
    n1.receive(reading(0, { voltage: 242 }));
    n1.receive(reading(0, { voltage: 242 }, 'site2'));
    n1.receive({ topic: 'ignored', payload: 'ignored', thresholds: { device_id: 'site1', rules: null } });
    n1.receive(reading(10, { voltage: 242 }));
    const got = await out1;
    assert.deepEqual(
      got.map((m) => [m.topic, (m.payload as AlertEvent).state, (m.payload as AlertEvent).threshold]),
      [
        ['site1', 'raised', 240],
        ['site1', 'cleared', 243],
      ],
    );
  });

  it('sends the rule changes of a control message on output 4 (source flow), none when nothing changed', async function () {
    await helper.load(thresholdAlert, flowWithCatch('threshold-alert', ['events', 'readings', 'answers', 'changes']));
    const changes = collect('changes', 2);
    const n1 = get('n1');
    n1.receive({ thresholds: { device_id: 'site1', rules: { voltage_high: { warning: 240 } } } });
    n1.receive({ thresholds: { device_id: 'site1', rules: { voltage_high: { warning: 240 } } } });
    n1.receive({ thresholds: { device_id: 'site1', rules: null } });
    const got = (await changes).map((m) => m.payload as Record<string, unknown>);
    assert.deepEqual(
      got.map(({ timestamp, ...change }) => (assert.equal(typeof timestamp, 'number'), change)),
      [
        { device_id: 'site1', setting: 'rule:voltage_high', old_value: { warning: 245 }, new_value: { warning: 240 }, source: 'flow' },
        { device_id: 'site1', setting: 'rule:voltage_high', old_value: { warning: 240 }, new_value: { warning: 245 }, source: 'flow' },
      ],
      'the repeated message changed nothing and sent nothing',
    );
  });

  it('answers GET/PUT/DELETE /api/devices/{id}/rules on output 3; a PUT applies to the next reading and goes out on output 4 with its author', async function () {
    await helper.load(thresholdAlert, flowWithCatch('threshold-alert', ['events', 'readings', 'answers', 'changes']));
    const n1 = get('n1');
    const request = (method: string, body?: unknown) => ({
      payload: body,
      req: { method, route: { path: '/api/devices/:id/rules' }, params: { id: 'site1' }, query: {}, body, headers: { authorization: `Basic ${Buffer.from('operator:secret').toString('base64')}` } },
      res: {},
    });
    type Answer = NodeMessage & { statusCode: number; payload: { error?: string; rules?: Array<{ name: string; warning: number; origin: string }> } };
    const answers = collect('answers', 4);
    const changes = collect('changes', 2);
    const caught = receivedWithin('caught', 500);
    n1.receive(request('PUT', { voltage_low: { warning: 225, critical: 220 } }));
    n1.receive(request('PUT', { voltage_low: { warning: 'low' } }));
    const events = collect('events', 1);
    n1.receive(reading(0, { voltage: 223 }));
    n1.receive(request('GET'));
    n1.receive(request('DELETE'));
    const [put, bad, read, removed] = (await answers) as Answer[];
    assert.equal(put?.statusCode, 200);
    assert.deepEqual(put?.payload.rules?.find((r) => r.name === 'voltage_low'), { ...DEFAULT_RULES.find((r) => r.name === 'voltage_low'), warning: 225, critical: 220, origin: 'device_override', overridden: ['warning', 'critical'] });
    assert.deepEqual([bad?.statusCode, bad?.payload.error?.startsWith('voltage_low: warning must be a number')], [400, true]);
    assert.deepEqual((await events).map((m) => [(m.payload as AlertEvent).alert_type, (m.payload as AlertEvent).level, (m.payload as AlertEvent).threshold]), [['voltage_low', 'warning', 225]], '223 V is inside the flow rule (215 V) and below the new warning');
    assert.equal(read?.statusCode, 200);
    assert.equal(read?.payload.rules?.find((r) => r.name === 'voltage_low')?.warning, 225);
    assert.deepEqual(removed?.payload.rules?.find((r) => r.name === 'voltage_low')?.origin, 'flow');
    assert.ok(put && 'res' in put, 'the answer keeps msg.res for the http response node');
    const got = (await changes).map((m) => m.payload as Record<string, unknown>);
    assert.deepEqual(
      got.map(({ device_id, setting, old_value, new_value, source, author }) => ({ device_id, setting, old_value, new_value, source, author })),
      [
        { device_id: 'site1', setting: 'rule:voltage_low', old_value: { warning: 215, critical: 210 }, new_value: { warning: 225, critical: 220 }, source: 'api', author: 'operator' },
        { device_id: 'site1', setting: 'rule:voltage_low', old_value: { warning: 225, critical: 220 }, new_value: { warning: 215, critical: 210 }, source: 'api', author: 'operator' },
      ],
    );
    assert.deepEqual(await caught, [], 'a bad API call is answered, not a flow error');
  });

  const badControls: Array<[string, unknown, RegExp]> = [
    ['unknown rule', { device_id: 'site1', rules: { voltage_hi: { warning: 240 } } }, /unknown rule "voltage_hi"/],
    ['non-number', { device_id: 'site1', rules: { voltage_high: { warning: '240' } } }, /voltage_high: warning must be a number/],
    ['warning beyond critical', { device_id: 'site1', rules: { voltage_low: { warning: 205 } } }, /warning 205 must not be below critical 210/],
    ['negative hysteresis', { device_id: 'site1', rules: { current: { hysteresis: -1 } } }, /hysteresis must not be negative/],
    ['bad device id', { device_id: 'a b', rules: null }, /unsafe character/],
  ];
  for (const [title, payload, expected] of badControls) {
    it(`rejects a bad control message (${title}) through done(err) to a Catch node`, async function () {
      await helper.load([thresholdAlert, catchInit], flow());
      const caught = collect('caught', 1);
      const status = statusWhere((s) => s.fill === 'red');
      get('n1').receive({ thresholds: payload });
      const [msg] = await caught;
      const error = msg?.error as { message: string; source: { id: string } };
      assert.match(error.message, /threshold-alert: control message rejected: /);
      assert.match(error.message, expected);
      assert.equal(error.source.id, 'n1');
      assert.equal((await status).text, 'bad control message');
    });
  }

  it('takes a device named "thresholds" for a device like any other (control is by msg.thresholds only)', async function () {
    await helper.load(thresholdAlert, flow());
    const out1 = collect('events', 2);
    const out2 = collect('readings', 2);
    get('n1').receive(reading(0, { voltage: 251 }, 'thresholds'));
    get('n1').receive({ topic: 'thresholds', payload: { timestamp: T0 + 10_000, voltage: 240 } });
    const got = await out1;
    assert.deepEqual(
      got.map((m) => `${m.topic} ${(m.payload as AlertEvent).device_id} ${(m.payload as AlertEvent).state}`),
      ['thresholds thresholds raised', 'thresholds thresholds cleared'],
    );
    assert.equal((await out2).length, 2);
  });

  it('joins device-raised alerts (heatpump-decode output 2) into the same episode: one event per fault', async function () {
    await helper.load(thresholdAlert, flow());
    const out1 = collect('events', 2);
    const quiet2 = receivedWithin('readings', 400);
    const n1 = get('n1');
    // as heatpump-decode sends it: msg.topic = device id, payload an AlertEvent with source device
    const deviceAlert = { device_id: 'site1', alert_type: 'compressor_temp', level: 'critical', value: 96.2, threshold: 95, message: 'High compressor temperature', state: 'raised', timestamp: T0, source: 'device', field: 'temp_compressor' };
    n1.receive({ topic: 'site1', payload: deviceAlert });
    n1.receive({ topic: 'site1', payload: { ...deviceAlert, timestamp: T0 + 5000 } });
    n1.receive(reading(0, { temp_compressor: 96.2 }));
    n1.receive(reading(10, { temp_compressor: 80 }));
    const got = (await out1).map((m) => m.payload as AlertEvent);
    assert.deepEqual(
      got.map((e) => `${e.alert_type} ${e.state} ${e.level} ${e.source ?? 'threshold'}`),
      ['compressor_temp raised critical device', 'compressor_temp cleared critical threshold'],
    );
    assert.equal(got[0]?.message, 'Compressor temperature: 96.2 °C > 95 °C (critical, device)');
    // output 2 carries readings only
    assert.deepEqual(
      (await quiet2).map((m) => (m as NodeMessage & { alerts: unknown }).alerts),
      [{ compressor_temp: 'critical' }, {}],
    );
  });

  it('rejects an alert that is not device-raised (its own events fed back) through done(err)', async function () {
    await helper.load([thresholdAlert, catchInit], flow());
    const caught = collect('caught', 1);
    get('n1').receive({ topic: 'site1', payload: { device_id: 'site1', alert_type: 'voltage_high', level: 'critical', value: 251, threshold: 250, message: 'x', state: 'raised', timestamp: T0 } });
    const [msg] = await caught;
    assert.match((msg?.error as { message: string }).message, /threshold-alert: device alert rejected: only device-raised alerts/);
  });

  it('reports every event it sends to the fleet config node named in `fleet`', async function () {
    const reported: AlertEvent[] = [];
    const fleetInit: NodeInit = (RED) => {
      RED.nodes.registerType('heatpump-fleet', function (this: Node, config: NodeDef) {
        RED.nodes.createNode(this, config);
        // the part of the FleetLink (fleet-link.ts) threshold-alert uses
        Object.assign(this, { fleet: { alert: (event: AlertEvent) => reported.push(event) } });
      });
    };
    await helper.load([fleetInit, thresholdAlert], [...flow({ fleet: 'fleet1' }), { id: 'fleet1', type: 'heatpump-fleet' }]);
    const out1 = collect('events', 3);
    const n1 = get('n1');
    n1.receive({ topic: 'site1', payload: { device_id: 'site1', alert_type: 'current', level: 'warning', value: 12.6, threshold: 12, message: 'Overcurrent', state: 'raised', timestamp: T0, source: 'device' } });
    n1.receive(reading(0, { current: 15.5 }));
    n1.receive(reading(10, { current: 5 }));
    const sent = (await out1).map((m) => m.payload);
    assert.deepEqual(reported, sent);
    assert.deepEqual(
      reported.map((e) => `${e.alert_type} ${e.state} ${e.source ?? 'threshold'}`),
      ['current raised device', 'current escalated threshold', 'current cleared threshold'],
    );
  });

  it('works without its fleet config node and says so once', async function () {
    await helper.load(thresholdAlert, flow({ fleet: 'missing' }));
    const out1 = collect('events', 2);
    get('n1').receive(reading(0, { voltage: 251 }));
    get('n1').receive(reading(10, { voltage: 240 }));
    assert.equal((await out1).length, 2);
    const warned = helper
      .log()
      .args.map(([entry]) => entry as { level?: number; msg?: unknown })
      .filter((entry) => entry.level === 30)
      .map((entry) => String(entry.msg));
    assert.deepEqual(
      warned.filter((text) => text.includes('fleet')),
      ['threshold-alert: fleet config node missing not found: alerts are not reported to it'],
    );
  });

  it('falls back to memory when its store is not configured in settings.js, and says so', async function () {
    helper.settings({ contextStorage: { default: { module: 'memory' } } });
    await helper.load(thresholdAlert, flow({ store: 'file' }));
    await sleep(50);
    assert.deepEqual(statusesShown('n1').at(-1), { fill: 'yellow', shape: 'ring', text: "memory only: no store 'file'" });
    const warned = helper
      .log()
      .args.map(([entry]) => entry as { level?: number; msg?: unknown })
      .filter((entry) => entry.level === 30)
      .map((entry) => String(entry.msg))
      .filter((text) => text.startsWith('threshold-alert'));
    assert.deepEqual(warned, [
      'threshold-alert: context store "file" is not configured in settings.js (contextStorage): the alert state is kept in memory only and is lost at a restart',
    ]);
    // it still works, and keeps saying so while alerts are active
    const out1 = collect('events', 1);
    const active = statusWhere((s) => s.text === '1 active · memory only');
    get('n1').receive(reading(0, { voltage: 251 }));
    assert.equal((await out1).length, 1);
    assert.equal((await active).fill, 'red');
  });

  it('falls back to memory without any contextStorage in settings.js', async function () {
    await helper.load(thresholdAlert, flow({ store: 'file' }));
    await sleep(50);
    assert.deepEqual(statusesShown('n1').at(-1), { fill: 'yellow', shape: 'ring', text: "memory only: no store 'file'" });
  });

  it('checks metrics readings on rules of any metric name and passes them on output 2', async function () {
    const rules = [
      { name: 'flow_hot', label: 'Flow temperature', metric: 'flow_temperature', direction: 'above', warning: 55, critical: 60, hysteresis: 2 },
      { name: 'voltage_high', label: 'High voltage', metric: 'voltage', direction: 'above', warning: 245, critical: 250, hysteresis: 2 },
    ];
    await helper.load(thresholdAlert, flow({ rules }));
    const out1 = collect('events', 2);
    const out2 = collect('readings', 3);
    const metrics = (seconds: number, values: Record<string, number | boolean>) => ({
      payload: { device_id: 'nibe1', timestamp: T0 + seconds * 1000, metrics: values, units: { flow_temperature: '°C' }, info: { source: 'modbus' } },
    });
    const first = metrics(0, { flow_temperature: 61, compressor_on: true });
    get('n1').receive(first);
    // no flow_temperature in this one: the rule is not evaluated, the alert stays
    get('n1').receive(metrics(10, { return_temperature: 30 }));
    get('n1').receive(metrics(20, { flow_temperature: 50 }));
    const sent = (await out1).map((m) => m.payload as AlertEvent);
    assert.deepEqual(events(await out1), ['flow_hot raised critical', 'flow_hot cleared critical']);
    assert.equal(sent[0]?.message, 'Flow temperature: 61 °C > 60 °C (critical)');
    assert.equal(sent[0]?.field, 'flow_temperature');
    assert.equal(sent[1]?.timestamp, T0 + 20_000);
    const passed = await out2;
    assert.deepEqual(passed[0]?.payload, first.payload);
    assert.deepEqual(passed.map((m) => (m as NodeMessage & { alerts: unknown }).alerts), [{ flow_hot: 'critical' }, { flow_hot: 'critical' }, {}]);
  });

  it('rejects a metrics reading with a bad metric value through done(err), naming the metric', async function () {
    await helper.load([thresholdAlert, catchInit], flow());
    const caught = collect('caught', 1);
    get('n1').receive({ payload: { device_id: 'nibe1', timestamp: T0, metrics: { flow_temperature: null } } });
    const [error] = await caught;
    assert.match((error?.error as { message: string }).message, /reading rejected: metric flow_temperature must be a finite number or a boolean, got null/);
  });

  it('rejects a reading without a usable device id or timestamp, and keeps running', async function () {
    await helper.load([thresholdAlert, catchInit], flow());
    const caught = collect('caught', 2);
    const out2 = collect('readings', 1);
    get('n1').receive({ payload: 'not a reading' });
    get('n1').receive({ topic: 'site1', payload: { device_id: 'site1', timestamp: 'yesterday' } });
    get('n1').receive(reading(0, { voltage: 230 }));
    const messages = (await caught).map((m) => (m.error as { message: string }).message);
    assert.match(messages[0] ?? '', /reading rejected: payload is not a reading object/);
    assert.match(messages[1] ?? '', /reading rejected: timestamp must be milliseconds/);
    assert.equal((await out2).length, 1);
  });

  it('msg.reset forgets the state of the topic device, or of all devices', async function () {
    await helper.load(thresholdAlert, flow());
    const out1 = collect('events', 4);
    const n1 = get('n1');
    n1.receive(reading(0, { voltage: 251 }));
    n1.receive(reading(0, { voltage: 251 }, 'site2'));
    n1.receive({ topic: 'site1', reset: true });
    // Without the reset these would be repeats (no event): site1 raises again, site2 does not.
    n1.receive(reading(10, { voltage: 251 }));
    n1.receive(reading(10, { voltage: 251 }, 'site2'));
    n1.receive({ topic: '', reset: true });
    n1.receive(reading(20, { voltage: 251 }, 'site2'));
    const got = await out1;
    assert.deepEqual(
      got.map((m) => `${m.topic} ${(m.payload as AlertEvent).state}`),
      ['site1 raised', 'site2 raised', 'site1 raised', 'site2 raised'],
    );
  });

  it('keeps an active alert while its sensor is invalid and raises sensor_fault after faultAfter', async function () {
    await helper.load(thresholdAlert, flow({ faultAfter: 30 }));
    const out1 = collect('events', 3);
    const out2 = collect('readings', 4);
    const n1 = get('n1');
    n1.receive(reading(0, { voltage: 251 }));
    n1.receive({ ...reading(10, {}), invalid: ['voltage'] });
    n1.receive({ ...reading(40, {}), invalid: ['voltage'] });
    n1.receive(reading(50, { voltage: 240 }));
    assert.deepEqual(events(await out1), ['voltage_high raised critical', 'sensor_fault raised warning', 'voltage_high cleared critical']);
    const alerts = (await out2).map((m) => (m as NodeMessage & { alerts: unknown }).alerts);
    assert.deepEqual(alerts, [{ voltage_high: 'critical' }, { voltage_high: 'critical' }, { voltage_high: 'critical', 'sensor_fault:voltage': 'warning' }, {}]);
  });

  it('reports invalid settings once and fails every message', async function () {
    await helper.load([thresholdAlert, catchInit], flow({ rules: [{ name: 'x', metric: 'voltage', direction: 'above', warning: 300, critical: 250 }] }));
    const logged = helper
      .log()
      .args.map(([entry]) => entry as { level?: number; msg?: unknown })
      .filter((entry) => entry.level === 20)
      .map((entry) => String(entry.msg));
    assert.ok(logged.some((text) => /invalid settings, the node does nothing: x: warning 300 must not be above critical 250/.test(text)), logged.join('\n'));
    const caught = collect('caught', 1);
    get('n1').receive(reading(0, { voltage: 251 }));
    assert.match(((await caught)[0]?.error as { message: string }).message, /invalid settings/);
  });

  it('uses editor overrides and settings given as text', async function () {
    await helper.load(thresholdAlert, flow({ overrides: '{"site1": {"current": {"warning": 10}}}', cooldown: '0' }));
    const out1 = collect('events', 3);
    const n1 = get('n1');
    n1.receive(reading(0, { current: 11 }));
    n1.receive(reading(10, { current: 9 }));
    n1.receive(reading(20, { current: 11 }));
    assert.deepEqual(events(await out1), ['current raised warning', 'current cleared warning', 'current raised warning']);
  });

  it('does not re-send active alerts after a restart with a file context store', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threshold-alert-'));
    try {
      helper.settings({ contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem', config: { dir } } } });
      const config = flow({ store: 'file' });
      await helper.load([loadContextStores, thresholdAlert], config);
      const raised = collect('events', 1);
      get('n1').receive(reading(0, { voltage: 251 }));
      assert.deepEqual(events(await raised), ['voltage_high raised critical']);

      // Restart: stop the node (it finishes its save), flush the store to disk, and detach it
      // so helper.unload() cannot clean the node's context, then start from the files.
      await internals._redNodes.stopFlows();
      await internals._context.close();
      internals._context.init(internals._settings);
      await helper.unload();
      assert.ok(fs.readdirSync(path.join(dir, 'context'), { recursive: true }).length > 0, 'nothing was written to the file store');
      await helper.load([loadContextStores, thresholdAlert], config);

      const quiet = receivedWithin('events', 300);
      const out2 = collect('readings', 1);
      get('n1').receive(reading(10, { voltage: 251 }));
      assert.deepEqual((await out2).map((m) => (m as NodeMessage & { alerts: unknown }).alerts), [{ voltage_high: 'critical' }]);
      assert.deepEqual(await quiet, []);
      const cleared = collect('events', 1);
      get('n1').receive(reading(20, { voltage: 240 }));
      assert.deepEqual(events(await cleared), ['voltage_high cleared critical']);
    } finally {
      // the store writes on close: close it before its folder goes, or it makes the folder again
      await helper.unload();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends the rules a deploy changed on output 4 (source editor), compared with the table its stored state was saved under', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threshold-alert-'));
    /** What n1 sent on output 4 since the flow was loaded (also before a listener could be attached). */
    const editorChangesSent = () => {
      const proto = (helper as unknown as { _NodePrototype: { send: { getCalls(): Array<{ thisValue: unknown; args: [unknown[]] }> } } })._NodePrototype;
      const n1 = helper.getNode('n1');
      return proto.send
        .getCalls()
        .filter((call) => call.thisValue === n1 && Array.isArray(call.args[0]))
        .flatMap((call) => (call.args[0][3] as NodeMessage[] | null) ?? [])
        .map((m) => {
          const { timestamp, ...change } = m.payload as Record<string, unknown>;
          assert.equal(typeof timestamp, 'number');
          return change;
        });
    };
    const restart = async () => {
      await internals._redNodes.stopFlows();
      await internals._context.close();
      internals._context.init(internals._settings);
      await helper.unload();
    };
    try {
      helper.settings({ contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem', config: { dir } } } });
      await helper.load([loadContextStores, thresholdAlert], flowWithCatch('threshold-alert', ['events', 'readings', 'answers', 'changes'], { store: 'file' }));
      get('n1').receive(reading(0, { voltage: 230 }));
      await collect('readings', 1);
      assert.deepEqual(editorChangesSent(), [], 'the first start has nothing to compare with');
      await restart();

      const rules = DEFAULT_RULES.map((rule) => (rule.name === 'voltage_low' ? { ...rule, warning: 220 } : { ...rule }));
      await helper.load([loadContextStores, thresholdAlert], flowWithCatch('threshold-alert', ['events', 'readings', 'answers', 'changes'], { store: 'file', rules, overrides: '{"site2": {"current": {"warning": 10}}}' }));
      // a message is handled after the stored state has loaded and been compared
      get('n1').receive(reading(0, { voltage: 230 }));
      await collect('readings', 1);
      assert.deepEqual(editorChangesSent(), [
        { device_id: null, setting: 'rule:voltage_low', old_value: { warning: 215 }, new_value: { warning: 220 }, source: 'editor' },
        { device_id: 'site2', setting: 'rule:current', old_value: { warning: 12 }, new_value: { warning: 10 }, source: 'editor' },
      ]);
      await restart();

      await helper.load([loadContextStores, thresholdAlert], flowWithCatch('threshold-alert', ['events', 'readings', 'answers', 'changes'], { store: 'file', rules, overrides: '{"site2": {"current": {"warning": 10}}}' }));
      get('n1').receive(reading(10, { voltage: 230 }));
      await collect('readings', 1);
      assert.deepEqual(editorChangesSent(), [], 'the same rules again: no change');
    } finally {
      await helper.unload();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('queues messages that arrive while the state loads and handles them in order after it', async function () {
    // A store whose reads take 150 ms, over one memory store that outlives the restart.
    const slow = lastingStore(150);
    helper.settings({ contextStorage: { default: { module: 'memory' }, slow: { module: slow } } });
    const config = flow({ store: 'slow' });
    await helper.load([loadContextStores, thresholdAlert], config);
    const raised = collect('events', 1);
    get('n1').receive(reading(0, { voltage: 251 }));
    assert.deepEqual(events(await raised), ['voltage_high raised critical']);
    await helper.unload();

    await helper.load([loadContextStores, thresholdAlert], config);
    const out1 = collect('events', 1);
    const out2 = collect('readings', 3);
    const n1 = get('n1');
    n1.receive(reading(10, { voltage: 251 }));
    n1.receive(reading(20, { voltage: 246 }));
    n1.receive(reading(30, { voltage: 240 }));
    // Handled before the load, the first would have raised again; out of order, the clear would not come last.
    assert.deepEqual(events(await out1), ['voltage_high cleared critical']);
    assert.deepEqual(
      (await out2).map((m) => (m as NodeMessage & { alerts: unknown }).alerts),
      [{ voltage_high: 'critical' }, { voltage_high: 'warning' }, {}],
    );
  });

  it('example "03 - Threshold alerts" loads and its injects raise and escalate', async function () {
    const example = JSON.parse(fs.readFileSync(path.join(projectRoot, 'examples', '03 - Threshold alerts.json'), 'utf8')) as Array<Record<string, unknown>>;
    const node = example.find((n) => n.type === 'threshold-alert');
    assert.ok(node);
    // Import puts the nodes on the current tab; the test does the same.
    await helper.load([thresholdAlert, injectInit, debugInit, catchInit, commentInit], [{ id: 'tab', type: 'tab' }, ...example.map((n) => ({ ...n, z: 'tab' }))]);
    const out1 = collect('ta_debug_events', 2);
    const out2 = collect('ta_debug_readings', 2);
    get('ta_i2').receive({});
    get('ta_i3').receive({});
    assert.deepEqual(events(await out1), ['voltage_high raised warning', 'voltage_high escalated critical']);
    assert.deepEqual((await out2).map((m) => (m as NodeMessage & { alerts: unknown }).alerts), [{ voltage_high: 'warning' }, { voltage_high: 'critical' }]);
  });

  it('clears its status on close after pending work', async function () {
    await helper.load(thresholdAlert, flow());
    const out2 = collect('readings', 1);
    get('n1').receive(reading(0, { voltage: 251 }));
    await out2;
    const cleared = statusWhere((s) => Object.keys(s).length === 0);
    await internals._redNodes.stopFlows();
    await cleared;
  });
});
