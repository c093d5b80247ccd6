import assert from 'node:assert/strict';
import { FleetState, type DeviceRecord, type FleetChanges } from '../../nodes/heatpump-fleet/fleet-state';
import type { AlertEvent, Reading } from '../../nodes/shared/contract';
import { DeviceViews, deviceView } from '../../nodes/fleet-view/device-view';
import { labelsFrom, type Translate } from '../../nodes/fleet-view/format';
import { Selections } from '../../nodes/fleet-view/selection';
import { createView, parseDefaultRange, parseDeviceInput, parseMaxRows, sourceOf, type FleetSource, type Outgoing, type ViewName } from '../../nodes/fleet-view/views';

const T0 = 1_706_600_000_000;
const echo: Translate = (key, params) => (params ? `${key}${JSON.stringify(params)}` : key);
const labels = labelsFrom((key) => key.replace(/^text\./, ''));

const reading = (id: string, at: number, values: Partial<Reading> = {}): Reading => ({ device_id: id, timestamp: at, voltage: 231, temp_inlet: 45, ...values });
const alert = (id: string, state: AlertEvent['state'], level: AlertEvent['level'], at: number): AlertEvent => ({
  device_id: id,
  alert_type: 'voltage_high',
  level,
  value: 252,
  threshold: 250,
  message: 'High voltage',
  state,
  timestamp: at,
});

/** A real FleetState that counts the lookups views make of it. */
class CountingState extends FleetState {
  gets = 0;
  alls = 0;

  override get(id: string): DeviceRecord | undefined {
    this.gets += 1;
    return super.get(id);
  }

  override all(): IterableIterator<DeviceRecord> {
    this.alls += 1;
    return super.all();
  }
}

/** A real FleetState, read the way the node reads a heatpump-fleet. */
class Fleet {
  readonly state = new CountingState(T0, true);
  historyNote = '';
  storeNote = '';
  readonly source: FleetSource = sourceOf(this);

  get gets(): number {
    return this.state.gets;
  }

  set gets(value: number) {
    this.state.gets = value;
  }

  get alls(): number {
    return this.state.alls;
  }

  set alls(value: number) {
    this.state.alls = value;
  }

  /** The whole-fleet delivery a new subscriber gets first. */
  everything(): FleetChanges {
    this.state.takeChanges();
    return { devices: [...this.state.all()], counters: true, health: true, rejections: true, alerts: true };
  }

  changes(): FleetChanges {
    return this.state.takeChanges();
  }
}

function viewOf(name: ViewName, fleet: Fleet, options: { maxRows?: number; defaultRange?: string; now?: () => number } = {}) {
  return createView(name, fleet.source, { maxRows: options.maxRows ?? 500, defaultRange: options.defaultRange ?? '24h', labels, t: echo, now: options.now ?? (() => T0) });
}

const ids = (message: Outgoing | undefined) => (message?.payload as Array<{ device_id: string }>).map((row) => row.device_id);

describe('fleet-view Selections (browser map)', () => {
  it('keeps one device and range per browser and finds the browsers of a device', () => {
    const selections = new Selections('24h');
    selections.choose('s1', 'site1');
    selections.choose('s2', 'site1', '7d');
    selections.choose('s3');
    assert.deepEqual(
      [...selections.watching('site1')].map((b) => `${b.socketId} ${b.range}`),
      ['s1 24h', 's2 7d'],
    );
    assert.deepEqual(
      [...selections.waiting()].map((b) => b.socketId),
      ['s3'],
    );
    selections.choose('s2', 'site2');
    assert.deepEqual(
      [...selections.watching('site1')].map((b) => b.socketId),
      ['s1'],
    );
    assert.equal(selections.get('s2')?.range, '7d', 'a new device keeps the range');
    selections.choose('s3', 'site2');
    assert.equal(selections.waiting().size, 0);
    selections.forget('s2');
    assert.deepEqual(
      [...selections.watching('site2')].map((b) => b.socketId),
      ['s3'],
    );
    assert.equal(selections.size, 2);
  });

  it('is bounded: the browser heard from least recently goes first', () => {
    const selections = new Selections('24h', 3);
    for (const id of ['a', 'b', 'c']) selections.choose(id, `dev-${id}`);
    selections.choose('a'); // heard again
    selections.choose('d', 'dev-d');
    assert.equal(selections.size, 3);
    assert.equal(selections.get('b'), undefined);
    assert.equal(selections.watching('dev-b').size, 0);
    assert.deepEqual(
      ['a', 'c', 'd'].map((id) => selections.get(id)?.device),
      ['dev-a', 'dev-c', 'dev-d'],
    );
  });
});

describe('fleet-view device input', () => {
  const cases: Array<{ name: string; msg: Record<string, unknown>; expect: unknown }> = [
    { name: 'a device chosen in a browser', msg: { payload: 'site1', _client: { socketId: 'abc' } }, expect: { ok: true, value: { socketId: 'abc', device: 'site1' } } },
    { name: 'a page view keeps the device', msg: { payload: { page: { name: 'Device' } }, _client: { socketId: 'abc' } }, expect: { ok: true, value: { socketId: 'abc' } } },
    { name: 'a range button', msg: { range: '7d', _client: { socketId: 'abc' } }, expect: { ok: true, value: { socketId: 'abc', range: '7d' } } },
    { name: 'a calendar period (Performance page)', msg: { range: 'month', _client: { socketId: 'abc' } }, expect: { ok: true, value: { socketId: 'abc', range: 'month' } } },
    { name: 'no browser (HTTP)', msg: { payload: 'site1' }, expect: { ok: true, value: { device: 'site1' } } },
    { name: 'an empty payload chooses nothing', msg: { payload: '', _client: { socketId: 'abc' } }, expect: { ok: true, value: { socketId: 'abc' } } },
    { name: 'forget', msg: { forget: true, _client: { socketId: 'abc' } }, expect: { ok: true, value: 'forget' } },
    { name: 'an unsafe device id', msg: { payload: 'a/b' }, expect: { ok: false, error: { key: 'bad-device', params: { problem: 'device id contains the unsafe character "/"' } } } },
    { name: 'an unknown range', msg: { range: '2y' }, expect: { ok: false, error: { key: 'bad-range', params: { range: '"2y"', ranges: '1h, 24h, 7d, 30d, day, week, month, year' } } } },
    { name: 'msg.topic is not looked at', msg: { topic: 'forget', payload: 'x' }, expect: { ok: true, value: { device: 'x' } } },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(parseDeviceInput(c.msg), c.expect));

  const maxRows: Array<[unknown, number | undefined]> = [
    ['', 500],
    [undefined, 500],
    ['20', 20],
    [100_000, 100_000],
    ['0', undefined],
    ['1.5', undefined],
    ['many', undefined],
  ];
  for (const [value, expected] of maxRows) it(`maxRows ${JSON.stringify(value)} -> ${expected}`, () => assert.equal(parseMaxRows(value), expected));

  const defaultRanges: Array<[unknown, string | undefined]> = [
    [undefined, '24h'],
    ['', '24h'],
    ['7d', '7d'],
    ['week', 'week'],
    ['custom', undefined],
    ['2y', undefined],
    [7, undefined],
  ];
  for (const [value, expected] of defaultRanges) it(`default range ${JSON.stringify(value)} -> ${expected}`, () => assert.equal(parseDefaultRange(value), expected));
});

describe('fleet-view device view (per browser)', () => {
  it('builds the view: reading fields on top, presence, alerts and texts', () => {
    const fleet = new Fleet();
    fleet.state.reading(reading('site1', T0, { compressor_running: true, fan_running: false }), [], T0 + 5);
    fleet.state.presence({ event: 'device_online', device_id: 'site1', last_seen: T0 + 5, reason: 'data', timestamp: T0 + 5 });
    fleet.state.alert(alert('site1', 'raised', 'critical', T0));
    const view = deviceView('site1', fleet.state.get('site1'), labels);
    assert.equal(view.voltage, 231);
    assert.equal(view.timestamp, T0);
    assert.equal(view.online, true);
    assert.equal(view.last_seen, T0 + 5);
    assert.equal(view.alerts.length, 1);
    assert.deepEqual(view.text, {
      device: 'site1',
      status: 'online',
      last_seen: '2024-01-30 07:33:20',
      reading_time: '2024-01-30 07:33:20',
      compressor: 'running',
      fan: 'stopped',
      defrost: 'unknown',
      alerts: 'voltage_high (critical)',
    });
    const none = deviceView(undefined, undefined, labels);
    assert.equal(none.device_id, null);
    assert.equal(none.known, false);
    assert.equal(none.voltage, undefined);
    assert.equal(none.text.reading_time, 'no-reading');
    assert.equal(none.text.device, 'no-device');
  });

  it('a polled source\'s device: kind metrics, its metrics as table rows in the source\'s order, no sensor fields', () => {
    const fleet = new Fleet();
    fleet.state.metrics(
      { device_id: 'nibe1', timestamp: T0, metrics: { flow_temperature: 35.5, compressor_on: true, defrost: false, starts: 1234 }, units: { flow_temperature: '°C' }, info: { source: 'modbus' } },
      T0 + 5,
    );
    fleet.state.alert({ ...alert('nibe1', 'raised', 'warning', T0), alert_type: 'flow_hot', field: 'flow_temperature' });
    const view = deviceView('nibe1', fleet.state.get('nibe1'), labels);
    assert.equal(view.kind, 'metrics');
    assert.deepEqual(view.metrics_rows, [
      { metric: 'flow_temperature', value: '35.5', unit: '°C', updated: '2024-01-30 07:33:20' },
      { metric: 'compressor_on', value: 'on', unit: '', updated: '2024-01-30 07:33:20' },
      { metric: 'defrost', value: 'off', unit: '', updated: '2024-01-30 07:33:20' },
      { metric: 'starts', value: '1234', unit: '', updated: '2024-01-30 07:33:20' },
    ]);
    assert.equal(view.timestamp, undefined, 'no ESP32 fields on top');
    assert.equal(view.text.reading_time, '2024-01-30 07:33:20');
    assert.equal(view.text.alerts, 'flow_hot (warning)');

    const esp32 = new Fleet();
    esp32.state.reading(reading('site1', T0), [], T0);
    esp32.state.metrics({ device_id: 'site1', timestamp: T0, metrics: { extra: 1 } }, T0);
    const both = deviceView('site1', esp32.state.get('site1'), labels);
    assert.deepEqual([both.kind, both.metrics_rows, both.voltage], ['sensors', [], 231], 'a device with an ESP32 reading is shown with its sensors');
  });

  it('sends a metrics device\'s changes to the browsers showing it, without chart points', () => {
    const fleet = new Fleet();
    fleet.state.metrics({ device_id: 'nibe1', timestamp: T0, metrics: { flow_temperature: 35 } }, T0);
    fleet.state.takeChanges();
    const views = new DeviceViews(fleet.source, labels, '24h');
    assert.equal(views.input({ socketId: 'b1', device: 'nibe1' }).payload.kind, 'metrics');
    fleet.state.metrics({ device_id: 'nibe1', timestamp: T0 + 10_000, metrics: { flow_temperature: 36 } }, T0 + 10_000);
    const updates = views.changes(fleet.changes().devices);
    assert.deepEqual(
      updates.map((u) => [u.socketId, u.payload.metrics_rows, u.reading]),
      [['b1', [{ metric: 'flow_temperature', value: '36', unit: '', updated: '2024-01-30 07:33:30' }], undefined]],
    );
  });

  it("a device with several sources (a controller's API and a meter): their metrics side by side, each with its own update time", () => {
    const fleet = new Fleet();
    fleet.state.metrics({ device_id: 'vitocal', timestamp: T0, metrics: { outdoor_temperature: 4.5, compressor_modulation: 40 }, units: { outdoor_temperature: '°C', compressor_modulation: '%' }, info: { source: 'viessmann' } }, T0);
    fleet.state.metrics({ device_id: 'vitocal', timestamp: T0 + 10_000, metrics: { electrical_power: 1250 }, units: { electrical_power: 'W' }, info: { source: 'shelly' } }, T0 + 10_000);
    const view = deviceView('vitocal', fleet.state.get('vitocal'), labels);
    assert.deepEqual(view.metrics_rows, [
      { metric: 'outdoor_temperature', value: '4.5', unit: '°C', updated: '2024-01-30 07:33:20' },
      { metric: 'compressor_modulation', value: '40', unit: '%', updated: '2024-01-30 07:33:20' },
      { metric: 'electrical_power', value: '1250', unit: 'W', updated: '2024-01-30 07:33:30' },
    ]);
    assert.equal(view.text.reading_time, '2024-01-30 07:33:30', 'the newest reading');
  });

  it('answers each browser with its own device and sends later changes only to the browsers showing it', () => {
    const fleet = new Fleet();
    fleet.state.reading(reading('site1', T0), [], T0);
    fleet.state.reading(reading('site2', T0), [], T0);
    fleet.state.takeChanges();
    const views = new DeviceViews(fleet.source, labels, '24h');

    const first = views.input({ socketId: 'b1', device: 'site1' });
    assert.equal(first.payload.device_id, 'site1');
    assert.equal(first.range, '24h');
    assert.equal(views.input({ socketId: 'b2', device: 'site2', range: '7d' }).range, '7d');
    assert.equal(views.input({ socketId: 'b3', device: 'site1' }).payload.device_id, 'site1');

    fleet.state.reading(reading('site1', T0 + 60_000, { voltage: 225.5 }), [], T0 + 60_000);
    const updates = views.changes(fleet.changes().devices);
    assert.deepEqual(
      updates.map((u) => `${u.socketId} ${u.payload.device_id} ${u.payload.voltage} ${u.reading?.voltage} ${u.selected}`),
      ['b1 site1 225.5 225.5 false', 'b3 site1 225.5 225.5 false'],
    );
    assert.notEqual(updates[0]?.payload, updates[1]?.payload, 'each browser gets its own object');

    // a change that is not a new reading: the view, but no chart point
    fleet.state.presence({ event: 'device_offline', device_id: 'site1', last_seen: T0 + 60_000, reason: 'timeout', timestamp: T0 + 700_000 });
    const presence = views.changes(fleet.changes().devices);
    assert.deepEqual(
      presence.map((u) => `${u.socketId} ${u.payload.online} ${u.reading === undefined}`),
      ['b1 false true', 'b3 false true'],
    );
  });

  it('a page view keeps the device; a browser without one adopts the first known device', () => {
    const fleet = new Fleet();
    const views = new DeviceViews(fleet.source, labels, '24h');
    const empty = views.input({ socketId: 'b1' });
    assert.equal(empty.payload.device_id, null, 'nothing known yet');

    fleet.state.reading(reading('site9', T0), [], T0);
    fleet.state.reading(reading('site3', T0), [], T0);
    const adopted = views.changes(fleet.changes().devices);
    assert.deepEqual(
      adopted.map((u) => `${u.socketId} ${u.payload.device_id} ${u.selected} ${u.reading === undefined}`),
      ['b1 site9 true true'],
      'adopts the first device that reports, and loads history instead of one point',
    );
    assert.equal(views.input({ socketId: 'b1', range: '1h' }).payload.device_id, 'site9');
    assert.equal(views.input({ socketId: 'b2' }).payload.device_id, 'site9', 'the first known device');
    assert.equal(views.input({ socketId: 'b2', device: 'site3' }).payload.device_id, 'site3');
    assert.equal(views.input({ socketId: 'b2' }).payload.device_id, 'site3', 'kept');
    assert.equal(views.input({}).payload.device_id, 'site9', 'no browser: the first known device, remembered nowhere');
    assert.equal(views.selections.size, 2);
  });
});

describe('fleet-view views', () => {
  it('summary: sent at start and when a count changes, not otherwise', () => {
    const fleet = new Fleet();
    fleet.state.reading(reading('a', T0), [], T0);
    const view = viewOf('summary', fleet);
    assert.deepEqual(view.delivered(fleet.everything()), [{ payload: { total: 1, online: 0, offline: 0, alerting: 0, warning: 0, critical: 0 } }]);
    fleet.state.reading(reading('a', T0 + 1), [], T0 + 1);
    assert.deepEqual(view.delivered(fleet.changes()), []);
    fleet.state.alert(alert('a', 'raised', 'critical', T0 + 2));
    assert.deepEqual(view.delivered(fleet.changes()), [{ payload: { total: 1, online: 0, offline: 0, alerting: 1, warning: 0, critical: 1 } }]);
    assert.equal(view.count(), 1);
  });

  it('devices: rows and options at start; a change beyond maxRows sends nothing; devices coming send the options', () => {
    const fleet = new Fleet();
    for (const id of ['a', 'b', 'c']) {
      fleet.state.reading(reading(id, T0), [], T0);
      fleet.state.presence({ event: 'device_online', device_id: id, last_seen: T0, reason: 'data', timestamp: T0 });
    }
    const view = viewOf('devices', fleet, { maxRows: 2 });
    const [start] = view.delivered(fleet.everything());
    assert.deepEqual(ids(start), ['a', 'b']);
    assert.equal(start?.total, 3);
    assert.deepEqual(start?.options, [
      { label: 'a', value: 'a' },
      { label: 'b', value: 'b' },
    ]);

    fleet.state.reading(reading('c', T0 + 1, { temp_inlet: 50 }), [], T0 + 1);
    assert.deepEqual(view.delivered(fleet.changes()), [], 'c is not shown');

    fleet.state.alert(alert('c', 'raised', 'warning', T0 + 2));
    const [alerting] = view.delivered(fleet.changes());
    assert.deepEqual(ids(alerting), ['c', 'a'], 'c moves to the top');
    assert.equal(alerting?.options, undefined, 'same devices: no options');

    fleet.state.reading(reading('d', T0 + 3), [], T0 + 3);
    const [more] = view.delivered(fleet.changes());
    assert.equal(more?.total, 4);
    assert.ok(more?.options, 'a new device: the options again');

    const reply = view.reply({ payload: 'anything' });
    assert.ok(reply.ok && reply.value);
    assert.deepEqual(ids(reply.value), ['c', 'a']);
    assert.equal(reply.value.total, 4);
  });

  it('devices: a delivery costs what changed, not the fleet', () => {
    const fleet = new Fleet();
    for (let i = 0; i < 5000; i++) fleet.state.reading(reading(`dev${i}`, T0), [], T0);
    const view = viewOf('devices', fleet);
    view.delivered(fleet.everything());
    fleet.gets = 0;
    fleet.alls = 0;
    // a device beyond the rows shown: looked up once, nothing sent
    fleet.state.reading(reading('dev999', T0 + 1, { temp_inlet: 12 }), [], T0 + 1);
    assert.deepEqual(view.delivered(fleet.changes()), []);
    assert.equal(fleet.gets, 1, 'one device looked up');
    // a shown device: looked up, and the rows sent are made from the 500 devices shown
    fleet.gets = 0;
    fleet.state.reading(reading('dev1', T0 + 1, { temp_inlet: 12 }), [], T0 + 1);
    const [sent] = view.delivered(fleet.changes());
    assert.equal(fleet.gets, 1 + 500, 'the changed device and the rows shown looked up');
    assert.equal(fleet.alls, 0, 'the fleet is not walked');
    assert.equal((sent?.payload as unknown[]).length, 500);
    assert.equal(sent?.total, 5000);
  });

  it('devices: a reply before the first delivery reads the fleet once', () => {
    const fleet = new Fleet();
    fleet.state.reading(reading('a', T0), [], T0);
    const view = viewOf('devices', fleet);
    const reply = view.reply({});
    assert.ok(reply.ok && reply.value);
    assert.deepEqual(ids(reply.value), ['a']);
    assert.equal(view.delivered(fleet.everything()).length, 1, 'the first delivery is still sent');
  });

  it('alerts: rows at start and on every alert change, nothing for other changes', () => {
    const fleet = new Fleet();
    fleet.state.alert(alert('a', 'raised', 'warning', T0));
    const view = viewOf('alerts', fleet);
    const [start] = view.delivered(fleet.everything());
    assert.deepEqual((start?.payload as Array<{ level: string }>).map((r) => r.level), ['warning']);
    fleet.state.reading(reading('a', T0 + 1), [], T0 + 1);
    assert.deepEqual(view.delivered(fleet.changes()), []);
    fleet.state.alert(alert('a', 'cleared', 'warning', T0 + 2));
    assert.deepEqual(view.delivered(fleet.changes()), [{ payload: [], total: 0 }]);
  });

  it('system: texts at start, on counter changes and on a tick that changes a rate; the same texts are not sent twice', () => {
    const fleet = new Fleet();
    let now = T0;
    const view = viewOf('system', fleet, { now: () => now });
    assert.deepEqual(view.tick(), [], 'nothing before the first delivery (the fleet may still be loading)');
    const [start] = view.delivered(fleet.everything());
    assert.equal((start?.payload as { text: { readings_rate: string } }).text.readings_rate, '\u2013');
    assert.deepEqual(view.tick(), [], 'nothing changed');
    fleet.state.reading(reading('a', now), [], now);
    const [counted] = view.delivered(fleet.changes());
    assert.equal((counted?.payload as { text: { readings_total: string } }).text.readings_total, '1');
    now += 5000;
    const [rated] = view.tick();
    assert.equal((rated?.payload as { text: { readings_rate: string } }).text.readings_rate, 'text.readings-rate{"rate":"12.0"}');
    fleet.state.rejected({ time: now, scope: 'payload', device_id: null, field: null, reason: 'not JSON' });
    const [rejected] = view.delivered(fleet.changes());
    assert.deepEqual((rejected?.payload as { rejections: unknown[] }).rejections, [{ time: now, device_id: '\u2013', field: '\u2013', reason: 'not JSON' }]);
  });

  it('device: replies carry range and selected; deliveries are addressed to each browser', () => {
    const fleet = new Fleet();
    fleet.state.reading(reading('site1', T0), [], T0);
    const view = viewOf('device', fleet);
    view.delivered(fleet.everything());
    const reply = view.reply({ payload: 'site1', range: '7d', _client: { socketId: 's1' } });
    assert.ok(reply.ok && reply.value);
    assert.equal((reply.value.payload as { device_id: string }).device_id, 'site1');
    assert.equal(reply.value.range, '7d');
    assert.equal(reply.value.selected, true);
    fleet.state.reading(reading('site1', T0 + 1, { voltage: 240 }), [], T0 + 1);
    const [update] = view.delivered(fleet.changes());
    assert.deepEqual(update?._client, { socketId: 's1' });
    assert.equal(update?.range, '7d');
    assert.equal(update?.selected, false);
    assert.equal((update?.reading as Reading).voltage, 240);
    assert.deepEqual(view.reply({ forget: true, _client: { socketId: 's1' } }), { ok: true, value: undefined });
    assert.equal(view.count(), 0);
    fleet.state.reading(reading('site1', T0 + 2), [], T0 + 2);
    assert.deepEqual(view.delivered(fleet.changes()), [], 'a forgotten browser gets nothing');
    const weekly = viewOf('device', fleet, { defaultRange: 'week' });
    const first = weekly.reply({ payload: 'site1', _client: { socketId: 's2' } });
    assert.ok(first.ok && first.value);
    assert.equal(first.value.range, 'week', 'a browser that has not chosen gets the default range');
    assert.deepEqual(view.reply({ range: 'forever' }), { ok: false, error: { key: 'bad-range', params: { range: '"forever"', ranges: '1h, 24h, 7d, 30d, day, week, month, year' } } });
  });
});
