import assert from 'node:assert/strict';
import { defrostSummary, recoveryGate } from '../../nodes/heatpump-performance/defrost';
import { overlapMs } from '../../nodes/heatpump-performance/intervals';
import type { BoolSample, Sample } from '../../nodes/heatpump-performance/types';

const MIN = 60_000;
const T0 = Date.parse('2024-01-10T06:00:00Z');
const at = (minute: number): number => T0 + minute * MIN;
const close = (actual: number | null | undefined, expected: number, tolerance = 1e-9): void =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected}`);

// One hour sampled every minute: 6 kW heat at 1.5 kW electricity, a defrost from minute 30 to 35
// drawing 3 kW from the circuit (heat samples at minutes 30..35 are −3000 W).
const heatPower: Sample[] = Array.from({ length: 61 }, (_, m) => ({ t: at(m), value: m >= 30 && m <= 35 ? -3000 : 6000 }));
const electricalPower: Sample[] = Array.from({ length: 61 }, (_, m) => ({ t: at(m), value: 1500 }));
const defrost: BoolSample[] = [{ t: at(0), value: false }, { t: at(30), value: true }, { t: at(35), value: false }, { t: at(60), value: false }];
const hour = { start: at(0), end: at(60) };

describe('performance defrost episodes and recovery gate', () => {
  it('finds a defrost from the flag with its duration, heat drawn and electricity', () => {
    const summary = defrostSummary({ defrost, heatPower, electricalPower }, hour);
    assert.equal(summary.source, 'flag');
    assert.equal(summary.count, 1);
    assert.equal(summary.totalDurationMs, 5 * MIN);
    // 5 minutes at −3 kW
    close(summary.heatDrawnKwh, 0.25);
    close(summary.episodes[0]?.electricityKwh, 5 / 60 * 1.5);
  });

  it('computes the effective COP including the defrost and the COP outside the recovery gate', () => {
    const summary = defrostSummary({ defrost, heatPower, electricalPower }, hour);
    // heat by trapezoids: 29 min × 6 kW + 2 ramps of 1 min at a mean 1.5 kW + 5 min × −3 kW + 24 min × 6 kW
    const netHeat = 2.9 + 0.025 - 0.25 + 0.025 + 2.4;
    close(summary.effectiveCop, netHeat / 1.5);
    // gate: minutes 30..45 (defrost + 10 min recovery): −0.25 + 0.025 + 9 × 0.1 kWh heat, 15 min of electricity
    assert.deepEqual(summary.recoveryGate, [{ start: at(30), end: at(45) }]);
    close(summary.copOutsideRecovery, (netHeat - (-0.25 + 0.025 + 0.9)) / (1.5 - 0.375));
    assert.ok((summary.copOutsideRecovery ?? 0) > (summary.effectiveCop ?? 0));
  });

  it('finds the defrost from negative heat when there is no flag', () => {
    const summary = defrostSummary({ defrost: [], heatPower, electricalPower }, hour);
    assert.equal(summary.source, 'negative-heat');
    // negative from the sample at 30 until the first positive one at 36
    assert.deepEqual(summary.episodes.map((e) => [e.start, e.end]), [[at(30), at(36)]]);
    // 5 min × 3 kW + the ramp −3 kW → 0 over minute 35..36 (mean 1.5 kW)
    close(summary.heatDrawnKwh, 0.25 + 0.025);
  });

  it('takes a custom recovery time', () => {
    const summary = defrostSummary({ defrost, heatPower, electricalPower }, hour, { recoveryMinutes: 0 });
    assert.deepEqual(summary.recoveryGate, [{ start: at(30), end: at(35) }]);
  });

  it('reports no defrost and a plain COP for an hour without one', () => {
    const steady = heatPower.map((s) => ({ ...s, value: 6000 }));
    const summary = defrostSummary({ defrost: [{ t: at(0), value: false }], heatPower: steady, electricalPower }, hour);
    assert.equal(summary.count, 0);
    close(summary.effectiveCop, 4);
    close(summary.copOutsideRecovery, 4);
  });

  const gates: [string, [number, number][], number, [number, number][]][] = [
    ['two defrosts closer than the recovery time merge', [[0, 5], [12, 15]], 10, [[0, 25]]],
    ['two defrosts far apart stay apart', [[0, 5], [30, 35]], 10, [[0, 15], [30, 45]]],
    ['out of order', [[30, 35], [0, 5]], 10, [[0, 15], [30, 45]]],
  ];
  for (const [name, episodes, minutes, expected] of gates) {
    it(`gates recovery: ${name}`, () => {
      const gate = recoveryGate(episodes.map(([s, e]) => ({ start: at(s), end: at(e) })), minutes);
      assert.deepEqual(gate, expected.map(([s, e]) => ({ start: at(s), end: at(e) })));
    });
  }

  it('excludes a minute 9 minutes after a defrost but not one 11 minutes after', () => {
    const gate = recoveryGate([{ start: at(30), end: at(35) }]);
    // the daily running COP leaves out the windows that overlap the gate
    assert.deepEqual([at(29), at(30), at(44), at(46)].map((t) => gate.some((span) => overlapMs(span, { start: t, end: t + MIN }) > 0)), [false, true, true, false]);
  });
});
