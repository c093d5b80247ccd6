import assert from 'node:assert/strict';
import { modeSpans, splitByMode, type ModeInput } from '../../nodes/heatpump-performance/modes';
import type { BoolSample, Sample } from '../../nodes/heatpump-performance/types';

const MIN = 60_000;
const T0 = Date.parse('2024-01-10T06:00:00Z');
const at = (minute: number): number => T0 + minute * MIN;
const minutes = (to: number, value: (m: number) => number): Sample[] => Array.from({ length: to + 1 }, (_, m) => ({ t: at(m), value: value(m) }));
const flag = (to: number, on: (m: number) => boolean): BoolSample[] => Array.from({ length: to + 1 }, (_, m) => ({ t: at(m), value: on(m) }));
const close = (actual: number | null | undefined, expected: number, tolerance = 1e-9): void =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected}`);
const hour = { start: at(0), end: at(60) };

describe('performance split into space heating, hot water and cooling', () => {
  it('splits an hour of space heating then hot water', () => {
    // minutes 0..39 space heating (6 kW heat, 1.5 kW electricity), 40..60 hot water (4 kW, 2 kW)
    const input: ModeInput = {
      heatPower: minutes(60, (m) => (m < 40 ? 6000 : 4000)),
      electricalPower: minutes(60, (m) => (m < 40 ? 1500 : 2000)),
      dhw: flag(60, (m) => m >= 40), defrost: [], flow: minutes(60, () => 35), return: minutes(60, () => 30),
    };
    const split = splitByMode(input, hour);
    // by hand: space 39 min × 6 kW + the ramp minute 39..40 at a mean 5 kW; hot water 20 min × 4 kW
    close(split.space.heatKwh, 39 / 60 * 6 + 5 / 60);
    close(split.space.electricityKwh, 39 / 60 * 1.5 + 1.75 / 60);
    close(split.dhw.heatKwh, 20 / 60 * 4);
    close(split.dhw.electricityKwh, 20 / 60 * 2);
    close(split.dhw.cop, 2);
    assert.deepEqual(split.cooling, { heatKwh: 0, electricityKwh: 0, cop: null });
    // nothing lost: the modes add up to the whole hour
    close(split.space.heatKwh + split.dhw.heatKwh, 39 / 60 * 6 + 5 / 60 + 20 / 60 * 4);
  });

  it('recognises cooling by negative ΔT and keeps a defrost in space heating', () => {
    // minutes 0..29 cooling (flow 18 °C, return 22 °C, −3 kW, 1 kW electricity);
    // minutes 30..60 a defrost (flow 20, return 25, −2 kW, 1 kW): reversed ΔT, but heating
    const input: ModeInput = {
      heatPower: minutes(60, (m) => (m < 30 ? -3000 : -2000)),
      electricalPower: minutes(60, () => 1000),
      dhw: [], defrost: flag(60, (m) => m >= 30),
      flow: minutes(60, (m) => (m < 30 ? 18 : 20)), return: minutes(60, (m) => (m < 30 ? 22 : 25)),
    };
    const split = splitByMode(input, hour);
    // cooling: 29 min × 3 kW + the minute 29..30 at a mean 2.5 kW removed
    close(split.cooling.heatKwh, 29 / 60 * 3 + 2.5 / 60);
    close(split.cooling.electricityKwh, 30 / 60);
    close(split.space.heatKwh, -30 / 60 * 2);
    close(split.space.electricityKwh, 30 / 60);
  });

  it('follows a cooling flag when the source has one, ΔT aside', () => {
    const input: ModeInput = {
      heatPower: minutes(60, () => -3000), electricalPower: minutes(60, () => 1000),
      dhw: [], defrost: [], cooling: flag(60, () => true), flow: minutes(60, () => 25), return: minutes(60, () => 25),
    };
    const split = splitByMode(input, hour);
    close(split.cooling.heatKwh, 3);
    close(split.cooling.cop, 3);
    assert.equal(split.space.heatKwh, 0);
  });

  it('does not call a ΔT of −0.3 K (sensor noise) cooling', () => {
    const spans = modeSpans({ dhw: [], defrost: [], flow: minutes(60, () => 29.7), return: minutes(60, () => 30) }, hour);
    assert.deepEqual(spans, { space: [hour], dhw: [], cooling: [] });
  });

  it('lets a hot-water flag expire 15 minutes after its last sample', () => {
    const spans = modeSpans({ dhw: [{ t: at(0), value: true }], defrost: [], flow: [], return: [] }, hour);
    assert.deepEqual(spans.dhw, [{ start: at(0), end: at(15) + 1 }]);
    assert.deepEqual(spans.space, [{ start: at(15) + 1, end: at(60) }]);
  });

  it('takes up a repeated flag value again after it had expired', () => {
    const spans = modeSpans({ dhw: [{ t: at(0), value: true }, { t: at(20), value: true }], defrost: [], flow: [], return: [] }, hour);
    assert.deepEqual(spans.dhw, [{ start: at(0), end: at(15) + 1 }, { start: at(20), end: at(35) + 1 }]);
    assert.deepEqual(spans.space, [{ start: at(15) + 1, end: at(20) }, { start: at(35) + 1, end: at(60) }]);
  });
});
