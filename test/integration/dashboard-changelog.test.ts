// The dashboard's Change log page (flows/30-dashboard-6-changelog.json) in headless Chromium
// against the runtime `npm start` builds: setting changes written into its SQLite file as the
// change log node records them, notes added and deleted through the page and checked through
// GET /api/changelog, the device filter and the event filter. Every wait is for a condition.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { ChangelogEntry } from '../../nodes/heatpump-database/records';
import { chooseOption, dashboardSuite, recordInLog, screenshot, waitFor } from '../support/browser';

const MINUTE = 60_000;

const rowTexts = (page: Page, table: string) => page.locator(`.${table} tbody tr`).allTextContents();

/** Picks an option of a dropdown of a ui-form. */
const pickOption = (page: Page, form: string, label: string, option: string) => chooseOption(page, page.locator(`.${form} .v-select`, { hasText: label }).first(), option);

describe('dashboard Change log page in headless Chromium (npm start runtime)', function () {
  this.timeout(180_000);
  let page: Page;
  const now = Date.now();
  const suite = dashboardSuite({
    name: 'dashboard-changelog',
    env: { HEATPUMP_DB_PATH: '' },
    // the devices the dropdowns offer come from the fleet
    online: ['cl1', 'cl2'],
    async prepare(stack) {
      // recorded as heatpump-changelog records modbus-poll's setting changes (another writer of the same file)
      await recordInLog(stack, [
        { kind: 'setting', change: { device_id: 'cl1', setting: 'heating_curve', old_value: 1.2, new_value: 1.4, source: 'modbus', time: now - 30 * MINUTE } },
        { kind: 'setting', change: { device_id: 'cl2', setting: 'dhw_setpoint', old_value: 50, new_value: 48, unit: '°C', source: 'modbus', time: now - 20 * MINUTE } },
        { kind: 'event', event: { time: now - 10 * MINUTE, type: 'alert_raised', severity: 'critical', device_id: 'cl1', message: 'voltage high', details: null } },
      ]);
    },
  });
  const pageErrors = suite.pageErrors;

  const listed = async (query = '') => {
    const response = await fetch(`${suite.stack.baseUrl}/api/changelog${query}`);
    assert.equal(response.status, 200);
    return ((await response.json()) as { entries: ChangelogEntry[] }).entries;
  };

  before(async function () {
    ({ page } = await suite.open('/changelog'));
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.log('notice:', await page.locator('.hp-cl-notice').first().textContent({ timeout: 500 }).catch(() => null));
  });

  it('lists the recorded setting changes of all devices newest first, and the event log below', async function () {
    for (const title of ['Filter', 'Add a note', 'Change log', 'Event log']) await page.getByText(title, { exact: true }).first().waitFor({ timeout: 15_000 });
    await waitFor(async () => (await rowTexts(page, 'hp-cl-table')).length === 2, 15_000, 'two change log rows');
    const [newest, oldest] = await rowTexts(page, 'hp-cl-table');
    assert.match(newest ?? '', /cl2.*dhw_setpoint.*50 -> 48 °C.*modbus/);
    assert.match(oldest ?? '', /cl1.*heating_curve.*1\.2 -> 1\.4.*modbus/);
    await waitFor(async () => (await rowTexts(page, 'hp-cl-events')).some((row) => /cl1.*alert_raised.*critical.*voltage high/.test(row)), 15_000, 'the alert in the event log');
    assert.equal((await rowTexts(page, 'hp-cl-events')).filter((row) => row.includes('setting_change')).length, 2, 'each setting change is an event too');
    await screenshot(page, 'dashboard-changelog');
    assert.deepEqual(pageErrors, []);
  });

  it('filters both logs by device, and the event log by severity', async function () {
    await pickOption(page, 'hp-cl-filter', 'Device', 'cl1');
    await page.locator('.hp-cl-filter').getByRole('button', { name: 'Refresh' }).click();
    await waitFor(async () => {
      const rows = await rowTexts(page, 'hp-cl-table');
      return rows.length === 1 && rows[0]?.includes('heating_curve');
    }, 15_000, 'only cl1 in the change log');
    await waitFor(async () => (await rowTexts(page, 'hp-cl-events')).every((row) => row.includes('cl1')), 15_000, 'only cl1 in the event log');

    await pickOption(page, 'hp-cl-filter', 'Event severity', 'Critical');
    await page.locator('.hp-cl-filter').getByRole('button', { name: 'Refresh' }).click();
    await waitFor(async () => {
      const rows = await rowTexts(page, 'hp-cl-events');
      return rows.length === 1 && rows[0]?.includes('voltage high');
    }, 15_000, 'only the critical event');
    assert.equal((await rowTexts(page, 'hp-cl-table')).length, 1, 'the change log keeps the device filter');
  });

  it('adds a note that shows on the page and in GET /api/changelog, and deletes it with its row button', async function () {
    const text = `descaled the heat exchanger ${now}`;
    await page.locator('.hp-cl-note textarea').first().fill(text);
    await pickOption(page, 'hp-cl-note', 'Device', 'cl2');
    await page.locator('.hp-cl-note input[type="text"]').last().fill('Anna');
    await page.locator('.hp-cl-note').getByRole('button', { name: 'Add note' }).click();
    await waitFor(async () => (await rowTexts(page, 'hp-cl-table')).some((row) => row.includes(text)), 15_000, 'the note in the change log');
    const row = (await rowTexts(page, 'hp-cl-table')).find((r) => r.includes(text)) ?? '';
    assert.match(row, /cl2.*note.*manual.*Anna/);
    assert.equal((await rowTexts(page, 'hp-cl-table')).length, 3, 'after adding, both logs of all devices again');
    const [note] = (await listed('?device_id=cl2')).filter((entry) => entry.text === text);
    assert.ok(note, 'the note is in GET /api/changelog');
    assert.deepEqual([note.kind, note.device_id, note.author, note.source], ['note', 'cl2', 'Anna', 'manual']);
    await page.getByText(`Note ${note.id} added`).first().waitFor({ timeout: 15_000 });

    await page.locator('.hp-cl-table tbody tr', { hasText: text }).getByRole('button', { name: 'Delete' }).click();
    await waitFor(async () => !(await rowTexts(page, 'hp-cl-table')).some((r) => r.includes(text)), 15_000, 'the note gone from the page');
    await page.getByText(`Note ${note.id} deleted`).first().waitFor({ timeout: 15_000 });
    assert.equal((await listed()).some((entry) => entry.id === note.id), false, 'the note is gone from GET /api/changelog');
    assert.equal((await rowTexts(page, 'hp-cl-table')).length, 2, 'the recorded setting changes stay');
    assert.deepEqual(pageErrors, []);
  });
});
