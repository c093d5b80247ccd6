// The Device page's 7-day history in headless Chromium: how long from choosing "7 d" until the
// temperature chart has drawn every point, and how many points the browser received over
// the dashboard's socket, beside the raw 7-day point count it would get without downsampling.
import mqtt from 'mqtt';
import { findBinary } from '../test/support/system';
import { chartSeries, launchBrowser, openDashboard, startStack, waitFor, writeLines } from '../test/support/browser';
import { aggregateSelect, influxQuery, rowsOf } from '../scripts/lib/influx-setup';
import { percentile } from './measure';

export const title = 'dashboard: 7-day history chart in Chromium';

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
