// A year of one heat pump (test/support/heatpump-year.ts) through heatpump-performance's analyser
// into influxd, stored as heatpump-batch stores it (a write per retention policy, `npm run
// db:setup`'s layout), and read back with the performance kind's statements and answer: the
// year's heat, electricity, SPF, running COP and starts equal the generator's own totals.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InfluxDB } from 'influx';
import { PerformanceAnalyser, windowToPoints } from '../../nodes/heatpump-performance/analyser';
import { dailyToPoint } from '../../nodes/heatpump-performance/daily';
import { parseOptions } from '../../nodes/heatpump-performance/options';
import { periodAt } from '../../nodes/heatpump-performance/periods';
import { degreeDaysOfDailyMeans } from '../../nodes/heatpump-performance/spf';
import { influxqlStatements } from '../../nodes/heatpump-query/influxql';
import { databaseResponse, type Row } from '../../nodes/shared/api-response';
import type { DatabaseRequest } from '../../nodes/shared/api-request';
import type { InfluxPoint } from '../../nodes/shared/contract';
import { byRetentionPolicy } from '../../nodes/shared/retention';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { influxQuery, setupInfluxDb } from '../../scripts/lib/influx-setup';
import { heatpumpYear, type DayTotals } from '../support/heatpump-year';
import { requireBinary } from '../support/system';

const DB = 'heatpump';
const ZONE = 'Europe/Berlin';
const DEVICE = 'hp-year';
const DAY = 86_400_000;
/** the API rounds to 3 decimals; everything else is exact up to float sums */
const TOLERANCE = 0.0015;

describe('a year of one heat pump: analyser → influxd (raw/hourly/daily) → performance answer', function () {
  this.timeout(300_000);
  let influx: RunningInfluxd;
  let dataDir: string;
  const generated = new Map<string, DayTotals>();
  // the 365 local days before today: inside the hourly retention, most of them beyond raw's 30 days
  const today = periodAt(Date.now(), 'day', ZONE);
  const yearStart = periodAt(today.start - 365 * DAY + DAY / 2, 'day', ZONE).start;
  let yearDays: DayTotals[] = [];

  before(async function () {
    const binary = requireBinary(this, 'influxd', 'influxdb');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-performance-year-'));
    influx = await startInfluxd({ dataDir, port: 0, binary });
    await setupInfluxDb({ url: influx.url, database: DB });

    const parsed = parseOptions({ deviceId: DEVICE, timeZone: ZONE });
    assert.ok(parsed.ok);
    const analyser = new PerformanceAnalyser(parsed.value);
    // a day before the year, so that its first day starts with a known compressor state; ten
    // minutes after it, so that its last day is finished
    const readings = heatpumpYear({ deviceId: DEVICE, start: yearStart - DAY, end: today.start + 10 * 60_000, timeZone: ZONE }, generated);
    const client = new InfluxDB({ host: '127.0.0.1', port: influx.port, database: DB });
    let pending: InfluxPoint[] = [];
    const write = async (points: InfluxPoint[]) => {
      // as heatpump-batch and influxdb batch write them: one request per retention policy
      for (const run of byRetentionPolicy(points)) {
        try {
          await client.writePoints(run.points, run.retentionPolicy === undefined ? { precision: 'ms' } : { precision: 'ms', retentionPolicy: run.retentionPolicy });
        } catch (error) {
          // the windows of the first two days lie beyond hourly's 52 weeks: InfluxDB stores the
          // rest of the batch, as heatpump-batch takes it (beyond-retention warning)
          if (!/points beyond retention policy dropped=/.test(String(error)) || run.retentionPolicy !== 'hourly') throw error;
        }
      }
    };
    for (const reading of readings) {
      analyser.add(reading);
      const windows = analyser.close(reading.timestamp);
      pending.push(...windows.flatMap(windowToPoints), ...analyser.takeDays().map(dailyToPoint));
      if (pending.length >= 5000) {
        await write(pending);
        pending = [];
      }
    }
    pending.push(...analyser.closeAll().flatMap(windowToPoints), ...analyser.takeDays().map(dailyToPoint));
    await write(pending);
    yearDays = [...generated.entries()].filter(([label]) => label >= periodAt(yearStart, 'day', ZONE).label && label < today.label).map(([, totals]) => totals);
  });

  after(async () => {
    await influx?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** The performance kind's statements against influxd, answered as the API answers them. */
  const performance = async (start: number, end: number): Promise<Row> => {
    const request: DatabaseRequest = { kind: 'performance', device_id: DEVICE, period: 'custom', start, end, time_zone: ZONE, estimate_at: null };
    const statements = influxqlStatements(request, Date.now());
    const response = await influxQuery({ url: influx.url }, statements.join('; '), DB);
    const sets = statements.map((_, i) => (response.results?.[i]?.series ?? []).flatMap((series) => (series.values ?? []).map((values) => Object.fromEntries(series.columns.map((column, c) => [column, values[c]])))));
    const answer = databaseResponse(request, sets, undefined, statements.length);
    assert.equal(answer.statusCode, 200, JSON.stringify(answer.payload));
    return answer.payload as Row;
  };
  const sum = (pick: (day: DayTotals) => number) => yearDays.reduce((total, day) => total + pick(day), 0);
  const near = (actual: unknown, expected: number, what: string) =>
    assert.ok(typeof actual === 'number' && Math.abs(actual - expected) <= TOLERANCE, `${what}: ${String(actual)}, the generator's ${expected}`);

  it("the year's heat, electricity and SPF (Σ heat / Σ electricity) are the generator's totals", async () => {
    const answer = await performance(yearStart, today.start);
    assert.equal(yearDays.length, 365);
    assert.equal(answer.days, 365, 'every day of the year is stored, the 335 older than raw keeps too');
    const heat = sum((day) => day.heatKwh);
    const electricity = sum((day) => day.electricityKwh);
    near(answer.heat_kwh, Math.round(heat * 1000) / 1000, 'heat kWh');
    near(answer.electricity_kwh, Math.round(electricity * 1000) / 1000, 'electricity kWh');
    near(answer.spf, heat / electricity, 'SPF');
    // a plausible air-source year: the generator's own SPF lies where such systems do
    assert.ok(heat / electricity > 2.5 && heat / electricity < 5, `SPF ${heat / electricity}`);
  });

  it("the running COP (the days' running COPs weighted by their electricity) and the starts are the generator's", async () => {
    const answer = await performance(yearStart, today.start);
    const weighted = yearDays.filter((day) => day.runningElectricityKwh > 0);
    const runningCop = weighted.reduce((total, day) => total + (day.runningHeatKwh / day.runningElectricityKwh) * day.electricityKwh, 0) / weighted.reduce((total, day) => total + day.electricityKwh, 0);
    near(answer.cop_running, runningCop, 'running COP');
    const starts = sum((day) => day.starts);
    assert.ok(starts > 300, `the generator cycles in mild hours: ${starts} starts`);
    assert.equal(answer.starts, starts);
  });

  it("each stored day's outdoor mean gives the generator's degree days", async () => {
    const rows = (await influxQuery({ url: influx.url }, `SELECT "outdoor_mean" FROM "daily"."energy_daily" WHERE "device_id" = '${DEVICE}' AND time >= ${yearStart}ms AND time < ${today.start}ms`, DB)).results?.[0]?.series?.[0]?.values ?? [];
    const stored = degreeDaysOfDailyMeans(rows.map((values) => values[1] as number));
    const expected = degreeDaysOfDailyMeans(yearDays.map((day) => day.outdoorSum / day.outdoorSamples));
    assert.equal(stored.days, 365);
    assert.ok(Math.abs(stored.degreeDays - expected.degreeDays) < 1e-6, `${stored.degreeDays} Kd stored, ${expected.degreeDays} generated`);
  });

  it('a month older than raw keeps is answered from the daily policy, equal to its days', async () => {
    const monthStart = periodAt(yearStart + 40 * DAY, 'month', ZONE);
    const answer = await performance(monthStart.start, monthStart.end);
    const month = [...generated.entries()].filter(([label]) => label.startsWith(monthStart.label)).map(([, totals]) => totals);
    assert.equal(answer.days, month.length);
    near(answer.heat_kwh, Math.round(month.reduce((total, day) => total + day.heatKwh, 0) * 1000) / 1000, 'the month\'s heat kWh');
  });
});
