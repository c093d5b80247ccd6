// Shared by the dashboard's browser test and bench: the runtime `npm start` builds (spawned as
// `node dist/scripts/start.js` on free ports in a temp home) and a headless Debian chromium
// driven by playwright-core.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { freePort } from '../../scripts/lib/ports';
import { LogDatabase } from '../../nodes/heatpump-database/log-database';
import { DEFAULT_FILE } from '../../nodes/heatpump-database/options';
import type { LogWrite } from '../../nodes/heatpump-database/store';
import { projectRoot } from './node-red';
import { requireBinary } from './system';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface RunningStack {
  /** http://127.0.0.1:<PORT> */
  baseUrl: string;
  dashboardUrl: string;
  mqttUrl: string;
  influxUrl: string;
  /** HEATPUMP_HOME: the Node-RED user directory (context store included) and the InfluxDB data */
  home: string;
  /** the runtime's process id (for its memory in /proc) */
  pid: number;
  /** everything the runtime printed so far */
  output(): string;
  /** SIGTERM (then SIGKILL after 10 s); removes the home unless it was given in the options */
  stop(): Promise<void>;
}

export interface StackOptions {
  /** extra environment for start.js (SIMULATOR, HEATPUMP_HISTORY, ...) */
  env?: Record<string, string>;
  startTimeoutMs?: number;
  /** run on this HEATPUMP_HOME (a restart: the same stored fleet, flows and history); kept on stop */
  home?: string;
}

/** `npm start`'s runtime with an embedded broker, a private influxd and the simulator off. */
export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const startScript = path.join(projectRoot, 'dist', 'scripts', 'start.js');
  if (!fs.existsSync(startScript)) throw new Error(`${startScript} is missing: run npm run build first`);
  const home = options.home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hp-dashboard-'));
  const [port, mqttPort, influxPort] = [await freePort(), await freePort(), await freePort()];
  const child: ChildProcess = spawn(process.execPath, [startScript], {
    cwd: projectRoot,
    env: {
      ...process.env,
      PORT: String(port),
      MQTT_PORT: String(mqttPort),
      INFLUXDB_PORT: String(influxPort),
      SIMULATOR: '0',
      HEATPUMP_HOME: home,
      HEATPUMP_RESET_FLOWS: '1',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    if (!options.home) fs.rmSync(home, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (!(output.includes('heatpump-monitor is running') && output.includes('Started flows'))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`npm start's runtime did not come up:\n${output}`);
    }
    await delay(100);
  }
  const influxLine = /InfluxDB\s+(http:\/\/\S+)/.exec(output);
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    dashboardUrl: `${baseUrl}/dashboard`,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    influxUrl: influxLine?.[1] ?? '',
    home,
    pid: child.pid ?? 0,
    output: () => output,
    stop,
  };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface RunningBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Debian chromium with a fresh profile directory, removed on close. */
export async function launchBrowser(viewport = { width: 1280, height: 900 }): Promise<RunningBrowser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What a page received over the dashboard's socket.io connection. */
export interface SocketTraffic {
  frames: number;
  bytes: number;
  /** data points in `msg-input:<id>` events, per widget id */
  pointsByWidget: Map<string, number>;
}

/**
 * Opens a dashboard page with two instruments: the charts register themselves on
 * `window.uiCharts` (Dashboard 2.0 does that when it sees `window.Cypress`), and every
 * socket.io frame is counted.
 */
export async function openDashboard(context: BrowserContext, url: string): Promise<{ page: Page; traffic: SocketTraffic }> {
  const page = await context.newPage();
  await page.addInitScript(() => {
    (window as unknown as { Cypress: boolean }).Cypress = true;
  });
  const traffic: SocketTraffic = { frames: 0, bytes: 0, pointsByWidget: new Map() };
  page.on('websocket', (socket) => {
    socket.on('framereceived', ({ payload }) => {
      traffic.frames += 1;
      traffic.bytes += payload.length;
      countPoints(typeof payload === 'string' ? payload : payload.toString(), traffic.pointsByWidget);
    });
  });
  await page.goto(url);
  return { page, traffic };
}

/** socket.io event frames look like `42["msg-input:<id>",{...msg}]`. */
function countPoints(frame: string, pointsByWidget: Map<string, number>): void {
  const match = /^\d+\["msg-input:([^"]+)",/.exec(frame);
  if (!match?.[1]) return;
  let msg: unknown;
  try {
    msg = (JSON.parse(frame.slice(frame.indexOf('['))) as unknown[])[1];
  } catch {
    return;
  }
  const payload = (msg as { payload?: unknown } | undefined)?.payload;
  const points = Array.isArray(payload) ? payload.length : payload === undefined ? 0 : 1;
  pointsByWidget.set(match[1], (pointsByWidget.get(match[1]) ?? 0) + points);
}

export interface ChartSeries {
  name: string;
  points: [number, number][];
}

/** The series an ui-chart widget currently draws (from its ECharts instance). */
export async function chartSeries(page: Page, chartId: string): Promise<ChartSeries[]> {
  return page.evaluate((id) => {
    type Chart = { chart: { getOption(): { series: { name: string; data: [unknown, number][] }[] } } };
    const charts = (window as unknown as { uiCharts?: Record<string, Chart> }).uiCharts ?? {};
    const widget = charts[id];
    if (!widget) return [];
    return widget.chart.getOption().series.map((s) => ({
      name: s.name,
      points: s.data.map(([x, y]) => [typeof x === 'number' ? x : new Date(String(x)).getTime(), y] as [number, number]),
    }));
  }, chartId);
}

export interface ChartMarkLine {
  series: string;
  name: string;
  /** the time on the x axis, ms since the epoch */
  xAxis: number;
}

/** The vertical lines (ECharts markLine with an `xAxis` value) an ui-chart widget's series carry. */
export async function chartMarkLines(page: Page, chartId: string): Promise<ChartMarkLine[]> {
  return page.evaluate((id) => {
    type Chart = { chart: { getOption(): { series: { name: string; markLine?: { data?: { name?: string; xAxis?: unknown }[] } }[] } } };
    const widget = ((window as unknown as { uiCharts?: Record<string, Chart> }).uiCharts ?? {})[id];
    if (!widget) return [];
    return widget.chart.getOption().series.flatMap((s) =>
      (s.markLine?.data ?? []).filter((line) => line.xAxis !== undefined).map((line) => ({ series: s.name, name: line.name ?? '', xAxis: Number(line.xAxis) })),
    );
  }, chartId);
}

/** Polls `probe` until it returns something truthy or `timeoutMs` passes. */
export async function waitFor<T>(probe: () => Promise<T> | T, timeoutMs: number, what: string | (() => string), intervalMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()} (last: ${JSON.stringify(last)})`);
    await delay(intervalMs);
  }
}

export const ARTIFACTS_DIR = path.join(projectRoot, 'test-artifacts');

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Records change log entries and events into the running stack's SQLite file as heatpump-changelog
 * records them: a second writer of the same file, as another Node-RED flow would be.
 */
export async function recordInLog(stack: RunningStack, writes: readonly LogWrite[]): Promise<void> {
  const database = new LogDatabase(path.join(stack.home, 'node-red', DEFAULT_FILE), { retentionDays: 0, retryMs: 50, maxPending: 100 });
  database.open();
  database.record(writes);
  // the runtime may hold the file's lock for a moment (its own writes): the database retries every 50 ms
  await waitFor(() => database.state.pending === 0, 10_000, 'the change log writes in the file').catch(() => undefined);
  const unwritten = database.close();
  if (unwritten !== 0) throw new Error(`${unwritten} change log writes did not reach the file`);
}

/** Writes InfluxDB line protocol into `heatpump`/`raw` over the v1 HTTP API. */
export async function writeLines(influxUrl: string, lines: string[], retentionPolicy = 'raw'): Promise<void> {
  const response = await fetch(`${influxUrl}/write?db=heatpump&rp=${retentionPolicy}&precision=ms`, { method: 'POST', body: lines.join('\n') });
  if (response.status !== 204) throw new Error(`InfluxDB write failed: ${response.status} ${await response.text()}`);
}

/**
 * Picks an option of a Vuetify v-select (a ui-dropdown, or a dropdown of a ui-form): opens it and
 * clicks the option, again until it is offered: on a busy machine the options may arrive after the
 * click, and a page busy drawing its charts opens the menu a while after the click.
 */
export async function chooseOption(page: Page, select: Locator, option: string): Promise<void> {
  let offered: string[] = [];
  await waitFor(
    async () => {
      await select.locator('.v-field').first().click();
      const menu = page.locator('.v-overlay--active .v-list-item');
      const opened = await menu
        .first()
        .waitFor({ state: 'visible', timeout: 3_000 })
        .then(() => true, () => false);
      offered = opened ? await menu.allInnerTexts() : [];
      const item = menu.filter({ hasText: option }).first();
      if (!opened || !(await item.isVisible().catch(() => false))) {
        await page.keyboard.press('Escape');
        return false;
      }
      await item.click();
      return true;
    },
    30_000,
    () => `${option} in the dropdown (it offered: ${JSON.stringify(offered)})`,
    250,
  );
}

export interface DashboardSuiteOptions {
  /** names the screenshots taken when a test fails: `<name>-failed-<n>.png` */
  name: string;
  /** extra environment for the runtime */
  env?: Record<string, string>;
  /** devices announced online (retained) before the browser opens, so the pages' dropdowns offer them */
  online?: string[];
  /** fills the running stack (SQLite file, InfluxDB, MQTT) before the browser opens */
  prepare?: (stack: RunningStack, client: MqttClient) => Promise<void> | void;
}

/** The parts of a dashboard suite; set once its `before` hook has run. */
export interface DashboardSuite {
  readonly stack: RunningStack;
  readonly client: MqttClient;
  readonly browser: RunningBrowser;
  /** every error thrown in a page the suite opened */
  readonly pageErrors: string[];
  /** opens a dashboard page (a path under /dashboard) in the suite's browser or in `context` */
  open(pagePath: string, context?: BrowserContext): Promise<{ page: Page; traffic: SocketTraffic }>;
}

/** Whether GET /api/devices lists every one of `devices`. */
async function fleetLists(stack: RunningStack, devices: string[]): Promise<boolean> {
  const response = await fetch(`${stack.baseUrl}/api/devices`);
  if (response.status !== 200) return false;
  const listed = new Set(((await response.json()) as { device_id: string }[]).map((device) => device.device_id));
  return devices.every((device) => listed.has(device));
}

/**
 * The set-up every dashboard browser suite shares, as hooks of the calling `describe`: chromium and
 * influxd required (skip locally, fail on CI), `npm start`'s runtime, an MQTT client, a browser;
 * on a failed test a screenshot of each opened page and the runtime's last warnings; all of it
 * stopped after the suite.
 */
export function dashboardSuite(options: DashboardSuiteOptions): DashboardSuite {
  let stack: RunningStack | undefined;
  let client: MqttClient | undefined;
  let browser: RunningBrowser | undefined;
  const pages: Page[] = [];
  const pageErrors: string[] = [];
  const started = <T>(part: T | undefined, what: string): T => {
    if (part === undefined) throw new Error(`the dashboard suite has no ${what}: its before hook did not run or failed`);
    return part;
  };

  before(async function () {
    requireBinary(this, 'chromium', 'chromium');
    requireBinary(this, 'influxd', 'influxdb');
    stack = await startStack({ env: options.env });
    client = await mqtt.connectAsync(stack.mqttUrl);
    for (const device of options.online ?? []) await client.publishAsync(`heatpump/${device}/status/online`, 'online', { retain: true });
    // the device list reaches a dashboard page that is open; a page opening as it changes may miss it
    await waitFor(() => fleetLists(started(stack, 'runtime'), options.online ?? []), 30_000, `${options.online?.join(', ')} in GET /api/devices`);
    await options.prepare?.(stack, client);
    browser = await launchBrowser();
  });

  after(async function () {
    await client?.endAsync();
    await browser?.close();
    await stack?.stop();
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !stack) return;
    for (const [i, page] of pages.entries()) if (!page.isClosed()) await screenshot(page, `${options.name}-failed-${i}`);
    console.log(stack.output().split('\n').filter((line) => /warn|error/i.test(line)).slice(-20).join('\n'));
  });

  return {
    get stack() {
      return started(stack, 'runtime');
    },
    get client() {
      return started(client, 'MQTT client');
    },
    get browser() {
      return started(browser, 'browser');
    },
    pageErrors,
    async open(pagePath, context) {
      const opened = await openDashboard(context ?? started(browser, 'browser').context, `${started(stack, 'runtime').dashboardUrl}${pagePath}`);
      opened.page.on('pageerror', (err) => pageErrors.push(err.message));
      pages.push(opened.page);
      return opened;
    },
  };
}
