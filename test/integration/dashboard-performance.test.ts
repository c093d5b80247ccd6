// The dashboard's Performance page (flows/30-dashboard-5-performance.json) in headless Chromium
// against the runtime `npm start` builds, with cop windows and energy_daily days written into its
// influxd as heatpump-performance writes them. Every wait is for a condition, never for a time.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { MEASUREMENT_COP } from '../../nodes/heatpump-performance/analyser';
import { MEASUREMENT_ENERGY_DAILY } from '../../nodes/heatpump-performance/daily';
import { periodAt, periodsBetween } from '../../nodes/heatpump-performance/periods';
import { retentionPolicyOf } from '../../nodes/shared/retention';
import { chartSeries, chooseOption, dashboardSuite, screenshot, waitFor, writeLines } from '../support/browser';

const HOUR = 3_600_000;
const ZONE = 'Europe/Berlin';
const DEVICE = 'perf1';

const widgetText = (page: Page, id: string) => page.locator(`#nrdb-ui-widget-${id}`).first().textContent({ timeout: 500 }).catch(() => null);
const seriesPoints = async (page: Page, chart: string, name: string) => (await chartSeries(page, chart)).find((s) => s.name === name)?.points.length ?? 0;

describe('dashboard Performance page in headless Chromium (npm start runtime)', function () {
  this.timeout(180_000);
  let page: Page;
  const now = Date.now();
  const week = periodAt(now, 'week', ZONE);
  const today = periodAt(now, 'day', ZONE);
  const year = periodAt(now, 'year', ZONE);
  // the stored days: every day of this week so far, and two days before it within this year
  const weekDays = periodsBetween(week.start, today.end, 'day', ZONE).map((day) => day.start);
  const monthDays = [20, 10].map((days) => periodAt(week.start - days * 24 * HOUR, 'day', ZONE).start).filter((start) => start >= year.start);
  const lowQualityDay = weekDays[0] as number;
  // one cop window per hour of this week so far (whole hours before now)
  const copHours = Array.from({ length: Math.floor((now - week.start) / HOUR) }, (_, i) => week.start + i * HOUR + 10 * 60_000).filter((t) => t < now);

  const suite = dashboardSuite({
    name: 'dashboard-performance',
    online: [DEVICE],
    async prepare(stack) {
      const day = (start: number) => {
        const sound = start !== lowQualityDay;
        return `energy_daily,device_id=${DEVICE} heat_energy=10,electrical_energy=2.5,spf=4,defrost_count=2i,defrost_minutes=7.5,compressor_starts=6i,max_starts_per_hour=3i,short_cycling=${!sound},quality=${sound ? 0.95 : 0.5},sound=${sound} ${start}`;
      };
      // in the retention policies heatpump-batch writes them to
      await writeLines(stack.influxUrl, [...monthDays, ...weekDays].map(day), retentionPolicyOf(MEASUREMENT_ENERGY_DAILY));
      await writeLines(
        stack.influxUrl,
        copHours.map((t) => `cop,device_id=${DEVICE} cop_modulation=3.5,cop_delta_t=3.25,cop_running=3.75,quality=1,sound=true ${t}`),
        retentionPolicyOf(MEASUREMENT_COP),
      );
    },
  });
  const pageErrors = suite.pageErrors;

  before(async function () {
    ({ page } = await suite.open('/performance'));
  });

  it('shows the week of the chosen device: COP per hour, energy per day and month, SPF to date, defrosts, a low-quality day marked', async function () {
    for (const title of ['COP', 'Energy', 'This year', 'Defrost and cycling', 'Days']) await page.getByText(title, { exact: true }).first().waitFor({ timeout: 15_000 });
    await chooseOption(page, page.locator('.hp-perf-device-select'), DEVICE);
    // Default range of the page's device view: the current week
    await waitFor(async () => (await seriesPoints(page, 'hp_dash_perf_chart_cop', 'COP modulation')) === copHours.length, 15_000, `${copHours.length} hourly COP points`);
    // the chart may draw its series one after the other: each is waited for
    await waitFor(async () => (await seriesPoints(page, 'hp_dash_perf_chart_cop', 'COP ΔT')) === copHours.length, 15_000, `${copHours.length} hourly COP ΔT points`);
    await waitFor(async () => (await seriesPoints(page, 'hp_dash_perf_chart_daily', 'Heat kWh')) === weekDays.length, 15_000, `${weekDays.length} daily bars`);
    await waitFor(async () => (await seriesPoints(page, 'hp_dash_perf_chart_daily', 'Electricity kWh')) === weekDays.length, 15_000, `${weekDays.length} daily electricity bars`);
    await waitFor(async () => (await seriesPoints(page, 'hp_dash_perf_chart_monthly', 'Heat kWh')) === 12, 15_000, 'twelve monthly bars');

    // the year so far: SPF 4 (10 / 2.5 every day), not sound as one day is of low quality
    const storedDays = monthDays.length + weekDays.length;
    await waitFor(async () => /SPF to date\s*4 \(low data quality\)/.test((await widgetText(page, 'hp_dash_perf_text_spf')) ?? ''), 15_000, 'SPF 4 marked low quality');
    assert.match((await widgetText(page, 'hp_dash_perf_text_energy')) ?? '', new RegExp(`${storedDays * 10} kWh heat · ${storedDays * 2.5} kWh electricity`));
    assert.match((await widgetText(page, 'hp_dash_perf_text_estimate')) ?? '', /SPF 4 · \d+ kWh heat/);
    // the week: two defrosts and 7.5 minutes a day
    await waitFor(
      async () => ((await widgetText(page, 'hp_dash_perf_text_defrosts')) ?? '').includes(`${2 * weekDays.length} · ${7.5 * weekDays.length} min (low data quality)`),
      15_000,
      'the week\'s defrosts',
    );
    assert.match((await widgetText(page, 'hp_dash_perf_text_short_cycling')) ?? '', new RegExp(`on 1 of ${weekDays.length} days`));
    assert.match((await widgetText(page, 'hp_dash_perf_text_quality')) ?? '', /low data quality/);
    await waitFor(async () => (await page.locator('.hp-perf-days tbody tr').count()) === weekDays.length, 15_000, 'a table row per day of the week');
    assert.equal(await page.locator('.hp-perf-days tbody tr', { hasText: 'low data quality (50 %)' }).count(), 1);
    assert.equal(await page.locator('.hp-perf-days tbody tr', { hasText: 'sound' }).count(), weekDays.length - 1);
    await screenshot(page, 'dashboard-performance-week');
    assert.deepEqual(pageErrors, []);
  });

  it('reloads the figures when the period changes', async function () {
    await page.getByText('Day', { exact: true }).first().click();
    const todayHours = copHours.filter((t) => t >= today.start).length;
    await waitFor(async () => (await page.locator('.hp-perf-days tbody tr').count()) === 1, 15_000, 'one table row for today');
    await waitFor(async () => (await seriesPoints(page, 'hp_dash_perf_chart_cop', 'COP modulation')) === todayHours, 15_000, `${todayHours} COP points today`);
    await waitFor(async () => ((await widgetText(page, 'hp_dash_perf_text_defrosts')) ?? '').includes('2 · 7.5 min'), 15_000, 'today\'s defrosts');

    await page.getByText('Year', { exact: true }).first().click();
    // daily COP means: one point per local day with windows
    const copDays = new Set(copHours.map((t) => periodAt(t, 'day', ZONE).start)).size;
    await waitFor(async () => (await seriesPoints(page, 'hp_dash_perf_chart_cop', 'COP modulation')) === copDays, 15_000, `${copDays} daily COP points`);
    await waitFor(async () => (await page.locator('.hp-perf-days tbody tr').count()) === monthDays.length + weekDays.length, 15_000, 'every stored day of the year');
    await screenshot(page, 'dashboard-performance-year');
    assert.deepEqual(pageErrors, []);
  });
});
