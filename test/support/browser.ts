// Shared by the dashboard's browser test and bench: the runtime `npm start` builds (spawned as
// `node dist/scripts/start.js` on free ports in a temp home) and a headless Debian chromium
// driven by playwright-core.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '../../scripts/lib/ports';
import { projectRoot } from './node-red';

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
export async function waitFor<T>(probe: () => Promise<T> | T, timeoutMs: number, what: string, intervalMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
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

/** Writes InfluxDB line protocol into `heatpump`/`raw` over the v1 HTTP API. */
export async function writeLines(influxUrl: string, lines: string[], retentionPolicy = 'raw'): Promise<void> {
  const response = await fetch(`${influxUrl}/write?db=heatpump&rp=${retentionPolicy}&precision=ms`, { method: 'POST', body: lines.join('\n') });
  if (response.status !== 204) throw new Error(`InfluxDB write failed: ${response.status} ${await response.text()}`);
}
