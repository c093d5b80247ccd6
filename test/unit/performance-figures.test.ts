// Thermal power two ways, COP, Carnot and data quality: hand-computed cases.
import assert from 'node:assert/strict';
import { carnotPercent, idealCop } from '../../nodes/heatpump-performance/carnot';
import { copWindow, cop, isRunningWindow, summariseCop, type EnergyWindow } from '../../nodes/heatpump-performance/cop';
import { combinedQuality, coveredShare, dataQuality } from '../../nodes/heatpump-performance/quality';
import { cubicMetresPerHour, FLUID_HEAT_CAPACITY, thermalFigures, thermalPowerDeltaT, thermalPowerModulation, type ThermalInputs } from '../../nodes/heatpump-performance/thermal';

const close = (actual: number | undefined, expected: number, what: string) => {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-6, `${what}: expected ${expected}, got ${actual}`);
};

describe('performance thermal power', () => {
  it('l/min to m³/h: 20 l/min is 1.2 m³/h', () => close(cubicMetresPerHour(20), 1.2, 'flow'));

  const modulation: Array<[number, number, number]> = [
    [8, 50, 4000],
    [10, 37.5, 3750],
    [8, 0, 0],
  ];
  for (const [kw, percent, watts] of modulation) {
    it(`modulation: ${kw} kW × ${percent} % = ${watts} W`, () => close(thermalPowerModulation(kw, percent), watts, 'W'));
  }

  const deltaT: Array<[string, number, number, number, number, number]> = [
    ['water, 20 l/min, 35/30 °C: 1.2 × 1.16 × 5 kW', 20, FLUID_HEAT_CAPACITY.water, 35, 30, 6960],
    ['30 % propylene glycol, same: 1.2 × 1.05 × 5 kW', 20, FLUID_HEAT_CAPACITY['propylene-glycol-30'], 35, 30, 6300],
    ['defrost: flow below return draws heat, 1.2 × 1.16 × −3 kW', 20, FLUID_HEAT_CAPACITY.water, 25, 28, -4176],
    ['no flow, no heat', 0, FLUID_HEAT_CAPACITY.water, 35, 30, 0],
  ];
  for (const [name, lpm, c, flow, ret, watts] of deltaT) {
    it(name, () => close(thermalPowerDeltaT(lpm, c, flow, ret), watts, 'W'));
  }

  const figures: Array<[string, ThermalInputs, ReturnType<typeof thermalFigures>]> = [
    [
      'both methods from modulation and flow × ΔT',
      { modulationPercent: 50, ratedPowerKw: 8, flowC: 35, returnC: 30, flowRateLitresPerMinute: 20 },
      { modulation: { watts: 4000, method: 'modulation' }, deltaT: { watts: 6960, method: 'delta_t' } },
    ],
    [
      'a heat meter wins over flow × ΔT',
      { modulationPercent: 50, ratedPowerKw: 8, flowC: 35, returnC: 30, flowRateLitresPerMinute: 20, heatMeterW: 5000 },
      { modulation: { watts: 4000, method: 'modulation' }, deltaT: { watts: 5000, method: 'heat_meter' } },
    ],
    ['no rated power: no modulation figure', { modulationPercent: 50, flowC: 35, returnC: 30, flowRateLitresPerMinute: 20 }, { deltaT: { watts: 6960, method: 'delta_t' } }],
    ['no flow rate: no ΔT figure', { modulationPercent: 50, ratedPowerKw: 8, flowC: 35, returnC: 30 }, { modulation: { watts: 4000, method: 'modulation' } }],
    ['nothing', {}, {}],
  ];
  for (const [name, inputs, expected] of figures) {
    it(name, () => {
      const actual = thermalFigures(inputs, FLUID_HEAT_CAPACITY.water);
      assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
      if (expected.modulation) close(actual.modulation?.watts, expected.modulation.watts, 'modulation');
      if (expected.deltaT) close(actual.deltaT?.watts, expected.deltaT.watts, 'deltaT');
      assert.equal(actual.modulation?.method, expected.modulation?.method);
      assert.equal(actual.deltaT?.method, expected.deltaT?.method);
    });
  }
});

describe('performance COP', () => {
  const ratios: Array<[string, number, number, number | undefined]> = [
    ['4000 W heat from 1000 W', 4000, 1000, 4],
    ['no electrical power: no COP, not Infinity', 4000, 0, undefined],
    ['a meter reading ~0 W: no COP', 4000, 0.5, undefined],
    ['negative heat (defrost) gives a negative COP', -500, 250, -2],
    ['not finite heat: no COP', Number.NaN, 1000, undefined],
  ];
  for (const [name, thermal, electrical, expected] of ratios) {
    it(name, () => assert.equal(cop(thermal, electrical), expected));
  }

  const running: Array<[string, number | undefined, number | undefined, boolean]> = [
    ['1000 W, compressor ran', 1000, 1, true],
    ['1000 W, source does not report the compressor', 1000, undefined, true],
    ['80 W standby, below the 100 W start threshold', 80, undefined, false],
    ['exactly the threshold is not above it', 100, 1, false],
    ['1000 W but the compressor was off the whole window', 1000, 0, false],
    ['no electrical power', undefined, 1, false],
  ];
  for (const [name, watts, share, expected] of running) {
    it(`running window: ${name}`, () => assert.equal(isRunningWindow(watts, share, 100), expected));
  }

  it('a window: both methods side by side, running COP from the measured heat', () => {
    const thermal = { modulation: { watts: 4000, method: 'modulation' as const }, deltaT: { watts: 3600, method: 'delta_t' as const } };
    assert.deepEqual(copWindow({ thermal, electricalW: 1000, compressorRunningShare: 1 }, 100), { isRunning: true, modulation: 4, deltaT: 3.6, running: 3.6 });
    assert.deepEqual(copWindow({ thermal, electricalW: 50 }, 100), { isRunning: false, modulation: 80, deltaT: 72 });
    assert.deepEqual(copWindow({ thermal }, 100), { isRunning: false });
  });

  it('combined COP includes standby, running COP does not: 7000/2020 vs 7000/2000', () => {
    const windows: EnergyWindow[] = [
      { thermalW: 4000, electricalW: 1000, isRunning: true },
      { thermalW: 3000, electricalW: 1000, isRunning: true },
      { thermalW: 0, electricalW: 20, isRunning: false },
    ];
    const summary = summariseCop(windows);
    close(summary.combined, 7000 / 2020, 'combined');
    close(summary.running, 3.5, 'running');
    assert.deepEqual(summariseCop([{ thermalW: 0, electricalW: 0, isRunning: false }]), {});
  });
});

describe('performance Carnot', () => {
  const cases: Array<[string, number, number, number | undefined]> = [
    ['flow 35 °C, outdoor 7 °C: 310.15 / (310.15 − 274.15)', 35, 7, 310.15 / 36],
    ['flow 45 °C, outdoor −3 °C: 320.15 / 56', 45, -3, 320.15 / 56],
    ['no lift (flow 8 K below outdoor): none', -1, 7, undefined],
  ];
  for (const [name, flow, outdoor, expected] of cases) {
    it(name, () => (expected === undefined ? assert.equal(idealCop(flow, outdoor), undefined) : close(idealCop(flow, outdoor), expected, 'ideal')));
  }
  it('COP 4 at 35/7 °C is 4 / 8.6153 = 46.43 % of Carnot', () => close(carnotPercent(4, 35, 7), (4 / (310.15 / 36)) * 100, '%'));
});

describe('performance data quality', () => {
  const MIN = 60_000;
  const every5 = (from: number, to: number) => Array.from({ length: (to - from) / 5 + 1 }, (_, i) => (from + i * 5) * MIN);
  const cases: Array<[string, number[], number]> = [
    ['every 5 minutes over the hour', every5(0, 55), 1],
    ['a 30-minute gap is not bridged: 20 + 10 of 60 minutes', [...every5(0, 20), ...every5(50, 55)], 0.5],
    ['a gap of exactly 15 minutes is not bridged', [0, 15 * MIN, 30 * MIN, 45 * MIN], 0],
    ['a 14-minute gap is bridged', [0, 14 * MIN, 28 * MIN, 42 * MIN, 56 * MIN], 1],
    ['first sample 20 minutes in, none before: the first 20 minutes are missing', every5(20, 55), 40 / 60],
    ['a sample before the period bridges into it', [-5 * MIN, ...every5(5, 55)], 1],
    ['no samples', [], 0],
  ];
  for (const [name, times, expected] of cases) {
    it(name, () => close(coveredShare(times, 0, 60 * MIN, 15 * MIN), expected, 'share'));
  }
  it('below the threshold the figure is not sound', () => {
    assert.deepEqual(dataQuality([...every5(0, 20), ...every5(50, 55)], 0, 60 * MIN, { bridgedGapMs: 15 * MIN, threshold: 0.8 }), { share: 0.5, sound: false });
    assert.deepEqual(dataQuality(every5(0, 55), 0, 60 * MIN, { bridgedGapMs: 15 * MIN, threshold: 0.8 }), { share: 1, sound: true });
  });
  it('a figure is as good as its weakest input', () => {
    assert.deepEqual(combinedQuality([{ share: 1, sound: true }, { share: 0.7, sound: false }], 0.8), { share: 0.7, sound: false });
    assert.deepEqual(combinedQuality([], 0.8), { share: 0, sound: false });
  });
});
