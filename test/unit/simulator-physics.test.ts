// The simulator's metrics readings are physically consistent: a generated day (no MQTT, no clock)
// adds up to the model's own exact totals, and heatpump-performance finds in it the heat,
// electricity, defrosts, hot water and the one short-cycling device the model made.
import assert from 'node:assert/strict';
import { AnalyserRegistry } from '../../nodes/heatpump-performance/devices';
import type { DailyEnergy } from '../../nodes/heatpump-performance/daily';
import { parseOptions } from '../../nodes/heatpump-performance/options';
import { FROST_AMBIENT, simulateSeries, WATER_HEAT_CAPACITY, type SimulationTotals, type StepResult } from '../../scripts/lib/sim-model';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** the generated day, 2026-01-14 (UTC) */
const DAY_START = Date.UTC(2026, 0, 14);
const INTERVAL = 20_000;

/** A device from an hour before the day to 10 minutes after it (the first window of the next day closes the day). */
const generate = (id: string, setup: { ambientMean: number; shortCycling?: boolean }, seed = 11): StepResult[] =>
  simulateSeries({ id, seed, start: DAY_START - HOUR, end: DAY_START + DAY + 10 * 60_000, intervalMs: INTERVAL, setup });

/** The model's exact totals over [from, to): the difference of the running totals at the two samples. */
function totalsOver(steps: readonly StepResult[], from: number, to: number): SimulationTotals {
  const at = (t: number) => steps.find((step) => step.reading.timestamp === t)?.state.totals;
  const first = at(from);
  const last = at(to);
  assert.ok(first && last, 'samples at both ends');
  return {
    electricalKwh: last.electricalKwh - first.electricalKwh,
    heatKwh: last.heatKwh - first.heatKwh,
    defrostHeatKwh: last.defrostHeatKwh - first.defrostHeatKwh,
    defrosts: last.defrosts - first.defrosts,
    dhwCycles: last.dhwCycles - first.dhwCycles,
    starts: last.starts - first.starts,
  };
}

const within = (actual: number, expected: number, share: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= share * Math.abs(expected), `${what}: ${actual} is not within ${share * 100} % of ${expected}`);

/** The days heatpump-performance (every device, days in UTC) reports for these readings. */
function analysedDays(...devices: StepResult[][]): DailyEnergy[] {
  const options = parseOptions({ deviceId: '', timeZone: 'UTC' });
  assert.ok(options.ok);
  const registry = new AnalyserRegistry(options.value);
  const days: DailyEnergy[] = [];
  const readings = devices.flat().map((step) => step.metrics).sort((a, b) => a.timestamp - b.timestamp);
  for (const reading of readings) {
    const route = registry.route(reading.device_id);
    assert.ok(typeof route === 'object');
    route.analyser.add(reading);
    route.analyser.close(reading.timestamp - 60_000);
    days.push(...route.analyser.takeDays());
  }
  return days;
}

describe('simulator physics (scripts/lib/sim-model)', function () {
  const cold = generate('sim-001', { ambientMean: 1 });
  const cycling = generate('sim-002', { ambientMean: 1, shortCycling: true });
  const mild = generate('sim-003', { ambientMean: 12 });
  const inDay = (steps: StepResult[]) => steps.filter((s) => s.reading.timestamp >= DAY_START && s.reading.timestamp < DAY_START + DAY);

  it('publishes a metrics reading with the ESP32 reading\'s temperatures and electrical power, under the common metric names', function () {
    for (const { reading, metrics } of [...cold, ...cycling]) {
      assert.equal(metrics.device_id, reading.device);
      assert.equal(metrics.timestamp, reading.timestamp);
      assert.equal(metrics.metrics.flow_temperature, reading.temperature.outlet);
      assert.equal(metrics.metrics.return_temperature, reading.temperature.inlet);
      assert.equal(metrics.metrics.outdoor_temperature, reading.temperature.ambient);
      assert.equal(metrics.metrics.electrical_power, reading.electrical.power);
      assert.equal(metrics.metrics.compressor_running, reading.status.compressor);
      assert.equal(metrics.metrics.defrost_active, reading.status.defrost);
    }
    assert.deepEqual(Object.keys(cold[0]?.metrics.metrics ?? {}).sort(), [
      'compressor_modulation', 'compressor_rated_power', 'compressor_running', 'defrost_active', 'dhw_active', 'electrical_energy',
      'electrical_power', 'flow_rate', 'flow_temperature', 'outdoor_temperature', 'return_temperature',
    ]);
  });

  it('heat from flow × ΔT agrees with modulation × rated power within 2 % over the running samples', function () {
    for (const steps of [cold, cycling, mild]) {
      let deltaT = 0;
      let modulation = 0;
      for (const { metrics } of steps) {
        const m = metrics.metrics as Record<string, number | boolean>;
        if (m.compressor_running !== true || m.defrost_active === true) continue;
        deltaT += (((m.flow_rate as number) * 60) / 1000) * WATER_HEAT_CAPACITY * ((m.flow_temperature as number) - (m.return_temperature as number));
        modulation += ((m.compressor_modulation as number) / 100) * (m.compressor_rated_power as number);
      }
      assert.ok(modulation > 0);
      within(deltaT, modulation, 0.02, `${steps[0]?.metrics.device_id} flow × ΔT against modulation`);
    }
  });

  it('a COP between 45 and 55 % of Carnot, better when it is milder; an electricity counter that adds up the power', function () {
    const spf = (steps: StepResult[]) => {
      const totals = totalsOver(steps, DAY_START, DAY_START + DAY);
      return totals.heatKwh / totals.electricalKwh;
    };
    assert.ok(spf(cold) > 2.5 && spf(cold) < 4.5, `cold SPF ${spf(cold)}`);
    assert.ok(spf(mild) > spf(cold) + 0.5, `mild SPF ${spf(mild)} against cold ${spf(cold)}`);
    for (const { state } of cold) assert.ok(state.carnotShare >= 0.45 && state.carnotShare <= 0.55);
    // the counter against the power integrated by the trapezoid of 20 s samples
    const day = inDay(cold);
    let integrated = 0;
    for (let i = 1; i < day.length; i++) {
      const a = day[i - 1]?.metrics.metrics.electrical_power as number;
      const b = day[i]?.metrics.metrics.electrical_power as number;
      integrated += (((a + b) / 2) * INTERVAL) / HOUR / 1000;
    }
    const counter = (day.at(-1)?.metrics.metrics.electrical_energy as number) - (day[0]?.metrics.metrics.electrical_energy as number);
    within(integrated, counter, 0.03, 'power integrated against the counter');
  });

  it('defrosts every 45 to 90 running minutes below 5 °C, each with negative heat (flow colder than return), never when mild', function () {
    const totals = totalsOver(cold, DAY_START, DAY_START + DAY);
    assert.ok(totals.defrosts >= 8 && totals.defrosts <= 32, `${totals.defrosts} defrosts`);
    const defrosting = inDay(cold).filter((s) => s.metrics.metrics.defrost_active === true);
    assert.ok(defrosting.length > 0);
    for (const { metrics, state } of defrosting) {
      assert.ok((metrics.metrics.flow_temperature as number) < (metrics.metrics.return_temperature as number), 'flow colder than return');
      assert.ok(state.heatKw < 0);
    }
    const starts = inDay(cold).filter((s, i, all) => s.metrics.metrics.defrost_active === true && all[i - 1]?.metrics.metrics.defrost_active !== true);
    assert.equal(starts.length, totals.defrosts);
    for (const { metrics } of starts) assert.ok((metrics.metrics.outdoor_temperature as number) < FROST_AMBIENT + 1);
    assert.equal(totalsOver(mild, DAY_START, DAY_START + DAY).defrosts, 0);
  });

  it('charges hot water once or twice a day, at a flow of 50 to 55 °C', function () {
    for (const steps of [cold, cycling, mild]) {
      const totals = totalsOver(steps, DAY_START, DAY_START + DAY);
      assert.ok(totals.dhwCycles === 1 || totals.dhwCycles === 2, `${totals.dhwCycles} hot water charges`);
      const charging = inDay(steps).filter((s) => s.metrics.metrics.dhw_active === true);
      const hottest = Math.max(...charging.map((s) => s.metrics.metrics.flow_temperature as number));
      assert.ok(hottest >= 49.5 && hottest <= 55.5, `hot water flow ${hottest} °C`);
    }
  });

  it('one device short-cycles (6 or more starts an hour, runs of at most 10 minutes), the others do not', function () {
    const runsOf = (steps: StepResult[]) => {
      const runs: number[] = [];
      let started: number | undefined;
      for (const { metrics } of inDay(steps)) {
        const on = metrics.metrics.compressor_running === true;
        if (on && started === undefined) started = metrics.timestamp;
        if (!on && started !== undefined) {
          runs.push(metrics.timestamp - started);
          started = undefined;
        }
      }
      return runs.sort((a, b) => a - b);
    };
    const median = (runs: number[]) => runs[Math.floor(runs.length / 2)] ?? 0;
    const shortRuns = runsOf(cycling);
    assert.ok(shortRuns.length / 24 >= 6, `${shortRuns.length} starts in the day`);
    assert.ok(median(shortRuns) <= 10 * 60_000, `median run ${median(shortRuns) / 60_000} min`);
    for (const steps of [cold, mild]) {
      const runs = runsOf(steps);
      assert.ok(runs.length / 24 < 2, `${runs.length} starts`);
      assert.ok(median(runs) > 20 * 60_000);
    }
  });

  it('is deterministic for a seed', function () {
    assert.deepEqual(generate('sim-001', { ambientMean: 1 }).map((s) => s.metrics), cold.map((s) => s.metrics));
    assert.notDeepEqual(generate('sim-001', { ambientMean: 1 }, 12).map((s) => s.metrics), cold.map((s) => s.metrics));
  });

  it('heatpump-performance finds the day\'s heat, electricity, defrosts and starts, and flags only the short-cycling device', function () {
    const days = analysedDays(cold, cycling);
    for (const [steps, shortCycling] of [[cold, false], [cycling, true]] as const) {
      const id = steps[0]?.metrics.device_id;
      const day = days.find((d) => d.device_id === id && d.start === DAY_START);
      assert.ok(day, `the day of ${id}`);
      const totals = totalsOver(steps, DAY_START, DAY_START + DAY);
      // electricity from the counter: exact but for its rounding
      within(day.electrical_energy, totals.electricalKwh, 0.001, `${id} electricity`);
      // heat from 5-minute means of 20 s samples of flow × ΔT: sampling, not the model, limits it
      within(day.heat_energy, totals.heatKwh, 0.03, `${id} heat`);
      within(day.spf ?? 0, totals.heatKwh / totals.electricalKwh, 0.03, `${id} SPF`);
      assert.equal(day.defrost_count, totals.defrosts, `${id} defrosts`);
      assert.equal(day.compressor_starts, totals.starts, `${id} starts`);
      assert.equal(day.short_cycling, shortCycling, `${id} short cycling`);
    }
  });
});
