// The Device page's compressor runtime (flows/30-dashboard-2-device.json, heatpump-query kind
// runtime) in headless Chromium against the runtime `npm start` builds: raw readings written into
// its influxd, a bar per local day with the minutes the compressor ran. Waits are for conditions.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { periodAt } from '../../nodes/heatpump-performance/periods';
import { chartSeries, chooseOption, dashboardSuite, screenshot, waitFor, writeLines } from '../support/browser';

const MINUTE = 60_000;
const DAY = 86_400_000;
const ZONE = 'Europe/Berlin';
const DEVICE = 'rt1';

describe('dashboard Device page: compressor runtime in headless Chromium (npm start runtime)', function () {
  this.timeout(180_000);
  let page: Page;
  const now = Date.now();
  const today = periodAt(now, 'day', ZONE);
  const twoDaysAgo = periodAt(today.start - DAY - DAY / 2, 'day', ZONE);
  // a reading a minute: 40 minutes running two days ago, 25 minutes running today (and 5 off)
  const runs = [
    { start: twoDaysAgo.start + 8 * 60 * MINUTE, running: 40, off: 0 },
    { start: Math.max(today.start, now - 60 * MINUTE), running: 25, off: 5 },
  ];

  const suite = dashboardSuite({
    name: 'dashboard-device-runtime',
    env: { HEATPUMP_TIME_ZONE: ZONE },
    online: [DEVICE],
    async prepare(stack) {
      await writeLines(
        stack.influxUrl,
        runs.flatMap((run) =>
          Array.from({ length: run.running + run.off }, (_, i) => `sensor_reading,device_id=${DEVICE} temp_inlet=40,compressor_running=${i < run.running} ${run.start + i * MINUTE}`),
        ),
      );
    },
  });

  before(async function () {
    ({ page } = await suite.open('/device'));
  });

  it('shows a bar per day of the last 30 days with the minutes the compressor ran, for the chosen device', async function () {
    await page.getByText('Compressor runtime', { exact: true }).first().waitFor({ timeout: 15_000 });
    await chooseOption(page, page.locator('.hp-device-select'), DEVICE);
    const bars = await waitFor(
      async () => {
        const series = (await chartSeries(page, 'hp_dash_chart_runtime')).find((s) => s.name === 'Runtime min');
        return series && series.points.filter(([, y]) => y !== null && y !== undefined).length >= 2 ? series.points : undefined;
      },
      20_000,
      'runtime bars',
    );
    const minutes = bars.filter(([, y]) => typeof y === 'number' && y > 0).map(([, y]) => y);
    assert.deepEqual(minutes, [40, 25], 'two days ago 40 minutes, today 25');
    assert.ok(bars.length <= 30, `at most 30 days, got ${bars.length}`);
    await screenshot(page, 'dashboard-device-runtime');
    assert.deepEqual(suite.pageErrors, []);
  });
});
