// The requests of the dashboard's Performance page: the COP series and the stored days of the
// current local period, and energy of a calendar period; parameters, InfluxQL and answers.
import assert from 'node:assert/strict';
import { parseRequestObject } from '../../nodes/heatpump-query/request';
import { influxqlStatements } from '../../nodes/heatpump-query/influxql';
import { databaseResponse, type FleetReader, type Row } from '../../nodes/shared/api-response';
import type { DatabaseRequest } from '../../nodes/shared/api-request';

// Tuesday 31 March 2026, two days after Berlin moved to summer time (UTC+2 from 29 March 01:00 UTC)
const NOW = Date.parse('2026-03-31T10:00:00Z');
const at = (text: string) => Date.parse(text);
const MIN = 60_000;
const HOUR = 60 * MIN;
const ask = (request: Record<string, unknown>, timeZone?: string) => parseRequestObject({ device_id: 'hp1', ...request }, NOW, timeZone);
const copSeries = (period: string, start: string, end: string, windowMs: number, timeZone = 'Europe/Berlin') =>
  ({ kind: 'cop_series', device_id: 'hp1', period, start: at(start), end: at(end), window_ms: windowMs, time_zone: timeZone });
const days = (period: string, start: string, end: string) => ({ kind: 'days', device_id: 'hp1', period, start: at(start), end: at(end), time_zone: 'Europe/Berlin' });
const energy = (every: string, start: string, end: string) => ({ kind: 'energy', device_id: 'hp1', every, start: at(start), end: at(end), time_zone: 'Europe/Berlin' });

describe('Performance page requests: parameters', () => {
  const accepted: [string, ReturnType<typeof ask>, unknown][] = [
    ['the COP of the current day in quarter hours', ask({ kind: 'cop_series', period: 'day' }), copSeries('day', '2026-03-30T22:00:00Z', '2026-03-31T22:00:00Z', 15 * MIN)],
    ['the COP of the current ISO week in hours', ask({ kind: 'cop_series', period: 'week' }), copSeries('week', '2026-03-29T22:00:00Z', '2026-04-05T22:00:00Z', HOUR)],
    ['the COP of the current month in six hours', ask({ kind: 'cop_series', period: 'month' }), copSeries('month', '2026-02-28T23:00:00Z', '2026-03-31T22:00:00Z', 6 * HOUR)],
    ['the COP of the current year in days', ask({ kind: 'cop_series', period: 'year' }), copSeries('year', '2025-12-31T23:00:00Z', '2026-12-31T23:00:00Z', 24 * HOUR)],
    ['the COP in a tz parameter', ask({ kind: 'cop_series', period: 'day', tz: 'UTC' }), copSeries('day', '2026-03-31T00:00:00Z', '2026-04-01T00:00:00Z', 15 * MIN, 'UTC')],
    ['the COP in the node\'s zone', ask({ kind: 'cop_series', period: 'day' }, 'UTC'), copSeries('day', '2026-03-31T00:00:00Z', '2026-04-01T00:00:00Z', 15 * MIN, 'UTC')],
    ['the days of the current month', ask({ kind: 'days', period: 'month' }), days('month', '2026-02-28T23:00:00Z', '2026-03-31T22:00:00Z')],
    ['the days of the current week', ask({ kind: 'days', period: 'week' }), days('week', '2026-03-29T22:00:00Z', '2026-04-05T22:00:00Z')],
    ['energy per day of the current week', ask({ kind: 'energy', every: '1d', period: 'week' }), energy('day', '2026-03-29T22:00:00Z', '2026-04-05T22:00:00Z')],
    ['energy per month of the current year (a period wins over hours)', ask({ kind: 'energy', every: '1mo', period: 'year', hours: '24' }), energy('month', '2025-12-31T23:00:00Z', '2026-12-31T23:00:00Z')],
  ];
  for (const [name, result, expected] of accepted) {
    it(`accepts ${name}`, () => assert.deepEqual(result, { ok: true, value: expected }));
  }

  const refused: [string, ReturnType<typeof ask>, RegExp][] = [
    ['a COP series without a period', ask({ kind: 'cop_series' }), /period must be one of day, week, month, year$/],
    ['a custom period (the page shows calendar periods)', ask({ kind: 'days', period: 'custom' }), /period must be one of day, week, month, year, got "custom"/],
    ['an unknown energy period', ask({ kind: 'energy', period: 'decade' }), /period must be one of day, week, month, year, got "decade"/],
    ['an unknown tz', ask({ kind: 'cop_series', period: 'day', tz: 'Mars/Olympus' }), /tz must be an IANA time zone/],
    ['an unsafe device id', parseRequestObject({ kind: 'days', device_id: 'a/b', period: 'day' }, NOW), /invalid device id/],
  ];
  for (const [name, result, message] of refused) {
    it(`refuses ${name}`, () => {
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.error.statusCode, 400);
      assert.match(result.error.error, message);
    });
  }
});

describe('Performance page requests: InfluxQL', () => {
  const berlinWeek = [at('2026-03-29T22:00:00Z'), at('2026-04-05T22:00:00Z')] as const;
  const berlinYear = [at('2025-12-31T23:00:00Z'), at('2026-12-31T23:00:00Z')] as const;
  const utcDay = [at('2026-03-31T00:00:00Z'), at('2026-04-01T00:00:00Z')] as const;
  const cop = (range: readonly [number, number]) => `FROM "hourly"."cop" WHERE "device_id" = 'hp1' AND time >= ${range[0]}ms AND time < ${range[1]}ms`;
  const fields = 'mean("cop_modulation") AS "cop_modulation", mean("cop_delta_t") AS "cop_delta_t", mean("cop_running") AS "cop_running"';
  const cases: [string, DatabaseRequest, string[]][] = [
    [
      'hourly COP means of a week (an hour divides every zone offset here: no offset)',
      { kind: 'cop_series', device_id: 'hp1', period: 'week', start: berlinWeek[0], end: berlinWeek[1], window_ms: HOUR, time_zone: 'Europe/Berlin' },
      [`SELECT ${fields} ${cop(berlinWeek)} GROUP BY time(1h) fill(none)`],
    ],
    [
      'daily COP means of a year, each from local midnight (23:00 UTC in Berlin winter time)',
      { kind: 'cop_series', device_id: 'hp1', period: 'year', start: berlinYear[0], end: berlinYear[1], window_ms: 24 * HOUR, time_zone: 'Europe/Berlin' },
      [`SELECT ${fields} ${cop(berlinYear)} GROUP BY time(24h, 23h) fill(none)`],
    ],
    [
      'quarter hours of a UTC day',
      { kind: 'cop_series', device_id: 'hp1', period: 'day', start: utcDay[0], end: utcDay[1], window_ms: 15 * MIN, time_zone: 'UTC' },
      [`SELECT ${fields} ${cop(utcDay)} GROUP BY time(15m) fill(none)`],
    ],
    [
      'the stored days as they are, the device id escaped',
      { kind: 'days', device_id: "o'hp", period: 'week', start: berlinWeek[0], end: berlinWeek[1], time_zone: 'Europe/Berlin' },
      [`SELECT * FROM "daily"."energy_daily" WHERE "device_id" = 'o\\'hp' AND time >= ${berlinWeek[0]}ms AND time < ${berlinWeek[1]}ms`],
    ],
  ];
  for (const [name, request, expected] of cases) {
    it(name, () => assert.deepEqual(influxqlStatements(request, NOW), expected));
  }
});

const unknownFleet = { get: () => undefined } as unknown as FleetReader;
const knownFleet = { get: () => ({ device_id: 'hp1' }) } as unknown as FleetReader;

describe('Performance page requests: answers', () => {
  const weekRequest: DatabaseRequest = { kind: 'days', device_id: 'hp1', period: 'week', start: at('2026-03-29T22:00:00Z'), end: at('2026-04-05T22:00:00Z'), time_zone: 'Europe/Berlin' };
  const copRequest: DatabaseRequest = { ...weekRequest, kind: 'cop_series', window_ms: HOUR };

  it('answers the COP means oldest first, rounded, a method without a value as null', () => {
    const rows: Row[] = [
      { time: new Date(at('2026-03-30T01:00:00Z')), cop_modulation: 3.12345, cop_delta_t: null, cop_running: 3.5 },
      { time: '2026-03-30T00:00:00.000Z', cop_modulation: 2.5, cop_delta_t: 2.75, cop_running: 2.9 },
    ];
    assert.deepEqual(databaseResponse(copRequest, rows, knownFleet, 1), {
      statusCode: 200,
      payload: [
        { time: '2026-03-30T00:00:00.000Z', cop_modulation: 2.5, cop_delta_t: 2.75, cop_running: 2.9 },
        { time: '2026-03-30T01:00:00.000Z', cop_modulation: 3.123, cop_delta_t: null, cop_running: 3.5 },
      ],
    });
  });

  it('answers each stored day with its local date, figures and soundness; a day not stored as sound is not sound', () => {
    const rows: Row[] = [
      {
        time: new Date(at('2026-03-30T22:00:00Z')), heat_energy: 20, electrical_energy: 5, spf: 4, defrost_count: 1, defrost_minutes: 2.5,
        compressor_starts: 9, max_starts_per_hour: 6, short_cycling: true, quality: 0.6, sound: false,
      },
      { time: new Date(at('2026-03-29T22:00:00Z')), heat_energy: 10.12345, electrical_energy: 2, spf: 5.0617, quality: 0.95, sound: true },
      { time: new Date(at('2026-03-31T22:00:00Z')), heat_energy: 1, electrical_energy: 1 },
    ];
    assert.deepEqual(databaseResponse(weekRequest, rows, knownFleet, 1), {
      statusCode: 200,
      payload: [
        {
          day: '2026-03-30', time: '2026-03-29T22:00:00.000Z', heat_kwh: 10.123, electricity_kwh: 2, spf: 5.062, defrosts: null, defrost_minutes: null,
          starts: null, max_starts_per_hour: null, short_cycling: null, quality: 0.95, sound: true,
        },
        {
          day: '2026-03-31', time: '2026-03-30T22:00:00.000Z', heat_kwh: 20, electricity_kwh: 5, spf: 4, defrosts: 1, defrost_minutes: 2.5,
          starts: 9, max_starts_per_hour: 6, short_cycling: true, quality: 0.6, sound: false,
        },
        {
          day: '2026-04-01', time: '2026-03-31T22:00:00.000Z', heat_kwh: 1, electricity_kwh: 1, spf: null, defrosts: null, defrost_minutes: null,
          starts: null, max_starts_per_hour: null, short_cycling: null, quality: null, sound: false,
        },
      ],
    });
  });

  const empty: [string, DatabaseRequest][] = [['COP series', copRequest], ['days', weekRequest]];
  for (const [name, request] of empty) {
    it(`${name}: 404 for a device the fleet does not know and without rows, empty for a known one`, () => {
      assert.equal(databaseResponse(request, [], unknownFleet, 1).statusCode, 404);
      assert.deepEqual(databaseResponse(request, [], knownFleet, 1), { statusCode: 200, payload: [] });
    });
  }
});
