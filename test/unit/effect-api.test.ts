// GET /api/devices/{id}/effect as pure parts: the request (at, days, equal spans), its InfluxQL and
// the answer shaped from hourly rows as InfluxDB returns them. Table-driven, no database.
import assert from 'node:assert/strict';
import { influxqlStatements } from '../../nodes/heatpump-query/influxql';
import { parseHttpRequest, parseRequestObject } from '../../nodes/heatpump-query/request';
import { databaseResponse } from '../../nodes/shared/api-response';
import type { DatabaseRequest } from '../../nodes/shared/api-request';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-03-31T12:00:00Z');
const parse = (query: Record<string, unknown>) => parseHttpRequest({ route: '/api/devices/:id/effect', params: { id: 'site1' }, query }, NOW);

describe('before / after effect API (pure parts)', () => {
  const cases: [what: string, query: Record<string, unknown>, expected: { at?: string; days?: number; start?: string; end?: string; error?: RegExp }][] = [
    ['a week each side by default', { at: '2026-03-10T08:00:00Z' }, { days: 7, at: '2026-03-10T08:00:00.000Z', start: '2026-03-03T08:00:00.000Z', end: '2026-03-17T08:00:00.000Z' }],
    ['milliseconds, taken to the whole minute', { at: String(Date.parse('2026-03-10T08:15:42.5Z')), days: '1' }, { at: '2026-03-10T08:15:00.000Z', start: '2026-03-09T08:15:00.000Z', end: '2026-03-11T08:15:00.000Z' }],
    ['a recent change: both spans shortened to the whole hours since it', { at: '2026-03-30T09:30:00Z' }, { days: 7, start: '2026-03-29T07:30:00.000Z', end: '2026-03-31T11:30:00.000Z' }],
    ['60 days', { at: '2026-01-01T00:00:00Z', days: '60' }, { days: 60, start: '2025-11-02T00:00:00.000Z' }],
    ['no at', {}, { error: /^at is needed/ }],
    ['at not a time', { at: 'yesterday' }, { error: /^at must be an ISO 8601 time/ }],
    ['at in the future', { at: '2026-04-01T00:00:00Z' }, { error: /^at must be at least an hour ago/ }],
    ['at less than an hour ago', { at: '2026-03-31T11:30:00Z' }, { error: /^at must be at least an hour ago/ }],
    ['days 0', { at: '2026-03-10T08:00:00Z', days: '0' }, { error: /^days must be between 1 and 60, got 0$/ }],
    ['days 61', { at: '2026-03-10T08:00:00Z', days: '61' }, { error: /^days must be between 1 and 60/ }],
  ];
  for (const [what, query, expected] of cases) {
    it(what, () => {
      const parsed = parse(query);
      if (expected.error) {
        assert.ok(!parsed.ok && parsed.error.statusCode === 400 && expected.error.test(parsed.error.error), JSON.stringify(parsed));
        return;
      }
      assert.ok(parsed.ok && parsed.value.kind === 'effect', JSON.stringify(parsed));
      const request = parsed.value;
      if (expected.days !== undefined) assert.equal(request.days, expected.days);
      if (expected.at) assert.equal(new Date(request.at).toISOString(), expected.at);
      if (expected.start) assert.equal(new Date(request.start).toISOString(), expected.start);
      if (expected.end) assert.equal(new Date(request.end).toISOString(), expected.end);
      assert.equal(request.at - request.start, request.end - request.at, 'equal spans');
    });
  }

  it('takes the same parameters as a request object from a flow', () => {
    const parsed = parseRequestObject({ kind: 'effect', device_id: 'site1', at: '2026-03-10T08:00:00Z', days: 3 }, NOW);
    assert.ok(parsed.ok && parsed.value.kind === 'effect');
    assert.equal(parsed.value.end - parsed.value.start, 6 * DAY);
  });

  it('reads hourly means of the cop windows with electricity, hours starting at the change', () => {
    const parsed = parse({ at: '2026-03-10T08:15:00Z', days: '1' });
    assert.ok(parsed.ok);
    const [statement, ...rest] = influxqlStatements(parsed.value as DatabaseRequest, NOW);
    assert.equal(rest.length, 0);
    assert.equal(
      statement,
      'SELECT mean("electrical_power") AS "electrical_power", count("electrical_power") AS "windows", mean("thermal_power_delta_t") AS "thermal_power_delta_t", ' +
        'count("thermal_power_delta_t") AS "delta_t_windows", mean("thermal_power_modulation") AS "thermal_power_modulation", count("thermal_power_modulation") AS "modulation_windows", ' +
        'mean("outdoor_temperature") AS "outdoor_temperature", max("defrost_share") AS "defrost_share_max", last("defrost_share") AS "defrost_share_last" ' +
        `FROM "hourly"."cop" WHERE "device_id" = 'site1' AND "electrical_power" >= 0 AND time >= ${Date.parse('2026-03-09T08:15:00Z')}ms AND time < ${Date.parse('2026-03-11T08:15:00Z')}ms ` +
        'GROUP BY time(1h, 15m) fill(none)',
    );
  });

  it('answers the binned comparison from the rows; 404 for a device nobody knows', () => {
    const parsed = parse({ at: '2026-03-10T00:00:00Z', days: '3' });
    assert.ok(parsed.ok);
    const request = parsed.value as DatabaseRequest;
    const at = Date.parse('2026-03-10T00:00:00Z');
    // 72 hours each side at 3 °C: COP 3 before, 3.6 after; one hour after at 9 °C has no partner
    const rows = [
      ...Array.from({ length: 72 }, (_, h) => ({ time: new Date(at - (h + 1) * HOUR).toISOString(), windows: 12, electrical_power: 1000, thermal_power_delta_t: 3000, delta_t_windows: 12, thermal_power_modulation: null, modulation_windows: 0, outdoor_temperature: 3, defrost_share_max: 0, defrost_share_last: 0 })),
      ...Array.from({ length: 72 }, (_, h) => ({ time: new Date(at + h * HOUR).toISOString(), windows: 12, electrical_power: 1000, thermal_power_delta_t: 3600, delta_t_windows: 12, thermal_power_modulation: null, modulation_windows: 0, outdoor_temperature: 3, defrost_share_max: 0, defrost_share_last: 0 })),
      { time: new Date(at + 72 * HOUR).toISOString(), windows: 12, electrical_power: 1000, thermal_power_delta_t: 5000, delta_t_windows: 12, outdoor_temperature: 9, defrost_share_max: 0, defrost_share_last: 0 },
    ];
    const { statusCode, payload } = databaseResponse(request, rows, undefined, 1);
    assert.equal(statusCode, 200);
    const answer = payload as {
      before: { hours: number; spf: number };
      after: { hours: number; spf: number };
      comparable: { hours: number; change_percent: number; interval_percent: [number, number]; before: { cop: number }; after: { cop: number } };
      bins: { outdoor_from: number }[];
      bins_one_sided: number;
      verdict: string;
      verdict_rule: string;
    };
    assert.deepEqual([answer.before.hours, answer.after.hours, answer.before.spf], [72, 73, 3]);
    assert.deepEqual([answer.comparable.hours, answer.comparable.before.cop, answer.comparable.after.cop, answer.comparable.change_percent], [72, 3, 3.6, 20]);
    assert.deepEqual(answer.comparable.interval_percent, [20, 20]);
    assert.deepEqual([answer.bins.map((bin) => bin.outdoor_from), answer.bins_one_sided], [[2], 1]);
    assert.equal(answer.verdict, 'improved');
    assert.match(answer.verdict_rule, /^improved: /);
    assert.equal(databaseResponse(request, [], undefined, 1).statusCode, 404);
  });
});
