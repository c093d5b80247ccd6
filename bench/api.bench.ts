// The HTTP API on a year of data: 100 devices reporting once a minute, stored the way the product
// stores them (raw readings kept 30 days, hourly aggregates 52 weeks, alerts), then every endpoint
// of the shipped API flow timed from a client, one request at a time and ten at once. The goal is
// p99 <= 200 ms per endpoint; /api/health (answered without the database) is the baseline.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { startBroker } from '../scripts/lib/broker';
import { findInfluxd, startInfluxd } from '../scripts/lib/influxd';
import { setupInfluxDb } from '../scripts/lib/influx-setup';
import { loadShippedFlows } from '../scripts/lib/shipped-flows';
import { MEASUREMENT_ALERT, MEASUREMENT_READING, SENSOR_FIELDS } from '../nodes/shared/contract';
import { MAX_READINGS_PAGE } from '../nodes/heatpump-query/request';
import { processUsage, startNodeRedChild } from './child';
import { percentile } from './measure';

export const title = 'HTTP API on a year of data (100 devices, 1 reading/min)';

const DEVICES = Number(process.env.BENCH_API_DEVICES ?? 100);
const RAW_DAYS = 30;
const HOURLY_DAYS = 364;
const REQUESTS = Number(process.env.BENCH_API_REQUESTS ?? 200);
const CONCURRENT = 10;
const GOAL_P99_MS = 200;
const BATCH_LINES = 5000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const deviceId = (n: number) => `bench-${String(n).padStart(3, '0')}`;

/** Plausible sensor values for minute `t` of device `d` (deterministic, so runs compare). */
function sensors(d: number, t: number): number[] {
  const phase = (t / DAY) * 2 * Math.PI;
  return [40 + 5 * Math.sin(phase) + (d % 5), 45 + 5 * Math.sin(phase), 5 + 8 * Math.cos(phase), 70 + (t % 7), 230 + (d % 4), 8.5, 1955 + (t % 11), 280, 70];
}

async function postLines(influxUrl: string, rp: string, lines: string[]): Promise<void> {
  const response = await fetch(`${influxUrl}/write?db=heatpump&rp=${rp}&precision=ms`, { method: 'POST', body: lines.join('\n') });
  if (response.status !== 204) throw new Error(`write to ${rp}: HTTP ${response.status} ${await response.text()}`);
}

/** Writes the lines `lineAt(i)` for i < count in batches, two requests in flight. */
async function writeAll(influxUrl: string, rp: string, count: number, lineAt: (i: number) => string): Promise<void> {
  const inFlight: Promise<void>[] = [];
  for (let from = 0; from < count; from += BATCH_LINES) {
    const lines: string[] = [];
    for (let i = from; i < Math.min(count, from + BATCH_LINES); i++) lines.push(lineAt(i));
    inFlight.push(postLines(influxUrl, rp, lines));
    if (inFlight.length >= 2) await inFlight.shift();
  }
  await Promise.all(inFlight);
}

async function loadYear(influxUrl: string, now: number): Promise<{ rows: number; seconds: number }> {
  const started = performance.now();
  const rawMinutes = RAW_DAYS * 24 * 60 - 5; // inside the raw retention
  const rawStart = now - rawMinutes * MINUTE;
  await writeAll(influxUrl, 'raw', DEVICES * rawMinutes, (i) => {
    const d = i % DEVICES;
    const t = rawStart + Math.floor(i / DEVICES) * MINUTE;
    const values = sensors(d, t / MINUTE);
    const fields = SENSOR_FIELDS.map((f, k) => `${f}=${values[k]}`).join(',');
    return `${MEASUREMENT_READING},device_id=${deviceId(d)} ${fields},compressor_running=true,fan_running=true,defrost_active=false ${t}`;
  });
  const hours = HOURLY_DAYS * 24;
  const hourlyStart = Math.floor(now / HOUR) * HOUR - hours * HOUR;
  await writeAll(influxUrl, 'hourly', DEVICES * hours, (i) => {
    const d = i % DEVICES;
    const t = hourlyStart + Math.floor(i / DEVICES) * HOUR;
    const values = sensors(d, t / MINUTE);
    const fields = SENSOR_FIELDS.flatMap((f, k) => [`mean_${f}=${values[k]}`, `min_${f}=${(values[k] ?? 0) - 1}`, `max_${f}=${(values[k] ?? 0) + 1}`]).join(',');
    // what the continuous query writes: mean/min/max of each sensor and the last state of each boolean
    return `${MEASUREMENT_READING},device_id=${deviceId(d)} ${fields},last_compressor_running=true,last_fan_running=true,last_defrost_active=false ${t}`;
  });
  // two alerts a day per device over the raw retention
  const alerts = DEVICES * RAW_DAYS * 2;
  await writeAll(influxUrl, 'raw', alerts, (i) => {
    const d = i % DEVICES;
    const t = now - 5 * MINUTE - Math.floor(i / DEVICES) * 12 * HOUR;
    const level = i % 3 === 0 ? 'critical' : 'warning';
    return `${MEASUREMENT_ALERT},device_id=${deviceId(d)},alert_type=voltage_low,level=${level},source=threshold value=196,message="Voltage low on ${deviceId(d)}" ${t}`;
  });
  return { rows: DEVICES * (rawMinutes + hours) + alerts, seconds: (performance.now() - started) / 1000 };
}

/** influxd's CPU share under which it counts as done with the bulk load's snapshots and compactions */
const SETTLED_CPU_SHARE = 0.1;
const SETTLE_STEP_MS = 5000;

/**
 * Waits until influxd has digested the bulk load (cache snapshots and TSM compactions keep it at
 * most of a CPU for minutes), at most `maxMs`: a year of data is timed at rest, as it is stored
 * after a year, not while InfluxDB compacts five million points written in two minutes. Returns
 * the seconds waited and whether it settled.
 */
async function untilSettled(pid: number, maxMs: number): Promise<{ seconds: number; settled: boolean }> {
  const started = performance.now();
  let last = processUsage(pid).cpuSeconds;
  while (performance.now() - started < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_STEP_MS));
    const now = processUsage(pid).cpuSeconds;
    const share = (now - last) / (SETTLE_STEP_MS / 1000);
    last = now;
    if (share < SETTLED_CPU_SHARE) return { seconds: (performance.now() - started) / 1000, settled: true };
  }
  return { seconds: (performance.now() - started) / 1000, settled: false };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENT });

function get(port: number, urlPath: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      })
      .on('error', reject);
  });
}

interface Timing {
  label: string;
  p50: number;
  p99: number;
  max: number;
  statuses: string;
}

/** `REQUESTS` requests of `pathFor(i)`, `parallel` at a time. */
async function time(port: number, label: string, pathFor: (i: number) => string, parallel = 1): Promise<Timing> {
  const times: number[] = [];
  const statuses = new Map<number, number>();
  for (let i = 0; i < REQUESTS; i += parallel) {
    const round = await Promise.all(Array.from({ length: Math.min(parallel, REQUESTS - i) }, (_, k) => get(port, pathFor(i + k))));
    for (const { status, ms } of round) {
      times.push(ms);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  }
  times.sort((a, b) => a - b);
  return { label, p50: percentile(times, 50), p99: percentile(times, 99), max: times[times.length - 1] ?? NaN, statuses: [...statuses].map(([s, n]) => `${s}x${n}`).join(' ') };
}

export async function run(): Promise<void> {
  const binary = findInfluxd();
  if (!binary) {
    console.log('  skipped: influxd not found (apt-get install -y influxdb)');
    return;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-bench-api-'));
  const influx = await startInfluxd({ dataDir, port: 0, binary });
  const broker = await startBroker({ port: 0 });
  try {
    await setupInfluxDb({ url: influx.url, database: 'heatpump' });
    const now = Date.now();
    const loaded = await loadYear(influx.url, now);
    console.log(`  stored ${loaded.rows.toLocaleString('en')} rows (${RAW_DAYS} d raw at 1/min, ${HOURLY_DAYS} d hourly, alerts) for ${DEVICES} devices in ${loaded.seconds.toFixed(0)} s`);
    // BENCH_API_SETTLE_SECONDS=0 times the API while influxd still compacts the load
    const settleMs = Number(process.env.BENCH_API_SETTLE_SECONDS ?? 300) * 1000;
    if (settleMs > 0) {
      const { seconds, settled } = await untilSettled(influx.pid, settleMs);
      console.log(`  influxd ${settled ? 'settled' : 'still busy'} after ${seconds.toFixed(0)} s of snapshots and compactions (CPU share under ${SETTLED_CPU_SHARE * 100} % over ${SETTLE_STEP_MS / 1000} s)`);
    }

    const child = await startNodeRedChild('api', loadShippedFlows(), {
      MQTT_BROKER: '127.0.0.1',
      MQTT_PORT: String(broker.port),
      MQTT_CLIENT_ID: 'heatpump-bench-api',
      INFLUXDB_URL: influx.url,
      INFLUXDB_DATABASE: 'heatpump',
      HEATPUMP_SIMULATOR_DEVICES: '0',
      // the bench is one client asking thousands of times: no rate limit
      HEATPUMP_API_RATE: '0',
    });
    try {
      // the fleet state learns the devices from one live reading each
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'bench-api-devices' });
      await new Promise((resolve) => setTimeout(resolve, 1500)); // Node-RED's subscription settles
      for (let d = 0; d < DEVICES; d++) {
        const values = sensors(d, now / MINUTE);
        const payload = {
          device: deviceId(d),
          timestamp: now,
          version: '1.0.0',
          temperature: { inlet: values[0], outlet: values[1], ambient: values[2], compressor: values[3] },
          electrical: { voltage: values[4], current: values[5], power: values[6] },
          pressure: { high: values[7], low: values[8] },
          status: { compressor: true, fan: true, defrost: false },
        };
        await client.publishAsync(`heatpump/${deviceId(d)}/data`, JSON.stringify(payload), { qos: 1 });
      }
      await client.endAsync();
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const body = (await (await fetch(`http://127.0.0.1:${child.port}/api/devices`)).json()) as { devices?: unknown[] } | unknown[];
        const listed = Array.isArray(body) ? body.length : (body.devices?.length ?? 0);
        if (listed >= DEVICES) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }

      const device = (i: number) => deviceId(i % DEVICES);
      // a client reading 30 days of raw readings follows the first page's next link: those of 10 devices
      const secondPages: string[] = [];
      for (let d = 0; d < Math.min(10, DEVICES); d++) {
        const first = (await (await fetch(`http://127.0.0.1:${child.port}/api/devices/${deviceId(d)}/readings?hours=720&limit=${MAX_READINGS_PAGE}`)).json()) as { next?: unknown };
        if (typeof first.next === 'string') secondPages.push(first.next);
      }
      const cases: [string, (i: number) => string, number?][] = [
        ['/api/health', () => '/api/health'],
        ['/metrics', () => '/metrics'],
        ['/api/stats', () => '/api/stats'],
        [`/api/stats x${CONCURRENT} at once`, () => '/api/stats', CONCURRENT],
        ['/api/devices', () => '/api/devices'],
        ['/api/devices/:id/status', (i) => `/api/devices/${device(i)}/status`],
        ['/api/devices/:id/readings/latest', (i) => `/api/devices/${device(i)}/readings/latest`],
        ['/api/devices/:id/readings (24 h)', (i) => `/api/devices/${device(i)}/readings`],
        ['readings ?hours=720&window=1h', (i) => `/api/devices/${device(i)}/readings?hours=720&window=1h`],
        // the API clamps a limit over its page size to it and links the next page
        ['readings ?hours=720&limit=10000 (raw)', (i) => `/api/devices/${device(i)}/readings?hours=720&limit=10000`],
        ...(secondPages.length > 0 ? [[`readings 720 h raw, its next page`, (i: number) => secondPages[i % secondPages.length] as string] as [string, (i: number) => string]] : []),
        [`readings 24 h x${CONCURRENT} at once`, (i) => `/api/devices/${device(i)}/readings`, CONCURRENT],
        ['/api/alerts (24 h)', () => '/api/alerts'],
        ['/api/alerts?hours=168&limit=500', () => '/api/alerts?hours=168&limit=500'],
        ['/api/alerts?device_id=..&hours=168', (i) => `/api/alerts?device_id=${device(i)}&hours=168`],
        ['/api/alerts/active', () => '/api/alerts/active'],
      ];
      const timings: Timing[] = [];
      for (const [label, pathFor, parallel] of cases) timings.push(await time(child.port, label, pathFor, parallel));
      const baseline = timings[0];
      console.log(`  ${REQUESTS} requests per endpoint (keep-alive); goal p99 <= ${GOAL_P99_MS} ms`);
      console.log(`  ${'endpoint'.padEnd(40)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'max ms'.padStart(7)} ${'p99 / health p50'.padStart(16)}  statuses  goal`);
      for (const t of timings) {
        const ratio = baseline ? t.p99 / baseline.p50 : NaN;
        console.log(
          `  ${t.label.padEnd(40)} ${t.p50.toFixed(1).padStart(7)} ${t.p99.toFixed(1).padStart(7)} ${t.max.toFixed(1).padStart(7)} ${ratio.toFixed(1).padStart(16)}  ${t.statuses}  ${t.p99 <= GOAL_P99_MS ? 'met' : 'NOT met'}`,
        );
      }
    } finally {
      await child.stop();
    }
  } finally {
    agent.destroy();
    await broker.close();
    await influx.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
