// The time grid of the performance figures: fast and slow series joined per 5-minute window.
import assert from 'node:assert/strict';
import { emptySeries, gridWindow, trueShare, windowStartOf, windowValue } from '../../nodes/heatpump-performance/grid';
import type { BoolSample, Sample } from '../../nodes/heatpump-performance/types';

const MIN = 60_000;
const W = 5 * MIN;
/** a window well away from the epoch: 2024-01-30 08:00 UTC */
const T0 = Date.UTC(2024, 0, 30, 8, 0);

/** Shelly-like: every 10 s over the window, 1000 W in the first half, 2000 W in the second */
const shelly: Sample[] = Array.from({ length: 30 }, (_, i) => ({ t: T0 + i * 10_000, value: i < 15 ? 1000 : 2000 }));

describe('performance grid: windows aligned to the epoch', () => {
  const cases: Array<[string, number, number, number]> = [
    ['the window start itself', T0, W, T0],
    ['inside the window', T0 + 3 * MIN + 20_000, W, T0],
    ['one ms before the next window', T0 + W - 1, W, T0],
    ['the next window starts at its own start', T0 + W, W, T0 + W],
    ['15-minute windows', T0 + 20 * MIN, 15 * MIN, T0 + 15 * MIN],
  ];
  for (const [name, t, windowMs, expected] of cases) {
    it(name, () => assert.equal(windowStartOf(t, windowMs), expected));
  }
});

describe('performance grid: numeric series per window', () => {
  const cases: Array<[string, Sample[], ReturnType<typeof windowValue>]> = [
    ['10 s samples: their mean (15 × 1000 W + 15 × 2000 W) / 30', shelly, { value: 1500, source: 'mean', samples: 30 }],
    ['a 5-minute sample at the window start is inside', [{ t: T0, value: 35 }], { value: 35, source: 'mean', samples: 1 }],
    ['a 5-minute sample 10 s before the window is carried in', [{ t: T0 - 10_000, value: 34 }], { value: 34, source: 'carried', samples: 0 }],
    ['the latest of the samples before is carried', [{ t: T0 - 10 * MIN, value: 30 }, { t: T0 - 5 * MIN, value: 31 }], { value: 31, source: 'carried', samples: 0 }],
    ['exactly maxAge old is still carried', [{ t: T0 - 15 * MIN, value: 29 }], { value: 29, source: 'carried', samples: 0 }],
    ['older than maxAge is not', [{ t: T0 - 15 * MIN - 1, value: 29 }], undefined],
    ['a sample at the window end belongs to the next window', [{ t: T0 + W, value: 40 }], undefined],
    ['samples inside win over one before', [{ t: T0 - MIN, value: 10 }, { t: T0 + MIN, value: 20 }, { t: T0 + 2 * MIN, value: 30 }], { value: 25, source: 'mean', samples: 2 }],
    ['no samples', [], undefined],
  ];
  for (const [name, samples, expected] of cases) {
    it(name, () => assert.deepEqual(windowValue(samples, T0, T0 + W, 15 * MIN), expected));
  }
});

describe('performance grid: flags as the share of time true', () => {
  const at = (minutes: number, value: boolean): BoolSample => ({ t: T0 + minutes * MIN, value });
  const cases: Array<[string, BoolSample[], number | undefined]> = [
    ['off from before, on at 1 min, off at 4 min: 3 of 5 minutes', [at(-1, false), at(1, true), at(4, false)], 0.6],
    ['on from before the window, all the window', [at(-3, true)], 1],
    ['first known at 1 min (on): the known 4 minutes are all on', [at(1, true)], 1],
    ['on at 2.5 min, unknown before: only the known time counts', [at(2.5, true)], 1],
    ['off known from before, on at 2.5 min: half', [at(-2, false), at(2.5, true)], 0.5],
    ['a state older than maxAge does not carry in', [at(-20, true)], undefined],
    ['samples out of order are sorted', [at(4, false), at(-1, false), at(1, true)], 0.6],
    ['no samples', [], undefined],
  ];
  for (const [name, samples, expected] of cases) {
    it(name, () => assert.equal(trueShare(samples, T0, T0 + W, 15 * MIN), expected));
  }
});

describe('performance grid: one device on a window', () => {
  it('joins a Shelly 10 s series and Viessmann 5-minute series', () => {
    const series = emptySeries();
    series.electricalPower = shelly;
    series.flow = [{ t: T0 - 5 * MIN, value: 34 }, { t: T0, value: 35 }];
    series.return = [{ t: T0 - 10_000, value: 30 }];
    series.modulation = [{ t: T0 - 20 * MIN, value: 50 }];
    series.compressorRunning = [{ t: T0 - MIN, value: true }];
    assert.deepEqual(gridWindow(series, T0, { windowMs: W, maxAgeMs: 15 * MIN }), {
      start: T0,
      end: T0 + W,
      values: {
        electricalPower: { value: 1500, source: 'mean', samples: 30 },
        flow: { value: 35, source: 'mean', samples: 1 },
        return: { value: 30, source: 'carried', samples: 0 },
      },
      shares: { compressorRunning: 1 },
    });
  });
});
