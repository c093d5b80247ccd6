// The pure cores of the change log: API request validation, the shapes recorded from the flows,
// the filter clauses and the database settings. Table-driven.
import assert from 'node:assert/strict';
import { parseLogRequest } from '../../nodes/heatpump-changelog/request';
import type { HttpCall } from '../../nodes/shared/http-call';
import { logWriteOf } from '../../nodes/heatpump-changelog/entries';
import { whereOf } from '../../nodes/heatpump-database/store';
import { databasePath, retentionDaysOf } from '../../nodes/heatpump-database/options';
import { isStaleLock, problemOf, STALE_LOCK_MS } from '../../nodes/heatpump-database/sqlite-file';
import { pendingMigrations, MIGRATIONS } from '../../nodes/heatpump-database/migrations';
import { PendingWrites } from '../../nodes/heatpump-database/pending-writes';
import { changelogRow, eventRow, formatAnswer } from '../../nodes/heatpump-changelog/rows';
import { chartMarkers, markerChartOptions, markerLabel, MARKER_SERIES } from '../../nodes/heatpump-changelog/markers';
import type { ChangelogEntry, EventEntry } from '../../nodes/heatpump-database/records';

const call = (method: string, route: string, extra: Partial<HttpCall> = {}): HttpCall => ({ method, route, params: {}, query: {}, body: undefined, user: null, ...extra });
const NOW = 1_760_000_000_000;

describe('change log API requests', function () {
  const valid: [string, HttpCall, unknown][] = [
    ['list, no filter', call('GET', '/api/changelog'), { kind: 'list', filter: { device_id: null, source: null, from: null, to: null, limit: 100 } }],
    [
      'list, all filters',
      call('GET', '/api/changelog', { query: { device_id: 'site1', source: 'modbus', from: '2026-01-01T00:00:00Z', to: '1767312000000', limit: '5' } }),
      { kind: 'list', filter: { device_id: 'site1', source: 'modbus', from: Date.parse('2026-01-01T00:00:00Z'), to: 1767312000000, limit: 5 } },
    ],
    ['list under a custom httpNodeRoot', call('GET', '/api/v1/api/changelog/'), { kind: 'list', filter: { device_id: null, source: null, from: null, to: null, limit: 100 } }],
    ['add a note', call('POST', '/api/changelog', { body: { text: ' lowered the curve ', device_id: 'site1', author: 'anna' } }), { kind: 'add', text: 'lowered the curve', device_id: 'site1', author: 'anna', time: null }],
    ['add a note with a time', call('POST', '/api/changelog', { body: { text: 'x', time: '2026-02-01T10:00:00Z' } }), { kind: 'add', text: 'x', device_id: null, author: null, time: Date.parse('2026-02-01T10:00:00Z') }],
    ['update text', call('PUT', '/api/changelog/:id', { params: { id: '7' }, body: { text: 'new' } }), { kind: 'update', id: 7, update: { text: 'new' } }],
    ['update: clear the device', call('PUT', '/api/changelog/:id', { params: { id: '7' }, body: { device_id: null } }), { kind: 'update', id: 7, update: { device_id: null } }],
    ['delete', call('DELETE', '/api/changelog/:id', { params: { id: '12' } }), { kind: 'delete', id: 12 }],
    [
      'events, all filters',
      call('GET', '/api/events', { query: { device_id: 'site1', type: 'alert_raised', severity: 'critical', from: '0', to: '10', limit: '1000' } }),
      { kind: 'events', filter: { device_id: 'site1', type: 'alert_raised', severity: 'critical', from: 0, to: 10, limit: 1000 } },
    ],
  ];
  for (const [name, input, expected] of valid) {
    it(`accepts ${name}`, function () {
      assert.deepEqual(parseLogRequest(input), { ok: true, value: expected });
    });
  }

  const invalid: [string, HttpCall, number, RegExp][] = [
    ['a bad device id', call('GET', '/api/changelog', { query: { device_id: 'a/b' } }), 400, /invalid device_id/],
    ['a bad source', call('GET', '/api/changelog', { query: { source: 'DROP TABLE' } }), 400, /source must be/],
    ['a bad from', call('GET', '/api/changelog', { query: { from: 'yesterday' } }), 400, /from must be an ISO 8601 time/],
    ['to before from', call('GET', '/api/changelog', { query: { from: '10', to: '5' } }), 400, /to must be after from/],
    ['limit 0', call('GET', '/api/changelog', { query: { limit: '0' } }), 400, /limit must be a whole number from 1 to 1000/],
    ['limit too high', call('GET', '/api/events', { query: { limit: '1001' } }), 400, /limit/],
    ['an unknown event type', call('GET', '/api/events', { query: { type: 'reboot' } }), 400, /type must be one of alert_raised/],
    ['an unknown severity', call('GET', '/api/events', { query: { severity: 'fatal' } }), 400, /severity must be one of info, warning, critical/],
    ['a body that is not JSON', call('POST', '/api/changelog', { body: 'text=hello' }), 400, /body must be a JSON object/],
    ['a note without text', call('POST', '/api/changelog', { body: { device_id: 'site1' } }), 400, /text is needed/],
    ['a blank note', call('POST', '/api/changelog', { body: { text: '   ' } }), 400, /text is needed/],
    ['a note too long', call('POST', '/api/changelog', { body: { text: 'x'.repeat(2001) } }), 400, /at most 2000 characters/],
    ['an unknown field', call('POST', '/api/changelog', { body: { text: 'x', id: 3 } }), 400, /unknown field "id"/],
    ['an author that is not text', call('POST', '/api/changelog', { body: { text: 'x', author: 5 } }), 400, /author must be a string/],
    ['a bad note time', call('POST', '/api/changelog', { body: { text: 'x', time: 'soon' } }), 400, /time must be/],
    ['an update with nothing', call('PUT', '/api/changelog/:id', { params: { id: '1' }, body: {} }), 400, /nothing to change/],
    ['an id that is not a number', call('DELETE', '/api/changelog/:id', { params: { id: 'abc' } }), 400, /positive whole number/],
    ['id 0', call('PUT', '/api/changelog/:id', { params: { id: '0' }, body: { text: 'x' } }), 400, /positive whole number/],
    ['PUT on the list', call('PUT', '/api/changelog'), 405, /use GET or POST/],
    ['POST on events', call('POST', '/api/events'), 405, /use GET/],
    ['GET on an entry', call('GET', '/api/changelog/:id', { params: { id: '1' } }), 405, /use PUT or DELETE/],
    ['another route', call('GET', '/api/other'), 404, /no change log endpoint/],
  ];
  for (const [name, input, statusCode, message] of invalid) {
    it(`refuses ${name} with ${statusCode}`, function () {
      const parsed = parseLogRequest(input);
      assert.equal(parsed.ok, false);
      if (parsed.ok) return;
      assert.equal(parsed.error.statusCode, statusCode);
      assert.match(parsed.error.error, message);
    });
  }
});

describe('change log: what the flows send', function () {
  const recorded: [string, unknown, unknown][] = [
    [
      'a modbus-poll setting change (output 3)',
      { device_id: 'nibe1', setting: 'heating_curve', old_value: 5, new_value: 6, source: 'modbus', timestamp: 1000 },
      { kind: 'setting', change: { device_id: 'nibe1', setting: 'heating_curve', old_value: 5, new_value: 6, source: 'modbus', time: 1000 } },
    ],
    [
      'a viessmann-device schedule change with a unit',
      { device_id: 'vi1', setting: 'dhw_target_temperature', old_value: 50, new_value: 48, unit: '°C', source: 'viessmann', timestamp: 2000 },
      { kind: 'setting', change: { device_id: 'vi1', setting: 'dhw_target_temperature', old_value: 50, new_value: 48, unit: '°C', source: 'viessmann', time: 2000 } },
    ],
    [
      'a generic change without a time',
      { device_id: 'aq1', setting: 'SetZ1HeatRequestTemperature', old_value: '-2', new_value: '0', source: 'heishamon' },
      { kind: 'setting', change: { device_id: 'aq1', setting: 'SetZ1HeatRequestTemperature', old_value: '-2', new_value: '0', source: 'heishamon', time: NOW } },
    ],
    [
      'an alert rule changed through the API, with its author',
      { device_id: 'site1', setting: 'rule:voltage_low', old_value: { warning: 215 }, new_value: { warning: 225 }, source: 'api', author: 'operator', timestamp: 2500 },
      { kind: 'setting', change: { device_id: 'site1', setting: 'rule:voltage_low', old_value: { warning: 215 }, new_value: { warning: 225 }, source: 'api', author: 'operator', time: 2500 } },
    ],
    [
      'a flow rule changed in the editor, for every device (device_id null)',
      { device_id: null, setting: 'rule:current', old_value: { critical: 15 }, new_value: { critical: 16 }, source: 'editor', timestamp: 2600 },
      { kind: 'setting', change: { device_id: null, setting: 'rule:current', old_value: { critical: 15 }, new_value: { critical: 16 }, source: 'editor', time: 2600 } },
    ],
    [
      'a critical alert raised',
      { device_id: 'site1', alert_type: 'voltage_high', level: 'critical', value: 251, threshold: 250, message: 'Voltage high', state: 'raised', timestamp: 3000, field: 'voltage' },
      {
        kind: 'event',
        event: { time: 3000, type: 'alert_raised', severity: 'critical', device_id: 'site1', message: 'Voltage high', details: { alert_type: 'voltage_high', level: 'critical', value: 251, threshold: 250, field: 'voltage' } },
      },
    ],
    [
      'an alert cleared',
      { device_id: 'site1', alert_type: 'current', level: 'warning', state: 'cleared', timestamp: 4000 },
      { kind: 'event', event: { time: 4000, type: 'alert_cleared', severity: 'info', device_id: 'site1', message: 'current cleared', details: { alert_type: 'current', level: 'warning' } } },
    ],
    [
      'a device offline',
      { event: 'device_offline', device_id: 'site1', last_seen: 10, reason: 'timeout', timestamp: 5000 },
      { kind: 'event', event: { time: 5000, type: 'device_offline', severity: 'warning', device_id: 'site1', message: 'site1 is offline (timeout)', details: { reason: 'timeout', last_seen: 10 } } },
    ],
    [
      'an accepted SMS command',
      { from: '+4915112345678', text: 'STATUS site1', accepted: true, reason: 'command', command: 'STATUS', device: 'site1', transport: 'twilio', timestamp: 6000 },
      {
        kind: 'event',
        event: {
          time: 6000,
          type: 'sms_command',
          severity: 'info',
          device_id: 'site1',
          message: 'SMS "STATUS site1" from +4915112345678: accepted',
          details: { from: '+4915112345678', text: 'STATUS site1', accepted: true, reason: 'command', command: 'STATUS', transport: 'twilio' },
        },
      },
    ],
  ];
  for (const [name, payload, expected] of recorded) {
    it(`records ${name}`, function () {
      assert.deepEqual(logWriteOf(payload, NOW), { ok: true, value: expected });
    });
  }

  const refused: [string, unknown, RegExp][] = [
    ['a string', 'heating_curve=6', /must be a setting change/],
    ['a setting change without a source', { device_id: 'a', setting: 's', old_value: 1, new_value: 2 }, /source must name/],
    ['a setting change without old_value', { device_id: 'a', setting: 's', new_value: 2, source: 'modbus' }, /old_value and new_value/],
    ['a setting change with a bad device', { device_id: '', setting: 's', old_value: 1, new_value: 2, source: 'modbus' }, /device_id: device id is empty/],
    ['a setting change without a device (null must be given for every device)', { setting: 's', old_value: 1, new_value: 2, source: 'modbus' }, /device_id: /],
    ['a setting change with an author that is not a name', { device_id: 'a', setting: 's', old_value: 1, new_value: 2, source: 'api', author: 7 }, /author must be a name/],
    ['an alert without a state', { device_id: 'a', alert_type: 'x' }, /state raised, escalated or cleared/],
    ['a reading', { device_id: 'a', voltage: 230 }, /none of/],
  ];
  for (const [name, payload, message] of refused) {
    it(`refuses ${name}`, function () {
      const write = logWriteOf(payload, NOW);
      assert.equal(write.ok, false);
      if (!write.ok) assert.match(write.error, message);
    });
  }
});

describe('change log: filters, settings, migrations plan and pending writes', function () {
  const wheres: [string, Parameters<typeof whereOf>[0], ReturnType<typeof whereOf>][] = [
    ['no filter', [['device_id', '=', null]], { sql: '', params: [] }],
    ['one filter', [['device_id', '=', 'site1'], ['time', '>=', null]], { sql: 'WHERE device_id = ?', params: ['site1'] }],
    ['a range', [['time', '>=', 1], ['time', '<', 2]], { sql: 'WHERE time >= ? AND time < ?', params: [1, 2] }],
  ];
  for (const [name, conditions, expected] of wheres) {
    it(`builds the clause for ${name}`, function () {
      assert.deepEqual(whereOf(conditions), expected);
    });
  }

  it('places the file in the user directory unless told otherwise', function () {
    assert.equal(databasePath('', '/data'), '/data/heatpump-monitor.db');
    assert.equal(databasePath(undefined, '/data'), '/data/heatpump-monitor.db');
    assert.equal(databasePath('logs/hp.db', '/data'), '/data/logs/hp.db');
    assert.equal(databasePath('/var/lib/hp.db', '/data'), '/var/lib/hp.db');
  });

  it('reads the retention in whole days', function () {
    assert.deepEqual([retentionDaysOf(''), retentionDaysOf('30'), retentionDaysOf(0), retentionDaysOf('-1'), retentionDaysOf('1.5'), retentionDaysOf('x')], [365, 30, 0, undefined, undefined, undefined]);
  });

  it('tells locked and corrupt files apart', function () {
    assert.deepEqual(
      ['database is locked', 'file is not a database', 'database disk image is malformed', 'unable to open database file'].map((message) => problemOf(new Error(message))),
      ['locked', 'corrupt', 'corrupt', 'unusable'],
    );
    assert.deepEqual([isStaleLock(0, STALE_LOCK_MS), isStaleLock(0, STALE_LOCK_MS + 1)], [false, true]);
  });

  it('plans the migrations a file still needs', function () {
    assert.deepEqual(pendingMigrations(0).map((m) => m.version), MIGRATIONS.map((m) => m.version));
    assert.deepEqual(pendingMigrations(1).map((m) => m.version), [2]);
    assert.deepEqual(pendingMigrations(2), []);
  });

  it('keeps pending writes in order until a write succeeds, and reports what it gives up', function () {
    const pending = new PendingWrites<number>(3);
    assert.equal(pending.add([1, 2]), 0);
    const failed = pending.flush(() => {
      throw new Error('database is locked');
    });
    assert.equal(failed.ok, false);
    assert.equal(pending.size, 2);
    assert.equal(pending.add([3, 4]), 1, 'the oldest is given up past the bound');
    const written: number[] = [];
    assert.deepEqual(pending.flush((items) => written.push(...items)), { ok: true, written: 3 });
    assert.deepEqual(written, [2, 3, 4]);
    assert.equal(pending.size, 0);
  });
});

describe('change log: table rows for the dashboard', function () {
  const entry = (fields: Partial<ChangelogEntry>): ChangelogEntry => ({
    id: 1, kind: 'setting', time: '2026-03-01T10:00:00.000Z', device_id: 'site1', setting: 'heating_curve', old_value: 1.2, new_value: 1.4,
    unit: null, source: 'modbus', text: null, author: null, updated: null, ...fields,
  });
  const rows: [string, ChangelogEntry, Partial<ReturnType<typeof changelogRow>>][] = [
    ['a setting: old -> new, no delete button', entry({}), { device: 'site1', device_id: 'site1', what: 'heating_curve', change: '1.2 -> 1.4', source: 'modbus', author: '', delete: '' }],
    ['a setting with a unit', entry({ setting: 'flow_setpoint', old_value: 45, new_value: 40, unit: '°C' }), { change: '45 -> 40 °C' }],
    ['text and booleans', entry({ old_value: 'eco', new_value: true }), { change: 'eco -> true' }],
    ['a value that was not known', entry({ old_value: null }), { change: '– -> 1.4' }],
    ['an object value', entry({ new_value: { mode: 'auto' } }), { change: '1.2 -> {"mode":"auto"}' }],
    [
      'a note with its author: deletable',
      entry({ kind: 'note', setting: null, old_value: null, new_value: null, source: 'manual', text: 'filter cleaned', author: 'anna' }),
      { what: 'note', change: 'filter cleaned', source: 'manual', author: 'anna', delete: 'Delete' },
    ],
    ['a note for every device', entry({ kind: 'note', device_id: null, setting: null, text: 'tariff changed', source: 'manual' }), { device: 'all devices', device_id: null, author: '' }],
  ];
  for (const [name, input, expected] of rows) {
    it(`shows ${name}`, function () {
      const row = changelogRow(input);
      assert.deepEqual({ ...row, ...expected }, row);
      assert.equal(row.id, input.id);
      assert.equal(row.time, input.time);
    });
  }

  it('shows an event with its device, type and severity', function () {
    const event: EventEntry = { id: 4, time: '2026-03-01T10:00:00.000Z', type: 'alert_raised', severity: 'critical', device_id: null, message: 'voltage high', details: { value: 251 } };
    assert.deepEqual(eventRow(event), { id: 4, time: event.time, device: 'all devices', type: 'alert_raised', severity: 'critical', message: 'voltage high' });
  });

  it('answers lists as rows in the rows format, and leaves writes, errors and the API format alone', function () {
    const list = { kind: 'list', filter: { device_id: null, source: null, from: null, to: null, limit: 100 } } as const;
    const events = { kind: 'events', filter: { device_id: null, type: null, severity: null, from: null, to: null, limit: 100 } } as const;
    const listed = { statusCode: 200, payload: { count: 1, entries: [entry({})] } };
    const evented = { statusCode: 200, payload: { count: 0, events: [] } };
    assert.deepEqual(formatAnswer(list, listed, 'rows'), { statusCode: 200, payload: [changelogRow(entry({}))] });
    assert.deepEqual(formatAnswer(events, evented, 'rows'), { statusCode: 200, payload: [] });
    assert.equal(formatAnswer(list, listed, 'api'), listed);
    const added = { statusCode: 201, payload: entry({ kind: 'note' }) };
    assert.equal(formatAnswer({ kind: 'add', text: 'x', device_id: null, author: null, time: null }, added, 'rows'), added);
    const unavailable = { statusCode: 503, payload: { error: 'locked' } };
    assert.equal(formatAnswer(list, unavailable, 'rows'), unavailable);
  });
});

describe('change log: markers on a dashboard chart', function () {
  const entry = (fields: Partial<ChangelogEntry>): ChangelogEntry => ({
    id: 1, kind: 'setting', time: '2026-03-01T10:00:00.000Z', device_id: 'site1', setting: 'heating_curve', old_value: 1.2, new_value: 1.4,
    unit: null, source: 'modbus', text: null, author: null, updated: null, ...fields,
  });
  const labels: [string, ChangelogEntry, string][] = [
    ['a setting by its name', entry({}), 'heating_curve'],
    ['an alert rule by its setting', entry({ setting: 'rule:voltage_high' }), 'rule:voltage_high'],
    ['a short note with its text', entry({ kind: 'note', setting: null, text: 'filter cleaned', source: 'manual' }), 'note: filter cleaned'],
    ['a long note by its beginning', entry({ kind: 'note', setting: null, text: 'descaled the plate heat exchanger and bled the radiators', source: 'manual' }), 'note: descaled the plate heat excha…'],
  ];
  for (const [name, input, expected] of labels) {
    it(`labels ${name}`, function () {
      assert.equal(markerLabel(input), expected);
    });
  }

  it('places a marker per entry at its time, oldest first, and leaves out an entry without a readable time', function () {
    const newest = entry({ id: 3, time: '2026-03-01T12:00:00.000Z', setting: 'dhw_setpoint' });
    const oldest = entry({ id: 1, time: '2026-03-01T08:00:00.000Z' });
    assert.deepEqual(chartMarkers([newest, entry({ id: 2, time: '' }), oldest]), [
      { name: 'heating_curve', xAxis: Date.parse('2026-03-01T08:00:00.000Z') },
      { name: 'dhw_setpoint', xAxis: Date.parse('2026-03-01T12:00:00.000Z') },
    ]);
  });

  it('puts the markers as a vertical markLine on a series of their own, also when there are none (clearing the previous ones)', function () {
    const [series] = markerChartOptions([entry({})]).series;
    assert.deepEqual([series.id, series.name, series.type, series.data], [MARKER_SERIES, 'changes', 'line', []]);
    assert.deepEqual(series.markLine.data, [{ name: 'heating_curve', xAxis: Date.parse('2026-03-01T10:00:00.000Z') }]);
    assert.equal(series.markLine.label.formatter, '{b}', 'labelled with the name, not the time');
    assert.deepEqual(markerChartOptions([]).series[0].markLine.data, []);
  });

  it('answers a change log list as chart options in the markers format, and leaves event lists, writes and errors alone', function () {
    const list = { kind: 'list', filter: { device_id: 'site1', source: null, from: 0, to: 10, limit: 1000 } } as const;
    const events = { kind: 'events', filter: { device_id: null, type: null, severity: null, from: null, to: null, limit: 100 } } as const;
    const listed = { statusCode: 200, payload: { count: 1, entries: [entry({})] } };
    assert.deepEqual(formatAnswer(list, listed, 'markers'), { statusCode: 200, payload: { chartOptions: markerChartOptions([entry({})]) } });
    const evented = { statusCode: 200, payload: { count: 0, events: [] } };
    assert.equal(formatAnswer(events, evented, 'markers'), evented);
    const added = { statusCode: 201, payload: entry({ kind: 'note' }) };
    assert.equal(formatAnswer({ kind: 'add', text: 'x', device_id: null, author: null, time: null }, added, 'markers'), added);
    const unavailable = { statusCode: 503, payload: { error: 'locked' } };
    assert.equal(formatAnswer(list, unavailable, 'markers'), unavailable);
  });
});
