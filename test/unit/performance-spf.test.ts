import assert from 'node:assert/strict';
import {
  dailyAverageYearlyEstimate, degreeDayYearlyEstimate, degreeDaysOfDailyMeans, degreeDaysOfDay, elapsedDegreeDayShare, measuredDegreeDays,
  seasonalPerformanceFactor, spfOverPeriods, TYPICAL_MONTHLY_DEGREE_DAY_SHARE, typicalYearDegreeDays, type DegreeDayMethod,
} from '../../nodes/heatpump-performance/spf';
import { periodAt, periodsBetween } from '../../nodes/heatpump-performance/periods';
import type { Sample } from '../../nodes/heatpump-performance/types';

const ZONE = 'Europe/Berlin';
const YEAR_2024 = periodAt(Date.parse('2024-06-01T00:00:00Z'), 'year', ZONE);
// 1 March 2024 00:00 in Berlin: 60 days (31 + 29) into the leap year, 306 days left
const MARCH_1 = Date.parse('2024-02-29T23:00:00Z');
const close = (actual: number | null, expected: number, tolerance = 1e-6): void =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected}`);

describe('performance SPF and yearly estimates', () => {
  const ratios: [string, number, number, number | null][] = [
    ['heat over electricity', 3000, 750, 4],
    ['no electricity', 10, 0, null],
    ['no heat', 0, 10, 0],
  ];
  for (const [name, heat, electricity, spf] of ratios) {
    it(`SPF of ${name} is ${spf}`, () => assert.equal(seasonalPerformanceFactor(heat, electricity), spf));
  }

  it('sums the periods before dividing (not the mean of the daily ratios)', () => {
    // day 1: 40/10 = 4, day 2: 10/5 = 2 → Σ 50 / Σ 15 = 3.33, not (4 + 2) / 2 = 3
    const result = spfOverPeriods([{ kWh: 40 }, { kWh: 10 }], [{ kWh: 10 }, { kWh: 5 }]);
    assert.equal(result.heatKwh, 50);
    assert.equal(result.electricityKwh, 15);
    close(result.spf, 50 / 15);
  });

  it("estimates the year by the daily average (by hand: 3000 + 50 × 306 kWh)", () => {
    const estimate = dailyAverageYearlyEstimate({ heatKwh: 3000, electricityKwh: 750 }, YEAR_2024, MARCH_1);
    close(estimate.heatKwh, 3000 + 50 * 306);
    close(estimate.electricityKwh, 750 + 12.5 * 306);
    close(estimate.spf, 4);
    assert.equal(estimate.method, 'daily-average');
  });

  const degreeDays: [number, DegreeDayMethod, number][] = [[5, 'G20/15', 15], [5, 'HDD15', 10], [14.9, 'G20/15', 20 - 14.9], [15, 'G20/15', 0], [22, 'HDD15', 0], [-10, 'G20/15', 30]];
  for (const [mean, method, expected] of degreeDays) {
    it(`${method}: a day with mean ${mean} °C has ${expected.toFixed(1)} Kd`, () => close(degreeDaysOfDay(mean, method), expected));
  }

  it('measures degree days per local day from outdoor samples, counting days without data', () => {
    // 1 Jan 2024 (Berlin): samples 0 °C and 4 °C → mean 2 → 18 Kd; 2 Jan: 16 °C → 0 Kd; 3 Jan: none
    const day1 = Date.parse('2023-12-31T23:00:00Z');
    const outdoor: Sample[] = [
      { t: day1 + 3_600_000, value: 0 }, { t: day1 + 20 * 3_600_000, value: 4 },
      { t: day1 + 30 * 3_600_000, value: 16 },
      { t: day1 + 80 * 3_600_000, value: -20 }, // 4 Jan, outside the span
    ];
    assert.deepEqual(measuredDegreeDays(outdoor, { start: day1, end: day1 + 3 * 86_400_000 }, ZONE), { degreeDays: 18, days: 3, daysWithoutData: 1 });
    assert.equal(measuredDegreeDays(outdoor, { start: day1, end: day1 + 86_400_000 }, ZONE, 'HDD15').degreeDays, 13);
  });

  const dailyMeans: [string, (number | null)[], DegreeDayMethod, { degreeDays: number; days: number; daysWithoutData: number }][] = [
    // 20 − (−2) + 20 − 5 + 0 (16 °C is no heating day); the day without a mean is counted
    ['G20/15 of −2, 5, 16 °C and a day without', [-2, 5, 16, null], 'G20/15', { degreeDays: 37, days: 4, daysWithoutData: 1 }],
    // 15 − (−2) + 15 − 5
    ['HDD15 of the same days', [-2, 5, 16, null], 'HDD15', { degreeDays: 27, days: 4, daysWithoutData: 1 }],
    ['no day', [], 'G20/15', { degreeDays: 0, days: 0, daysWithoutData: 0 }],
  ];
  for (const [name, means, method, tally] of dailyMeans) {
    it(`degree days of stored days' outdoor means: ${name}`, () => assert.deepEqual(degreeDaysOfDailyMeans(means, method), tally));
  }

  it("the typical year is the mean of the earlier years measured on every day; a year with a day missing is left out", () => {
    const daysOf = (year: number, meanC: number) => {
      const span = periodAt(Date.parse(`${year}-06-01T00:00:00Z`), 'year', ZONE);
      return periodsBetween(span.start, span.end, 'day', ZONE).map((day) => ({ t: day.start, outdoorMeanC: meanC as number | null }));
    };
    const y2021 = daysOf(2021, 0);
    y2021[100] = { t: (y2021[100] as { t: number }).t, outdoorMeanC: null };
    // 2022: 365 days at 10 °C → 3650 Kd; 2023: 365 at 5 °C → 5475 Kd; 2021 lacks a day (would be 7300)
    const days = [...y2021, ...daysOf(2022, 10), ...daysOf(2023, 5)];
    close(typicalYearDegreeDays(days, ZONE) ?? null, (3650 + 5475) / 2);
    assert.equal(typicalYearDegreeDays(y2021, ZONE), undefined);
    assert.equal(typicalYearDegreeDays([], ZONE), undefined);
  });

  it('the typical table sums to one and January + February are 32 % of it', () => {
    close(TYPICAL_MONTHLY_DEGREE_DAY_SHARE.reduce((a, b) => a + b, 0), 1);
    close(elapsedDegreeDayShare(YEAR_2024, MARCH_1, ZONE), 0.32);
    // half of March (15.5 of 31 days, the DST hour aside) adds about 0.065
    close(elapsedDegreeDayShare(YEAR_2024, Date.parse('2024-03-16T11:00:00Z'), ZONE), 0.32 + 0.13 / 2, 0.001);
  });

  it('refuses a monthly share table that is not 12 non-negative values', () => {
    assert.throws(() => elapsedDegreeDayShare(YEAR_2024, MARCH_1, ZONE, [1, 2, 3]), /12 non-negative/);
    assert.throws(() => elapsedDegreeDayShare(YEAR_2024, MARCH_1, ZONE, [-1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]), /12 non-negative/);
  });

  const weighted: [string, Parameters<typeof degreeDayYearlyEstimate>[0], number, number][] = [
    // by hand: Jan + Feb are 0.32 of the typical year; 1000 Kd measured → 2125 Kd to come
    // (1000 / 0.32 × 0.68); 6.4 kWh heat and 1.6 kWh electricity per Kd
    ['the year so far as cold as typical', { toDate: { heatKwh: 6400, electricityKwh: 1600 }, degreeDaysToDate: 1000, year: YEAR_2024, now: MARCH_1, timeZone: ZONE }, 6400 + 6.4 * 2125, 1600 + 1.6 * 2125],
    // a typical year of 3500 Kd: 3500 × 0.68 = 2380 Kd to come
    ['a typical year of 3500 Kd', { toDate: { heatKwh: 6400, electricityKwh: 1600 }, degreeDaysToDate: 1000, year: YEAR_2024, now: MARCH_1, timeZone: ZONE, typicalYearDegreeDays: 3500 }, 6400 + 6.4 * 2380, 1600 + 1.6 * 2380],
    // hot water 600 / 150 kWh in 60 days → 10 / 2.5 kWh a day for 306 days; the rest 5.8 / 1.45 per Kd
    ['a base load for hot water', { toDate: { heatKwh: 6400, electricityKwh: 1600 }, degreeDaysToDate: 1000, year: YEAR_2024, now: MARCH_1, timeZone: ZONE, baseLoadToDate: { heatKwh: 600, electricityKwh: 150 } }, 6400 + 10 * 306 + 5.8 * 2125, 1600 + 2.5 * 306 + 1.45 * 2125],
    // no degree day yet: the typical share of the year so far (0.32) scales up
    ['no degree days measured yet', { toDate: { heatKwh: 320, electricityKwh: 80 }, degreeDaysToDate: 0, year: YEAR_2024, now: MARCH_1, timeZone: ZONE }, 1000, 250],
  ];
  for (const [name, input, heat, electricity] of weighted) {
    it(`estimates the year by degree days: ${name} (${heat.toFixed(0)} / ${electricity.toFixed(2)} kWh)`, () => {
      const estimate = degreeDayYearlyEstimate(input);
      close(estimate.heatKwh, heat);
      close(estimate.electricityKwh, electricity);
      close(estimate.spf, heat / electricity);
      assert.equal(estimate.method, 'degree-days');
    });
  }

  it('estimates far less than the daily average in a cold start of the year', () => {
    const toDate = { heatKwh: 6400, electricityKwh: 1600 };
    const simple = dailyAverageYearlyEstimate(toDate, YEAR_2024, MARCH_1);
    const weightedEstimate = degreeDayYearlyEstimate({ toDate, degreeDaysToDate: 1000, year: YEAR_2024, now: MARCH_1, timeZone: ZONE });
    close(simple.heatKwh, 6400 + (6400 / 60) * 306);
    assert.ok(weightedEstimate.heatKwh < simple.heatKwh / 1.9);
  });
});
