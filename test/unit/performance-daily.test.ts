// Daily energy from the closed windows: days in the installation's zone (a DST day has 23 hours),
// power integrated between window middles, counters preferred, SPF of the day; hand-computed.
import assert from 'node:assert/strict';
import { DailyEnergyAccumulator, dailyToPoint, type DailyEnergy, type WindowEnergyInput } from '../../nodes/heatpump-performance/daily';
import { PerformanceAnalyser } from '../../nodes/heatpump-performance/analyser';
import { parseOptions } from '../../nodes/heatpump-performance/options';

const MIN = 60_000;
const HOUR = 60 * MIN;
const W = 5 * MIN;
/** local midnights in Europe/Berlin (UTC+1 in winter, +2 in summer) */
const MAR_30 = Date.UTC(2024, 2, 29, 23, 0);
const MAR_31 = Date.UTC(2024, 2, 30, 23, 0);
const APR_1 = Date.UTC(2024, 2, 31, 22, 0);
const APR_2 = Date.UTC(2024, 3, 1, 22, 0);

const close = (actual: number | null | undefined, expected: number, what: string) =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) < 1e-9, `${what}: expected ${expected}, got ${String(actual)}`);

/** Windows from `from` to `to`, each built by `make`; the days they finish. */
function feed(acc: DailyEnergyAccumulator, from: number, to: number, make: (start: number) => Partial<WindowEnergyInput>): DailyEnergy[] {
  const days: DailyEnergy[] = [];
  for (let start = from; start < to; start += W) days.push(...acc.addWindow({ start, end: start + W, ...make(start) }));
  return days;
}

describe('performance daily energy', () => {
  it('1 kW electric and 4 kW heat over three days: the first lacks its first 2.5 minutes, the DST day has 23 hours', () => {
    const acc = new DailyEnergyAccumulator('hp', 'Europe/Berlin', 0.8);
    const days = feed(acc, MAR_30, APR_1 + W, () => ({ electricalW: 1000, thermalW: 4000 }));
    assert.deepEqual(days.map((d) => [d.day, d.start, d.end]), [['2024-03-30', MAR_30, MAR_31], ['2024-03-31', MAR_31, APR_1]]);
    const [first, dst] = days;
    // power samples at the window middles: the first day starts at 00:02:30, so 24 h − 2.5 min are integrated
    const firstHours = 24 - 2.5 / 60;
    close(first?.electrical_energy, firstHours, 'first day kWh');
    close(first?.heat_energy, 4 * firstHours, 'first day heat');
    close(first?.spf, 4, 'SPF');
    close(first?.quality, firstHours / 24, 'quality');
    assert.equal(first?.sound, true);
    assert.equal(first?.electrical_method, 'power');
    // 2024-03-31 has 23 hours in Berlin; the segment across midnight is split between the days
    close(dst?.electrical_energy, 23, 'DST day kWh');
    close(dst?.heat_energy, 92, 'DST day heat');
    close(dst?.quality, 1, 'DST day quality');
  });

  it('a counter wins over power, and a meter reset counts from zero', () => {
    const acc = new DailyEnergyAccumulator('hp', 'Europe/Berlin', 0.8);
    // the counter climbs 0.1 kWh per window from 1000 kWh; at 12:00 the meter restarts at 0
    let counter = 1000;
    const days = feed(acc, APR_1, APR_2 + W, (start) => {
      counter = start === APR_1 + 12 * HOUR ? 0.1 : counter + 0.1;
      return { electricalCounter: { t: start + W - 1, value: counter }, electricalW: 5000, heatCounter: { t: start + W - 1, value: 2000 + (start - APR_1) / W * 0.3 }, thermalW: 1 };
    });
    const [day] = days;
    assert.equal(day?.electrical_method, 'counter');
    assert.equal(day?.heat_method, 'counter');
    // 288 windows: readings at the end of each; 287 steps of 0.1 kWh inside the day (the reset step counts its 0.1 kWh),
    // plus the share of the step into the next day that falls before midnight (1 ms of 5 min)
    const inside = 287 * 0.1 + 0.1 * (1 / W);
    close(day?.electrical_energy, inside, 'electricity from the counter');
    close(day?.heat_energy, 3 * inside, 'heat from the heat meter');
    close(day?.spf, 3, 'SPF');
  });

  it('no electricity: no SPF, and a day with a long gap is not sound', () => {
    const acc = new DailyEnergyAccumulator('hp', 'Europe/Berlin', 0.8);
    // heat only in the first 6 hours
    const [day] = feed(acc, APR_1, APR_2 + W, (start) => (start < APR_1 + 6 * HOUR || start >= APR_2 ? { thermalW: 2000 } : {}));
    assert.equal(day?.spf, null);
    assert.equal(day?.electrical_method, 'none');
    assert.equal(day?.sound, false);
    assert.deepEqual(dailyToPoint(day as DailyEnergy), {
      measurement: 'energy_daily',
      tags: { device_id: 'hp' },
      fields: {
        electrical_energy: 0, heat_energy: day?.heat_energy as number, electrical_method: 'none', heat_method: 'power', quality: 0, sound: false,
        // no defrost flag and no negative heat: no defrost; no compressor flag: no starts fields
        defrost_count: 0, defrost_minutes: 0, defrost_heat: 0,
        space_heat_energy: day?.heat_energy as number, space_electrical_energy: 0, dhw_heat_energy: 0, dhw_electrical_energy: 0, cooling_heat_energy: 0, cooling_electrical_energy: 0,
      },
      timestamp: new Date(APR_1),
    });
  });

  it('the analyser reports a day when the first window of the next day closes', () => {
    const options = parseOptions({ deviceId: 'hp', ratedPowerKw: '8', timeZone: 'Europe/Berlin' });
    assert.ok(options.ok);
    const analyser = new PerformanceAnalyser(options.value);
    for (let t = APR_1; t <= APR_2 + 10 * MIN; t += MIN) {
      analyser.add({ device_id: 'hp', timestamp: t, metrics: { electrical_power: 1000, compressor_modulation: 50 } });
      analyser.close(t - MIN);
      if (t < APR_2 + W + MIN) assert.deepEqual(analyser.takeDays(), [], `no day yet at ${new Date(t).toISOString()}`);
    }
    const [day] = analyser.takeDays();
    assert.equal(day?.day, '2024-04-01');
    // window middles from 00:02:30: 24 h − 2.5 min of 1 kW and of 8 kW × 50 %
    close(day?.electrical_energy, 24 - 2.5 / 60, 'kWh');
    close(day?.spf, 4, 'SPF');
  });
});
