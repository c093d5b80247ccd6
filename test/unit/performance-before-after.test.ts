import assert from 'node:assert/strict';
import {
  beforeAfter, bootstrapInterval, compareBinned, hoursOf, MIN_COMPARABLE_HOURS, verdictOf, type Comparison, type Hour, type HourRow,
} from '../../nodes/heatpump-performance/before-after';

const HOUR = 3_600_000;
const AT = Date.parse('2026-01-15T10:00:00Z');

const hour = (offsetHours: number, outdoorC: number, heatKwh: number, electricityKwh = 1): Hour => ({ time: AT + offsetHours * HOUR, heatKwh, electricityKwh, outdoorC });

/** A row of 12 windows, all with electricity and ΔT heat, no defrost reported. */
const row = (offsetHours: number, fields: Partial<HourRow> = {}): HourRow => ({
  time: AT + offsetHours * HOUR,
  windows: 12,
  electricalW: 1000,
  deltaTW: 3000,
  deltaTWindows: 12,
  modulationW: 2800,
  modulationWindows: 12,
  outdoorC: 1,
  defrostShareMax: null,
  defrostShareLast: null,
  ...fields,
});

describe('performance before / after a change', () => {
  describe('binned comparison (hand-computed)', () => {
    // before: 2 h at 1 °C with COP 3, 1 h at 5 °C with COP 4; after: 1 h at 1 °C with COP 3.3, 3 h at 5 °C with COP 4.4
    const before = [hour(-3, 1, 3), hour(-2, 1.5, 3), hour(-1, 5, 4)];
    const after = [hour(0, 0.5, 3.3), hour(1, 5.2, 4.4), hour(2, 5.9, 4.4), hour(3, 4, 4.4)];

    it('weighs both sides by the same hours per bin: the smaller count of each bin', () => {
      const result = compareBinned(before, after);
      // weights min(2, 1) = 1 and min(1, 3) = 1: before 3 + 4 = 7 kWh heat / 2 kWh, after 3.3 + 4.4 = 7.7 / 2
      assert.equal(result.comparable_hours, 2);
      assert.deepEqual(result.before, { heat_kwh: 7, electricity_kwh: 2, cop: 3.5 });
      assert.deepEqual(result.after, { heat_kwh: 7.7, electricity_kwh: 2, cop: 3.85 });
      assert.equal(result.change_percent, 10);
      assert.deepEqual(
        result.bins.map((bin) => [bin.outdoor_from, bin.outdoor_to, bin.hours_before, bin.hours_after, bin.comparable_hours, bin.before.cop, bin.after.cop, bin.change_percent]),
        [
          [0, 2, 2, 1, 1, 3, 3.3, 10],
          [4, 6, 1, 3, 1, 4, 4.4, 10],
        ],
      );
      // the per-bin energies are what each side measured in the bin
      assert.deepEqual(result.bins[1]?.after, { heat_kwh: 13.2, electricity_kwh: 3, cop: 4.4 });
    });

    it('drops a bin that has hours on one side only', () => {
      const result = compareBinned([...before, hour(-4, 10.5, 10)], [...after, hour(4, -3, 1.5)]);
      assert.equal(result.bins_one_sided, 2);
      assert.deepEqual(result.bins.map((bin) => bin.outdoor_from), [0, 4]);
      assert.equal(result.change_percent, 10);
      assert.equal(result.comparable_hours, 2);
    });

    it('bins below zero from the lower edge: −0.5 °C is in [−2, 0)', () => {
      const result = compareBinned([hour(-1, -0.5, 2)], [hour(1, -1.9, 2.5)]);
      assert.deepEqual(result.bins.map((bin) => [bin.outdoor_from, bin.outdoor_to]), [[-2, 0]]);
      assert.equal(result.change_percent, 25);
    });

    it('has no change without a common bin', () => {
      const result = compareBinned([hour(-1, 1, 3)], [hour(1, 7, 3)]);
      assert.deepEqual([result.bins.length, result.comparable_hours, result.change_percent, result.before.cop], [0, 0, null, null]);
    });
  });

  describe('hours fit for comparison', () => {
    const cases: [string, HourRow[], { hours: number; kWh?: [number, number]; incomplete: number; no_outdoor: number; defrost: number }][] = [
      ['ΔT heat preferred when every window has it', [row(0)], { hours: 1, kWh: [3, 1], incomplete: 0, no_outdoor: 0, defrost: 0 }],
      ['modulation heat when no window has ΔT', [row(0, { deltaTW: null, deltaTWindows: 0 })], { hours: 1, kWh: [2.8, 1], incomplete: 0, no_outdoor: 0, defrost: 0 }],
      ['no hour mixing two methods', [row(0, { deltaTWindows: 6, modulationWindows: 6 })], { hours: 0, incomplete: 1, no_outdoor: 0, defrost: 0 }],
      ['no hour without heat', [row(0, { deltaTW: null, deltaTWindows: 0, modulationW: null, modulationWindows: 0 })], { hours: 0, incomplete: 1, no_outdoor: 0, defrost: 0 }],
      ['no hour without outdoor temperature', [row(0, { outdoorC: null })], { hours: 0, incomplete: 0, no_outdoor: 1, defrost: 0 }],
      ['no hour with a defrost', [row(0, { defrostShareMax: 0.2, defrostShareLast: 0 }), row(1, { defrostShareMax: 0, defrostShareLast: 0 })], { hours: 1, incomplete: 0, no_outdoor: 0, defrost: 1 }],
      [
        'no hour after one whose last window defrosted (the recovery reaches into it)',
        [row(0, { defrostShareMax: 0.5, defrostShareLast: 0.5 }), row(1, { defrostShareMax: 0, defrostShareLast: 0 }), row(2, { defrostShareMax: 0, defrostShareLast: 0 })],
        { hours: 1, incomplete: 0, no_outdoor: 0, defrost: 2 },
      ],
      ['a partly covered hour counts with its mean power', [row(0, { windows: 3, deltaTWindows: 3, modulationWindows: 3, electricalW: 2000, deltaTW: 5000 })], { hours: 1, kWh: [5, 2], incomplete: 0, no_outdoor: 0, defrost: 0 }],
    ];
    for (const [name, rows, expected] of cases) {
      it(name, () => {
        const { hours, leftOut } = hoursOf(rows);
        assert.equal(hours.length, expected.hours);
        assert.deepEqual(leftOut, { incomplete: expected.incomplete, no_outdoor: expected.no_outdoor, defrost: expected.defrost });
        if (expected.kWh) assert.deepEqual([hours[0]?.heatKwh, hours[0]?.electricityKwh], expected.kWh);
      });
    }
  });

  describe('uncertainty and verdict', () => {
    /** `days` days each side, 24 h a day at `outdoor(day)`, COP `cop(day, side)`. */
    const sides = (days: number, cop: (day: number, after: boolean) => number, outdoor: (day: number) => number = () => 1) => {
      const before: Hour[] = [];
      const after: Hour[] = [];
      for (let day = 0; day < days; day++) {
        for (let h = 0; h < 24; h++) {
          before.push(hour(-(day + 1) * 24 + h, outdoor(day), cop(day, false)));
          after.push(hour(day * 24 + h, outdoor(day), cop(day, true)));
        }
      }
      return { before, after };
    };

    it('a steady change of +10 % on every day has the interval [10, 10]', () => {
      const { before, after } = sides(4, (_day, isAfter) => (isAfter ? 3.3 : 3));
      assert.deepEqual(bootstrapInterval(before, after, AT), [10, 10]);
    });

    it('resamples whole days: day-to-day scatter widens the interval around the change', () => {
      // before alternates COP 2.8 / 3.2 by day, after 3.08 / 3.52: +10 % on average, but days differ by ±7 %
      const { before, after } = sides(6, (day, isAfter) => (day % 2 === 0 ? 2.8 : 3.2) * (isAfter ? 1.1 : 1));
      const interval = bootstrapInterval(before, after, AT);
      assert.ok(interval !== null);
      assert.ok(interval[0] < 10 && interval[1] > 10 && interval[0] > 0, `interval ${interval}`);
      // the same data gives the same interval
      assert.deepEqual(bootstrapInterval(before, after, AT), interval);
    });

    const comparison = (change: number | null, comparableHours = 100): Comparison => ({
      bins: [],
      bins_one_sided: 0,
      comparable_hours: comparableHours,
      before: { heat_kwh: 0, electricity_kwh: 0, cop: null },
      after: { heat_kwh: 0, electricity_kwh: 0, cop: null },
      change_percent: change,
    });
    const verdicts: [string, Comparison, [number, number] | null, number, number, string][] = [
      ['improved: interval above 0, change ≥ 2 %', comparison(10), [8, 12], 7, 7, 'improved'],
      ['worse: interval below 0, change ≤ −2 %', comparison(-6), [-9, -3], 7, 7, 'worse'],
      ['no clear change: the interval spans 0', comparison(5), [-1, 11], 7, 7, 'no clear change'],
      ['no clear change: clear but below 2 %', comparison(1.5), [0.5, 2.5], 7, 7, 'no clear change'],
      [`not enough data: under ${MIN_COMPARABLE_HOURS} comparable hours`, comparison(10, MIN_COMPARABLE_HOURS - 1), [8, 12], 7, 7, 'not enough data'],
      ['not enough data: hours on only 2 days after', comparison(10), [8, 12], 7, 2, 'not enough data'],
      ['not enough data: no change', comparison(null), null, 7, 7, 'not enough data'],
    ];
    for (const [name, input, interval, daysBefore, daysAfter, expected] of verdicts) {
      it(name, () => assert.equal(verdictOf(input, interval, daysBefore, daysAfter), expected));
    }
  });

  describe('the whole answer from hourly rows', () => {
    it('a colder week after a +10 % change: the plain SPF looks worse, the binned figure says +10 %', () => {
      // COP falls 0.1 per K colder; before: 3.5 days at 6.5 °C, then 8.5 °C; after: 0.5 °C, then 6.5 °C; [6, 8) is shared
      const rows: HourRow[] = [];
      const copAt = (outdoorC: number) => 3 + 0.1 * outdoorC;
      for (let h = 0; h < 7 * 24; h++) {
        const beforeOutdoor = h < 84 ? 6.5 : 8.5;
        const afterOutdoor = h < 84 ? 0.5 : 6.5;
        rows.push(row(-7 * 24 + h, { outdoorC: beforeOutdoor, electricalW: 1000, deltaTW: 1000 * copAt(beforeOutdoor) }));
        rows.push(row(h, { outdoorC: afterOutdoor, electricalW: 1000, deltaTW: 1000 * copAt(afterOutdoor) * 1.1 }));
      }
      const answer = beforeAfter(rows, AT);
      assert.ok((answer.unbinned.change_percent as number) < 0, `plain change ${answer.unbinned.change_percent}`);
      assert.equal(answer.binned.change_percent, 10);
      assert.deepEqual(answer.binned.bins.map((bin) => [bin.outdoor_from, bin.comparable_hours]), [[6, 84]]);
      assert.equal(answer.binned.bins_one_sided, 2);
      assert.deepEqual(answer.binned.interval_percent, [10, 10]);
      assert.equal(answer.verdict, 'improved');
      assert.deepEqual(answer.unbinned.before.hours, 168);
    });

    it('not enough data: a day each side', () => {
      const rows = Array.from({ length: 48 }, (_, h) => row(h - 24, { deltaTW: h < 24 ? 3000 : 3600 }));
      const answer = beforeAfter(rows, AT);
      assert.equal(answer.binned.change_percent, 20);
      assert.deepEqual([answer.binned.days_before, answer.binned.days_after], [1, 1]);
      assert.equal(answer.verdict, 'not enough data');
    });

    it('puts an hour starting at the change on the after side and counts it to the first day', () => {
      const answer = beforeAfter([row(-1), row(0), row(23), row(24)], AT);
      assert.deepEqual([answer.unbinned.before.hours, answer.unbinned.after.hours, answer.binned.days_after], [1, 3, 2]);
    });
  });

  it('a day is 24 hours from the change, not a calendar day', () => {
    const before = [hour(-1, 1, 3), hour(-24, 1, 3), hour(-25, 1, 3)];
    const after = [hour(0, 1, 3), hour(23, 1, 3)];
    const answer = beforeAfter(
      [...before, ...after].map((h) => row((h.time - AT) / HOUR, { outdoorC: h.outdoorC })),
      AT,
    );
    assert.deepEqual([answer.binned.days_before, answer.binned.days_after], [2, 1]);
  });
});
