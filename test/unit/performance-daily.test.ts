// Daily energy from the closed windows: days in the installation's zone (a DST day has 23 hours),
// power integrated between window middles, counters preferred, SPF of the day; hand-computed.
import assert from 'node:assert/strict';
import { DailyEnergyAccumulator, dailyToPoint, flagChanges, MAX_FLAG_SAMPLES_PER_DAY, type DailyEnergy, type WindowEnergyInput } from '../../nodes/heatpump-performance/daily';
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

  // the day's outdoor mean: the mean of its windows' outdoor temperatures, by the window's start
  const outdoorCases: Array<{ name: string; outdoor: (start: number) => number | undefined; mean: number | null }> = [
    { name: '-2 °C all day', outdoor: () => -2, mean: -2 },
    // 144 windows at 0 °C (00:00-12:00), 144 at 10 °C: (144 × 0 + 144 × 10) / 288
    { name: 'a cold morning and a mild afternoon', outdoor: (start) => (start < APR_1 + 12 * HOUR ? 0 : 10), mean: 5 },
    // only the 12 windows of 06:00-07:00 report, at 3 °C; the others have no outdoor sensor
    { name: 'one hour with a reading', outdoor: (start) => (start >= APR_1 + 6 * HOUR && start < APR_1 + 7 * HOUR ? 3 : undefined), mean: 3 },
    { name: 'no outdoor sensor', outdoor: () => undefined, mean: null },
  ];
  for (const { name, outdoor, mean } of outdoorCases) {
    it(`keeps the day's mean outdoor temperature: ${name}`, () => {
      const acc = new DailyEnergyAccumulator('hp', 'Europe/Berlin', 0.8);
      const [day] = feed(acc, APR_1, APR_2 + W, (start) => {
        const outdoorC = outdoor(start);
        return outdoorC === undefined ? { electricalW: 1000, thermalW: 4000 } : { electricalW: 1000, thermalW: 4000, outdoorC };
      });
      assert.equal(day?.outdoor_mean, mean);
      const point = day ? dailyToPoint(day) : undefined;
      assert.equal(point?.fields.outdoor_mean, mean ?? undefined, 'energy_daily has outdoor_mean only when measured');
    });
  }

  it("the analyser's windows carry the outdoor temperature into the day", () => {
    const options = parseOptions({ deviceId: 'hp', timeZone: 'Europe/Berlin', flowRateLpm: '20' });
    assert.ok(options.ok);
    const analyser = new PerformanceAnalyser(options.value);
    for (let t = APR_1; t <= APR_2 + 10 * MIN; t += MIN) {
      // 4 °C before noon, 8 °C after: the change falls on a window boundary
      analyser.add({ device_id: 'hp', timestamp: t, metrics: { flow_temperature: 35, return_temperature: 30, outdoor_temperature: t < APR_1 + 12 * HOUR ? 4 : 8, electrical_power: 1000 } });
      analyser.close(t - MIN);
    }
    const [day] = analyser.takeDays();
    close(day?.outdoor_mean, 6, 'mean of 144 windows at 4 °C and 144 at 8 °C');
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

  it('a day with one defrost and its recovery, 7 short starts in an hour and a DHW cycle', () => {
    const acc = new DailyEnergyAccumulator('hp', 'Europe/Berlin', 0.8);
    const at = (h: number, m = 0) => APR_1 + h * HOUR + m * MIN;
    const between = (t: number, from: number, to: number) => t >= from && t < to;
    // compressor: on until 06:00, off until 08:00, 7 runs of 4 minutes every 8 minutes from 08:00, on again from 09:00
    const compressorOn = (t: number) =>
      t < at(6) || t >= at(9) || (between(t, at(8), at(9)) && (t - at(8)) % (8 * MIN) < 4 * MIN && t < at(8, 52));
    const dhwOn = (t: number) => between(t, at(12), at(12, 30));
    const defrostOn = (t: number) => between(t, at(15), at(15, 5));
    const everyMinute = (start: number, flag: (t: number) => boolean) => Array.from({ length: 5 }, (_, i) => ({ t: start + i * MIN, value: flag(start + i * MIN) }));
    const off = (start: number) => between(start, at(6), at(8));
    // from the last window of the day before, so the whole day is covered; 1 kW / 3 kW, standby 50 W / 0 W, the defrost window −2 kW
    const [, day] = feed(acc, APR_1 - W, APR_2 + W, (start) => ({
      electricalW: off(start) ? 50 : 1000,
      thermalW: off(start) ? 0 : defrostOn(start) ? -2000 : 3000,
      running: !off(start),
      flags: { compressorRunning: everyMinute(start, compressorOn), dhw: everyMinute(start, dhwOn), defrost: everyMinute(start, defrostOn) },
    }));
    assert.equal(day?.day, '2024-04-01');
    // the powers sit at the window middles and are integrated by trapezoids: around 06:00 and 08:00 one
    // 5-minute segment each averages 525 W, 115 minutes are 50 W, the other 22 h 55 min 1 kW
    close(day?.electrical_energy, 24 - 125 / 60 + (10 / 60) * 0.525 + (115 / 60) * 0.05, 'electricity');
    close(day?.electrical_energy, 22.1, 'electricity');
    // heat: 3 kW but 125 min around the standby (10 min at 1.5 kW, 115 at 0) and 10 min around the defrost at 0.5 kW
    const heat = 72 - (125 / 60) * 3 + (10 / 60) * 1.5 - (10 / 60) * 2.5;
    close(day?.heat_energy, heat, 'heat');
    // one defrost 15:00–15:05; the negative heat inside it: from −1 kW to −2 kW and back over 2.5 min each, 2 × 62.5 Wh
    assert.equal(day?.defrost_count, 1);
    close(day?.defrost_minutes, 5, 'defrost minutes');
    close(day?.defrost_heat, 0.125, 'heat drawn by the defrost');
    // starts: the 7 short runs and the run from 09:00 (the run at midnight began the day before)
    assert.equal(day?.compressor_starts, 8);
    // 08:08 … 08:48 and 09:00 lie within 60 minutes
    assert.equal(day?.max_starts_per_hour, 7);
    // 7 space-heating starts in an hour with a median run of 4 min (the 09:00 run has hot water and a defrost: left out)
    assert.equal(day?.short_cycling, true);
    // hot water 12:00–12:30 at a steady 1 kW / 3 kW
    close(day?.dhw.heat_energy, 1.5, 'DHW heat');
    close(day?.dhw.electrical_energy, 0.5, 'DHW electricity');
    close(day?.dhw.cop, 3, 'DHW COP');
    close(day?.space.heat_energy, heat - 1.5, 'space heat');
    close(day?.space.electrical_energy, 21.6, 'space electricity');
    close(day?.space.cop, (heat - 1.5) / 21.6, 'space COP');
    assert.deepEqual(day?.cooling, { heat_energy: 0, electrical_energy: 0, cop: null });
    // combined over the 288 windows: 263 × 3 kW − 2 kW over 264 × 1 kW + 24 × 50 W
    close(day?.cop_combined, (263 * 3000 - 2000) / (264 * 1000 + 24 * 50), 'combined COP');
    // running: the 264 running windows but the three in the recovery gate 15:00–15:15
    close(day?.cop_running, 3, 'running COP outside the recovery gate');
    const fields = dailyToPoint(day as DailyEnergy).fields;
    assert.equal(fields.defrost_count, 1);
    assert.equal(fields.short_cycling, true);
    close(fields.dhw_cop as number, 3, 'dhw_cop field');
    assert.equal(fields.cop_running, day?.cop_running);
    assert.equal('cooling_cop' in fields, false);
  });

  it('keeps of a flag per window only its changes, the first and the last sample', () => {
    const samples = [true, true, false, false, false, true, true].map((value, i) => ({ t: i, value }));
    assert.deepEqual(flagChanges(samples).map((s) => s.t), [0, 2, 5, 6]);
    assert.deepEqual(flagChanges([]), []);
  });

  it('keeps at most MAX_FLAG_SAMPLES_PER_DAY samples of a flapping flag and counts the ones it drops', () => {
    const acc = new DailyEnergyAccumulator('hp', 'Europe/Berlin', 0.8);
    // 10 alternating samples per window, all changes: 288 windows hold 2880
    const flapping = (start: number) => Array.from({ length: 10 }, (_, i) => ({ t: start + i * 30_000, value: i % 2 === 0 }));
    feed(acc, APR_1, APR_2, (start) => ({ flags: { compressorRunning: flapping(start) } }));
    assert.equal(acc.dropped, 2880 - MAX_FLAG_SAMPLES_PER_DAY);
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
