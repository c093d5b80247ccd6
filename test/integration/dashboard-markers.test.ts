// Change markers on the dashboard's charts (heatpump-changelog answering chart markers) in headless
// Chromium against the runtime `npm start` builds: setting changes written into its SQLite file as
// the change log node records them, readings and cop windows into its influxd; the Device page's
// history charts and the Performance page's COP chart draw a vertical line for each change of the
// chosen device inside their range, read from the charts' ECharts option. Waits are for conditions.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { MEASUREMENT_COP } from '../../nodes/heatpump-performance/analyser';
import { periodAt } from '../../nodes/heatpump-performance/periods';
import { retentionPolicyOf } from '../../nodes/shared/retention';
import { chartMarkLines, chartSeries, chooseOption, dashboardSuite, recordInLog, screenshot, waitFor, writeLines } from '../support/browser';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const ZONE = 'Europe/Berlin';
const DEVICE = 'mk1';
const OTHER = 'mk2';
const HISTORY_CHARTS = ['hp_dash_chart_temps', 'hp_dash_chart_pressure', 'hp_dash_chart_power', 'hp_dash_chart_voltage', 'hp_dash_chart_current'];

/** Picks a device in a page's dropdown. */
const chooseDevice = (page: Page, dropdown: string, device: string) => chooseOption(page, page.locator(`.${dropdown}`), device);

/** The chart's markers as "name@time", once it draws points and its markers equal `expected`. */
async function waitForMarkers(page: Page, chart: string, expected: string[]): Promise<void> {
  const shown = async () => (await chartMarkLines(page, chart)).map((line) => `${line.series}:${line.name}@${line.xAxis}`);
  await waitFor(
    async () => (await chartSeries(page, chart)).some((s) => s.name !== 'changes' && s.points.length > 0) && JSON.stringify(await shown()) === JSON.stringify(expected),
    20_000,
    `${chart} drawing its points with the markers ${JSON.stringify(expected)} (shown: ${JSON.stringify(await shown())})`,
  );
}

describe('dashboard change markers on the history and COP charts in headless Chromium (npm start runtime)', function () {
  this.timeout(180_000);
  const now = Date.now();
  const week = periodAt(now, 'week', ZONE);
  // inside the Device page's 24 h and the Performance page's week; the other change before both
  const inside = Math.max(week.start, now - 2 * HOUR);
  const earlier = week.start - DAY;
  const readingTimes = Array.from({ length: 36 }, (_, i) => now - 3 * HOUR + i * 5 * MINUTE);
  // a cop window per hour of this week so far (in its first hour: one at the change)
  const copHours = Array.from({ length: Math.floor((now - week.start) / HOUR) }, (_, i) => week.start + i * HOUR + 10 * MINUTE).filter((t) => t < now);
  const copTimes = copHours.length > 0 ? copHours : [inside];

  const suite = dashboardSuite({
    name: 'dashboard-markers',
    env: { HEATPUMP_DB_PATH: '', HEATPUMP_TIME_ZONE: ZONE },
    online: [DEVICE, OTHER],
    async prepare(stack) {
      // recorded as heatpump-changelog records modbus-poll's setting changes (another writer of the same file)
      await recordInLog(stack, [
        { kind: 'setting', change: { device_id: DEVICE, setting: 'heating_curve', old_value: 1.2, new_value: 1.4, source: 'modbus', time: inside } },
        { kind: 'setting', change: { device_id: DEVICE, setting: 'flow_offset', old_value: 0, new_value: 2, source: 'modbus', time: earlier } },
        { kind: 'setting', change: { device_id: OTHER, setting: 'dhw_setpoint', old_value: 50, new_value: 48, source: 'modbus', time: inside } },
      ]);
      await writeLines(
        stack.influxUrl,
        [DEVICE, OTHER].flatMap((device) =>
          readingTimes.map((t) => `sensor_reading,device_id=${device} temp_inlet=40,temp_outlet=45,voltage=230,current=5,power=1150,pressure_high=280,pressure_low=70 ${t}`),
        ),
      );
      await writeLines(
        stack.influxUrl,
        copTimes.map((t) => `cop,device_id=${DEVICE} cop_modulation=3.5,cop_delta_t=3.25,cop_running=3.75,quality=1,sound=true ${t}`),
        retentionPolicyOf(MEASUREMENT_COP),
      );
    },
  });

  it("marks the chosen device's change inside the 24 h on every history chart, not its older change nor another device's", async function () {
    const { page } = await suite.open('/device');
    await page.getByText('Temperature history', { exact: true }).first().waitFor({ timeout: 15_000 });
    await chooseDevice(page, 'hp-device-select', DEVICE);
    for (const chart of HISTORY_CHARTS) await waitForMarkers(page, chart, [`changes:heating_curve@${inside}`]);
    await screenshot(page, 'dashboard-markers-device');

    // another device: its own change replaces the markers
    await chooseDevice(page, 'hp-device-select', OTHER);
    for (const chart of HISTORY_CHARTS) await waitForMarkers(page, chart, [`changes:dhw_setpoint@${inside}`]);
    assert.deepEqual(suite.pageErrors, []);
  });

  it("marks the chosen device's change inside the period on the COP chart, not its change before it", async function () {
    const { page } = await suite.open('/performance');
    await page.getByText('COP', { exact: true }).first().waitFor({ timeout: 15_000 });
    await chooseDevice(page, 'hp-perf-device-select', DEVICE);
    // the page's default period: this week
    await waitForMarkers(page, 'hp_dash_perf_chart_cop', [`changes:heating_curve@${inside}`]);
    await screenshot(page, 'dashboard-markers-cop');
    assert.deepEqual(suite.pageErrors, []);
  });
});
