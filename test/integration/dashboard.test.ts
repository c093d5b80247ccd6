// The operator dashboard (flows/30-dashboard-*.json, one tab per page) in headless Chromium
// against the runtime `npm start` builds: embedded broker, private influxd, shipped flows,
// simulator off. Every wait is for a condition (a text, a row, a chart), never for a time.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import type { Page } from 'playwright-core';
import { requireBinary } from '../support/system';
import {
  chartSeries,
  chooseOption,
  dashboardSuite,
  delay,
  launchBrowser,
  openDashboard,
  screenshot,
  startStack,
  waitFor,
  writeLines,
  type RunningBrowser,
  type RunningStack,
} from '../support/browser';

/** A device payload as the firmware publishes it (device contract, docs/CONTRACTS.md). */
function devicePayload(device: string, overrides: { voltage?: number; inlet?: number } = {}) {
  const voltage = overrides.voltage ?? 231.5;
  return {
    device,
    timestamp: Date.now(),
    version: '1.0.0',
    temperature: { inlet: overrides.inlet ?? 45.2, outlet: 50.1, ambient: 25.0, compressor: 70.5 },
    electrical: { voltage, current: 8.5, power: Math.round(voltage * 8.5) },
    pressure: { high: 280.0, low: 70.0 },
    status: { compressor: true, fan: true, defrost: false },
    alerts: { voltage: 0, compressor_temp: 0, pressure_high: 0, pressure_low: 0, current: 0 },
    valid: {
      temp_inlet: true, temp_outlet: true, temp_ambient: true, temp_compressor: true,
      voltage: true, current: true, pressure_high: true, pressure_low: true,
    },
  };
}

const gaugeValue = (page: Page, field: string) =>
  page.locator(`#nrdb-ui-widget-hp_dash_gauge_${field} .nrdb-ui-gauge-value span`).first().textContent({ timeout: 500 }).catch(() => null);

/** The text a ui-text widget shows (label and value), or null while it is not rendered. */
const widgetText = (page: Page, id: string) =>
  page.locator(`#nrdb-ui-widget-${id}`).first().textContent({ timeout: 500 }).catch(() => null);

/** Opens a page through the navigation drawer's URL and waits for its group titles. */
async function showPage(page: Page, dashboardUrl: string, path: string, groupTitles: string[]): Promise<void> {
  await page.goto(`${dashboardUrl}${path}`);
  for (const title of groupTitles) {
    await page.getByText(title, { exact: true }).first().waitFor({ timeout: 15_000 });
  }
}

/**
 * Picks a device in the Device page's dropdown (Vuetify v-select: open it, click the option) and
 * waits until the dropdown shows it: on a busy machine the options may arrive after the click.
 */
async function chooseDevice(page: Page, device: string): Promise<void> {
  await chooseOption(page, page.locator('.hp-device-select'), device);
  await waitFor(async () => ((await page.locator('.hp-device-select').textContent()) ?? '').includes(device), 15_000, `${device} shown as chosen`);
}

describe('dashboard in headless Chromium (npm start runtime)', function () {
  this.timeout(180_000);
  let secondBrowser: RunningBrowser | undefined;
  let page: Page;
  const suite = dashboardSuite({
    name: 'dashboard',
    online: ['site1'],
    async prepare(_stack, client) {
      await client.publishAsync('heatpump/site1/data', JSON.stringify(devicePayload('site1')));
    },
  });
  const pageErrors = suite.pageErrors;

  before(async function () {
    ({ page } = await suite.open('/fleet'));
  });

  after(async function () {
    await secondBrowser?.close();
  });

  it('renders every page with its groups and widgets, without page errors', async function () {
    const { stack } = suite;
    await showPage(page, stack.dashboardUrl, '/fleet', ['Fleet', 'Devices']);
    await page.getByText('site1', { exact: true }).first().waitFor({ timeout: 10_000 });
    for (const column of ['Status', 'Last seen', 'Inlet', 'Power', 'Active alerts']) {
      assert.equal(await page.getByText(column, { exact: true }).count() > 0, true, `fleet column ${column}`);
    }
    await screenshot(page, 'dashboard-fleet');

    await showPage(page, stack.dashboardUrl, '/device', ['Temperatures', 'Electrical', 'Pressure', 'Operating state', 'Temperature history']);
    assert.equal(await page.locator('.nrdb-ui-gauge').count(), 9, 'nine gauges');
    assert.equal(await page.locator('[id^="nrdb-ui-widget-hp_dash_chart_"]').count(), 6, 'five history charts and the runtime chart');
    for (const label of ['1 h', '24 h', '7 d', '30 d']) await page.getByText(label, { exact: true }).first().waitFor({ timeout: 5000 });
    await screenshot(page, 'dashboard-device');

    await showPage(page, stack.dashboardUrl, '/alerts', ['Active alerts', 'Alert history']);
    await screenshot(page, 'dashboard-alerts');

    await showPage(page, stack.dashboardUrl, '/system', ['Health', 'Throughput', 'Last rejections']);
    for (const label of ['MQTT broker', 'InfluxDB', 'Node-RED', 'Simulator', 'Write errors', 'Messages in']) {
      await page.getByText(label, { exact: true }).first().waitFor({ timeout: 5000 });
    }
    await waitFor(async () => (await page.getByText('connected', { exact: true }).count()) >= 2, 10_000, 'MQTT and InfluxDB connected');
    await page.getByText('healthy', { exact: true }).first().waitFor({ timeout: 10_000 });
    await page.getByText('off', { exact: true }).first().waitFor({ timeout: 5000 }); // SIMULATOR=0
    await screenshot(page, 'dashboard-system');

    // the same Device page on a phone-sized viewport
    await page.setViewportSize({ width: 390, height: 844 });
    await showPage(page, stack.dashboardUrl, '/device', ['Temperatures']);
    await screenshot(page, 'dashboard-device-phone');
    await showPage(page, stack.dashboardUrl, '/fleet', ['Devices']);
    await screenshot(page, 'dashboard-fleet-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    assert.deepEqual(pageErrors, []);
  });

  it('shows a reading published over MQTT on the gauges within 2 s', async function () {
    const { stack, client } = suite;
    await showPage(page, stack.dashboardUrl, '/device', ['Temperatures']);
    await waitFor(() => gaugeValue(page, 'voltage'), 5000, 'a first voltage on the gauge');
    const published = Date.now();
    await client.publishAsync('heatpump/site1/data', JSON.stringify(devicePayload('site1', { voltage: 233.7, inlet: 41.3 })));
    // the functional budget: visible on the gauges within 2 s of the publish
    await waitFor(async () => (await gaugeValue(page, 'voltage')) === '233.7', 2000, 'voltage 233.7 V on its gauge');
    console.log(`      (reading on the gauge ${Date.now() - published} ms after the publish)`);
    // each gauge is its own widget: the inlet one may follow the voltage one by a moment
    await waitFor(async () => (await gaugeValue(page, 'temp_inlet')) === '41.3', Math.max(0, published + 2000 - Date.now()), 'inlet 41.3 °C on its gauge');
    assert.equal(await page.locator('#nrdb-ui-widget-hp_dash_gauge_voltage').getByText('V', { exact: true }).count(), 1, 'unit V shown');
  });

  it('raises a toast and an active-alerts row for a critical alert, and drops the row when it clears', async function () {
    const { stack, client } = suite;
    await client.publishAsync('heatpump/site1/data', JSON.stringify(devicePayload('site1', { voltage: 252.5 })));
    const toast = page.getByText(/CRITICAL · site1: .*252\.5/).first();
    await toast.waitFor({ timeout: 5000 });
    await screenshot(page, 'dashboard-toast');

    await showPage(page, stack.dashboardUrl, '/alerts', ['Active alerts']);
    const activeRow = page.locator('.hp-active-alerts tr', { hasText: 'voltage_high' });
    await activeRow.first().waitFor({ timeout: 5000 });
    assert.match((await activeRow.first().textContent()) ?? '', /site1.*critical.*252\.5 V/);
    // the alert history (heatpump-query kind alerts -> InfluxDB) shows it once the batch is written
    await waitFor(async () => {
      await page.getByText('Refresh', { exact: true }).first().click();
      await delay(500);
      return (await page.locator('.hp-alert-history tr', { hasText: 'voltage_high' }).count()) > 0;
    }, 20_000, 'the alert in the history table');
    await screenshot(page, 'dashboard-alerts-raised');

    await client.publishAsync('heatpump/site1/data', JSON.stringify(devicePayload('site1', { voltage: 231 })));
    await waitFor(async () => (await activeRow.count()) === 0, 10_000, 'the active row to go when the alert clears');
  });

  it('keeps the alert history filters per browser', async function () {
    const { stack } = suite;
    // the first browser still shows the critical alert of the test before in its history table
    await showPage(page, stack.dashboardUrl, '/alerts', ['Alert history']);
    const firstRows = page.locator('.hp-alert-history tr', { hasText: 'voltage_high' });
    await waitFor(async () => {
      await page.getByText('Refresh', { exact: true }).first().click();
      return (await firstRows.count()) > 0;
    }, 20_000, 'the alert in the first browser\'s history', 500);

    const third = await launchBrowser();
    try {
      const { page: other } = await suite.open('/alerts', third.context);
      // its page-view request fills the table; on a busy machine a Refresh may be needed once the form has its defaults
      const otherRows = other.locator('.hp-alert-history tr', { hasText: 'voltage_high' });
      await waitFor(async () => {
        if ((await otherRows.count()) > 0) return true;
        const refresh = other.getByText('Refresh', { exact: true }).first();
        if (await refresh.isEnabled().catch(() => false)) await refresh.click().catch(() => undefined);
        return (await otherRows.count()) > 0;
      }, 30_000, 'the alert in the second browser\'s history', 1000);
      // warnings only: none, in this browser
      await other.locator('.hp-alerts-filter [data-form="form-row-level"] .v-field').first().click();
      await other.locator('.v-overlay .v-list-item', { hasText: 'Warning' }).first().click();
      await other.getByText('Refresh', { exact: true }).first().click();
      await waitFor(async () => /0 alerts/.test((await widgetText(other, 'hp_dash_alerts_notice')) ?? ''), 15_000, 'no warnings in the second browser');
      assert.equal(await other.locator('.hp-alert-history tr', { hasText: 'voltage_high' }).count(), 0);
      await screenshot(other, 'dashboard-alerts-filtered');
      // the answer went to that browser only
      assert.ok((await firstRows.count()) > 0, 'the first browser keeps its rows');
      assert.match((await widgetText(page, 'hp_dash_alerts_notice')) ?? '', /[1-9]\d* alerts/);
    } finally {
      await third.close();
    }
  });

  it('opens the Device page from a fleet row and draws 24 h of history from InfluxDB', async function () {
    const { stack, client } = suite;
    // 120 known points 10 min apart over the last 20 h: each falls in its own 2-min chart window
    const now = Date.now();
    const expected = Array.from({ length: 120 }, (_, i) => ({ time: now - (i + 1) * 600_000, inlet: 30 + (i % 7) + 0.5 }));
    await writeLines(
      stack.influxUrl,
      expected.map((p) => `sensor_reading,device_id=hist1 temp_inlet=${p.inlet},temp_outlet=40,voltage=230,current=8,power=1840,pressure_high=280,pressure_low=70 ${p.time}`),
    );
    await client.publishAsync('heatpump/hist1/status/online', 'online', { retain: true });

    await showPage(page, stack.dashboardUrl, '/fleet', ['Devices']);
    const row = page.locator('.hp-fleet-table tr', { hasText: 'hist1' }).first();
    await row.waitFor({ timeout: 10_000 });
    await row.click();
    await page.waitForURL(/\/dashboard\/device/, { timeout: 5000 });
    await page.getByText('Temperatures', { exact: true }).first().waitFor({ timeout: 10_000 });
    await page.getByText('24 h', { exact: true }).first().click();

    const inlet = await waitFor(async () => {
      const series = (await chartSeries(page, 'hp_dash_chart_temps')).find((s) => s.name === 'Inlet °C');
      return series && series.points.length >= expected.length ? series : undefined;
    }, 15_000, '120 inlet points on the temperature chart');
    assert.equal(inlet.points.length, expected.length);
    assert.deepEqual(inlet.points.map(([, y]) => y).sort(), expected.map((p) => p.inlet).sort());
    const times = inlet.points.map(([x]) => x);
    assert.ok(Math.min(...times) >= now - 121 * 600_000 && Math.max(...times) <= now, 'points inside the last 24 h');
    await page.getByText(/24h: 120 points from InfluxDB/).first().waitFor({ timeout: 5000 });
    const voltage = (await chartSeries(page, 'hp_dash_chart_voltage'))[0];
    assert.equal(voltage?.points.length, expected.length);
    await screenshot(page, 'dashboard-device-history');
    // hist1 has history but no live reading: its gauges show a dash, not the previous device's values
    assert.equal(await gaugeValue(page, 'voltage'), '–');
    // an ESP32 device: the sensor groups, and the Metrics group (a polled source's table, shown by
    // default) hidden for this browser by ui-control
    await page.locator('#nrdb-ui-widget-hp_dash_table_metrics').first().waitFor({ state: 'hidden', timeout: 10_000 });
    assert.equal(await page.getByText('Temperatures', { exact: true }).first().isVisible(), true);
    assert.deepEqual(pageErrors, []);
  });

  it('keeps the Device page selection per browser: each shows its own device live', async function () {
    const { stack, client } = suite;
    await client.publishAsync('heatpump/site2/status/online', 'online', { retain: true });
    await client.publishAsync('heatpump/site1/data', JSON.stringify(devicePayload('site1', { voltage: 221.1 })));
    await client.publishAsync('heatpump/site2/data', JSON.stringify(devicePayload('site2', { voltage: 242.2 })));
    secondBrowser = await launchBrowser();
    const { page: other } = await suite.open('/device', secondBrowser.context);
    await other.getByText('Temperatures', { exact: true }).first().waitFor({ timeout: 15_000 });
    await showPage(page, stack.dashboardUrl, '/device', ['Temperatures']);

    await chooseDevice(page, 'site1');
    await chooseDevice(other, 'site2');
    await waitFor(async () => (await gaugeValue(page, 'voltage')) === '221.1', 15_000, 'site1 voltage in the first browser');
    await waitFor(async () => (await gaugeValue(other, 'voltage')) === '242.2', 15_000, 'site2 voltage in the second browser');

    await client.publishAsync('heatpump/site1/data', JSON.stringify(devicePayload('site1', { voltage: 225.5 })));
    await client.publishAsync('heatpump/site2/data', JSON.stringify(devicePayload('site2', { voltage: 238.8 })));
    await waitFor(async () => (await gaugeValue(page, 'voltage')) === '225.5', 15_000, 'new site1 voltage in the first browser');
    await waitFor(async () => (await gaugeValue(other, 'voltage')) === '238.8', 15_000, 'new site2 voltage in the second browser');
    // one more site1 reading: once the first browser shows it, the same delivery has gone out, and
    // the second browser, showing site2, must not have switched
    await client.publishAsync('heatpump/site1/data', JSON.stringify(devicePayload('site1', { voltage: 226.6 })));
    await waitFor(async () => (await gaugeValue(page, 'voltage')) === '226.6', 15_000, 'the next site1 voltage in the first browser');
    assert.equal(await gaugeValue(other, 'voltage'), '238.8');
    assert.match((await page.locator('.hp-device-select').textContent()) ?? '', /site1/);
    assert.match((await other.locator('.hp-device-select').textContent()) ?? '', /site2/);
    assert.match((await widgetText(other, 'hp_dash_text_device')) ?? '', /site2/);
    await screenshot(other, 'dashboard-device-second-browser');
    assert.deepEqual(pageErrors, []);
  });
});

describe('dashboard without InfluxDB (history off)', function () {
  this.timeout(120_000);
  let stack: RunningStack | undefined;
  let browser: RunningBrowser | undefined;

  before(async function () {
    requireBinary(this, 'chromium', 'chromium');
    stack = await startStack({ env: { LOCAL_INFLUXD: '0' } });
    browser = await launchBrowser();
  });

  after(async function () {
    await browser?.close();
    await stack?.stop();
  });

  it('says plainly on the System and Device pages that history is off, and why', async function () {
    assert.ok(stack && browser);
    const { page } = await openDashboard(browser.context, `${stack.dashboardUrl}/system`);
    await page.getByText(/^History is off: the InfluxDB node has no host/).first().waitFor({ timeout: 15_000 });
    await page.getByText('degraded (history off)', { exact: true }).first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'dashboard-system-history-off');

    const client = await mqtt.connectAsync(stack.mqttUrl);
    try {
      await client.publishAsync('heatpump/site1/data', JSON.stringify(devicePayload('site1')));
    } finally {
      await client.endAsync();
    }
    await showPage(page, stack.dashboardUrl, '/device', ['Temperatures']);
    // heatpump-query answers 503 {"error": "history is off: ..."} and the History text shows it
    await waitFor(async () => /history is off/i.test((await widgetText(page, 'hp_dash_history_notice')) ?? ''), 15_000, 'the history-off notice on the Device page');
    await screenshot(page, 'dashboard-device-history-off');
  });
});

describe('dashboard after a restart (the stored fleet, no new reading)', function () {
  this.timeout(180_000);
  let home: string | undefined;
  let stack: RunningStack | undefined;
  let browser: RunningBrowser | undefined;

  before(function () {
    requireBinary(this, 'chromium', 'chromium');
    requireBinary(this, 'influxd', 'influxdb');
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-dashboard-restart-'));
  });

  after(async function () {
    await browser?.close();
    await stack?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('shows the devices, the online count and the active critical alert within 5 s of the restart', async function () {
    assert.ok(home);
    stack = await startStack({ home });
    const client = await mqtt.connectAsync(stack.mqttUrl);
    try {
      await client.publishAsync('heatpump/r1/data', JSON.stringify(devicePayload('r1')));
      await client.publishAsync('heatpump/r2/data', JSON.stringify(devicePayload('r2')));
      await client.publishAsync('heatpump/r3/data', JSON.stringify(devicePayload('r3', { voltage: 252 })));
    } finally {
      await client.endAsync();
    }
    // the fleet has all three, r3 with a critical voltage_high (the API reads the same fleet)
    const base = stack.baseUrl;
    await waitFor(
      async () => {
        const active = (await (await fetch(`${base}/api/alerts/active`)).json()) as Array<{ device_id: string; alert_type: string; level: string }>;
        const devices = (await (await fetch(`${base}/api/devices`)).json()) as Array<{ device_id: string; is_online: boolean }>;
        return devices.filter((d) => d.is_online).length === 3 && active.some((a) => a.device_id === 'r3' && a.alert_type === 'voltage_high' && a.level === 'critical');
      },
      20_000,
      'three online devices and the critical alert in the fleet',
      250,
    );
    await stack.stop();
    browser = await launchBrowser(); // before the restart: the 5 s are the runtime's, not Chromium's start

    stack = await startStack({ home });
    const started = Date.now();
    const { page } = await openDashboard(browser.context, `${stack.dashboardUrl}/fleet`);
    const left = () => Math.max(500, 5000 - (Date.now() - started));
    await waitFor(async () => /Devices\s*3\b/.test((await widgetText(page, 'hp_dash_count_total')) ?? ''), left(), '3 devices on the Fleet page');
    await waitFor(async () => /Devices online\s*3\b/.test((await widgetText(page, 'hp_dash_count_online')) ?? ''), left(), '3 online on the Fleet page');
    await waitFor(async () => (await page.locator('.hp-fleet-table tbody tr').count()) === 3, left(), 'three rows in the fleet table');
    const fleetShown = Date.now() - started;
    await screenshot(page, 'dashboard-fleet-after-restart');
    const r3 = (await page.locator('.hp-fleet-table tr', { hasText: 'r3' }).first().textContent()) ?? '';
    assert.match(r3, /online/);
    assert.match(r3, /voltage_high \(critical\)/);
    assert.doesNotMatch(r3, /never/, 'last seen survives the restart');

    await page.goto(`${stack.dashboardUrl}/alerts`);
    const row = page.locator('.hp-active-alerts tr', { hasText: 'voltage_high' }).first();
    await row.waitFor({ timeout: left() });
    assert.match((await row.textContent()) ?? '', /r3.*critical.*252 V/);
    console.log(`      (Fleet page complete ${fleetShown} ms, active alert ${Date.now() - started} ms after the restarted runtime was ready)`);
    await screenshot(page, 'dashboard-alerts-after-restart');
  });
});
