import assert from 'node:assert/strict';
import { overlapMs, trueSpans, valueAt } from '../../nodes/heatpump-performance/intervals';
import type { BoolSample } from '../../nodes/heatpump-performance/types';

const MIN = 60_000;
const flag = (...samples: [number, boolean][]): BoolSample[] => samples.map(([minute, value]) => ({ t: minute * MIN, value }));
const spans = (...pairs: [number, number][]): { start: number; end: number }[] => pairs.map(([a, b]) => ({ start: a * MIN, end: b * MIN }));

describe('performance intervals', () => {
  const cases: [string, BoolSample[], number, { start: number; end: number }[]][] = [
    ['on from 5 to 10', flag([0, false], [5, true], [7, true], [10, false]), 60, spans([5, 10])],
    ['samples out of order', flag([10, false], [5, true], [0, false]), 60, spans([5, 10])],
    ['still on at the end: ends at the last sample', flag([0, true], [5, true]), 60, spans([0, 5])],
    ['cut at until', flag([0, true], [5, true], [10, false]), 3, spans([0, 3])],
    ['a gap of 20 minutes ends the span at the last sample seen on', flag([0, true], [5, true], [25, true], [30, false]), 60, spans([0, 5], [25, 30])],
    ['never on', flag([0, false], [5, false]), 60, []],
  ];
  for (const [name, samples, untilMinute, expected] of cases) {
    it(`finds true spans: ${name}`, () => assert.deepEqual(trueSpans(samples, untilMinute * MIN), expected));
  }

  it('holds a value up to its maximum age', () => {
    const sorted = [{ t: 0, value: 1 }, { t: 10 * MIN, value: 2 }];
    assert.deepEqual([-1, 0, 9 * MIN, 10 * MIN, 25 * MIN, 25 * MIN + 1].map((t) => valueAt(sorted, t)), [undefined, 1, 1, 2, 2, undefined]);
  });

  it('measures overlaps of half-open spans', () => {
    assert.equal(overlapMs({ start: 0, end: 10 }, { start: 5, end: 20 }), 5);
    assert.equal(overlapMs({ start: 0, end: 10 }, { start: 10, end: 20 }), 0);
  });
});
