// GET /api/devices/{id}/runtime as pure parts: the request (days, zone, raw retention), its InfluxQL
// and the answer shaped from rows as InfluxDB returns them. Table-driven, no database.
import assert from 'node:assert/strict';
import { influxqlStatements } from '../../nodes/heatpump-query/influxql';
import { parseHttpRequest } from '../../nodes/heatpump-query/request';
import { databaseResponse } from '../../nodes/shared/api-response';
import type { DatabaseRequest } from '../../nodes/shared/api-request';

const ZONE = 'Europe/Berlin';
/** 2026-03-31 12:00 CEST */
const NOW = Date.parse('2026-03-31T12:00:00+02:00');
const parse = (query: Record<string, unknown>) => parseHttpRequest({ route: '/api/devices/:id/runtime', params: { id: 'site1' }, query }, NOW, ZONE);

describe('compressor runtime API (pure parts)', () => {
  const cases: [what: string, query: Record<string, unknown>, expected: { start?: string; days?: number; raw_start?: string; time_zone?: string; error?: RegExp }][] = [
    ['30 local days by default, today included', {}, { days: 30, start: '2026-03-01T23:00:00.000Z', raw_start: '2026-03-01T23:00:00.000Z', time_zone: ZONE }],
    ['one day: today from local midnight', { days: '1' }, { days: 1, start: '2026-03-30T22:00:00.000Z', raw_start: '2026-03-30T22:00:00.000Z' }],
    ['5 days reach back over the DST change (CET midnight)', { days: '5' }, { start: '2026-03-26T23:00:00.000Z' }],
    ['366 days: raw data only from now - 30 days', { days: '366' }, { days: 366, raw_start: '2026-03-01T10:00:00.000Z' }],
    ['tz overrides the installation zone', { days: '1', tz: 'UTC' }, { start: '2026-03-31T00:00:00.000Z', time_zone: 'UTC' }],
    ['days 0', { days: '0' }, { error: /^days must be between 1 and 366, got 0$/ }],
    ['days 367', { days: '367' }, { error: /^days must be between 1 and 366/ }],
    ['days not a number', { days: '2w' }, { error: /^days must be a whole number/ }],
    ['an unknown zone', { tz: 'Mars/Olympus' }, { error: /^tz must be an IANA time zone/ }],
  ];
  for (const [what, query, expected] of cases) {
    it(what, () => {
      const parsed = parse(query);
      if (expected.error) {
        assert.ok(!parsed.ok && parsed.error.statusCode === 400 && expected.error.test(parsed.error.error), JSON.stringify(parsed));
        return;
      }
      assert.ok(parsed.ok && parsed.value.kind === 'runtime', JSON.stringify(parsed));
      const request = parsed.value;
      if (expected.days !== undefined) assert.equal(request.days, expected.days);
      if (expected.start) assert.equal(new Date(request.start).toISOString(), expected.start);
      if (expected.raw_start) assert.equal(new Date(request.raw_start).toISOString(), expected.raw_start);
      if (expected.time_zone) assert.equal(request.time_zone, expected.time_zone);
    });
  }

  it('counts on-minutes of raw readings per local day with tz(), and looks up an unknown device', () => {
    const parsed = parse({ days: '2' });
    assert.ok(parsed.ok);
    const request = parsed.value as DatabaseRequest;
    const range = `time >= ${Date.parse('2026-03-29T22:00:00Z')}ms AND time < ${Date.parse('2026-03-31T22:00:00Z')}ms`;
    assert.deepEqual(influxqlStatements(request, NOW), [
      `SELECT count("running") AS "minutes" FROM (SELECT count("compressor_running") AS "running" FROM "raw"."sensor_reading" WHERE "device_id" = 'site1' AND "compressor_running" = true AND ${range} GROUP BY time(1m) fill(none)) WHERE ${range} GROUP BY time(1d) fill(none) tz('Europe/Berlin')`,
      `SELECT count("compressor_running") AS "readings" FROM "raw"."sensor_reading" WHERE "device_id" = 'site1' AND ${range} GROUP BY time(1d) fill(none) tz('Europe/Berlin')`,
      `SHOW TAG VALUES FROM "sensor_reading" WITH KEY = "device_id" WHERE "device_id" = 'site1'`,
    ]);
    assert.equal(influxqlStatements(request, NOW, true).length, 2, 'a device the fleet knows needs no look-up');
  });

  it('answers each local day: minutes, none without running, null without readings; 404 for a device nobody knows', () => {
    const parsed = parse({ days: '3' });
    assert.ok(parsed.ok);
    const request = parsed.value as DatabaseRequest;
    const day = (iso: string) => new Date(iso).toISOString();
    const minutes = [{ time: day('2026-03-28T23:00:00Z'), minutes: 70 }];
    const readings = [
      { time: day('2026-03-28T23:00:00Z'), readings: 840 },
      { time: day('2026-03-30T22:00:00Z'), readings: 360 },
    ];
    const { statusCode, payload } = databaseResponse(request, [minutes, readings], undefined, 2);
    assert.equal(statusCode, 200);
    const answer = payload as { total_minutes: number; days: { date: string; hours: number; runtime_minutes: number | null; readings: number | null }[] };
    assert.deepEqual(answer.days.map((d) => [d.date, d.hours, d.runtime_minutes, d.readings]), [
      ['2026-03-29', 23, 70, 840],
      ['2026-03-30', 24, null, 0],
      ['2026-03-31', 24, 0, 360],
    ]);
    assert.equal(answer.total_minutes, 70);
    assert.equal(databaseResponse(request, [[], [], []], undefined, 3).statusCode, 404);
    assert.equal(databaseResponse(request, [[], [], [{ key: 'device_id', value: 'site1' }]], undefined, 3).statusCode, 200, 'known to InfluxDB, no readings in the range');
  });
});
