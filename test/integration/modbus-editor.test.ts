// The modbus-poll and modbus-connection editor dialogs in the real Node-RED editor (headless
// chromium): they open without a script error, list the shipped profiles, and "Check map" shows
// the problems of a pasted registers.yml naming the register.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { projectRoot } from '../support/node-red';
import { CHROMIUM_PATH, launchBrowser, waitFor, type RunningBrowser } from '../support/browser';
import { startProduct, type RunningProduct } from '../support/runtime';
import { requireBinary } from '../support/system';

const EXAMPLE = path.join(projectRoot, 'examples', '08 - Poll a Modbus heat pump.json');

describe('modbus editor dialogs (Node-RED editor in chromium)', function () {
  this.timeout(120_000);
  let product: RunningProduct;
  let browser: RunningBrowser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async function () {
    requireBinary(this, path.basename(CHROMIUM_PATH), 'chromium');
    const flows = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as unknown[];
    product = await startProduct({ SIMULATOR: '0', LOCAL_INFLUXD: '0', HEATPUMP_RESET_FLOWS: '0' }, { flows, ready: async (p) => p.output().includes('Started flows') });
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${product.baseUrl}/`);
    await page.waitForFunction(() => {
      const red = (window as unknown as { RED?: { nodes?: { node(id: string): unknown } } }).RED;
      return red?.nodes?.node('mb_poll') !== undefined && red.nodes.node('mb_poll') !== null;
    }, undefined, { timeout: 60_000 });
  });

  after(async () => {
    await browser?.close();
    await product?.stop();
  });

  it('the poll dialog lists the profiles, and Check map names the register of a bad map', async () => {
    await page.evaluate(() => {
      const red = (window as unknown as { RED: { nodes: { node(id: string): unknown }; editor: { edit(node: unknown): void } } }).RED;
      red.editor.edit(red.nodes.node('mb_poll'));
    });
    await page.waitForSelector('#node-input-mapSource', { state: 'visible' });
    await waitFor(() => page.locator('#modbus-poll-profiles option').count(), 10_000, 'the profile list');
    const profiles = await page.locator('#modbus-poll-profiles option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    assert.ok(profiles.includes('stiebel-eltron-isg-wpm') && profiles.includes('nibe-s-series'), profiles.join(', '));

    await page.click('#modbus-poll-check');
    await waitFor(async () => /registers, no problems/.test(await page.locator('#modbus-poll-check-result').innerText()) || undefined, 10_000, 'the check of the profile');

    await page.selectOption('#node-input-mapSource', 'yaml');
    await page.evaluate(() => {
      const red = (window as unknown as { RED: { nodes: { node(id: string): { editor?: { setValue(v: string): void } } } } }).RED;
      // the dialog's editor belongs to the node being edited (its `this` in oneditprepare)
      const editing = red.nodes.node('mb_poll');
      editing.editor?.setValue('models:\n  m:\n    registers:\n      - {name: flow, address: 0, register_type: input, data_type: int24}');
    });
    await page.click('#modbus-poll-check');
    const problem = await waitFor(async () => {
      const text = await page.locator('#modbus-poll-check-result').innerText();
      return /int24/.test(text) ? text : undefined;
    }, 10_000, 'the problem of the pasted map');
    assert.match(problem, /register "flow": unknown data_type "int24"/);
    await page.locator('#node-dialog-cancel').dispatchEvent('click'); // a notification may cover it
  });

  it('the connection dialog shows TCP or RTU fields by the transport', async () => {
    await page.evaluate(() => {
      const red = (window as unknown as { RED: { nodes: { node(id: string): unknown }; editor: { editConfig(name: string, type: string, id: string): void } } }).RED;
      red.editor.editConfig('', 'modbus-connection', 'mb_connection');
    });
    await page.waitForSelector('#node-config-input-host', { state: 'visible' });
    assert.equal(await page.isVisible('#node-config-input-serialPort'), false);
    await page.selectOption('#node-config-input-transport', 'rtu');
    assert.equal(await page.isVisible('#node-config-input-serialPort'), true);
    assert.equal(await page.isVisible('#node-config-input-host'), false);
    await page.locator('#node-config-dialog-cancel').dispatchEvent('click');
  });

  it('no script error in the editor', () => {
    assert.deepEqual(pageErrors, []);
  });
});
