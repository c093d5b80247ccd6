import assert from 'node:assert/strict';
import { isTimeZone, periodAt, periodsBetween, startOfLocalDate, type PeriodKind } from '../../nodes/heatpump-performance/periods';

const at = (iso: string): number => Date.parse(iso);
const HOUR = 3_600_000;

describe('performance periods in a time zone', () => {
  const cases: [string, string, PeriodKind, string, string, string, number][] = [
    // name, instant, kind, time zone, expected start, expected end, hours
    ['spring DST day in Berlin', '2024-03-31T12:00:00Z', 'day', 'Europe/Berlin', '2024-03-30T23:00:00Z', '2024-03-31T22:00:00Z', 23],
    ['autumn DST day in Berlin', '2024-10-27T12:00:00Z', 'day', 'Europe/Berlin', '2024-10-26T22:00:00Z', '2024-10-27T23:00:00Z', 25],
    ['an ordinary winter day in Berlin', '2024-01-15T23:30:00Z', 'day', 'Europe/Berlin', '2024-01-15T23:00:00Z', '2024-01-16T23:00:00Z', 24],
    ['ISO week containing the spring switch', '2024-03-31T12:00:00Z', 'week', 'Europe/Berlin', '2024-03-24T23:00:00Z', '2024-03-31T22:00:00Z', 167],
    ['March 2024 in Berlin', '2024-03-15T00:00:00Z', 'month', 'Europe/Berlin', '2024-02-29T23:00:00Z', '2024-03-31T22:00:00Z', 31 * 24 - 1],
    ['the year 2024 in Berlin', '2024-07-01T00:00:00Z', 'year', 'Europe/Berlin', '2023-12-31T23:00:00Z', '2024-12-31T23:00:00Z', 366 * 24],
    ['spring DST day in New York', '2024-03-10T12:00:00Z', 'day', 'America/New_York', '2024-03-10T05:00:00Z', '2024-03-11T04:00:00Z', 23],
    ['a day in UTC', '2024-03-31T12:00:00Z', 'day', 'UTC', '2024-03-31T00:00:00Z', '2024-04-01T00:00:00Z', 24],
  ];
  for (const [name, instant, kind, zone, start, end, hours] of cases) {
    it(`finds the ${kind} of ${name} (${hours} h)`, () => {
      const period = periodAt(at(instant), kind, zone);
      assert.deepEqual([new Date(period.start).toISOString(), new Date(period.end).toISOString()], [new Date(start).toISOString(), new Date(end).toISOString()]);
      assert.equal((period.end - period.start) / HOUR, hours);
    });
  }

  const labels: [string, string, PeriodKind, string][] = [
    ['a Sunday', '2024-03-31T12:00:00Z', 'week', '2024-W13'],
    ['1 January 2021 (a Friday, still 2020-W53)', '2021-01-01T12:00:00Z', 'week', '2020-W53'],
    ['30 December 2024 (a Monday, already 2025-W01)', '2024-12-30T12:00:00Z', 'week', '2025-W01'],
    ['a day just after local midnight (still the previous UTC date)', '2024-01-15T23:30:00Z', 'day', '2024-01-16'],
    ['a month', '2024-02-29T23:30:00Z', 'month', '2024-03'],
    ['New Year in Berlin', '2023-12-31T23:30:00Z', 'year', '2024'],
  ];
  for (const [name, instant, kind, label] of labels) {
    it(`labels ${name} ${label}`, () => assert.equal(periodAt(at(instant), kind, 'Europe/Berlin').label, label));
  }

  it('lists the days across the spring switch with their lengths', () => {
    const days = periodsBetween(at('2024-03-30T12:00:00Z'), at('2024-04-01T00:00:00Z'), 'day');
    assert.deepEqual(days.map((d) => [d.label, (d.end - d.start) / HOUR]), [['2024-03-30', 24], ['2024-03-31', 23], ['2024-04-01', 24]]);
  });

  it('lists the months of a year that together last the year', () => {
    const months = periodsBetween(at('2023-12-31T23:00:00Z'), at('2024-12-31T23:00:00Z'), 'month');
    assert.equal(months.length, 12);
    assert.equal(months[0]?.label, '2024-01');
    assert.equal(months[11]?.label, '2024-12');
    assert.equal(months.reduce((sum, m) => sum + (m.end - m.start), 0) / HOUR, 366 * 24);
    for (let i = 1; i < months.length; i++) assert.equal(months[i]?.start, months[i - 1]?.end);
  });

  it('lists nothing for an empty span', () => assert.deepEqual(periodsBetween(10, 10, 'day'), []));

  it('normalises an overflowing local date (day 32 of January is 1 February)', () => {
    assert.equal(startOfLocalDate({ year: 2024, month: 1, day: 32 }, 'Europe/Berlin'), at('2024-01-31T23:00:00Z'));
  });

  const zones: [unknown, boolean][] = [['Europe/Berlin', true], ['UTC', true], ['Mars/Olympus', false], ['', false], [42, false]];
  for (const [zone, known] of zones) {
    it(`${known ? 'accepts' : 'refuses'} the time zone ${JSON.stringify(zone)}`, () => assert.equal(isTimeZone(zone), known));
  }
});
