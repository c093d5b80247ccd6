import assert from 'node:assert/strict';
import { MAX_READINGS_PAGE, parseHttpRequest, parseRequestObject, historyWindow, parseWindow } from '../../nodes/heatpump-query/request';
import { AGGREGATE_LAG_MS, influxqlStatements, stringLiteral, windowedReadings } from '../../nodes/heatpump-query/influxql';
import { databaseResponse, healthStatus, historyOffResponse, isoFormatter, liveResponse, nextReadingsPage, prometheusText, resultSets, statementError } from '../../nodes/shared/api-response';
import type { DatabaseRequest } from '../../nodes/shared/api-request';
import { FleetState } from '../../nodes/heatpump-fleet/fleet-state';

const NOW = Date.parse('2024-01-30T10:00:00Z');
const http = (route: string, params: Record<string, string> = {}, query: Record<string, unknown> = {}) => parseHttpRequest({ route, params, query }, NOW);

describe('API requests (heatpump-query core)', () => {
  const accepted: [string, ReturnType<typeof http>, unknown][] = [
    ['health', http('/api/health'), { kind: 'health' }],
    ['metrics', http('/metrics'), { kind: 'metrics' }],
    ['stats', http('/api/stats'), { kind: 'stats' }],
    ['devices', http('/api/devices'), { kind: 'devices' }],
    ['status', http('/api/devices/:id/status', { id: 'site1' }), { kind: 'status', device_id: 'site1' }],
    ['latest', http('/api/devices/:id/readings/latest', { id: 'site1' }), { kind: 'latest', device_id: 'site1' }],
    ['alerts defaults', http('/api/alerts'), { kind: 'alerts', device_id: null, level: null, hours: 24, limit: 50 }],
    ['alerts bounds', http('/api/alerts', {}, { hours: '168', limit: '500', device_id: 'site1', level: 'critical' }), { kind: 'alerts', device_id: 'site1', level: 'critical', hours: 168, limit: 500 }],
    ['alerts lower bounds', http('/api/alerts', {}, { hours: '1', limit: '1' }), { kind: 'alerts', device_id: null, level: null, hours: 1, limit: 1 }],
    ['readings defaults', http('/api/devices/:id/readings', { id: 'site1' }), { kind: 'readings', device_id: 'site1', start: NOW - 86_400_000, end: NOW, window_ms: null, limit: 1000 }],
    [
      'readings window and range',
      http('/api/devices/:id/readings', { id: 'site1' }, { start: '2024-01-30T09:00:00Z', end: '2024-01-30T10:00:00Z', window: '5m', limit: '10' }),
      { kind: 'readings', device_id: 'site1', start: NOW - 3_600_000, end: NOW, window_ms: 300_000, limit: 10 },
    ],
    [
      'readings: a limit over the page size clamped to it (the answer links the next page)',
      http('/api/devices/:id/readings', { id: 'site1' }, { hours: '720', limit: '10000' }),
      { kind: 'readings', device_id: 'site1', start: NOW - 720 * 3_600_000, end: NOW, window_ms: null, limit: MAX_READINGS_PAGE },
    ],
    [
      'readings: the path it was called on, for the next page\'s link',
      parseHttpRequest({ route: '/api/devices/:id/readings', params: { id: 'site1' }, query: { limit: '5' }, path: '/root/api/devices/site1/readings' }, NOW),
      { kind: 'readings', device_id: 'site1', start: NOW - 86_400_000, end: NOW, window_ms: null, limit: 5, path: '/root/api/devices/site1/readings' },
    ],
    ['route under a prefix', http('/custom/api/health'), { kind: 'health' }],
    ['active alerts', http('/api/alerts/active'), { kind: 'active_alerts', device_id: null }],
    ['active alerts of a device', http('/api/alerts/active', {}, { device_id: 'site1' }), { kind: 'active_alerts', device_id: 'site1' }],
  ];
  for (const [name, result, expected] of accepted) {
    it(`accepts ${name}`, () => assert.deepEqual(result, { ok: true, value: expected }));
  }

  const refused: [string, ReturnType<typeof http>, number, RegExp][] = [
    ['hours 0', http('/api/alerts', {}, { hours: '0' }), 400, /hours must be between 1 and 168/],
    ['hours 169', http('/api/alerts', {}, { hours: '169' }), 400, /hours must be between 1 and 168/],
    ['limit 501', http('/api/alerts', {}, { limit: '501' }), 400, /limit must be between 1 and 500/],
    ['limit not a number', http('/api/alerts', {}, { limit: '5x' }), 400, /limit must be a whole number/],
    ['level unknown', http('/api/alerts', {}, { level: 'info' }), 400, /level must be warning or critical/],
    ['unsafe device filter', http('/api/alerts', {}, { device_id: "a' OR 1=1" }), 400, /invalid device_id/],
    ['unsafe device id', http('/api/devices/:id/status', { id: 'a/b' }), 400, /unsafe character/],
    ['readings limit over 10000', http('/api/devices/:id/readings', { id: 's' }, { limit: '10001' }), 400, /limit must be between 1 and 10000/],
    ['window too small', http('/api/devices/:id/readings', { id: 's' }, { window: '0s' }), 400, /window must be/],
    ['end before start', http('/api/devices/:id/readings', { id: 's' }, { start: String(NOW), end: String(NOW - 1) }), 400, /end must be after start/],
    ['range beyond retention', http('/api/devices/:id/readings', { id: 's' }, { hours: '721' }), 400, /hours must be between 1 and 720/],
    ['bad start', http('/api/devices/:id/readings', { id: 's' }, { start: 'yesterday' }), 400, /start must be/],
    ['a range after 2262, the last time InfluxDB holds', http('/api/devices/:id/readings', { id: 's' }, { start: '9223372036000', end: '9223372037000' }), 400, /end must be .* from 1970 to 2262/],
    ['a start of 20 digits (1e+20 in InfluxQL)', http('/api/devices/:id/readings', { id: 's' }, { start: '99999999999999999999', end: '99999999999999999999' }), 400, /start must be/],
    ['a range before 1970', http('/api/devices/:id/readings', { id: 's' }, { start: '1969-12-31T00:00:00Z', end: '1970-01-01T00:00:00Z' }), 400, /start must be .* from 1970 to 2262/],
    ['unknown route', http('/api/nothing'), 404, /no API endpoint/],
  ];
  for (const [name, result, statusCode, message] of refused) {
    it(`refuses ${name} with ${statusCode}`, () => {
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.error.statusCode, statusCode);
      assert.match(result.error.error, message);
    });
  }

  it('parses dashboard history requests with a window that keeps series within 1,000 points', () => {
    const cases: [string, number, number | null][] = [
      ['1h', 5_000, null],
      ['24h', 120_000, null],
      ['7d', 3_600_000, Math.floor((NOW - 7_200_000) / 3_600_000) * 3_600_000],
      ['30d', 3_600_000, Math.floor((NOW - 7_200_000) / 3_600_000) * 3_600_000],
    ];
    for (const [range, windowMs, split] of cases) {
      const parsed = parseRequestObject({ kind: 'history', device_id: 'site1', range }, NOW);
      assert.ok(parsed.ok);
      if (!parsed.ok || parsed.value.kind !== 'history') return;
      assert.equal(parsed.value.window_ms, windowMs, range);
      assert.equal(parsed.value.split, split, range);
      assert.ok((parsed.value.end - parsed.value.start) / windowMs <= 1000, range);
    }
    assert.equal(historyWindow(2_592_000_000), 3_600_000);
    assert.equal(parseWindow('90s'), 90_000);
    assert.equal(parseWindow('5 minutes'), undefined);
    const bad = parseRequestObject({ kind: 'history', device_id: 'site1', range: '2y' }, NOW);
    assert.equal(bad.ok, false);
    assert.equal(parseRequestObject('history', NOW).ok, false);
  });
});

describe('InfluxQL (heatpump-query core)', () => {
  it('escapes string literals', () => {
    assert.equal(stringLiteral("it's\\"), "'it\\'s\\\\'");
  });

  it('reads alerts with every filter', () => {
    const [statement] = influxqlStatements({ kind: 'alerts', device_id: 'site1', level: 'critical', hours: 12, limit: 5 }, NOW);
    assert.equal(statement, `SELECT * FROM "raw"."alert" WHERE time > now() - 12h AND "device_id" = 'site1' AND "level" = 'critical' ORDER BY time DESC LIMIT 5`);
  });

  it('averages readings over a window and keeps the last boolean state', () => {
    const statements = influxqlStatements({ kind: 'readings', device_id: 'site1', start: 0, end: 3_600_000, window_ms: 300_000, limit: 10 }, NOW);
    assert.equal(statements.length, 2);
    assert.match(statements[0] ?? '', /mean\("voltage"\) AS "voltage"/);
    assert.match(statements[0] ?? '', /last\("compressor_running"\) AS "compressor_running"/);
    assert.match(statements[0] ?? '', /GROUP BY time\(5m\) fill\(none\) ORDER BY time DESC LIMIT 10$/);
    assert.match(statements[1] ?? '', /^SHOW TAG VALUES FROM "sensor_reading" WITH KEY = "device_id" WHERE "device_id" = 'site1'$/);
  });

  const HOUR = 3_600_000;
  const part = (source: 'raw' | 'hourly', start: number, at: number, inclusive: boolean) => ({ source, start, end: { at, inclusive } });
  const windowedCases: [string, number, number, number, ReturnType<typeof part>[]][] = [
    ['minute windows read raw data', NOW - 720 * HOUR, NOW, 300_000, [part('raw', NOW - 720 * HOUR, NOW, true)]],
    ['90 min is not whole hours: raw', NOW - 720 * HOUR, NOW, 90 * 60_000, [part('raw', NOW - 720 * HOUR, NOW, true)]],
    ['a range within the aggregation lag: raw', NOW - 2 * HOUR, NOW, HOUR, [part('raw', NOW - 2 * HOUR, NOW, true)]],
    ['30 d of aligned 1 h windows: hourly, then the raw tail', NOW - 720 * HOUR, NOW, HOUR, [part('hourly', NOW - 720 * HOUR, NOW - AGGREGATE_LAG_MS, false), part('raw', NOW - AGGREGATE_LAG_MS, NOW, true)]],
    [
      'an unaligned start: its partial window from raw',
      NOW - 720 * HOUR - 1800_000,
      NOW,
      HOUR,
      [part('raw', NOW - 720 * HOUR - 1800_000, NOW - 720 * HOUR, false), part('hourly', NOW - 720 * HOUR, NOW - 2 * HOUR, false), part('raw', NOW - 2 * HOUR, NOW, true)],
    ],
    // NOW is 10:00 UTC: whole days before today from the aggregates, the partial first day and today from raw
    ['1 d windows split at a day boundary', NOW - 30 * 24 * HOUR, NOW, 24 * HOUR, [part('raw', NOW - 30 * 24 * HOUR, NOW - 10 * HOUR - 29 * 24 * HOUR, false), part('hourly', NOW - 10 * HOUR - 29 * 24 * HOUR, NOW - 10 * HOUR, false), part('raw', NOW - 10 * HOUR, NOW, true)]],
    ['an end in the future splits at now', NOW - 48 * HOUR, NOW + 24 * HOUR, HOUR, [part('hourly', NOW - 48 * HOUR, NOW - 2 * HOUR, false), part('raw', NOW - 2 * HOUR, NOW + 24 * HOUR, true)]],
    ['a past range ends in hourly data but for its last window', NOW - 100 * HOUR, NOW - 50 * HOUR, HOUR, [part('hourly', NOW - 100 * HOUR, NOW - 52 * HOUR, false), part('raw', NOW - 52 * HOUR, NOW - 50 * HOUR, true)]],
  ];
  for (const [name, start, end, windowMs, parts] of windowedCases) {
    it(`splits windowed readings between sources: ${name}`, () => {
      assert.deepEqual(windowedReadings(start, end, windowMs, NOW), parts);
    });
  }

  it('reads hourly windows of readings from the aggregates with the last state', () => {
    const statements = influxqlStatements({ kind: 'readings', device_id: 'site1', start: NOW - 720 * HOUR, end: NOW, window_ms: HOUR, limit: 1000 }, NOW);
    assert.equal(statements.length, 3);
    // one-hour windows are the aggregates as stored
    assert.equal(
      statements[0],
      `SELECT "mean_temp_inlet" AS "temp_inlet", "mean_temp_outlet" AS "temp_outlet", "mean_temp_ambient" AS "temp_ambient", "mean_temp_compressor" AS "temp_compressor", ` +
        `"mean_voltage" AS "voltage", "mean_current" AS "current", "mean_power" AS "power", "mean_pressure_high" AS "pressure_high", "mean_pressure_low" AS "pressure_low", ` +
        `"last_compressor_running" AS "compressor_running", "last_fan_running" AS "fan_running", "last_defrost_active" AS "defrost_active" ` +
        `FROM "hourly"."sensor_reading" WHERE "device_id" = 'site1' AND time >= ${NOW - 720 * HOUR}ms AND time < ${NOW - 2 * HOUR}ms ORDER BY time DESC LIMIT 1000`,
    );
    assert.match(statements[1] ?? '', new RegExp(`FROM "raw"."sensor_reading" WHERE "device_id" = 'site1' AND time >= ${NOW - 2 * HOUR}ms AND time <= ${NOW}ms GROUP BY time\\(1h\\) fill\\(none\\) ORDER BY time DESC LIMIT 1000$`));
    assert.match(statements[2] ?? '', /^SHOW TAG VALUES FROM "sensor_reading"/);
  });

  it('groups the hourly aggregates into longer whole-hour windows', () => {
    // NOW - 720 h is 10:00, not on a 6 h boundary: the partial first window comes first, from raw
    const [, hourly] = influxqlStatements({ kind: 'readings', device_id: 'site1', start: NOW - 720 * HOUR, end: NOW, window_ms: 6 * HOUR, limit: 100 }, NOW);
    assert.match(hourly ?? '', /^SELECT mean\("mean_temp_inlet"\) AS "temp_inlet", .*last\("last_defrost_active"\) AS "defrost_active" FROM "hourly"."sensor_reading" .* GROUP BY time\(6h\) fill\(none\) ORDER BY time DESC LIMIT 100$/);
  });

  it('looks the device up only when the fleet does not know it', () => {
    const request: DatabaseRequest = { kind: 'readings', device_id: 'site1', start: NOW - 3_600_000, end: NOW, window_ms: null, limit: 10 };
    assert.deepEqual(influxqlStatements(request, NOW, false).map((q) => q.split(' ')[0]), ['SELECT', 'SHOW']);
    assert.deepEqual(influxqlStatements(request, NOW, true).map((q) => q.split(' ')[0]), ['SELECT']);
  });

  it('reads a polled source\'s readings from heatpump_metrics by heatpump_id: every field, windows as mean(*)', () => {
    const request: DatabaseRequest = { kind: 'readings', device_id: "nibe'1", start: NOW - 3_600_000, end: NOW, window_ms: null, limit: 10, source: 'metrics' };
    assert.deepEqual(influxqlStatements(request, NOW, true), [
      `SELECT * FROM "raw"."heatpump_metrics" WHERE "heatpump_id" = 'nibe\\'1' AND time >= ${NOW - 3_600_000}ms AND time <= ${NOW}ms ORDER BY time DESC LIMIT 10`,
    ]);
    assert.deepEqual(influxqlStatements({ ...request, device_id: 'nibe1', window_ms: 300_000 }, NOW, true), [
      `SELECT mean(*) FROM "raw"."heatpump_metrics" WHERE "heatpump_id" = 'nibe1' AND time >= ${NOW - 3_600_000}ms AND time <= ${NOW}ms GROUP BY time(5m) fill(none) ORDER BY time DESC LIMIT 10`,
    ]);
  });

  it('reads long history from the hourly aggregates and the raw tail', () => {
    const parsed = parseRequestObject({ kind: 'history', device_id: 'site1', range: '7d' }, NOW);
    assert.ok(parsed.ok && parsed.value.kind === 'history');
    if (!parsed.ok || parsed.value.kind !== 'history') return;
    const statements = influxqlStatements(parsed.value, NOW);
    assert.equal(statements.length, 2);
    assert.match(statements[0] ?? '', /"mean_temp_inlet" AS "temp_inlet".* FROM "hourly"."sensor_reading"/);
    assert.match(statements[1] ?? '', /FROM "raw"."sensor_reading".*GROUP BY time\(1h\) fill\(none\)$/);
  });
});

describe('API responses', () => {
  /** site1 online with a reading and a critical alert; site2 seen only as offline. */
  const makeFleet = (history = true) => {
    const fleet = new FleetState(NOW - 10_000, history);
    fleet.setHealth({ mqtt_connected: true, influxdb_connected: true });
    fleet.reading({ device_id: 'site1', timestamp: NOW - 61_000, temp_inlet: 45.2, voltage: 252, compressor_running: true }, [], NOW - 60_000);
    fleet.presence({ event: 'device_online', device_id: 'site1', last_seen: NOW - 60_000, reason: 'data', timestamp: NOW - 60_000 });
    fleet.alert({ device_id: 'site1', alert_type: 'voltage_high', level: 'critical', value: 252, threshold: 250, message: 'Voltage critical: 252 V', state: 'raised', timestamp: NOW - 61_000 });
    fleet.presence({ event: 'device_offline', device_id: 'site2', last_seen: NOW - 900_000, reason: 'timeout', timestamp: NOW - 300_000 });
    return fleet;
  };

  it('computes health from the fleet', () => {
    const health = (part: Partial<ReturnType<typeof makeFleet>['health']>) => healthStatus({ ...makeFleet().health, ...part });
    assert.equal(health({}), 'healthy');
    assert.equal(health({ mqtt_connected: false }), 'degraded');
    assert.equal(health({ influxdb_connected: false }), 'unhealthy');
    assert.equal(health({ influxdb_connected: null }), 'unhealthy');
    assert.equal(health({ history: false, influxdb_connected: null }), 'degraded');
    assert.equal(health({ spooled_points: 5000 }), 'degraded', 'readings wait on disk: nothing lost, history behind');
    assert.equal(health({ spooled_points: 5000, influxdb_connected: false }), 'unhealthy');
    const fleet = makeFleet();
    fleet.setHealth({ influxdb_connected: false });
    const unhealthy = liveResponse({ kind: 'health' }, fleet, NOW);
    assert.equal(unhealthy.statusCode, 503);
    assert.deepEqual(unhealthy.payload, {
      status: 'unhealthy',
      influxdb_connected: false,
      mqtt_connected: true,
      history: true,
      spooled_points: 0,
      dropped: { payload_rejected: 0, buffer_full: 0, retries_exhausted: 0, spool_full: 0, spool_failed: 0, beyond_retention: 0 },
      timestamp: '2024-01-30T10:00:00.000Z',
    });
    const off = liveResponse({ kind: 'health' }, makeFleet(false), NOW, 'history is off: no InfluxDB');
    assert.equal(off.statusCode, 200);
    assert.equal((off.payload as { notice: string }).notice, 'History is off: no InfluxDB; readings are not stored.');
  });

  it('shapes device status from the fleet, invalid sensors as null, with the active alerts', () => {
    const response = liveResponse({ kind: 'status', device_id: 'site1' }, makeFleet(), NOW);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.payload, {
      device_id: 'site1',
      is_online: true,
      last_seen: new Date(NOW - 60_000).toISOString(),
      temp_inlet: 45.2,
      temp_outlet: null,
      temp_ambient: null,
      temp_compressor: null,
      voltage: 252,
      current: null,
      power: null,
      pressure_high: null,
      pressure_low: null,
      compressor_running: true,
      fan_running: null,
      defrost_active: null,
      alerts: [
        {
          alert_type: 'voltage_high',
          level: 'critical',
          value: 252,
          threshold: 250,
          message: 'Voltage critical: 252 V',
          since: new Date(NOW - 61_000).toISOString(),
          timestamp: new Date(NOW - 61_000).toISOString(),
          source: 'threshold',
        },
      ],
    });
  });

  describe('a device of a polled source (metrics readings)', () => {
    const withMetrics = () => {
      const fleet = makeFleet();
      fleet.metrics(
        { device_id: 'nibe1', timestamp: NOW - 20_000, metrics: { flow_temperature: 61.5, compressor_on: true }, units: { flow_temperature: '°C' }, info: { name: 'Keller', model: 'NIBE F1255', source: 'modbus' } },
        NOW - 19_000,
      );
      fleet.presence({ event: 'device_online', device_id: 'nibe1', last_seen: NOW - 19_000, reason: 'data', timestamp: NOW - 19_000 });
      fleet.alert({ device_id: 'nibe1', alert_type: 'flow_hot', level: 'critical', value: 61.5, threshold: 60, message: 'Flow temperature: 61.5 °C > 60 °C (critical)', state: 'raised', timestamp: NOW - 20_000, field: 'flow_temperature' });
      return fleet;
    };
    const LATEST = {
      timestamp: new Date(NOW - 20_000).toISOString(),
      metrics: { flow_temperature: 61.5, compressor_on: true },
      units: { flow_temperature: '°C' },
      updated: { flow_temperature: new Date(NOW - 20_000).toISOString(), compressor_on: new Date(NOW - 20_000).toISOString() },
      info: { name: 'Keller', model: 'NIBE F1255', source: 'modbus' },
    };

    it('answers readings/latest with its metrics, units and info', () => {
      assert.deepEqual(liveResponse({ kind: 'latest', device_id: 'nibe1' }, withMetrics(), NOW), { statusCode: 200, payload: { device_id: 'nibe1', ...LATEST } });
    });

    it('answers readings/latest and status with the metrics of all its sources side by side, each with its update time', () => {
      const fleet = withMetrics();
      fleet.metrics({ device_id: 'nibe1', timestamp: NOW - 5_000, metrics: { electrical_power: 1250 }, units: { electrical_power: 'W' }, info: { source: 'shelly' } }, NOW - 5_000);
      const merged = {
        timestamp: new Date(NOW - 5_000).toISOString(),
        metrics: { flow_temperature: 61.5, compressor_on: true, electrical_power: 1250 },
        units: { flow_temperature: '°C', electrical_power: 'W' },
        updated: { flow_temperature: new Date(NOW - 20_000).toISOString(), compressor_on: new Date(NOW - 20_000).toISOString(), electrical_power: new Date(NOW - 5_000).toISOString() },
        info: { name: 'Keller', model: 'NIBE F1255', source: 'shelly' },
      };
      assert.deepEqual(liveResponse({ kind: 'latest', device_id: 'nibe1' }, fleet, NOW), { statusCode: 200, payload: { device_id: 'nibe1', ...merged } });
      const { alerts: _alerts, ...status } = liveResponse({ kind: 'status', device_id: 'nibe1' }, fleet, NOW).payload as { alerts: unknown };
      assert.deepEqual(status, { device_id: 'nibe1', is_online: true, last_seen: new Date(NOW - 5_000).toISOString(), ...merged });
    });

    it('answers status with presence, its latest metrics and its active alerts (no ESP32 sensor fields)', () => {
      const response = liveResponse({ kind: 'status', device_id: 'nibe1' }, withMetrics(), NOW);
      assert.equal(response.statusCode, 200);
      const { alerts, ...rest } = response.payload as { alerts: { alert_type: string; field?: string }[] };
      assert.deepEqual(rest, { device_id: 'nibe1', is_online: true, last_seen: new Date(NOW - 19_000).toISOString(), ...LATEST });
      assert.deepEqual(alerts.map((a) => [a.alert_type, a.field]), [['flow_hot', 'flow_temperature']]);
    });

    it('lists it among the devices with its source and model', () => {
      assert.deepEqual(liveResponse({ kind: 'devices' }, withMetrics(), NOW).payload, [
        { device_id: 'nibe1', is_online: true, last_seen: new Date(NOW - 19_000).toISOString(), source: 'modbus', model: 'NIBE F1255' },
        { device_id: 'site1', is_online: true, last_seen: new Date(NOW - 60_000).toISOString() },
        { device_id: 'site2', is_online: false, last_seen: new Date(NOW - 900_000).toISOString() },
      ]);
    });

    it('shapes heatpump_metrics rows as readings: time and metric fields, no tag columns, oldest first', () => {
      const request: DatabaseRequest = { kind: 'readings', device_id: 'nibe1', start: NOW - 3_600_000, end: NOW, window_ms: null, limit: 2, source: 'metrics' };
      const tags = { heatpump_id: 'nibe1', name: 'Keller', location: null, model: 'NIBE F1255' };
      const rows = [
        { time: new Date(NOW - 10_000), ...tags, flow_temperature: 36, compressor_on: false, dhw_temperature: null },
        { time: new Date(NOW - 20_000), ...tags, flow_temperature: 35.5, compressor_on: true, dhw_temperature: 48 },
        { time: new Date(NOW - 30_000), ...tags, flow_temperature: 35, compressor_on: true, dhw_temperature: 48 },
      ];
      assert.deepEqual(databaseResponse(request, rows, withMetrics(), 1), {
        statusCode: 200,
        payload: {
          device_id: 'nibe1',
          start: new Date(NOW - 3_600_000).toISOString(),
          end: new Date(NOW).toISOString(),
          window: null,
          limit: 2,
          count: 2,
          next: `/api/devices/nibe1/readings?start=${NOW - 3_600_000}&end=${NOW - 20_001}&limit=2`,
          readings: [
            { timestamp: new Date(NOW - 20_000).toISOString(), flow_temperature: 35.5, compressor_on: true, dhw_temperature: 48 },
            { timestamp: new Date(NOW - 10_000).toISOString(), flow_temperature: 36, compressor_on: false },
          ],
        },
      });
      const windowed = databaseResponse({ ...request, window_ms: 300_000 }, [{ time: new Date(NOW - 300_000), mean_flow_temperature: 35.75 }], withMetrics(), 1);
      assert.deepEqual((windowed.payload as { readings: unknown[] }).readings, [{ timestamp: new Date(NOW - 300_000).toISOString(), flow_temperature: 35.75 }]);
    });
  });

  it('answers 404 for an unknown device', () => {
    const fleet = makeFleet();
    assert.equal(liveResponse({ kind: 'status', device_id: 'ghost' }, fleet, NOW).statusCode, 404);
    assert.equal(liveResponse({ kind: 'latest', device_id: 'ghost' }, fleet, NOW).statusCode, 404);
    assert.equal(liveResponse({ kind: 'latest', device_id: 'site2' }, fleet, NOW).statusCode, 404, 'known but never sent a reading');
    const readings: DatabaseRequest = { kind: 'readings', device_id: 'ghost', start: 0, end: NOW, window_ms: null, limit: 10 };
    assert.equal(databaseResponse(readings, [[], []], fleet, 2).statusCode, 404);
    assert.equal(databaseResponse(readings, [[], [{ key: 'device_id', value: 'ghost' }]], fleet, 2).statusCode, 200);
    assert.equal(databaseResponse({ ...readings, device_id: 'site2' }, [[], []], fleet, 2).statusCode, 200, 'known to the fleet');
  });

  it('lists the fleet devices sorted, with last seen', () => {
    assert.deepEqual(liveResponse({ kind: 'devices' }, makeFleet(), NOW).payload, [
      { device_id: 'site1', is_online: true, last_seen: new Date(NOW - 60_000).toISOString() },
      { device_id: 'site2', is_online: false, last_seen: new Date(NOW - 900_000).toISOString() },
    ]);
  });

  it('builds stats from the fleet counters, the same numbers /metrics shows', () => {
    const fleet = makeFleet();
    assert.deepEqual(liveResponse({ kind: 'stats' }, fleet, NOW).payload, {
      total_readings: 1,
      total_alerts: 1,
      devices_online: 1,
      oldest_reading: new Date(NOW - 61_000).toISOString(),
      newest_reading: new Date(NOW - 61_000).toISOString(),
      points_written: 0,
      dropped: { payload_rejected: 0, buffer_full: 0, retries_exhausted: 0, spool_full: 0, spool_failed: 0, beyond_retention: 0 },
    });
    const text = prometheusText(fleet);
    assert.match(text, /^heatpump_readings_total 1$/m);
    assert.match(text, /^heatpump_alerts_total 1$/m);
  });

  it('lists active alerts newest first, filtered by device', () => {
    const fleet = makeFleet();
    fleet.alert({ device_id: 'site2', alert_type: 'current', level: 'warning', value: 13, threshold: 12, message: 'Current high', state: 'raised', timestamp: NOW - 1000, source: 'device' });
    const all = liveResponse({ kind: 'active_alerts', device_id: null }, fleet, NOW).payload as { device_id: string; source: string }[];
    assert.deepEqual(all.map((a) => [a.device_id, a.source]), [['site2', 'device'], ['site1', 'threshold']]);
    const one = liveResponse({ kind: 'active_alerts', device_id: 'site1' }, fleet, NOW).payload as unknown[];
    assert.equal(one.length, 1);
  });

  it('answers history requests with 503 when history is off', () => {
    assert.deepEqual(historyOffResponse('history is off: no InfluxDB is set'), { statusCode: 503, payload: { error: 'history is off: no InfluxDB is set' } });
  });

  it('merges the parts of windowed readings into the newest `limit` windows, oldest first', () => {
    const request: DatabaseRequest = { kind: 'readings', device_id: 'site1', start: 0, end: NOW, window_ms: 3_600_000, limit: 3 };
    const hourly = [
      { time: new Date(3 * 3_600_000), temp_inlet: 43, compressor_running: true },
      { time: new Date(2 * 3_600_000), temp_inlet: 42, compressor_running: false },
    ];
    const tail = [{ time: new Date(5 * 3_600_000), temp_inlet: 45, compressor_running: true }, { time: new Date(4 * 3_600_000), temp_inlet: 44 }];
    const response = databaseResponse(request, [hourly, tail, [{ key: 'device_id', value: 'site1' }]], undefined, 3);
    assert.equal(response.statusCode, 200);
    const payload = response.payload as { count: number; window: string; readings: Record<string, unknown>[] };
    assert.equal(payload.window, '3600s');
    assert.equal(payload.count, 3);
    assert.deepEqual(
      payload.readings.map((r) => [r.timestamp, r.temp_inlet, r.compressor_running, r.voltage]),
      [
        [new Date(3 * 3_600_000).toISOString(), 43, true, null],
        [new Date(4 * 3_600_000).toISOString(), 44, null, null],
        [new Date(5 * 3_600_000).toISOString(), 45, true, null],
      ],
    );
    assert.deepEqual(Object.keys(payload.readings[0] ?? {}), ['timestamp', 'temp_inlet', 'temp_outlet', 'temp_ambient', 'temp_compressor', 'voltage', 'current', 'power', 'pressure_high', 'pressure_low', 'compressor_running', 'fan_running', 'defrost_active']);
  });

  it('merges hourly aggregates and the raw tail into one ascending history series', () => {
    const request: DatabaseRequest = { kind: 'history', device_id: 'site1', range: '7d', start: 0, end: NOW, window_ms: 3_600_000, split: 7_200_000 };
    const response = databaseResponse(request, [[{ time: new Date(3_600_000), temp_inlet: 40 }], [{ time: new Date(7_200_000), temp_inlet: 41, voltage: null }]], undefined, 2);
    assert.deepEqual(response.payload, [
      { time: 3_600_000, temp_inlet: 40 },
      { time: 7_200_000, temp_inlet: 41 },
    ]);
  });

  it('writes Prometheus text with per-device series', () => {
    const fleet = makeFleet();
    fleet.writeFailed(0);
    const text = prometheusText(fleet);
    assert.match(text, /^# HELP heatpump_readings_total /m);
    assert.match(text, /^heatpump_write_errors_total 1$/m);
    assert.match(text, /^heatpump_devices_online 1$/m);
    assert.match(text, /^heatpump_devices_total 2$/m);
    assert.match(text, /^heatpump_alerts_active\{level="critical"\} 1$/m);
    assert.match(text, /^heatpump_device_online\{device_id="site1"\} 1$/m);
    assert.match(text, /^heatpump_device_online\{device_id="site2"\} 0$/m);
    assert.match(text, new RegExp(`^heatpump_device_last_seen_seconds\\{device_id="site1"\\} ${(NOW - 60_000) / 1000}$`, 'm'));
  });

  it('counts every drop by its reason on /metrics, /api/health and /api/stats', () => {
    const fleet = makeFleet();
    fleet.rejected({ time: NOW, scope: 'payload', device_id: null, field: null, reason: 'not JSON' });
    fleet.writeFailed(5000, 'spool_full');
    fleet.writeFailed(200, 'buffer_full');
    fleet.writeFailed(7, 'retries_exhausted');
    fleet.writeFailed(3, 'spool_failed');
    fleet.written(10, 2);
    const text = prometheusText(fleet);
    const samples = [...text.matchAll(/^heatpump_dropped_total\{reason="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]);
    assert.deepEqual(samples, [
      ['payload_rejected', 1],
      ['buffer_full', 200],
      ['retries_exhausted', 7],
      ['spool_full', 5000],
      ['spool_failed', 3],
      ['beyond_retention', 2],
    ]);
    assert.match(text, /^# TYPE heatpump_dropped_total counter$/m);
    assert.match(text, /^heatpump_points_lost_total 5212$/m, 'points lost is the sum of the write drops');
    const expected = { payload_rejected: 1, buffer_full: 200, retries_exhausted: 7, spool_full: 5000, spool_failed: 3, beyond_retention: 2 };
    assert.deepEqual((liveResponse({ kind: 'health' }, fleet, NOW).payload as { dropped: unknown }).dropped, expected);
    assert.deepEqual((liveResponse({ kind: 'stats' }, fleet, NOW).payload as { dropped: unknown }).dropped, expected);
  });
});

describe('readings pages from InfluxDB\'s raw answer (heatpump-response core)', () => {
  const HOUR = 3_600_000;
  const FIELDS = ['temp_inlet', 'temp_outlet', 'temp_ambient', 'temp_compressor', 'voltage', 'current', 'power', 'pressure_high', 'pressure_low', 'compressor_running', 'fan_running', 'defrost_active'];

  it('formats times exactly as toISOString, across days, the epoch and years Date prints otherwise', () => {
    const iso = isoFormatter();
    const times = [0, 1, 999, 86_399_999, 86_400_000, NOW, NOW + 1, NOW - 1, NOW + 86_400_000 - 1, Date.parse('2024-02-29T23:59:59.999Z'), Date.parse('9999-12-31T23:59:59.999Z'), Date.parse('+010000-01-01T00:00:00Z'), 1.5, NOW + 0.25];
    // each time after each other one: the day's cached date part never leaks into another day
    for (const first of times) {
      for (const second of times) assert.deepEqual([iso(first), iso(second)], [new Date(first).toISOString(), new Date(second).toISOString()]);
    }
  });

  /** InfluxDB's JSON for statements of `rows` (first the newest, as ORDER BY time DESC gives them). */
  const raw = (...statements: Record<string, unknown>[][]) => ({
    results: statements.map((rows, i) => {
      if (rows.length === 0) return { statement_id: i };
      const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
      return { statement_id: i, series: [{ name: 'sensor_reading', columns, values: rows.map((row) => columns.map((column) => row[column] ?? null)) }] };
    }),
  });
  /** The same rows as node-influx parses them: Date times, one array per statement (a bare array for one). */
  const parsed = (...statements: Record<string, unknown>[][]) => {
    const sets = statements.map((rows) => rows.map((row) => (typeof row.time === 'number' ? { ...row, time: new Date(row.time) } : row)));
    return sets.length === 1 ? sets[0] : sets;
  };

  const raws: [string, DatabaseRequest, Record<string, unknown>[][]][] = [
    [
      'a raw page, newest first from InfluxDB, every field',
      { kind: 'readings', device_id: 'site1', start: NOW - HOUR, end: NOW, window_ms: null, limit: 10 },
      [[0, 1, 2].map((k) => ({ time: NOW - k * 60_000, ...Object.fromEntries(FIELDS.map((field, i) => [field, i < 9 ? 40 + i + k / 10 : k % 2 === 0])) }))],
    ],
    [
      'windows from the hourly aggregates and the raw tail, the device looked up, limited to the newest',
      { kind: 'readings', device_id: 'site1', start: 0, end: NOW, window_ms: HOUR, limit: 3 },
      [
        [{ time: 3 * HOUR, temp_inlet: 43, compressor_running: true }, { time: 2 * HOUR, temp_inlet: 42, compressor_running: false }],
        [{ time: 5 * HOUR, temp_inlet: 45, compressor_running: true }, { time: 4 * HOUR, temp_inlet: 44 }],
        [{ key: 'device_id', value: 'site1' }],
      ],
    ],
    [
      'values of the wrong type and fields InfluxDB has no column for are null',
      { kind: 'readings', device_id: 'site1', start: NOW - HOUR, end: NOW, window_ms: null, limit: 10 },
      [[{ time: NOW - 1000, voltage: 'high', temp_inlet: 41 }]],
    ],
    ['no readings, the device unknown', { kind: 'readings', device_id: 'ghost', start: NOW - HOUR, end: NOW, window_ms: null, limit: 10 }, [[], []]],
    ['no readings, the device found', { kind: 'readings', device_id: 'site1', start: NOW - HOUR, end: NOW, window_ms: null, limit: 10 }, [[], [{ key: 'device_id', value: 'site1' }]]],
  ];
  for (const [name, request, statements] of raws) {
    it(`answers the raw answer as node-influx's rows: ${name}`, () => {
      const fromRaw = databaseResponse(request, raw(...statements), undefined, statements.length);
      assert.deepEqual(fromRaw, databaseResponse(request, parsed(...statements), undefined, statements.length));
      const expectedCount = Math.min(request.kind === 'readings' ? request.limit : 0, statements.flat().filter((row) => 'time' in row).length);
      assert.equal(fromRaw.statusCode, request.device_id === 'ghost' ? 404 : 200);
      if (fromRaw.statusCode === 200) assert.equal((fromRaw.payload as { count: number }).count, expectedCount);
    });
  }

  it('shapes a raw page oldest first with every reading field, null where InfluxDB had none', () => {
    const request: DatabaseRequest = { kind: 'readings', device_id: 'site1', start: NOW - HOUR, end: NOW, window_ms: null, limit: 10 };
    const { payload } = databaseResponse(request, raw([{ time: NOW - 1000, voltage: 231, fan_running: false }, { time: NOW - 2000, voltage: 'x', temp_inlet: 40.5 }]), undefined, 1);
    const nulls = Object.fromEntries(FIELDS.map((field) => [field, null]));
    assert.deepEqual((payload as { readings: unknown[] }).readings, [
      { timestamp: new Date(NOW - 2000).toISOString(), ...nulls, temp_inlet: 40.5 },
      { timestamp: new Date(NOW - 1000).toISOString(), ...nulls, voltage: 231, fan_running: false },
    ]);
  });

  it('reads the rows of other kinds from a raw answer as from node-influx', () => {
    const statements = [[{ time: 3 * HOUR, temp_inlet: 40 }], [{ time: 4 * HOUR, temp_inlet: 41 }]];
    assert.deepEqual(resultSets(raw(...statements), 2), statements);
    const history: DatabaseRequest = { kind: 'history', device_id: 'site1', range: '7d', start: 0, end: NOW, window_ms: HOUR, split: 4 * HOUR };
    assert.deepEqual(databaseResponse(history, raw(...statements), undefined, 2), databaseResponse(history, parsed(...statements), undefined, 2));
  });

  it('finds the error of a failed statement in a raw answer', () => {
    assert.equal(statementError({ results: [{ statement_id: 0, series: [] }, { statement_id: 1, error: 'retention policy not found: hourly' }] }), 'retention policy not found: hourly');
    assert.equal(statementError(raw([{ time: NOW, voltage: 230 }])), undefined);
    assert.equal(statementError([{ time: new Date(NOW), voltage: 230 }]), undefined, 'node-influx rows carry no errors: it throws them');
  });

  const page: DatabaseRequest & { kind: 'readings' } = { kind: 'readings', device_id: "o'r 1", start: NOW - 720 * HOUR, end: NOW, window_ms: null, limit: 3 };
  const links: [string, DatabaseRequest & { kind: 'readings' }, number, number | null, string | null][] = [
    ['a full page: the same start, the end just before its oldest reading', page, 3, NOW - 600_000, `/api/devices/o'r%201/readings?start=${NOW - 720 * HOUR}&end=${NOW - 600_001}&limit=3`],
    ['the path it was called on', { ...page, path: '/root/api/devices/x/readings' }, 3, NOW - 600_000, `/root/api/devices/x/readings?start=${NOW - 720 * HOUR}&end=${NOW - 600_001}&limit=3`],
    ['the window as the parameter writes it', { ...page, window_ms: 6 * HOUR }, 3, NOW - 6 * HOUR, `/api/devices/o'r%201/readings?start=${NOW - 720 * HOUR}&end=${NOW - 6 * HOUR - 1}&limit=3&window=6h`],
    ['a day window', { ...page, window_ms: 24 * HOUR }, 3, NOW - 24 * HOUR, `/api/devices/o'r%201/readings?start=${NOW - 720 * HOUR}&end=${NOW - 24 * HOUR - 1}&limit=3&window=1d`],
    ['a 90 s window', { ...page, window_ms: 90_000 }, 3, NOW - 90_000, `/api/devices/o'r%201/readings?start=${NOW - 720 * HOUR}&end=${NOW - 90_001}&limit=3&window=90s`],
    ['a page that is not full is the last', page, 2, NOW - 600_000, null],
    ['a full page whose oldest reading is at the start is the last', page, 3, NOW - 720 * HOUR, null],
    ['an empty page', page, 0, null, null],
  ];
  for (const [name, request, count, oldest, expected] of links) {
    it(`links the next page: ${name}`, () => assert.equal(nextReadingsPage(request, count, oldest), expected));
  }

  it('gives every reading of the range once when the next links are followed', () => {
    const times = Array.from({ length: 11 }, (_, k) => NOW - k * 60_000);
    const stored = times.map((time) => ({ time, voltage: 230 + (time % 7) }));
    let request: DatabaseRequest & { kind: 'readings' } = { kind: 'readings', device_id: 'site1', start: NOW - 10 * 60_000, end: NOW, window_ms: null, limit: 4 };
    const seen: string[] = [];
    for (let pages = 0; pages < 10; pages++) {
      // what InfluxDB answers for [start, end] ORDER BY time DESC LIMIT limit
      const { start, end, limit } = request;
      const answer = stored.filter(({ time }) => time >= start && time <= end).slice(0, limit);
      const payload = databaseResponse(request, raw(answer), undefined, 1).payload as { readings: { timestamp: string }[]; next: string | null };
      seen.unshift(...payload.readings.map((reading) => reading.timestamp));
      if (payload.next === null) break;
      const next = new URL(payload.next, 'http://localhost');
      const parsedNext = parseHttpRequest({ route: '/api/devices/:id/readings', params: { id: 'site1' }, query: Object.fromEntries(next.searchParams) }, NOW);
      assert.ok(parsedNext.ok && parsedNext.value.kind === 'readings', JSON.stringify(parsedNext));
      request = parsedNext.value as typeof request;
    }
    assert.deepEqual(seen, [...times].reverse().map((time) => new Date(time).toISOString()));
  });
});
