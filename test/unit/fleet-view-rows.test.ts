import assert from 'node:assert/strict';
import type { ActiveAlert, DeviceRecord } from '../../nodes/heatpump-fleet/fleet-state';
import { alertUnit, alertValueText, labelsFrom, utcText, valueText, type Labels } from '../../nodes/fleet-view/format';
import { alertRow, compareAlertRows, deviceRow, rankOf, rejectionRows, RANK } from '../../nodes/fleet-view/rows';
import { SortedList } from '../../nodes/fleet-view/sorted-list';
import { AlertTable, DeviceTable, type Changed } from '../../nodes/fleet-view/tables';
import { CounterRates } from '../../nodes/fleet-view/rates';
import { systemPayload, uptimeText, type SystemSource } from '../../nodes/fleet-view/system';
import type { Translate } from '../../nodes/fleet-view/format';

const T0 = 1_706_600_000_000;

/** Echoes key and params, so a test sees which text was chosen with which values. */
const echo: Translate = (key, params) => (params ? `${key}${JSON.stringify(params)}` : key);
const labels: Labels = labelsFrom((key) => key.replace(/^text\./, ''));

function record(id: string, parts: Partial<DeviceRecord> = {}): DeviceRecord {
  return { device_id: id, online: null, online_since: null, last_seen: null, reading: null, alerts: {}, ...parts };
}

function active(type: string, level: ActiveAlert['level'], since: number, parts: Partial<ActiveAlert> = {}): ActiveAlert {
  return { alert_type: type, level, value: 252.5, threshold: 250, message: `${type} ${level}`, since, timestamp: since, source: 'threshold', ...parts };
}

const changed = (...records: Array<DeviceRecord | string>): Changed[] =>
  records.map((r) => (typeof r === 'string' ? { id: r, record: undefined } : { id: r.device_id, record: r }));

describe('fleet-view SortedList', () => {
  const cases: Array<{ name: string; insert: number[]; remove?: number[]; expect: number[]; head?: number }> = [
    { name: 'keeps inserts in order', insert: [5, 1, 3, 2, 4], expect: [1, 2, 3, 4, 5] },
    { name: 'an equal item replaces, never duplicates', insert: [2, 1, 2, 2], expect: [1, 2] },
    { name: 'removes what is there and ignores what is not', insert: [1, 2, 3], remove: [2, 9], expect: [1, 3] },
    { name: 'head takes the first n', insert: [4, 3, 2, 1], head: 2, expect: [1, 2] },
    { name: 'head beyond the size takes all', insert: [2, 1], head: 10, expect: [1, 2] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const list = new SortedList<number>((a, b) => a - b);
      for (const n of c.insert) list.insert(n);
      for (const n of c.remove ?? []) list.remove(n);
      assert.deepEqual(list.head(c.head ?? Infinity), c.expect);
    });
  }

  it('reports the index of inserts and removals', () => {
    const list = new SortedList<number>((a, b) => a - b);
    assert.deepEqual([10, 30, 20].map((n) => list.insert(n)), [0, 1, 1]);
    assert.equal(list.indexOf(30), 2);
    assert.equal(list.indexOf(25), -1);
    assert.equal(list.remove(10), 0);
    assert.equal(list.remove(10), -1);
    assert.equal(list.size, 2);
  });
});

describe('fleet-view formats', () => {
  const values: Array<[number | undefined, number, string, string]> = [
    [45.24, 1, '°C', '45.2 °C'],
    [1968.4, 0, 'W', '1968 W'],
    [-3, 1, '°C', '-3.0 °C'],
    [undefined, 1, '°C', '\u2013'],
    [Number.NaN, 1, '°C', '\u2013'],
  ];
  for (const [value, digits, unit, expected] of values) {
    it(`valueText(${value}, ${digits}, ${unit}) = ${expected}`, () => assert.equal(valueText(value, digits, unit), expected));
  }

  const units: Array<[string, string]> = [
    ['voltage_high', 'V'],
    ['voltage_low', 'V'],
    ['compressor_temp', '°C'],
    ['pressure_high', 'PSI'],
    ['current', 'A'],
    ['power_high', 'W'],
    ['sensor_fault', ''],
  ];
  for (const [type, unit] of units) it(`the unit of ${type} is "${unit}"`, () => assert.equal(alertUnit(type), unit));

  it('writes alert values with their unit', () => {
    assert.equal(alertValueText('voltage_high', 252.5), '252.5 V');
    assert.equal(alertValueText('sensor_fault', 600), '600');
  });

  it('writes times in UTC', () => assert.equal(utcText(Date.UTC(2024, 4, 1, 2, 3, 4)), '2024-05-01 02:03:04'));
});

describe('fleet-view rows', () => {
  const ranks: Array<[string, Partial<DeviceRecord>, number]> = [
    ['active alert, online', { online: true, alerts: { current: active('current', 'warning', T0) } }, RANK.alerting],
    ['active alert, offline', { online: false, alerts: { current: active('current', 'warning', T0) } }, RANK.alerting],
    ['offline', { online: false }, RANK.offline],
    ['online', { online: true }, RANK.online],
    ['no presence report', {}, RANK.unknown],
  ];
  for (const [name, parts, rank] of ranks) it(`ranks ${name} as ${rank}`, () => assert.equal(rankOf(record('d', parts)), rank));

  it('builds a device row with units, last seen in ms and the alerts as text', () => {
    const row = deviceRow(
      record('site1', {
        online: true,
        last_seen: T0,
        reading: { device_id: 'site1', timestamp: T0, temp_inlet: 45.24, temp_outlet: 50.1, power: 1968.4 },
        alerts: { voltage_high: active('voltage_high', 'critical', T0), current: active('current', 'warning', T0) },
      }),
      labels,
    );
    assert.deepEqual(row, {
      device_id: 'site1',
      status: 'online',
      last_seen: T0,
      inlet: '45.2 °C',
      outlet: '50.1 °C',
      compressor: '\u2013',
      power: '1968 W',
      alerts: 'current (warning), voltage_high (critical)',
    });
  });

  it('lists a polled source\'s device like every device: status, last seen, alerts; dashes for the ESP32 sensors', () => {
    const row = deviceRow(
      record('nibe1', {
        online: true,
        last_seen: T0,
        metrics: { device_id: 'nibe1', timestamp: T0, metrics: { flow_temperature: 61 }, info: { source: 'modbus' } },
        alerts: { flow_hot: active('flow_hot', 'critical', T0) },
      }),
      labels,
    );
    assert.deepEqual(row, { device_id: 'nibe1', status: 'online', last_seen: T0, inlet: '\u2013', outlet: '\u2013', compressor: '\u2013', power: '\u2013', alerts: 'flow_hot (critical)' });
    assert.equal(rankOf(record('nibe1', { online: true, alerts: { flow_hot: active('flow_hot', 'critical', T0) } })), RANK.alerting);
  });

  it('says never and none for a device only heard of', () => {
    const row = deviceRow(record('site2', { online: false }), labels);
    assert.equal(row.status, 'offline');
    assert.equal(row.last_seen, 'never');
    assert.equal(row.alerts, 'none');
  });

  it('builds alert rows, newest episode first', () => {
    const rows = [
      alertRow('b', active('current', 'warning', T0 + 1), labels),
      alertRow('a', active('voltage_high', 'critical', T0 + 2, { source: 'device' }), labels),
      alertRow('a', active('current', 'warning', T0 + 1), labels),
    ].sort(compareAlertRows);
    assert.deepEqual(
      rows.map((r) => `${r.device_id}/${r.alert_type}`),
      ['a/voltage_high', 'a/current', 'b/current'],
    );
    assert.deepEqual(rows[0], { since: T0 + 2, device_id: 'a', level: 'critical', alert_type: 'voltage_high', value: '252.5 V', message: 'voltage_high critical', source: 'source-device' });
  });

  it('lists the last rejections newest first, with a dash for what the payload did not name', () => {
    const rows = rejectionRows([
      { time: T0, scope: 'payload', device_id: null, field: null, reason: 'not JSON' },
      { time: T0 + 1, scope: 'field', device_id: 'site1', field: 'temp_inlet', reason: 'out of range' },
    ]);
    assert.deepEqual(rows, [
      { time: T0 + 1, device_id: 'site1', field: 'temp_inlet', reason: 'out of range' },
      { time: T0, device_id: '\u2013', field: '\u2013', reason: 'not JSON' },
    ]);
  });
});

/** A DeviceTable that reads the records of the deliveries it was given, as it reads the fleet's. */
function deviceTable(maxRows: number): { table: DeviceTable; apply: (changes: Changed[]) => ReturnType<DeviceTable['apply']> } {
  const records = new Map<string, DeviceRecord>();
  const table = new DeviceTable((id) => records.get(id), labels, maxRows);
  const apply = (changes: Changed[]) => {
    for (const { id, record } of changes) {
      if (record) records.set(id, record);
      else records.delete(id);
    }
    return table.apply(changes);
  };
  return { table, apply };
}

describe('fleet-view DeviceTable', () => {
  it('orders alerting, offline, online, unknown, each by id, and cuts at maxRows with the full total', () => {
    const { table, apply } = deviceTable(4);
    apply(
      changed(
        record('on-b', { online: true }),
        record('off-a', { online: false }),
        record('unk', {}),
        record('on-a', { online: true }),
        record('alert', { online: true, alerts: { current: active('current', 'warning', T0) } }),
      ),
    );
    const { rows, total } = table.view();
    assert.deepEqual(
      rows.map((r) => r.device_id),
      ['alert', 'off-a', 'on-a', 'on-b'],
    );
    assert.equal(total, 5);
    assert.deepEqual(
      table.options().map((o) => o.value),
      ['alert', 'off-a', 'on-a', 'on-b'],
    );
  });

  // [name, steps before, the step checked, expected change]
  const cases: Array<{ name: string; before: Changed[]; step: Changed[]; expect: { shown: boolean; members: boolean } }> = [
    { name: 'a new device', before: [], step: changed(record('a')), expect: { shown: true, members: true } },
    { name: 'a shown row changes', before: changed(record('a', { online: true })), step: changed(record('a', { online: true, last_seen: T0 })), expect: { shown: true, members: false } },
    { name: 'nothing shown changes', before: changed(record('a', { online: true })), step: changed(record('a', { online: true })), expect: { shown: false, members: false } },
    {
      name: 'a row beyond maxRows changes',
      before: changed(record('a', { online: true }), record('b', { online: true }), record('c', { online: true })),
      step: changed(record('c', { online: true, last_seen: T0 })),
      expect: { shown: false, members: false },
    },
    {
      name: 'a row beyond maxRows moves into them',
      before: changed(record('a', { online: true }), record('b', { online: true }), record('c', { online: true })),
      step: changed(record('c', { online: false })),
      expect: { shown: true, members: false },
    },
    {
      name: 'a device beyond maxRows is forgotten',
      before: changed(record('a', { online: true }), record('b', { online: true }), record('c', { online: true })),
      step: changed('c'),
      expect: { shown: false, members: true },
    },
    { name: 'a shown device is forgotten', before: changed(record('a')), step: changed('a'), expect: { shown: true, members: true } },
    { name: 'an unknown device is forgotten', before: [], step: changed('zz'), expect: { shown: false, members: false } },
  ];
  for (const c of cases) {
    it(`tells what changed: ${c.name}`, () => {
      const { table, apply } = deviceTable(2);
      apply(c.before);
      // what changed is told against what the table last showed
      table.view();
      assert.deepEqual(apply(c.step), c.expect);
    });
  }

  it('moves a device when its rank changes and drops it when forgotten', () => {
    const { table, apply } = deviceTable(10);
    apply(changed(record('a', { online: true }), record('b', { online: true })));
    apply(changed(record('b', { online: true, alerts: { current: active('current', 'warning', T0) } })));
    assert.deepEqual(
      table.view().rows.map((r) => r.device_id),
      ['b', 'a'],
    );
    apply(changed('b'));
    assert.deepEqual(
      table.view().rows.map((r) => r.device_id),
      ['a'],
    );
    assert.equal(table.view().total, 1);
    assert.deepEqual(table.options(), [{ label: 'a', value: 'a' }]);
  });

  it('sends copies: a consumer changing a row does not change the table', () => {
    const { table, apply } = deviceTable(10);
    apply(changed(record('a', { online: true })));
    const first = table.view().rows[0];
    assert.ok(first);
    first.status = 'changed downstream';
    assert.equal(table.view().rows[0]?.status, 'online');
  });

  it("reads the fleet's records for the rows it shows only, and for a shown device's change", () => {
    const records = new Map(['a', 'b', 'c', 'd'].map((id) => [id, record(id, { online: true })]));
    const read: string[] = [];
    const table = new DeviceTable((id) => (read.push(id), records.get(id)), labels, 2);
    table.apply(changed(...records.values()));
    assert.deepEqual(read, []);
    assert.deepEqual(
      table.view().rows.map((r) => r.device_id),
      ['a', 'b'],
    );
    assert.deepEqual(read, ['a', 'b']);
    // the fleet forgot b; its delivery is still to come: the view leaves it out, the total still counts it
    records.delete('b');
    assert.deepEqual(table.view(), { rows: [deviceRow(record('a', { online: true }), labels)], total: 4 });
  });
});

describe('fleet-view AlertTable', () => {
  it('keeps the active alerts, newest first; escalation replaces a row, clearing removes it', () => {
    const table = new AlertTable(labels, 10);
    assert.equal(table.apply(changed(record('a', { alerts: { current: active('current', 'warning', T0) } }))), true);
    assert.equal(table.apply(changed(record('b', { alerts: { voltage_high: active('voltage_high', 'warning', T0 + 5) } }))), true);
    assert.deepEqual(
      table.view().rows.map((r) => `${r.device_id} ${r.alert_type} ${r.level}`),
      ['b voltage_high warning', 'a current warning'],
    );
    assert.equal(table.apply(changed(record('b', { alerts: { voltage_high: active('voltage_high', 'critical', T0 + 5, { timestamp: T0 + 9 }) } }))), true);
    assert.deepEqual(
      table.view().rows.map((r) => `${r.device_id} ${r.alert_type} ${r.level}`),
      ['b voltage_high critical', 'a current warning'],
    );
    assert.equal(table.apply(changed(record('a', { online: true }))), true, 'cleared');
    assert.deepEqual(
      table.view().rows.map((r) => r.device_id),
      ['b'],
    );
    assert.equal(table.apply(changed(record('c', { online: true }))), false, 'a device without alerts changes nothing');
    assert.equal(table.apply(changed('b')), true, 'a forgotten device takes its alerts along');
    assert.deepEqual(table.view(), { rows: [], total: 0 });
  });

  it('cuts at maxRows and counts all', () => {
    const table = new AlertTable(labels, 1);
    table.apply(changed(record('a', { alerts: { current: active('current', 'warning', T0) } }), record('b', { alerts: { current: active('current', 'warning', T0 + 1) } })));
    const view = table.view();
    assert.deepEqual(
      view.rows.map((r) => r.device_id),
      ['b'],
    );
    assert.equal(view.total, 2);
  });
});

describe('fleet-view CounterRates', () => {
  const counters = (readings: number, points = 0) => ({ readings_accepted: readings, payloads_rejected: 0, fields_left_out: 0, alerts: 0, points_written: points, write_errors: 0, points_lost: 0, mqtt_outages: 0 });
  const cases: Array<{ name: string; samples: Array<[number, number]>; expect: number | null }> = [
    { name: 'unknown from one sample', samples: [[0, 10]], expect: null },
    { name: 'unknown below a second apart', samples: [[0, 10], [500, 20]], expect: null },
    { name: '10 in 5 s is 120 a minute', samples: [[0, 10], [5000, 20]], expect: 120 },
    {
      name: 'only the last minute counts',
      samples: [[0, 0], [5000, 1000], [10_000, 1000], [65_000, 1000], [70_000, 1060]],
      expect: 60,
    },
    { name: 'a reset starts over', samples: [[0, 100], [5000, 200], [10_000, 0], [15_000, 5]], expect: 60 },
    { name: 'a sample from the past is ignored', samples: [[0, 10], [5000, 20], [1000, 999]], expect: 120 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const rates = new CounterRates(60_000);
      for (const [at, readings] of c.samples) rates.sample(T0 + at, counters(readings));
      assert.equal(rates.perMinute().readings_accepted, c.expect);
    });
  }
});

describe('fleet-view system payload', () => {
  const noDrops = { payload_rejected: 2, buffer_full: 0, retries_exhausted: 0, spool_full: 0, spool_failed: 0, beyond_retention: 0 };
  const source = (health: Partial<SystemSource['health']>, notes: Partial<Pick<SystemSource, 'historyNote' | 'storeNote' | 'dropped'>> = {}): SystemSource => ({
    health: { mqtt_connected: true, influxdb_connected: true, history: true, spooled_points: 0, started_at: T0, ...health } as SystemSource['health'],
    counters: { readings_accepted: 7, payloads_rejected: 2, fields_left_out: 1, alerts: 3, points_written: 40, write_errors: 0, points_lost: 0, mqtt_outages: 0 },
    rejections: () => [{ time: T0, scope: 'payload', device_id: null, field: null, reason: 'not JSON' }],
    dropped: () => noDrops,
    historyNote: '',
    storeNote: '',
    ...notes,
  });
  const noRates = new CounterRates().perMinute();
  const cases: Array<{ name: string; source: SystemSource; expect: Record<string, string> }> = [
    {
      name: 'all connected',
      source: source({}),
      expect: { status: 'text.healthy', mqtt: 'text.connected', influxdb: 'text.connected', history: 'text.history-on', store: 'text.persisted' },
    },
    {
      name: 'history off, with the reason',
      source: source({ history: false, influxdb_connected: null }, { historyNote: 'history is off: no host' }),
      expect: { status: 'text.status-history-off{"status":"text.degraded"}', influxdb: 'text.not-used', history: 'History is off: no host' },
    },
    { name: 'InfluxDB down', source: source({ influxdb_connected: false }), expect: { status: 'text.unhealthy', influxdb: 'text.not-reachable' } },
    { name: 'MQTT not checked yet', source: source({ mqtt_connected: null }), expect: { status: 'text.degraded', mqtt: 'text.unknown' } },
    { name: 'memory only', source: source({}, { storeNote: 'memory only' }), expect: { store: 'text.memory-only' } },
    { name: 'nothing lost: the bare count', source: source({}), expect: { points_lost: '0' } },
    {
      name: 'points lost: the count with its reasons (rejected payloads have their own line)',
      source: {
        ...source({}),
        counters: { readings_accepted: 7, payloads_rejected: 2, fields_left_out: 0, alerts: 0, points_written: 0, write_errors: 3, points_lost: 5200, mqtt_outages: 0 },
        dropped: () => ({ ...noDrops, spool_full: 5000, buffer_full: 200 }),
      },
      expect: { points_lost: '5200 (buffer_full 200, spool_full 5000)', payloads_rejected: '2' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const payload = systemPayload(c.source, noRates, echo, T0 + 5 * 60_000);
      for (const [key, text] of Object.entries(c.expect)) assert.equal(payload.text[key as keyof typeof payload.text], text, key);
    });
  }

  it('carries counters, rates, totals and rejection rows', () => {
    const rates = new CounterRates();
    rates.sample(T0, { readings_accepted: 0, payloads_rejected: 0, fields_left_out: 0, alerts: 0, points_written: 0, write_errors: 0, points_lost: 0, mqtt_outages: 0 });
    rates.sample(T0 + 30_000, { readings_accepted: 6, payloads_rejected: 0, fields_left_out: 0, alerts: 0, points_written: 30, write_errors: 0, points_lost: 0, mqtt_outages: 0 });
    const payload = systemPayload(source({}), rates.perMinute(), echo, T0);
    assert.equal(payload.counters.readings_accepted, 7);
    assert.equal(payload.rates.readings_accepted, 12);
    assert.equal(payload.text.readings_rate, 'text.readings-rate{"rate":"12.0"}');
    assert.equal(payload.text.points_rate, 'text.points-rate{"rate":"60.0"}');
    assert.equal(payload.text.payloads_rejected, '2');
    assert.equal(payload.text.rejected_rate, 'text.rejected-rate{"rate":"0.0"}');
    assert.deepEqual(payload.rejections, [{ time: T0, device_id: '\u2013', field: '\u2013', reason: 'not JSON' }]);
    assert.equal(systemPayload(source({}), noRates, echo, T0).text.readings_rate, '\u2013');
  });

  const uptimes: Array<[number, string]> = [
    [59_000, 'text.uptime-minutes{"minutes":0}'],
    [5 * 60_000, 'text.uptime-minutes{"minutes":5}'],
    [90 * 60_000, 'text.uptime-hours{"hours":"1.5"}'],
    [72 * 3_600_000, 'text.uptime-days{"days":"3.0"}'],
  ];
  for (const [up, text] of uptimes) it(`uptime ${up} ms: ${text}`, () => assert.equal(uptimeText(echo, T0, T0 + up), text));
});
