// The performance and energy endpoints: parameters, InfluxQL and answers, with hand-computed sums.
import assert from 'node:assert/strict';
import { parseHttpRequest, parseRequestObject } from '../../nodes/heatpump-query/request';
import { influxqlStatements } from '../../nodes/heatpump-query/influxql';
import { databaseResponse, type FleetReader, type Row } from '../../nodes/shared/api-response';
import type { DatabaseRequest } from '../../nodes/shared/api-request';

// Tuesday 31 March 2026, two days after Berlin moved to summer time (UTC+2 from 29 March 01:00 UTC)
const NOW = Date.parse('2026-03-31T10:00:00Z');
const at = (text: string) => Date.parse(text);
const call = (endpoint: 'performance' | 'energy', query: Record<string, unknown> = {}, timeZone?: string) =>
  parseHttpRequest({ route: `/api/devices/:id/${endpoint}`, params: { id: 'hp1' }, query }, NOW, timeZone);
const performance = (period: string, start: string, end: string, extra: Partial<DatabaseRequest> = {}) =>
  ({ kind: 'performance', device_id: 'hp1', period, start: at(start), end: at(end), time_zone: 'Europe/Berlin', estimate_at: null, ...extra });
const energy = (every: string, start: string, end: string, timeZone = 'Europe/Berlin') =>
  ({ kind: 'energy', device_id: 'hp1', every, start: at(start), end: at(end), time_zone: timeZone });

describe('performance and energy API: parameters', () => {
  const accepted: [string, ReturnType<typeof call>, unknown][] = [
    ['the current day by default, in the installation zone', call('performance'), performance('day', '2026-03-30T22:00:00Z', '2026-03-31T22:00:00Z')],
    ['the current ISO week (Monday 30 March)', call('performance', { period: 'week' }), performance('week', '2026-03-29T22:00:00Z', '2026-04-05T22:00:00Z')],
    ['the current month, begun in winter time', call('performance', { period: 'month' }), performance('month', '2026-02-28T23:00:00Z', '2026-03-31T22:00:00Z')],
    ['the current year, with the instant of its estimate', call('performance', { period: 'year' }), performance('year', '2025-12-31T23:00:00Z', '2026-12-31T23:00:00Z', { estimate_at: NOW })],
    ['a day in a tz parameter', call('performance', { tz: 'UTC' }), performance('day', '2026-03-31T00:00:00Z', '2026-04-01T00:00:00Z', { time_zone: 'UTC' })],
    ['a day in the node\'s zone', call('performance', {}, 'America/New_York'), performance('day', '2026-03-31T04:00:00Z', '2026-04-01T04:00:00Z', { time_zone: 'America/New_York' })],
    ['custom dates as local midnights (end exclusive)', call('performance', { period: 'custom', start: '2026-03-01', end: '2026-03-08' }), performance('custom', '2026-02-28T23:00:00Z', '2026-03-07T23:00:00Z')],
    ['custom ISO times as they are', call('performance', { period: 'custom', start: '2026-03-01T06:00:00Z', end: '2026-03-02T06:00:00Z' }), performance('custom', '2026-03-01T06:00:00Z', '2026-03-02T06:00:00Z')],
    ['weeks across the DST change, whole weeks', call('energy', { every: '1w', start: '2026-03-25', end: '2026-03-31' }), energy('week', '2026-03-22T23:00:00Z', '2026-04-05T22:00:00Z')],
    ['days of the last 24 hours by default span, whole local days', call('energy', { hours: '24' }), energy('day', '2026-03-29T22:00:00Z', '2026-03-31T22:00:00Z')],
    ['months in UTC', call('energy', { every: '1mo', start: '2026-01-15', end: '2026-03-02', tz: 'UTC' }), energy('month', '2026-01-01T00:00:00Z', '2026-04-01T00:00:00Z', 'UTC')],
  ];
  for (const [name, result, expected] of accepted) {
    it(`accepts ${name}`, () => assert.deepEqual(result, { ok: true, value: expected }));
  }

  it('takes the same parameters as a dashboard request object', () => {
    assert.deepEqual(parseRequestObject({ kind: 'energy', device_id: 'hp1', every: '1mo', hours: '24' }, NOW), { ok: true, value: energy('month', '2026-02-28T23:00:00Z', '2026-03-31T22:00:00Z') });
  });

  const refused: [string, ReturnType<typeof call>, RegExp][] = [
    ['an unknown period', call('performance', { period: 'decade' }), /period must be one of day, week, month, year, custom/],
    ['custom without end', call('performance', { period: 'custom', start: '2026-03-01' }), /start and end are both needed/],
    ['a date that does not exist', call('performance', { period: 'custom', start: '2026-02-30', end: '2026-03-02' }), /start must be an ISO 8601 date/],
    ['end before start', call('performance', { period: 'custom', start: '2026-03-02', end: '2026-03-01' }), /end must be after start/],
    ['more than 5 years', call('energy', { start: '2020-01-01', end: '2026-01-01' }), /at most 5 years/],
    ['an unknown tz', call('performance', { tz: 'Mars/Olympus' }), /tz must be an IANA time zone/],
    ['an unknown every', call('energy', { every: '1y' }), /every must be one of 1d, 1w, 1mo/],
    ['hours 0', call('energy', { hours: '0' }), /hours must be between 1 and 43920/],
    ['an unsafe device id', parseHttpRequest({ route: '/api/devices/:id/energy', params: { id: 'a/b' }, query: {} }, NOW), /invalid device id/],
  ];
  for (const [name, result, message] of refused) {
    it(`refuses ${name} with 400`, () => {
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.error.statusCode, 400);
      assert.match(result.error.error, message);
    });
  }
});

describe('performance and energy API: InfluxQL', () => {
  const start = at('2026-03-29T22:00:00Z');
  const end = at('2026-04-05T22:00:00Z');
  const cases: [string, DatabaseRequest, string[]][] = [
    [
      'performance: the days, and one aggregate of the COP windows',
      { kind: 'performance', device_id: "o'hp", period: 'week', start, end, time_zone: 'Europe/Berlin', estimate_at: null },
      [
        `SELECT * FROM "daily"."energy_daily" WHERE "device_id" = 'o\\'hp' AND time >= ${start}ms AND time < ${end}ms`,
        `SELECT mean("carnot_percent") AS "carnot_percent", mean("quality") AS "quality" FROM "hourly"."cop" WHERE "device_id" = 'o\\'hp' AND time >= ${start}ms AND time < ${end}ms`,
      ],
    ],
    [
      'energy: the days\' kWh, no GROUP BY time (UTC buckets)',
      { kind: 'energy', device_id: 'hp1', every: 'week', start, end, time_zone: 'Europe/Berlin' },
      [`SELECT "heat_energy", "electrical_energy" FROM "daily"."energy_daily" WHERE "device_id" = 'hp1' AND time >= ${start}ms AND time < ${end}ms`],
    ],
  ];
  for (const [name, request, expected] of cases) {
    it(name, () => assert.deepEqual(influxqlStatements(request, NOW), expected));
  }
});

const unknownFleet = { get: () => undefined } as unknown as FleetReader;
const knownFleet = { get: () => ({ device_id: 'hp1' }) } as unknown as FleetReader;

describe('performance and energy API: answers', () => {
  // two days; plain means of their ratios would give SPF 4.5 and space COP 4.67, not the ratios of sums
  const day = (time: string, fields: Row): Row => ({ time: new Date(at(time)), device_id: 'hp1', ...fields });
  const days = [
    day('2026-03-29T22:00:00Z', {
      heat_energy: 10, electrical_energy: 2, spf: 5, cop_combined: 5, cop_running: 5.5, quality: 0.95, sound: true,
      space_heat_energy: 8, space_electrical_energy: 1.6, dhw_heat_energy: 2, dhw_electrical_energy: 0.4, cooling_heat_energy: 0, cooling_electrical_energy: 0,
      defrost_count: 3, defrost_minutes: 12.5, defrost_heat: 0.4, compressor_starts: 5, max_starts_per_hour: 2, short_cycling: false,
    }),
    day('2026-03-30T22:00:00Z', {
      heat_energy: 20, electrical_energy: 5, spf: 4, cop_combined: 4, cop_running: 4.4, quality: 0.6, sound: false,
      space_heat_energy: 15, space_electrical_energy: 3.5, dhw_heat_energy: 5, dhw_electrical_energy: 1.5, cooling_heat_energy: 0, cooling_electrical_energy: 0,
      defrost_count: 1, defrost_minutes: 2.5, defrost_heat: 0.1, compressor_starts: 9, max_starts_per_hour: 6, short_cycling: true,
    }),
  ];
  const windows = [{ time: new Date(0), carnot_percent: 48.25, quality: 0.93 }];
  const week: DatabaseRequest = { kind: 'performance', device_id: 'hp1', period: 'week', start: at('2026-03-29T22:00:00Z'), end: at('2026-04-05T22:00:00Z'), time_zone: 'Europe/Berlin', estimate_at: null };

  it('sums the days: SPF and COPs of sums (electricity-weighted), split by mode, defrosts, starts, Carnot and quality of the windows', () => {
    const response = databaseResponse(week, [days, windows], unknownFleet, 2);
    assert.deepEqual(response, {
      statusCode: 200,
      payload: {
        device_id: 'hp1', period: 'week', time_zone: 'Europe/Berlin', start: '2026-03-29T22:00:00.000Z', end: '2026-04-05T22:00:00.000Z', days: 2,
        heat_kwh: 30, electricity_kwh: 7, spf: 4.286, // 30 / 7
        cop_combined: 4.286, // (5 × 2 + 4 × 5) / 7
        cop_running: 4.714, // (5.5 × 2 + 4.4 × 5) / 7
        split: {
          space: { heat_kwh: 23, electricity_kwh: 5.1, cop: 4.51 }, // 23 / 5.1
          dhw: { heat_kwh: 7, electricity_kwh: 1.9, cop: 3.684 }, // 7 / 1.9
          cooling: { heat_kwh: 0, electricity_kwh: 0, cop: null },
        },
        defrosts: { count: 4, minutes: 15, heat_kwh: 0.5 },
        starts: 14, max_starts_per_hour: 6, short_cycling_days: 1,
        carnot_percent: 48.25, quality: 0.93, sound: false,
      },
    });
  });

  it('extrapolates the year from its days so far: per day, and by the typical degree-day share', () => {
    const start = at('2025-12-31T23:00:00Z');
    const year: DatabaseRequest = { kind: 'performance', device_id: 'hp1', period: 'year', start, end: at('2026-12-31T23:00:00Z'), time_zone: 'Europe/Berlin', estimate_at: start + 73 * 86_400_000 };
    const { payload } = databaseResponse(year, [days, windows], unknownFleet, 2) as { payload: { estimate: Record<string, { heat_kwh: number; electricity_kwh: number; spf: number }> } };
    // 73 of the year's 365 days have gone: five times the energy so far
    assert.deepEqual(payload.estimate.year_kwh_daily_average, { heat_kwh: 150, electricity_kwh: 35, spf: 4.286 });
    const degreeDays = payload.estimate.year_kwh_degree_days;
    // January to mid March hold more than a fifth of a typical year's degree days: less than five times
    assert.ok(degreeDays !== undefined && degreeDays.heat_kwh > 30 && degreeDays.heat_kwh < 150, JSON.stringify(degreeDays));
  });

  describe('the degree-day estimate from measured outdoor temperatures', () => {
    const start = at('2025-12-31T23:00:00Z');
    // 15 March 2026 00:00 in Berlin, 73 days into the year
    const year: DatabaseRequest = { kind: 'performance', device_id: 'hp1', period: 'year', start, end: at('2026-12-31T23:00:00Z'), time_zone: 'Europe/Berlin', estimate_at: start + 73 * 86_400_000 };
    // a day at 0 °C (20 Kd) and a day without an outdoor mean, which weighs as the measured one: 40 Kd so far
    const measuredDays = [
      day('2026-01-09T23:00:00Z', { heat_energy: 60, electrical_energy: 15, outdoor_mean: 0 }),
      day('2026-01-10T23:00:00Z', { heat_energy: 40, electrical_energy: 10 }),
    ];
    // Jan + Feb (0.32) and 14 of March's 743 hours (0.13 of the typical year)
    const elapsedShare = 0.32 + (0.13 * 336) / 743;
    type Estimate = { heat_kwh: number; electricity_kwh: number; spf: number; degree_days_to_date: number | null; typical_year_degree_days: number | null };
    const estimateOf = (earlier: Row[]) => ((databaseResponse(year, [measuredDays, windows, earlier], unknownFleet, 3).payload as { estimate: Record<string, Estimate> }).estimate.year_kwh_degree_days as Estimate);
    const round = (value: number) => Math.round(value * 1000) / 1000;

    it('without an earlier year measured in full, the typical share of the year so far scales up', () => {
      const estimate = estimateOf([]);
      assert.deepEqual(estimate, { heat_kwh: round(100 / elapsedShare), electricity_kwh: round(25 / elapsedShare), spf: 4, degree_days_to_date: 40, typical_year_degree_days: null });
    });

    it('with 2025 measured on every day at 12 °C (2920 Kd), the rest of the year gets its share of 2920 Kd at 2.5 kWh heat per Kd', () => {
      const earlier: Row[] = [];
      for (let t = at('2024-12-31T23:00:00Z'); t < start; t += 86_400_000) earlier.push({ time: new Date(t), outdoor_mean: 12 });
      const remainingDegreeDays = 2920 * (1 - elapsedShare);
      assert.deepEqual(estimateOf(earlier), {
        heat_kwh: round(100 + (100 / 40) * remainingDegreeDays),
        electricity_kwh: round(25 + (25 / 40) * remainingDegreeDays),
        spf: 4,
        degree_days_to_date: 40,
        typical_year_degree_days: 2920,
      });
    });

    it('reads the outdoor means of the five years before for period=year only', () => {
      const statements = influxqlStatements(year, NOW);
      assert.equal(statements[2], `SELECT "outdoor_mean" FROM "daily"."energy_daily" WHERE "device_id" = 'hp1' AND time >= ${start - 5 * 366 * 86_400_000}ms AND time < ${start}ms`);
      assert.equal(influxqlStatements(week, NOW).length, 2);
    });
  });

  it('answers 404 for a device the fleet does not know and without days, and empty figures for a known one', () => {
    assert.equal(databaseResponse(week, [[], []], unknownFleet, 2).statusCode, 404);
    const known = databaseResponse(week, [[], []], knownFleet, 2);
    assert.equal(known.statusCode, 200);
    const payload = known.payload as Row;
    assert.deepEqual([payload.days, payload.heat_kwh, payload.electricity_kwh, payload.spf, payload.starts, payload.sound], [0, 0, 0, null, null, false]);
  });

  it('buckets days into local ISO weeks across the DST change (InfluxDB would group them in UTC), SPF of each week\'s sums', () => {
    // Monday 23 March starts at 23:00 UTC the day before, Monday 30 March at 22:00 UTC: the day of
    // 30 March is stored on Sunday 29 March in UTC, yet belongs to week 14
    const rows = [
      day('2026-03-22T23:00:00Z', { heat_energy: 10, electrical_energy: 2 }),
      day('2026-03-28T23:00:00Z', { heat_energy: 20, electrical_energy: 5 }), // Sunday 29 March, 23 hours long
      day('2026-03-29T22:00:00Z', { heat_energy: 12, electrical_energy: 3 }),
    ];
    const request: DatabaseRequest = { kind: 'energy', device_id: 'hp1', every: 'week', start: at('2026-03-15T23:00:00Z'), end: at('2026-04-05T22:00:00Z'), time_zone: 'Europe/Berlin' };
    assert.deepEqual(databaseResponse(request, rows, unknownFleet, 1), {
      statusCode: 200,
      payload: [
        { period: '2026-W12', start: '2026-03-15T23:00:00.000Z', end: '2026-03-22T23:00:00.000Z', days: 0, heat_kwh: null, electricity_kwh: null, spf: null },
        { period: '2026-W13', start: '2026-03-22T23:00:00.000Z', end: '2026-03-29T22:00:00.000Z', days: 2, heat_kwh: 30, electricity_kwh: 7, spf: 4.286 },
        { period: '2026-W14', start: '2026-03-29T22:00:00.000Z', end: '2026-04-05T22:00:00.000Z', days: 1, heat_kwh: 12, electricity_kwh: 3, spf: 4 },
      ],
    });
  });

  it('labels days and months as the calendar does, and answers 404 for an unknown device without days', () => {
    const rows = [day('2026-02-27T23:00:00Z', { heat_energy: 8, electrical_energy: 2 }), day('2026-02-28T23:00:00Z', { heat_energy: 9, electrical_energy: 3 })];
    const months: DatabaseRequest = { kind: 'energy', device_id: 'hp1', every: 'month', start: at('2026-01-31T23:00:00Z'), end: at('2026-03-31T22:00:00Z'), time_zone: 'Europe/Berlin' };
    assert.deepEqual((databaseResponse(months, rows, unknownFleet, 1).payload as Row[]).map((p) => [p.period, p.heat_kwh, p.spf]), [['2026-02', 8, 4], ['2026-03', 9, 3]]);
    const daysRequest: DatabaseRequest = { ...months, every: 'day', start: at('2026-02-27T23:00:00Z'), end: at('2026-03-01T23:00:00Z') };
    assert.deepEqual((databaseResponse(daysRequest, rows, unknownFleet, 1).payload as Row[]).map((p) => p.period), ['2026-02-28', '2026-03-01']);
    assert.equal(databaseResponse(months, [], unknownFleet, 1).statusCode, 404);
  });
});
