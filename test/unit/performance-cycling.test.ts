import assert from 'node:assert/strict';
import { compressorRuns, cyclingSummary, median } from '../../nodes/heatpump-performance/cycling';
import type { BoolSample } from '../../nodes/heatpump-performance/types';

const MIN = 60_000;
const T0 = Date.parse('2024-01-10T06:00:00Z');
const at = (minute: number): number => T0 + minute * MIN;
/** A flag sampled every half minute from minute 0 to 90, on during the given [from, to) minutes. */
const flag = (...onMinutes: [number, number][]): BoolSample[] =>
  Array.from({ length: 181 }, (_, i) => ({ t: at(i / 2), value: onMinutes.some(([from, to]) => i / 2 >= from && i / 2 < to) }));
const hour = { start: at(0), end: at(60) };

describe('performance compressor starts and short cycling', () => {
  const cases: [string, [number, number][], [number, number][], [number, number][], { starts: number; heatingStarts: number; medianMin: number | null; shortCycling: boolean; from: number | null }][] = [
    // name, compressor on, hot water on, defrost on (minutes), expected in the first hour
    ['a short-cycling hour: 6 runs of 5 minutes, every 10 minutes', [[1, 6], [11, 16], [21, 26], [31, 36], [41, 46], [51, 56]], [], [],
      { starts: 6, heatingStarts: 6, medianMin: 5, shortCycling: true, from: 1 }],
    ['the same hour with one run heating hot water: 5 heating starts, no flag', [[1, 6], [11, 16], [21, 26], [31, 36], [41, 46], [51, 56]], [[30, 37]], [],
      { starts: 6, heatingStarts: 5, medianMin: 5, shortCycling: false, from: null }],
    ['the same hour with one run defrosting: no flag', [[1, 6], [11, 16], [21, 26], [31, 36], [41, 46], [51, 56]], [], [[42, 44]],
      { starts: 6, heatingStarts: 5, medianMin: 5, shortCycling: false, from: null }],
    // runs 0.5, 0.5, 17, 17, 17 and 30 minutes (the last one ends after the hour): median 17 > 15
    ['6 starts in an hour but a median run of 17 minutes', [[0.5, 1], [1.5, 2], [3, 20], [21, 38], [39, 56], [56.5, 86.5]], [], [],
      { starts: 6, heatingStarts: 6, medianMin: 17, shortCycling: false, from: null }],
    ['long steady runs of 39 and 44 minutes', [[1, 40], [45, 89]], [], [],
      { starts: 2, heatingStarts: 2, medianMin: 41.5, shortCycling: false, from: null }],
  ];
  for (const [name, on, dhw, defrost, expected] of cases) {
    it(name, () => {
      const summary = cyclingSummary({ compressorRunning: flag(...on), dhw: flag(...dhw), defrost: flag(...defrost) }, hour);
      assert.deepEqual(
        [summary.starts, summary.heatingStarts, summary.shortCycling, summary.shortCyclingFrom],
        [expected.starts, expected.heatingStarts, expected.shortCycling, expected.from === null ? null : at(expected.from)],
      );
      assert.equal(summary.medianRunMs, (expected.medianMin ?? 0) * MIN);
      assert.equal(summary.startsPerHour, expected.starts);
    });
  }

  it('counts no start for a compressor already on when the data begins, and marks a run still on as open', () => {
    const running: BoolSample[] = [{ t: at(0), value: true }, { t: at(5), value: true }, { t: at(10), value: false }, { t: at(15), value: true }, { t: at(20), value: true }];
    const runs = compressorRuns({ compressorRunning: running, dhw: [], defrost: [] }, at(20));
    assert.deepEqual(runs.map((r) => [r.start, r.end, r.started, r.open]), [[at(0), at(10), false, false], [at(15), at(20), true, true]]);
  });

  it('does not count a run after a data gap as a start', () => {
    const running: BoolSample[] = [{ t: at(0), value: false }, { t: at(40), value: true }, { t: at(45), value: false }];
    const summary = cyclingSummary({ compressorRunning: running, dhw: [], defrost: [] }, hour);
    assert.deepEqual([summary.runs.length, summary.starts], [1, 0]);
  });

  const medians: [number[], number | null][] = [[[], null], [[3], 3], [[5, 1, 3], 3], [[4, 1, 3, 2], 2.5]];
  for (const [values, expected] of medians) {
    it(`median of [${values.join(', ')}] is ${expected}`, () => assert.equal(median(values), expected));
  }
});
