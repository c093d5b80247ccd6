import assert from 'node:assert/strict';
import { parseHttpRequest, parseRequestObject, historyWindow, parseWindow } from '../../nodes/heatpump-query/request';
import { influxqlStatements, stringLiteral } from '../../nodes/heatpump-query/influxql';
import { databaseResponse, healthStatus, localResponse, prometheusText } from '../../nodes/shared/api-response';
import type { DatabaseRequest } from '../../nodes/shared/api-request';
import type { FleetSummary } from '../../nodes/shared/contract';

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
    ['route under a prefix', http('/custom/api/health'), { kind: 'health' }],
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
    ['window too small', http('/api/devices/:id/readings', { id: 's' }, { window: '0s' }), 400, /window must be/],
    ['end before start', http('/api/devices/:id/readings', { id: 's' }, { start: String(NOW), end: String(NOW - 1) }), 400, /end must be after start/],
    ['range beyond retention', http('/api/devices/:id/readings', { id: 's' }, { hours: '721' }), 400, /hours must be between 1 and 720/],
    ['bad start', http('/api/devices/:id/readings', { id: 's' }, { start: 'yesterday' }), 400, /start must be/],
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
    const [statement] = influxqlStatements({ kind: 'alerts', device_id: 'site1', level: 'critical', hours: 12, limit: 5 });
    assert.equal(statement, `SELECT * FROM "raw"."alert" WHERE time > now() - 12h AND "device_id" = 'site1' AND "level" = 'critical' ORDER BY time DESC LIMIT 5`);
  });

  it('averages readings over a window and keeps the last boolean state', () => {
    const statements = influxqlStatements({ kind: 'readings', device_id: 'site1', start: 0, end: 3_600_000, window_ms: 300_000, limit: 10 });
    assert.equal(statements.length, 2);
    assert.match(statements[0] ?? '', /mean\("voltage"\) AS "voltage"/);
    assert.match(statements[0] ?? '', /last\("compressor_running"\) AS "compressor_running"/);
    assert.match(statements[0] ?? '', /GROUP BY time\(5m\) fill\(none\) ORDER BY time DESC LIMIT 10$/);
    assert.match(statements[1] ?? '', /^SHOW TAG VALUES FROM "sensor_reading" WITH KEY = "device_id" WHERE "device_id" = 'site1'$/);
  });

  it('reads long history from the hourly aggregates and the raw tail', () => {
    const parsed = parseRequestObject({ kind: 'history', device_id: 'site1', range: '7d' }, NOW);
    assert.ok(parsed.ok && parsed.value.kind === 'history');
    if (!parsed.ok || parsed.value.kind !== 'history') return;
    const statements = influxqlStatements(parsed.value);
    assert.equal(statements.length, 2);
    assert.match(statements[0] ?? '', /"mean_temp_inlet" AS "temp_inlet".* FROM "hourly"."sensor_reading"/);
    assert.match(statements[1] ?? '', /FROM "raw"."sensor_reading".*GROUP BY time\(1h\) fill\(none\)$/);
  });
});

describe('API responses', () => {
  const fleet: FleetSummary = {
    devices: [{ device_id: 'site1', online: true, last_seen: NOW - 1000, since: NOW - 5000 }],
    total: 1,
    online: 1,
    offline: 0,
    timestamp: NOW,
  };
  const row = { time: new Date(NOW - 60_000), device_id: 'site1', temp_inlet: 45.2, voltage: 230.5, compressor_running: true };

  it('computes health as the seed says', () => {
    assert.equal(healthStatus({ influxdb_connected: true, mqtt_connected: true }), 'healthy');
    assert.equal(healthStatus({ influxdb_connected: true, mqtt_connected: false }), 'degraded');
    assert.equal(healthStatus({ influxdb_connected: false, mqtt_connected: true }), 'unhealthy');
    assert.equal(healthStatus({ history: false, mqtt_connected: true }), 'degraded');
    const unhealthy = localResponse({ kind: 'health' }, { health: { influxdb_connected: false, mqtt_connected: true } }, NOW);
    assert.equal(unhealthy.statusCode, 503);
    assert.deepEqual(unhealthy.payload, { status: 'unhealthy', influxdb_connected: false, mqtt_connected: true, history: true, timestamp: '2024-01-30T10:00:00.000Z' });
  });

  it('shapes device status like seed section 5.2, invalid sensors as null', () => {
    const response = databaseResponse({ kind: 'status', device_id: 'site1' }, [row], { fleet }, 1);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.payload, {
      device_id: 'site1',
      is_online: true,
      last_seen: new Date(NOW - 1000).toISOString(),
      temp_inlet: 45.2,
      temp_outlet: null,
      temp_ambient: null,
      temp_compressor: null,
      voltage: 230.5,
      current: null,
      power: null,
      pressure_high: null,
      pressure_low: null,
      compressor_running: true,
      fan_running: null,
      defrost_active: null,
    });
  });

  it('answers 404 for a device neither stored nor tracked', () => {
    const request: DatabaseRequest = { kind: 'status', device_id: 'ghost' };
    assert.equal(databaseResponse(request, [], { fleet }, 1).statusCode, 404);
    assert.equal(databaseResponse({ kind: 'latest', device_id: 'ghost' }, [], {}, 1).statusCode, 404);
    const readings: DatabaseRequest = { kind: 'readings', device_id: 'ghost', start: 0, end: NOW, window_ms: null, limit: 10 };
    assert.equal(databaseResponse(readings, [[], []], {}, 2).statusCode, 404);
    assert.equal(databaseResponse(readings, [[], [{ key: 'device_id', value: 'ghost' }]], {}, 2).statusCode, 200);
  });

  it('merges stored and tracked devices', () => {
    const response = databaseResponse({ kind: 'devices' }, [{ ...row, device_id: 'old' }, row], { fleet }, 1);
    assert.deepEqual(response.payload, [
      { device_id: 'old', is_online: false, last_seen: new Date(NOW - 60_000).toISOString() },
      { device_id: 'site1', is_online: true, last_seen: new Date(NOW - 1000).toISOString() },
    ]);
  });

  it('builds stats from the four statements', () => {
    const response = databaseResponse(
      { kind: 'stats' },
      [[{ time: new Date(0), count_voltage: 10, count_temp_inlet: 12 }], [{ time: new Date(0), count: 3 }], [{ ...row, time: new Date(NOW - 3_600_000) }], [row]],
      { fleet },
      4,
    );
    assert.deepEqual(response.payload, {
      total_readings: 12,
      total_alerts: 3,
      devices_online: 1,
      oldest_reading: new Date(NOW - 3_600_000).toISOString(),
      newest_reading: new Date(NOW - 60_000).toISOString(),
    });
  });

  it('merges hourly aggregates and the raw tail into one ascending history series', () => {
    const request: DatabaseRequest = { kind: 'history', device_id: 'site1', range: '7d', start: 0, end: NOW, window_ms: 3_600_000, split: 7_200_000 };
    const response = databaseResponse(request, [[{ time: new Date(3_600_000), temp_inlet: 40 }], [{ time: new Date(7_200_000), temp_inlet: 41, voltage: null }]], {}, 2);
    assert.deepEqual(response.payload, [
      { time: 3_600_000, temp_inlet: 40 },
      { time: 7_200_000, temp_inlet: 41 },
    ]);
  });

  it('writes Prometheus text with per-device series', () => {
    const text = prometheusText({ fleet, metrics: { readings_total: 5, write_errors: 1 }, health: { mqtt_connected: true, influxdb_connected: true } });
    assert.match(text, /^# HELP heatpump_readings_total /m);
    assert.match(text, /^heatpump_readings_total 5$/m);
    assert.match(text, /^heatpump_write_errors_total 1$/m);
    assert.match(text, /^heatpump_devices_online 1$/m);
    assert.match(text, /^heatpump_device_online\{device_id="site1"\} 1$/m);
    assert.match(text, new RegExp(`^heatpump_device_last_seen_seconds\\{device_id="site1"\\} ${(NOW - 1000) / 1000}$`, 'm'));
  });
});
