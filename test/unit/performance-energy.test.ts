import assert from 'node:assert/strict';
import { counterSegments, energyPerPeriod, energyReport, energyWithin, powerSegments } from '../../nodes/heatpump-performance/energy';
import { periodsBetween } from '../../nodes/heatpump-performance/periods';
import type { Sample } from '../../nodes/heatpump-performance/types';

const MIN = 60_000;
const HOUR = 3_600_000;
const T0 = Date.parse('2024-01-10T08:00:00Z');
const every5min = (...values: number[]): Sample[] => values.map((value, i) => ({ t: T0 + i * 5 * MIN, value }));
const total = (samples: Sample[]): number => counterSegments(samples).segments.reduce((sum, s) => sum + s.kWh, 0);
const close = (actual: number, expected: number, tolerance = 1e-9): void => assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected}`);

describe('performance energy from counters and power', () => {
  const counters: [string, Sample[], number, string[]][] = [
    // name, counter readings (kWh, every 5 minutes), energy (by hand), events
    ['a counter counting up', every5min(100, 100.5, 101.25), 1.25, []],
    ['a counter reset (drops to 0.2: the new counter counts from 0)', every5min(100, 100.5, 0.2, 0.6), 0.5 + 0.2 + 0.4, ['reset']],
    ['a meter replaced by a new one starting near zero', every5min(8123.4, 8123.9, 0.3, 0.8), 0.5 + 0.3 + 0.5, ['reset']],
    ['a meter replaced by one with its own reading (interval unknown, counted 0)', every5min(8123.4, 8123.9, 57.0, 57.4), 0.5 + 0 + 0.4, ['new-series']],
    ['jitter (a 0.05 kWh drop) is not a reset and is not counted twice', every5min(10, 9.95, 10.2), 0.2, ['jitter']],
    ['negative and non-finite readings are left out', every5min(5, -1, Number.NaN, 5.5), 0.5, []],
    ['a single reading', every5min(5), 0, []],
  ];
  for (const [name, samples, kWh, events] of counters) {
    it(`counts ${name}: ${kWh.toFixed(2)} kWh`, () => {
      close(total(samples), kWh);
      assert.deepEqual(counterSegments(samples).events.map((e) => e.kind), events);
      assert.ok(counterSegments(samples).segments.every((s) => s.kWh >= 0));
    });
  }

  it('spreads a gap proportionally over the days it spans and lowers their quality', () => {
    // 1 kWh per hour, a reading every 10 minutes in local (Berlin) time from 10 Jan 00:00 to 23:00,
    // then nothing until 11 Jan 02:00 (+3 kWh over the 3-hour gap), then readings until 12 Jan 00:00.
    const dayStart = Date.parse('2024-01-09T23:00:00Z');
    const readings: Sample[] = [];
    for (let t = dayStart; t <= dayStart + 23 * HOUR; t += 10 * MIN) readings.push({ t, value: (t - dayStart) / HOUR });
    for (let t = dayStart + 26 * HOUR; t <= dayStart + 48 * HOUR; t += 10 * MIN) readings.push({ t, value: (t - dayStart) / HOUR });
    const series = counterSegments(readings);
    assert.deepEqual(series.gaps, [{ start: dayStart + 23 * HOUR, end: dayStart + 26 * HOUR }]);
    const days = energyPerPeriod(series, periodsBetween(dayStart, dayStart + 48 * HOUR, 'day', 'Europe/Berlin'));
    assert.deepEqual(days.map((d) => d.label), ['2024-01-10', '2024-01-11']);
    // 10 Jan: 23 kWh read + 1 of the 3 gap hours; 11 Jan: 2 gap hours + 22 kWh read
    close(days[0]?.kWh ?? 0, 24);
    close(days[1]?.kWh ?? 0, 24);
    assert.deepEqual(days.map((d) => d.quality), [{ share: 23 / 24, sound: true }, { share: 22 / 24, sound: true }]);
    assert.equal(energyPerPeriod(series, periodsBetween(dayStart, dayStart + 48 * HOUR, 'day', 'Europe/Berlin'), { minQualityShare: 0.95 })[1]?.quality.sound, false);
  });

  it('counts 23 hours of energy on the spring DST day and 25 on the autumn one', () => {
    const constantKw = (from: string, to: string): Sample[] => {
      const samples: Sample[] = [];
      for (let t = Date.parse(from); t <= Date.parse(to); t += 5 * MIN) samples.push({ t, value: 1000 });
      return samples;
    };
    const spring = energyReport({ power: constantKw('2024-03-30T23:00:00Z', '2024-03-31T22:00:00Z') }, { start: Date.parse('2024-03-31T00:00:00Z'), end: Date.parse('2024-03-31T12:00:00Z') }, 'day', 'Europe/Berlin');
    assert.equal(spring.method, 'power');
    close(spring.periods[0]?.kWh ?? 0, 23, 1e-6);
    const autumn = energyReport({ power: constantKw('2024-10-26T22:00:00Z', '2024-10-27T23:00:00Z') }, { start: Date.parse('2024-10-27T00:00:00Z'), end: Date.parse('2024-10-27T12:00:00Z') }, 'day', 'Europe/Berlin');
    close(autumn.periods[0]?.kWh ?? 0, 25, 1e-6);
  });

  it('integrates power by trapezoids and leaves a gap over 15 minutes out', () => {
    // 0 W → 1000 W over 12 min (0.1 kWh), 1000 W for 12 min (0.2 kWh), then 30 minutes of silence
    const power: Sample[] = [{ t: T0, value: 0 }, { t: T0 + 12 * MIN, value: 1000 }, { t: T0 + 24 * MIN, value: 1000 }, { t: T0 + 54 * MIN, value: 1000 }];
    const series = powerSegments(power);
    close(series.segments.reduce((sum, s) => sum + s.kWh, 0), 0.3);
    assert.deepEqual(series.gaps, [{ start: T0 + 24 * MIN, end: T0 + 54 * MIN }]);
  });

  it('splits a power segment at midnight by the power interpolated there', () => {
    // 23:30 local 0 W → 00:30 local 2000 W: 1000 W at midnight, 0.25 kWh before and 0.75 after
    const start = Date.parse('2024-01-10T22:30:00Z');
    const [segment] = powerSegments([{ t: start, value: 0 }, { t: start + HOUR, value: 2000 }], 2 * HOUR).segments;
    assert.ok(segment);
    const [before, after] = periodsBetween(start, start + HOUR, 'day', 'Europe/Berlin');
    assert.ok(before && after);
    close(energyWithin(segment, before), 0.25);
    close(energyWithin(segment, after), 0.75);
  });

  it('prefers the counter over power and says when there is neither', () => {
    const span = { start: T0, end: T0 + HOUR };
    const both = energyReport({ counter: every5min(1, 2), power: every5min(500, 500) }, span, 'day', 'UTC');
    assert.equal(both.method, 'counter');
    close(both.periods[0]?.kWh ?? 0, 1);
    const none = energyReport({}, span, 'day', 'UTC');
    assert.equal(none.method, 'none');
    assert.deepEqual(none.periods.map((p) => [p.kWh, p.quality]), [[0, { share: 0, sound: false }]]);
  });

  it('rates the quality of a running day up to now only', () => {
    const dayStart = Date.parse('2024-01-10T00:00:00Z');
    const readings: Sample[] = [];
    for (let t = dayStart; t <= dayStart + 6 * HOUR; t += 10 * MIN) readings.push({ t, value: t / HOUR });
    const [today] = energyPerPeriod(counterSegments(readings), periodsBetween(dayStart, dayStart + 6 * HOUR, 'day', 'UTC'), { until: dayStart + 6 * HOUR });
    assert.deepEqual(today?.quality, { share: 1, sound: true });
  });
});
