// The dashboard in headless Chromium against npm start's runtime:
// 1. the Device page's 7-day history: how long from choosing "7 d" until the temperature chart
//    has drawn every point, and how many points the browser received over the dashboard's socket,
//    beside the raw 7-day point count it would get without downsampling;
// 2. 2,000 devices going offline at once (the issue: 352 MB -> 2.29 GB with the old dashboard
//    flows): the runtime's memory before, at its peak and after, and what the Fleet page received.
import fs from 'node:fs';
import mqtt from 'mqtt';
import { findBinary } from '../test/support/system';
import { chartSeries, launchBrowser, openDashboard, startStack, waitFor, writeLines } from '../test/support/browser';
import { aggregateSelect, influxQuery, rowsOf } from '../scripts/lib/influx-setup';
import { percentile } from './measure';

export const title = 'dashboard: 7-day history chart, 2,000 devices going offline (Chromium)';

const DEVICE = 'bench1';
const DAY = 86_400_000;
const READING_INTERVAL_MS = 60_000; // one reading a minute, as a real device sends

function line(time: number): string {
  const phase = (time / 3_600_000) * (Math.PI / 12);
  const inlet = (40 + 5 * Math.sin(phase)).toFixed(2);
  return `sensor_reading,device_id=${DEVICE} temp_inlet=${inlet},temp_outlet=48,temp_ambient=12,temp_compressor=70,voltage=231,current=8.4,power=1940,pressure_high=280,pressure_low=70 ${time}`;
}

export async function run(): Promise<void> {
  if (!findBinary('chromium') || !findBinary('influxd')) {
    console.log('  skipped: needs chromium and influxd (apt-get install -y chromium influxdb)');
    return;
  }
  await historyChart();
  await fleetGoesOffline();
}

async function historyChart(): Promise<void> {
  const stack = await startStack();
  const browser = await launchBrowser();
  const client = await mqtt.connectAsync(stack.mqttUrl);
  try {
    const now = Date.now();
    const times: number[] = [];
    for (let t = now - 7 * DAY; t < now; t += READING_INTERVAL_MS) times.push(t);
    for (let i = 0; i < times.length; i += 5000) await writeLines(stack.influxUrl, times.slice(i, i + 5000).map(line));
    // what the hourly continuous query would have written over the week
    const influx = { url: stack.influxUrl };
    await influxQuery(influx, aggregateSelect('heatpump', 'hourly', `time > ${now - 8 * DAY}ms`), 'heatpump');
    const rawCount = Number(
      rowsOf(await influxQuery(influx, `SELECT count("temp_inlet") FROM "raw"."sensor_reading" WHERE "device_id" = '${DEVICE}' AND time > now() - 7d`, 'heatpump'))[0]?.count,
    );
    await client.publishAsync(`heatpump/${DEVICE}/status/online`, 'online', { retain: true });

    const { page, traffic } = await openDashboard(browser.context, `${stack.dashboardUrl}/fleet`);
    const row = page.locator('.hp-fleet-table tr', { hasText: DEVICE }).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    await page.getByText('7 d', { exact: true }).first().waitFor({ timeout: 10_000 });

    const chartRows = () => [...traffic.pointsByWidget].filter(([id]) => id.startsWith('hp_dash_chart_')).reduce((sum, [, n]) => sum + n, 0);
    const renderMs: number[] = [];
    let points = 0;
    let chartPoints = 0;
    let frames = 0;
    let bytes = 0;
    for (let round = 0; round < 3; round++) {
      await page.getByText('1 h', { exact: true }).first().click();
      await page.getByText(/^1h: \d+ points/).first().waitFor({ timeout: 15_000 });
      const before = { frames: traffic.frames, bytes: traffic.bytes, points: chartRows() };
      const started = performance.now();
      await page.getByText('7 d', { exact: true }).first().click();
      const notice = await waitFor(async () => {
        const text = await page.getByText(/^7d: \d+ points/).first().textContent({ timeout: 200 }).catch(() => null);
        return text ? Number(/(\d+) points/.exec(text)?.[1]) : undefined;
      }, 30_000, 'the 7-day history notice');
      await waitFor(async () => {
        const inlet = (await chartSeries(page, 'hp_dash_chart_temps')).find((s) => s.name === 'Inlet °C');
        return inlet && inlet.points.length >= notice;
      }, 30_000, 'the temperature chart to draw the 7-day points');
      renderMs.push(performance.now() - started);
      chartPoints = notice;
      frames = traffic.frames - before.frames;
      bytes = traffic.bytes - before.bytes;
      points = chartRows() - before.points;
    }
    renderMs.sort((a, b) => a - b);
    const seriesCount = 9; // 4 temperatures, power, voltage, current, 2 pressures
    console.log(`  7-day chart drawn after choosing "7 d"     median ${percentile(renderMs, 50).toFixed(0)} ms  (runs: ${renderMs.map((ms) => ms.toFixed(0)).join(', ')})`);
    console.log(`  rows per series from InfluxDB (downsampled)  ${chartPoints}`);
    console.log(`  raw 7-day readings per series (no downsampling) ${rawCount}  (baseline)`);
    console.log(`  ratio ${((chartPoints / rawCount) * 100).toFixed(1)} % of baseline`);
    console.log(`  browser received for one 7-day load          ${points} rows over 5 charts, ${frames} socket frames, ${(bytes / 1024).toFixed(0)} KiB`);
    console.log(`  without downsampling that would be           ${rawCount * 5} rows (${rawCount * seriesCount} series points)`);
  } finally {
    await client.endAsync();
    await browser.close();
    await stack.stop();
  }
}

const FLEET = 2000;
const OFFLINE_AFTER_S = 15;

/** Resident memory of a process in MB (Linux /proc). */
function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

function devicePayload(device: string): string {
  return JSON.stringify({
    device,
    timestamp: Date.now(),
    version: '1.0.0',
    temperature: { inlet: 45.2, outlet: 50.1, ambient: 12, compressor: 70.5 },
    electrical: { voltage: 231, current: 8.4, power: 1940 },
    pressure: { high: 280, low: 70 },
    status: { compressor: true, fan: true, defrost: false },
    alerts: { voltage: 0, compressor_temp: 0, pressure_high: 0, pressure_low: 0, current: 0 },
    valid: { temp_inlet: true, temp_outlet: true, temp_ambient: true, temp_compressor: true, voltage: true, current: true, pressure_high: true, pressure_low: true },
  });
}

async function fleetGoesOffline(): Promise<void> {
  const stack = await startStack({ env: { DEVICE_ONLINE_TIMEOUT_SECONDS: String(OFFLINE_AFTER_S) } });
  const browser = await launchBrowser();
  const client = await mqtt.connectAsync(stack.mqttUrl);
  try {
    const { page, traffic } = await openDashboard(browser.context, `${stack.dashboardUrl}/fleet`);
    const count = async (id: string) => Number(/(\d+)\s*$/.exec((await page.locator(`#nrdb-ui-widget-${id}`).first().textContent({ timeout: 500 }).catch(() => '')) ?? '')?.[1] ?? -1);
    const ids = Array.from({ length: FLEET }, (_, i) => `bench${String(i).padStart(4, '0')}`);
    for (const id of ids) await client.publishAsync(`heatpump/${id}/data`, devicePayload(id));
    await waitFor(async () => (await count('hp_dash_count_online')) === FLEET, 60_000, `${FLEET} devices online on the Fleet page`, 200);
    const before = rssMb(stack.pid);
    const received = { frames: traffic.frames, bytes: traffic.bytes };

    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(stack.pid))), 100);
    const waitStarted = performance.now();
    await waitFor(async () => (await count('hp_dash_count_offline')) === FLEET, (OFFLINE_AFTER_S + 30) * 1000, `${FLEET} devices offline on the Fleet page`, 200);
    const shownAfter = performance.now() - waitStarted;
    await waitFor(async () => (await page.locator('.hp-fleet-table tbody tr', { hasText: 'offline' }).count()) > 0, 10_000, 'offline rows in the table');
    const frames = traffic.frames - received.frames;
    const kib = (traffic.bytes - received.bytes) / 1024;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    clearInterval(sampler);
    const after = rssMb(stack.pid);
    const line = (label: string, value: string) => console.log(`  ${label.padEnd(46)} ${value}`);
    line(`runtime memory, ${FLEET} devices online`, `${before.toFixed(0)} MB  (baseline)`);
    line(`peak while all ${FLEET} go offline`, `${peak.toFixed(0)} MB  (${((peak / before) * 100).toFixed(0)} % of baseline; the issue's old flows: 352 MB -> 2.29 GB, 650 %)`);
    line('3 s after the Fleet page showed them offline', `${after.toFixed(0)} MB`);
    line(`Fleet page showed ${FLEET} offline after`, `${(shownAfter / 1000).toFixed(1)} s  (timeout ${OFFLINE_AFTER_S} s, checked every 5 s)`);
    line('the Fleet page received meanwhile', `${frames} socket frames, ${kib.toFixed(0)} KiB`);
  } finally {
    await client.endAsync();
    await browser.close();
    await stack.stop();
  }
}
