import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import { catchModule as catchInit, collect, completeModule, flowSuiteHooks, flowWithCatch, helper, nodeById as get, sleep, withCatalog, type NodeInit, type Spied, type TestNode } from '../support/flow-helper';
import { nodeModule } from '../support/node-red';
import { devicePayload, seedReading, type DevicePayload, type PayloadOverrides } from '../fixtures/payloads';

const decodeInit = nodeModule('heatpump-decode') as NodeInit;
const decode = withCatalog(decodeInit, 'heatpump-decode');

/** The example reading of the device contract, sent a minute ago (a recent timestamp is kept as it is). */
const seed = (overrides: PayloadOverrides = {}): DevicePayload => devicePayload({ timestamp: Date.now() - 60000, ...overrides });

const deviceAlert = (): Record<string, unknown> => ({
  device: 'site1',
  timestamp: Date.now() - 1000,
  alert_type: 'voltage_high',
  level: 'warning',
  value: 251.2,
  threshold: 250,
  message: 'High voltage',
});

const flow = (config: Record<string, unknown> = {}): Array<Record<string, unknown>> => flowWithCatch('heatpump-decode', ['readings', 'alerts'], config);

/** Resolves when node n1 reports the next call of `method` (status, warn, error). */
function nextCall<T>(method: string, timeoutMs = 2000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no call:${method}`)), timeoutMs);
    get('n1').once(`call:${method}`, (call: Spied<T>) => {
      clearTimeout(timer);
      resolve(call.args[0] as T);
    });
  });
}

/** The outputs arrays n1 passes to node.send (what the runtime's send(msg) calls), from now on. */
function spySends(): unknown[][] {
  const n1 = get('n1') as TestNode & { send: (outputs: unknown[]) => void };
  const sends: unknown[][] = [];
  const send = n1.send.bind(n1);
  n1.send = (outputs: unknown[]) => {
    sends.push(outputs);
    send(outputs);
  };
  return sends;
}

const nothingWithin = (id: string, ms: number): Promise<void> =>
  new Promise((resolve, reject) => {
    get(id).on('input', () => reject(new Error(`${id} received a message`)));
    setTimeout(resolve, ms);
  });

describe('heatpump-decode node', function () {
  flowSuiteHooks();

  it('should be loaded with correct defaults', async function () {
    await helper.load(decode, [{ id: 'n1', type: 'heatpump-decode', wires: [[], []] }]);
    const n1 = get('n1') as TestNode & { type: string; name?: string };
    assert.equal(n1.type, 'heatpump-decode');
    assert.equal(n1.name, undefined);
  });

  it('works with an empty config: decodes the example reading from a JSON string', async function () {
    await helper.load([decode, catchInit], [{ id: 'n1', type: 'heatpump-decode', wires: [['readings'], ['alerts']] }, { id: 'readings', type: 'helper' }, { id: 'alerts', type: 'helper' }]);
    const received = collect('readings', 1);
    const status = nextCall<{ fill: string; text: string }>('status');
    const payload = seed();
    get('n1').receive({ topic: 'heatpump/site1/data', payload: JSON.stringify(payload) });
    const [msg] = await received;
    assert.equal(msg?.topic, 'site1');
    assert.deepEqual(msg?.payload, seedReading({ timestamp: payload.timestamp }));
    assert.deepEqual(msg?.invalid, []);
    assert.deepEqual(await status, { fill: 'green', shape: 'dot', text: 'site1 ✓1 ✗0' });
  });

  it('sends one message per element of an array, from a Buffer, with invalid fields listed', async function () {
    await helper.load([decode, catchInit], flow());
    const received = collect('readings', 3);
    const flagged = seed({ valid: { voltage: false } });
    get('n1').receive({ topic: 'heatpump/site1/data', payload: Buffer.from(JSON.stringify([seed(), flagged, seed()])) });
    const msgs = await received;
    assert.deepEqual(msgs.map((m) => m.invalid), [[], ['voltage', 'power'], []]);
    assert.deepEqual(msgs[1]?.invalidReasons, { voltage: 'flagged', power: 'derived' });
    assert.equal((msgs[1]?.payload as Record<string, unknown>).voltage, undefined);
  });

  it('sends a device alert on output 2', async function () {
    await helper.load([decode, catchInit], flow());
    const received = collect('alerts', 1);
    const noReading = nothingWithin('readings', 200);
    const payload = deviceAlert();
    get('n1').receive({ topic: 'heatpump/site1/alerts', payload });
    const [msg] = await received;
    await noReading;
    assert.equal(msg?.topic, 'site1');
    assert.deepEqual(msg?.payload, {
      device_id: 'site1',
      alert_type: 'voltage_high',
      level: 'warning',
      value: 251.2,
      threshold: 250,
      message: 'High voltage',
      state: 'raised',
      timestamp: payload.timestamp,
      source: 'device',
      field: 'voltage',
    });
  });

  it('points mode: one message per input and output, payload ready for influxdb batch', async function () {
    await helper.load([decode, catchInit], flow({ output: 'points' }));
    const readings = collect('readings', 1);
    const payload = [seed(), seed({ timestamp: Date.now() - 30000 })];
    get('n1').receive({ topic: 'heatpump/site1/data', payload: JSON.stringify(payload) });
    const [msg] = await readings;
    const points = msg?.payload as Array<{ measurement: string; tags: unknown; fields: Record<string, unknown>; timestamp: unknown }>;
    assert.equal(points.length, 2);
    assert.equal(points[0]?.measurement, 'sensor_reading');
    assert.deepEqual(points[0]?.tags, { device_id: 'site1' });
    assert.equal(points[0]?.fields.temp_inlet, 45.2);
    assert.equal(points[0]?.fields.compressor_running, true);
    assert.ok(points[0]?.timestamp instanceof Date);
    assert.equal((points[1]?.timestamp as Date).getTime(), payload[1]?.timestamp);

    const alerts = collect('alerts', 1);
    get('n1').receive({ topic: 'heatpump/site1/alerts', payload: deviceAlert() });
    const [alertMsg] = await alerts;
    assert.deepEqual((alertMsg?.payload as Array<{ tags: unknown; fields: unknown }>).map((p) => [p.tags, p.fields]), [
      [{ device_id: 'site1', alert_type: 'voltage_high', level: 'warning', source: 'device' }, { value: 251.2, message: 'High voltage' }],
    ]);
  });

  it('readings mode: one message per input with its readings as an array, invalid lists per element, alerts as before', async function () {
    await helper.load([decode, catchInit], flow({ output: 'readings' }));
    const readings = collect('readings', 1);
    const flagged = seed({ valid: { voltage: false } });
    const payload = [seed(), flagged, seed({ device: 'evil' })];
    const caught = collect('caught', 1);
    get('n1').receive({ topic: 'heatpump/site1/data', payload: Buffer.from(JSON.stringify(payload)) });
    const [msg] = await readings;
    assert.equal(msg?.topic, 'site1');
    const sent = msg?.payload as Array<Record<string, unknown>>;
    assert.deepEqual(sent[0], seedReading({ timestamp: payload[0]?.timestamp }));
    assert.equal(sent.length, 2, 'the element of another device is refused, the others go out');
    assert.equal(sent[1]?.voltage, undefined);
    assert.deepEqual(msg?.invalid, [[], ['voltage', 'power']]);
    assert.deepEqual(msg?.invalidReasons, [null, { voltage: 'flagged', power: 'derived' }]);
    assert.match((((await caught)[0]?.error as { message: string }).message), /\[2\] site1: payload device "evil" differs/);

    const alerts = collect('alerts', 1);
    get('n1').receive({ topic: 'heatpump/site1/alerts', payload: deviceAlert() });
    const [alertMsg] = await alerts;
    assert.equal((alertMsg?.payload as { alert_type: string }).alert_type, 'voltage_high');
  });

  describe('gathered mode', function () {
    /** n1 in gathered mode, its three outputs on helpers, and a complete node that reports each message n1 is done with */
    const gatheredFlow = (): Array<Record<string, unknown>> => [
      ...flowWithCatch('heatpump-decode', ['readings', 'alerts', 'presence'], { output: 'gathered' }),
      { id: 'on_done', z: 'tab', type: 'complete', scope: ['n1'], uncaught: false, wires: [['done']] },
      { id: 'done', z: 'tab', type: 'helper', wires: [] },
    ];

    it('sends the readings of the messages of one turn of the event loop as one message, and is done with each once it is sent', async function () {
      await helper.load([decode, catchInit, completeModule], gatheredFlow());
      const readings = collect('readings', 2);
      const presence = collect('presence', 3);
      const done = collect('done', 4);
      const flagged = seed({ device: 'site2', valid: { voltage: false } });
      // one turn: three messages, two devices
      get('n1').receive({ topic: 'heatpump/site1/data', payload: JSON.stringify(seed()), _msgid: 'm1' });
      get('n1').receive({ topic: 'heatpump/site2/data', payload: JSON.stringify([seed({ device: 'site2' }), flagged]), _msgid: 'm2' });
      get('n1').receive({ topic: 'heatpump/site1/data', payload: seed({ timestamp: Date.now() - 30000 }), retain: true, _msgid: 'm3' });
      await sleep(20);
      // a later turn: a message of its own
      get('n1').receive({ topic: 'heatpump/site1/data', payload: JSON.stringify(seed({ timestamp: Date.now() - 20000 })), _msgid: 'm4' });
      const [gathered, alone] = await readings;
      assert.deepEqual(
        (gathered?.payload as Array<{ device_id: string }>).map((reading) => reading.device_id),
        ['site1', 'site2', 'site2', 'site1'],
        'every reading of the turn, in the order they came',
      );
      assert.deepEqual(gathered?.invalid, [[], [], ['voltage', 'power'], []]);
      assert.deepEqual(gathered?.invalidReasons, [null, null, { voltage: 'flagged', power: 'derived' }, null]);
      assert.equal(gathered?.topic, undefined, 'several devices: no device topic');
      assert.equal((gathered as { retain?: unknown }).retain, undefined, 'no property of the input messages but the readings');
      assert.equal(gathered?._msgid, 'm1');
      assert.equal(alone?.topic, 'site1', 'one device: its topic');
      assert.equal((alone?.payload as unknown[]).length, 1);
      assert.deepEqual(
        (await presence).map((msg) => msg.topic),
        ['site1', 'site2', 'site1'],
        'once per device and gathered message',
      );
      assert.deepEqual(
        (await done).map((msg) => msg._msgid),
        ['m1', 'm2', 'm3', 'm4'],
      );
    });

    it('sends a message with a device alert or a rejection on its own, after those gathered before it', async function () {
      await helper.load([decode, catchInit, completeModule], gatheredFlow());
      const readings = collect('readings', 3);
      const alerts = collect('alerts', 1);
      const caught = collect('caught', 1);
      get('n1').receive({ topic: 'heatpump/site1/data', payload: JSON.stringify(seed()) });
      get('n1').receive({ topic: 'heatpump/site1/alerts', payload: deviceAlert() });
      get('n1').receive({ topic: 'heatpump/site2/data', payload: JSON.stringify(seed({ device: 'site2' })) });
      get('n1').receive({ topic: 'heatpump/site3/data', payload: JSON.stringify([seed({ device: 'site3' }), seed({ device: 'evil' })]) });
      const sent = await readings;
      assert.deepEqual(
        sent.map((msg) => [msg.topic, (msg.payload as Array<{ device_id: string }>).map((reading) => reading.device_id)]),
        [
          ['site1', ['site1']],
          ['site2', ['site2']],
          ['site3', ['site3']],
        ],
      );
      assert.equal(((await alerts)[0]?.payload as { alert_type: string }).alert_type, 'voltage_high');
      assert.match(String(((await caught)[0]?.error as { message?: unknown }).message), /\[1\] site3: payload device "evil" differs/);
    });
  });

  for (const output of ['reading', 'readings', 'gathered', 'points']) {
    it(`${output} mode: output 3 says once per input which devices were heard from, nothing for a refused input`, async function () {
      await helper.load([decode, catchInit], flowWithCatch('heatpump-decode', ['readings', 'alerts', 'presence'], { output }));
      const presence = collect('presence', 2);
      const caught = collect('caught', 1);
      get('n1').receive({ topic: 'heatpump/site1/data', payload: JSON.stringify([seed(), seed({ timestamp: Date.now() - 30000 })]) });
      get('n1').receive({ topic: 'heatpump/site2/data', payload: '{not json' });
      get('n1').receive({ topic: 'heatpump/site3/alerts', payload: { ...deviceAlert(), device: 'site3' } });
      assert.deepEqual(
        (await presence).map((msg) => [msg.topic, msg.payload]),
        [
          ['site1', { device_id: 'site1' }],
          ['site3', { device_id: 'site3' }],
        ],
      );
      assert.match(String(((await caught)[0]?.error as { message?: unknown }).message), /site2/);
    });
  }

  for (const output of ['reading', 'readings', 'gathered']) {
    it(`${output} mode: output 4 sends the readings of an input as InfluxDB points in one message, objects of their own`, async function () {
      await helper.load([decode, catchInit], flowWithCatch('heatpump-decode', ['readings', 'alerts', 'presence', 'points'], { output }));
      // what n1 sends on output 4, to tell whether the runtime delivers it as it is or a copy of it
      const sends = spySends();
      const readings = collect('readings', output === 'reading' ? 2 : 1);
      const points = collect('points', 1);
      const payload = [seed(), seed({ timestamp: Date.now() - 30000, valid: { voltage: false } })];
      get('n1').receive({ topic: 'heatpump/site1/data', payload: JSON.stringify(payload) });
      const [msg] = await points;
      assert.equal(msg?.topic, 'site1');
      const sent = msg?.payload as Array<{ measurement: string; tags: unknown; fields: Record<string, unknown>; timestamp: Date }>;
      assert.deepEqual(
        sent.map((point) => [point.measurement, point.tags, point.timestamp.getTime(), point.fields.temp_inlet, point.fields.voltage]),
        [
          ['sensor_reading', { device_id: 'site1' }, payload[0]?.timestamp, 45.2, 230.5],
          ['sensor_reading', { device_id: 'site1' }, payload[1]?.timestamp, 45.2, undefined],
        ],
      );
      const first = (await readings).flatMap((m) => m.payload as Array<Record<string, unknown>>)[0];
      sent[0]!.fields.temp_inlet = -1;
      assert.equal(first?.temp_inlet, 45.2, 'a point is not the reading output 1 sends');
      const sentPoints = sends.flatMap((outputs) => (outputs[3] ? [outputs[3]] : []));
      assert.equal(sentPoints.length, 1);
      assert.equal(msg, sentPoints[0], 'delivered as sent: the runtime copies every message of a send() after its first');
    });
  }

  it('output 4 is built only while wired, and a rewire without a restart counts', async function () {
    await helper.load([decode, catchInit], flowWithCatch('heatpump-decode', ['readings', 'alerts', 'presence'], { output: 'readings' }));
    const sends = spySends();
    const first = collect('readings', 1);
    get('n1').receive({ topic: 'heatpump/site1/data', payload: JSON.stringify(seed()) });
    await first;
    // node.send is what the runtime's send(msg) calls: one send, outputs 1 to 3 only, while nothing is wired to output 4
    assert.deepEqual(sends.map((outputs) => outputs.length), [3]);
    (get('n1') as TestNode & { updateWires(wires: string[][]): void }).updateWires([['readings'], ['alerts'], ['presence'], ['readings']]);
    const second = collect('readings', 2);
    get('n1').receive({ topic: 'heatpump/site1/data', payload: JSON.stringify(seed()) });
    const kinds = (await second).map((m) => (m.payload as Array<{ measurement?: string }>)[0]?.measurement ?? 'reading');
    assert.deepEqual(kinds.sort(), ['reading', 'sensor_reading']);
  });

  it('output 3 wired to online-tracker: a device is online from its first reading', async function () {
    const trackerInit = withCatalog(nodeModule('online-tracker') as NodeInit, 'online-tracker');
    const at = { z: 'tab', x: 100, y: 100 };
    await helper.load(
      [decode, trackerInit],
      [
        { id: 'tab', type: 'tab', label: 'presence' },
        { id: 'n1', ...at, type: 'heatpump-decode', output: 'readings', wires: [[], [], ['tracker']] },
        { id: 'tracker', ...at, type: 'online-tracker', timeout: '600', wires: [['events'], []] },
        { id: 'events', ...at, type: 'helper', wires: [] },
      ],
    );
    const events = collect('events', 1);
    get('n1').receive({ topic: 'heatpump/site1/data', payload: JSON.stringify([seed()]) });
    const [event] = await events;
    assert.equal(event?.topic, 'site1');
    assert.deepEqual(
      (({ event: kind, device_id, reason }) => ({ kind, device_id, reason }))(event?.payload as { event: string; device_id: string; reason: string }),
      { kind: 'device_online', device_id: 'site1', reason: 'data' },
    );
  });

  it('flags a replaced timestamp and warns, the reading still goes out', async function () {
    await helper.load([decode, catchInit], flow());
    const received = collect('readings', 1);
    const warned = nextCall<string>('warn');
    const before = Date.now();
    get('n1').receive({ topic: 'heatpump/site1/data', payload: seed({ timestamp: 1000 }) });
    const [msg] = await received;
    assert.equal(msg?.timestampReplaced, true);
    assert.ok((msg?.payload as { timestamp: number }).timestamp >= before);
    assert.match(await warned, /site1: timestamp 1000 is before 2020; replaced with the receive time/);
  });

  it('flags a batch without timestamps: 100 readings 10 s apart, ending at the receive time', async function () {
    await helper.load([decode, catchInit], flow());
    const received = collect('readings', 100);
    const warnings: string[] = [];
    get('n1').on('call:warn', (call: Spied<string>) => warnings.push(call.args[0] as string));
    const payload = Array.from({ length: 100 }, () => {
      const item: Record<string, unknown> = seed();
      delete item.timestamp;
      return item;
    });
    const before = Date.now();
    get('n1').receive({ topic: 'heatpump/site1/data', payload: JSON.stringify(payload) });
    const msgs = await received;
    const after = Date.now();
    const times = msgs.map((m) => (m.payload as { timestamp: number }).timestamp);
    const last = times[99] as number;
    assert.ok(last >= before && last <= after, 'the last reading has the receive time');
    assert.deepEqual(times, Array.from({ length: 100 }, (_, i) => last - (99 - i) * 10000));
    assert.ok(msgs.every((m) => m.timestampReplaced === true));
    assert.deepEqual(warnings, ['site1: 100 of 100 element(s) have no usable timestamp; placed 10 s apart back from the receive time (msg.timestampReplaced)']);
  });

  it('points mode: a batch without timestamps gives points with distinct timestamps, spaced by the configured interval', async function () {
    await helper.load([decode, catchInit], flow({ output: 'points', sampleInterval: '60' }));
    const received = collect('readings', 1);
    get('n1').receive({ topic: 'heatpump/site1/data', payload: [seed({ timestamp: 0 }), seed({ timestamp: 0 }), seed({ timestamp: 0 })] });
    const [msg] = await received;
    const times = (msg?.payload as Array<{ timestamp: Date }>).map((p) => p.timestamp.getTime());
    const last = times[2] as number;
    assert.deepEqual(times, [last - 120000, last - 60000, last]);
  });

  // A field left out is a warning: the reading goes out, no done(err), no log line, and the
  // status stays green and counts it.
  const fieldCases: Array<[string, DevicePayload, string[], Record<string, string>]> = [
    ['a number as a string', seed({ electrical: { voltage: '230.5' } }), ['voltage', 'power'], { voltage: 'not_a_number', power: 'derived' }],
    ['a value out of range', seed({ pressure: { high: 900 } }), ['pressure_high'], { pressure_high: 'out_of_range' }],
  ];
  for (const [label, payload, invalid, reasons] of fieldCases) {
    it(`sends a reading with ${label} left out, as a warning: no Catch, no log line, green status with the count`, async function () {
      await helper.load([decode, catchInit], flow());
      const received = collect('readings', 1);
      const noCatch = nothingWithin('caught', 300);
      const status = nextCall<{ fill: string; shape: string; text: string }>('status');
      const logged: unknown[] = [];
      get('n1').on('call:warn', (call: Spied<unknown>) => logged.push(call.args[0]));
      get('n1').on('call:error', (call: Spied<unknown>) => logged.push(call.args[0]));
      get('n1').receive({ topic: 'heatpump/site1/data', payload });
      const [msg] = await received;
      assert.deepEqual(msg?.invalid, invalid);
      assert.deepEqual(msg?.invalidReasons, reasons);
      assert.deepEqual(await status, { fill: 'green', shape: 'dot', text: 'site1 ✓1 ✗0 ⚠1' });
      await noCatch;
      assert.deepEqual(logged, []);
    });
  }

  it('does not count fields the device flagged valid:false', async function () {
    await helper.load([decode, catchInit], flow());
    const received = collect('readings', 1);
    const status = nextCall<{ text: string }>('status');
    get('n1').receive({ topic: 'heatpump/site1/data', payload: seed({ valid: { voltage: false } }) });
    assert.deepEqual((await received)[0]?.invalid, ['voltage', 'power']);
    assert.equal((await status).text, 'site1 ✓1 ✗0');
  });

  // Every rejection reaches done(err): a Catch node gets the message and the error text.
  const errorCases: Array<[string, NodeMessage, RegExp, number]> = [
    ['not JSON', { topic: 'heatpump/site1/data', payload: '{"device":' }, /site1: payload is not JSON/, 0],
    ['a payload over the size limit', { topic: 'heatpump/site1/data', payload: 'x'.repeat(300000) }, /site1: payload of 300000 bytes is larger than the limit of 262144 bytes/, 0],
    ['a foreign device id', { topic: 'heatpump/site1/data', payload: seed({ device: 'site2' }) }, /site1: payload device "site2" differs from the topic's device id/, 0],
    ['an unsafe device id', { topic: 'inject', payload: seed({ device: 'a/b' }) }, /payload device "a\/b": device id contains the unsafe character "\/"/, 0],
    ['a wrong top-level type', { topic: 'heatpump/site1/data', payload: { ...seed(), temperature: 'hot' } }, /site1: temperature must be object, got "hot"; reading rejected/, 0],
    ['a bad device alert', { topic: 'heatpump/site1/alerts', payload: { ...deviceAlert(), level: 'info' } }, /site1: level must be "warning" or "critical", got "info"; alert rejected/, 0],
  ];
  for (const [label, input, expected, sent] of errorCases) {
    it(`reports ${label} through done(err) to a Catch node, with a red status`, async function () {
      await helper.load([decode, catchInit], flow());
      const caught = collect('caught', 1);
      const status = nextCall<{ fill: string; shape: string; text: string }>('status');
      get('n1').receive(input);
      const [msg] = await caught;
      const error = msg?.error as { message: string; source: { id: string } };
      assert.match(error.message, expected);
      assert.match(error.message, new RegExp(`^Error: heatpump-decode: 1 problem\\(s\\), ${sent} item\\(s\\) sent: `));
      assert.equal(error.source.id, 'n1');
      const shown = await status;
      assert.equal(shown.fill, 'red');
      assert.match(shown.text, new RegExp(`✓${sent} ✗1$`));
    });
  }

  it('an array with bad elements: good ones go out, one done(err) listing indexes, one warning per bad element', async function () {
    await helper.load([decode, catchInit], flow());
    const readings = collect('readings', 2);
    const caught = collect('caught', 1);
    const warnings: string[] = [];
    get('n1').on('call:warn', (call: Spied<string>) => warnings.push(call.args[0] as string));
    get('n1').receive({ topic: 'heatpump/site1/data', payload: JSON.stringify([seed(), seed({ device: 'evil' }), 7, seed()]) });
    assert.equal((await readings).length, 2);
    const [msg] = await caught;
    const message = (msg?.error as { message: string }).message;
    assert.match(message, /^Error: heatpump-decode: 2 problem\(s\), 2 item\(s\) sent: \[1\] site1: payload device "evil" differs/);
    assert.match(message, /; \[2\] site1: element is 7, not an object$/);
    assert.deepEqual(warnings.map((w) => w.slice(0, 4)), ['[1] ', '[2] ']);
  });

  it('keeps running after errors and counts accepted, rejected and fields left out in the status', async function () {
    await helper.load([decode, catchInit], flow());
    const statuses: string[] = [];
    get('n1').on('call:status', (call: Spied<{ text: string }>) => statuses.push(call.args[0]?.text ?? ''));
    const caught = collect('caught', 2);
    const readings = collect('readings', 3);
    get('n1').receive({ topic: 'heatpump/site1/data', payload: 'garbage' });
    get('n1').receive({ topic: 'heatpump/site1/data', payload: seed() });
    get('n1').receive({ topic: 'heatpump/site1/data', payload: seed({ device: 'x' }) });
    get('n1').receive({ topic: 'heatpump/site1/data', payload: seed() });
    get('n1').receive({ topic: 'heatpump/site1/data', payload: seed({ pressure: { high: 900, low: -1 } }) });
    await Promise.all([caught, readings]);
    await sleep(300);
    // failures show at once; successes are paced (at most one status per 250 ms, the latest wins)
    assert.deepEqual(statuses, ['site1 ✓0 ✗1', 'site1 ✓1 ✗2', 'site1 ✓3 ✗2 ⚠2']);
  });

  it('applies range overrides from the config', async function () {
    await helper.load([decode, catchInit], flow({ ranges: { temp_compressor: { max: 60 } } }));
    const received = collect('readings', 1);
    const noCatch = nothingWithin('caught', 200);
    get('n1').receive({ topic: 'heatpump/site1/data', payload: seed() });
    const [msg] = await received;
    assert.deepEqual(msg?.invalid, ['temp_compressor']);
    assert.deepEqual(msg?.invalidReasons, { temp_compressor: 'out_of_range' });
    await noCatch;
  });

  it('reports unusable settings once and falls back to the defaults', async function () {
    await helper.load([decode, catchInit], flow({ maxBytes: 'lots' }));
    // The constructor's error is logged before the test can subscribe; the node still decodes.
    const received = collect('readings', 1);
    get('n1').receive({ topic: 'heatpump/site1/data', payload: seed() });
    assert.equal((await received).length, 1);
    const logged = helper.log().args.map((args) => args[0] as { type?: string; msg?: unknown }).filter((entry) => entry.type === 'heatpump-decode');
    assert.ok(logged.some((entry) => /Invalid settings, defaults used instead: maxBytes: "lots"/.test(String(entry.msg))));
  });

  it('clears its status on close', async function () {
    await helper.load([decode, catchInit], flow());
    const status = nextCall<object>('status');
    await get('n1').close(false);
    assert.deepEqual(await status, {});
  });
});
