// "Did it help?" on the dashboard's Change log page (flows/30-dashboard-6-changelog.json) in headless
// Chromium against the runtime `npm start` builds: two weeks of cop windows in its influxd around a
// setting change recorded in its SQLite file, COP +10 % after the change on a colder week. The
// Effect button of the row shows the weather-matched figures and the verdict; a change with a day
// of data on each side, a flow-wide change and a change too recent to compare say why they have none. Every wait is for a condition.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { MEASUREMENT_COP } from '../../nodes/heatpump-performance/analyser';
import { retentionPolicyOf } from '../../nodes/shared/retention';
import { copWindowLines } from '../support/cop-windows';
import { dashboardSuite, recordInLog, screenshot, waitFor, writeLines } from '../support/browser';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DEVICE = 'fx1';
/** a device with a day of windows on each side of its change: too few days for a verdict */
const SHORT = 'fx2';
const CHANGE_PERCENT = 10;

interface EffectAnswer {
  comparable: { hours: number; before: { cop: number }; after: { cop: number }; change_percent: number; interval_percent: [number, number] };
  verdict: string;
}

const effectText = (page: Page) => page.locator('.hp-cl-effect').first().textContent({ timeout: 500 }).catch(() => null);

/** Clicks the Effect button of the change log row of `setting`, and waits for the effect line naming `text`. */
async function effectOf(page: Page, setting: string, text: string): Promise<string> {
  await page.locator('.hp-cl-table tbody tr', { hasText: setting }).getByRole('button', { name: 'Effect' }).click();
  return waitFor(async () => {
    const shown = (await effectText(page)) ?? '';
    return shown.includes(text) ? shown : undefined;
  }, 30_000, `the effect of ${text}`);
}

describe('dashboard Change log page: the effect of a change in headless Chromium (npm start runtime)', function () {
  this.timeout(180_000);
  const now = Date.now();
  // half past an hour eight days ago: a whole week after it
  const at = Math.floor(now / HOUR) * HOUR - 8 * DAY + 30 * MINUTE;
  const suite = dashboardSuite({
    name: 'dashboard-changelog-effect',
    env: { HEATPUMP_DB_PATH: '' },
    online: [DEVICE, SHORT],
    async prepare(stack) {
      for (const [deviceId, days] of [[DEVICE, 7], [SHORT, 1]] as const) {
        await writeLines(stack.influxUrl, copWindowLines({ deviceId, at, days, changePercent: CHANGE_PERCENT }), retentionPolicyOf(MEASUREMENT_COP));
      }
      // recorded as heatpump-changelog records them (another writer of the same file)
      await recordInLog(stack, [
        { kind: 'setting', change: { device_id: DEVICE, setting: 'heating_curve', old_value: 1.2, new_value: 1.4, source: 'modbus', time: at } },
        { kind: 'setting', change: { device_id: SHORT, setting: 'flow_offset', old_value: 0, new_value: 2, source: 'modbus', time: at } },
        { kind: 'setting', change: { device_id: null, setting: 'rule:voltage_high', old_value: 250, new_value: 253, unit: 'V', source: 'threshold-alert', time: at + DAY } },
        { kind: 'setting', change: { device_id: DEVICE, setting: 'dhw_setpoint', old_value: 50, new_value: 48, unit: '°C', source: 'modbus', time: now - 10 * MINUTE } },
      ]);
    },
  });
  let page: Page;

  before(async function () {
    ({ page } = await suite.open('/changelog'));
    let rows = 0;
    await waitFor(async () => (rows = await page.locator('.hp-cl-table tbody tr').count()) === 4, 15_000, () => `four change log rows (shown: ${rows})`);
  });

  it('shows COP before and after the change on comparable hours, the 95 % interval and the verdict', async function () {
    const response = await fetch(`${suite.stack.baseUrl}/api/devices/${DEVICE}/effect?at=${at}`);
    assert.equal(response.status, 200);
    const answer = (await response.json()) as EffectAnswer;
    const { comparable } = answer;
    assert.equal(answer.verdict, 'improved');

    const shown = await effectOf(page, 'heating_curve', 'heating_curve 1.2 -> 1.4');
    const signed = (value: number) => `${value >= 0 ? '+' : '-'}${Math.abs(value).toFixed(1)}`;
    assert.equal(
      shown.replace(/^Effect\s*/, ''),
      `heating_curve 1.2 -> 1.4 (${DEVICE}): COP ${comparable.before.cop.toFixed(2)} -> ${comparable.after.cop.toFixed(2)} ` +
        `(${signed(comparable.change_percent)} %, 95 %: ${signed(comparable.interval_percent[0])} .. ${signed(comparable.interval_percent[1])} %) ` +
        `on ${comparable.hours} comparable hours: improved`,
    );
    // the figures are the generated ones: +10 % where the plain SPFs of the colder week say worse
    const figures = /COP (\d\.\d\d) -> (\d\.\d\d) \(\+(\d+\.\d) %/.exec(shown);
    assert.ok(figures, shown);
    assert.ok(Math.abs(Number(figures[3]) - CHANGE_PERCENT) <= 1.5, shown);
    assert.ok(comparable.hours >= 24, `${comparable.hours} comparable hours`);
    await screenshot(page, 'dashboard-changelog-effect');
    assert.deepEqual(suite.pageErrors, []);
  });

  it('says when there is not enough data, when a flow-wide change needs a device, and when a change is too recent', async function () {
    const response = await fetch(`${suite.stack.baseUrl}/api/devices/${SHORT}/effect?at=${at}`);
    const { comparable, verdict } = (await response.json()) as EffectAnswer;
    assert.equal(verdict, 'not enough data');
    assert.equal((await effectOf(page, 'flow_offset', 'flow_offset 0 -> 2')).replace(/^Effect\s*/, ''), `flow_offset 0 -> 2 (${SHORT}): not enough data (${comparable.hours} comparable hours)`);
    assert.match(await effectOf(page, 'rule:voltage_high', 'rule:voltage_high 250 -> 253 V'), /rule:voltage_high 250 -> 253 V applies to every device: its effect needs a device/);
    assert.match(await effectOf(page, 'dhw_setpoint', 'dhw_setpoint 50 -> 48 °C'), /dhw_setpoint 50 -> 48 °C \(fx1\): at must be at least an hour ago/);
    assert.deepEqual(suite.pageErrors, []);
  });
});
