// The year's performance figures of one heat pump: a year of 10 s samples (3.15 M, from the
// deterministic year of test/support/heatpump-year.ts) stored in influxd, then the year's figures
// (a) computed from the raw samples, the baseline: query them month by month and run
// heatpump-performance's analyser over them, as one would without stored aggregates;
// (b) from the stored aggregates: the performance kind's statements over the `energy_daily` days
// (retention policy daily) and `cop` windows (hourly), answered by the API's own code; and
// (c) GET /api/devices/:id/performance?period=year of the shipped flows, p50 / p99.
// `raw` keeps 30 days only, so the bench keeps its year of samples in a retention policy of its
// own (`bench_year`). The baseline's windows and days are what heatpump-performance would have
// written live: they are stored (by retention policy, as heatpump-batch does) for (b) and (c).
// BENCH_PERFORMANCE_DAYS (default 365) and BENCH_PERFORMANCE_REQUESTS (default 200) shorten it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PerformanceAnalyser, windowToPoints } from '../nodes/heatpump-performance/analyser';
import { dailyToPoint } from '../nodes/heatpump-performance/daily';
import { parseOptions } from '../nodes/heatpump-performance/options';
import { periodAt, periodsBetween } from '../nodes/heatpump-performance/periods';
import { influxqlStatements } from '../nodes/heatpump-query/influxql';
import { databaseResponse, type Row } from '../nodes/shared/api-response';
import type { DatabaseRequest } from '../nodes/shared/api-request';
import { MEASUREMENT_METRICS, type InfluxPoint, type MetricsReading } from '../nodes/shared/contract';
import { byRetentionPolicy } from '../nodes/shared/retention';
import { startBroker } from '../scripts/lib/broker';
import { findInfluxd, startInfluxd } from '../scripts/lib/influxd';
import { influxQuery, setupInfluxDb } from '../scripts/lib/influx-setup';
import { loadShippedFlows } from '../scripts/lib/shipped-flows';
import { heatpumpYear, type DayTotals } from '../test/support/heatpump-year';
import { startNodeRedChild } from './child';
import { percentile } from './measure';

export const title = 'performance figures of a year: raw 10 s samples vs stored aggregates';

const DAYS = Number(process.env.BENCH_PERFORMANCE_DAYS ?? 365);
const REQUESTS = Number(process.env.BENCH_PERFORMANCE_REQUESTS ?? 200);
const STEP_MS = 10_000;
const BATCH_LINES = 5000;
const DB = 'heatpump';
const YEAR_RP = 'bench_year';
const ZONE = 'Europe/Berlin';
const DEVICE = 'bench-hp';
const DAY = 86_400_000;

/** A metrics reading as a line of `heatpump_metrics` (booleans as booleans). */
function line(reading: MetricsReading): string {
  const fields = Object.entries(reading.metrics)
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(',');
  return `${MEASUREMENT_METRICS},heatpump_id=${reading.device_id} ${fields} ${reading.timestamp}`;
}

async function post(url: string, rp: string, body: string): Promise<void> {
  const response = await fetch(`${url}/write?db=${DB}&rp=${rp}&precision=ms`, { method: 'POST', body });
  // the first windows of a 365-day year lie beyond hourly's 52 weeks: InfluxDB keeps the rest
  if (response.status !== 204 && !/points beyond retention policy dropped=/.test(await response.clone().text())) throw new Error(`write to ${rp}: HTTP ${response.status} ${await response.text()}`);
}

/** Writes the year's samples in 5,000-line batches, two requests in flight. */
async function storeSamples(url: string, start: number, end: number): Promise<{ samples: number; seconds: number; days: Map<string, DayTotals> }> {
  const started = performance.now();
  const days = new Map<string, DayTotals>();
  const inFlight: Promise<void>[] = [];
  let lines: string[] = [];
  let samples = 0;
  for (const reading of heatpumpYear({ deviceId: DEVICE, start, end, timeZone: ZONE, stepMs: STEP_MS }, days)) {
    lines.push(line(reading));
    samples += 1;
    if (lines.length === BATCH_LINES) {
      inFlight.push(post(url, YEAR_RP, lines.join('\n')));
      lines = [];
      if (inFlight.length >= 2) await inFlight.shift();
    }
  }
  if (lines.length > 0) inFlight.push(post(url, YEAR_RP, lines.join('\n')));
  await Promise.all(inFlight);
  return { samples, seconds: (performance.now() - started) / 1000, days };
}

/** Streams a chunked InfluxQL answer, handing over each row as column → value. */
async function queryRows(url: string, q: string, onRow: (row: Record<string, unknown>) => void): Promise<void> {
  const body = new URLSearchParams({ q, db: DB, epoch: 'ms', chunked: 'true', chunk_size: '10000' });
  const response = await fetch(`${url}/query`, { method: 'POST', body });
  if (!response.ok || !response.body) throw new Error(`query: HTTP ${response.status}`);
  const decoder = new TextDecoder();
  let text = '';
  const take = (chunk: string) => {
    const parsed = JSON.parse(chunk) as { results?: { error?: string; series?: { columns: string[]; values?: unknown[][] }[] }[] };
    const result = parsed.results?.[0];
    if (result?.error) throw new Error(result.error);
    for (const series of result?.series ?? []) for (const values of series.values ?? []) onRow(Object.fromEntries(series.columns.map((column, i) => [column, values[i]])));
  };
  for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(part, { stream: true });
    let newline = text.indexOf('\n');
    while (newline >= 0) {
      if (newline > 0) take(text.slice(0, newline));
      text = text.slice(newline + 1);
      newline = text.indexOf('\n');
    }
  }
  if (text.trim() !== '') take(text);
}

interface Figures {
  heatKwh: number;
  electricityKwh: number;
  starts: number;
}

/** (a) the baseline: the year's raw samples, a month per query, through the analyser. */
async function figuresFromRaw(url: string, start: number, end: number, samplesEnd: number): Promise<{ figures: Figures; points: InfluxPoint[]; seconds: number; rows: number }> {
  const started = performance.now();
  const parsed = parseOptions({ deviceId: DEVICE, timeZone: ZONE });
  if (!parsed.ok) throw new Error('bench options');
  const analyser = new PerformanceAnalyser(parsed.value);
  const points: InfluxPoint[] = [];
  const figures: Figures = { heatKwh: 0, electricityKwh: 0, starts: 0 };
  let rows = 0;
  const collect = (windows: ReturnType<PerformanceAnalyser['close']>) => {
    points.push(...windows.flatMap(windowToPoints));
    for (const day of analyser.takeDays()) {
      points.push(dailyToPoint(day));
      if (day.start < start) continue;
      figures.heatKwh += day.heat_energy;
      figures.electricityKwh += day.electrical_energy;
      figures.starts += day.compressor_starts ?? 0;
    }
  };
  for (const month of periodsBetween(start - DAY, end, 'month', ZONE)) {
    const from = Math.max(month.start, start - DAY);
    // the samples after the last day finish it
    const to = month.end >= end ? samplesEnd : month.end;
    await queryRows(url, `SELECT * FROM "${YEAR_RP}"."${MEASUREMENT_METRICS}" WHERE "heatpump_id" = '${DEVICE}' AND time >= ${from}ms AND time < ${to}ms`, (row) => {
      rows += 1;
      const metrics: MetricsReading['metrics'] = {};
      for (const [name, value] of Object.entries(row)) if (name !== 'time' && name !== 'heatpump_id' && (typeof value === 'number' || typeof value === 'boolean')) metrics[name] = value;
      const reading: MetricsReading = { device_id: DEVICE, timestamp: row.time as number, metrics };
      analyser.add(reading);
      collect(analyser.close(reading.timestamp - 60_000));
    });
  }
  collect(analyser.closeAll());
  return { figures, points, seconds: (performance.now() - started) / 1000, rows };
}

/** (b) the year's answer from the stored days and windows, with the API's own statements and code. */
async function figuresFromAggregates(url: string, start: number, end: number): Promise<{ answer: Row; ms: number }> {
  const started = performance.now();
  const request: DatabaseRequest = { kind: 'performance', device_id: DEVICE, period: 'custom', start, end, time_zone: ZONE, estimate_at: null };
  const statements = influxqlStatements(request, Date.now());
  const response = await influxQuery({ url }, statements.join('; '), DB);
  const sets = statements.map((_, i) => (response.results?.[i]?.series ?? []).flatMap((series) => (series.values ?? []).map((values) => Object.fromEntries(series.columns.map((column, c) => [column, values[c]])))));
  const answer = databaseResponse(request, sets, undefined, statements.length).payload as Row;
  return { answer, ms: performance.now() - started };
}

export async function run(): Promise<void> {
  const binary = findInfluxd();
  if (!binary) {
    console.log('  skipped: influxd not found (apt-get install -y influxdb)');
    return;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-bench-performance-'));
  const influx = await startInfluxd({ dataDir, port: 0, binary });
  const broker = await startBroker({ port: 0 });
  try {
    await setupInfluxDb({ url: influx.url, database: DB });
    await influxQuery({ url: influx.url }, `CREATE RETENTION POLICY "${YEAR_RP}" ON "${DB}" DURATION INF REPLICATION 1`);
    // the DAYS local days up to today's midnight, and one before so that the first starts with a known state
    const today = periodAt(Date.now(), 'day', ZONE);
    const start = periodAt(today.start - DAYS * DAY + DAY / 2, 'day', ZONE).start;
    const samplesEnd = today.start + 10 * 60_000;
    const stored = await storeSamples(influx.url, start - DAY, samplesEnd);
    console.log(`  stored ${stored.samples.toLocaleString('en')} samples (10 s, ${DAYS + 1} days, 8 metrics) in ${BATCH_LINES}-line batches in ${stored.seconds.toFixed(0)} s`);

    const raw = await figuresFromRaw(influx.url, start, today.start, samplesEnd);
    for (const run of byRetentionPolicy(raw.points)) {
      for (let from = 0; from < run.points.length; from += BATCH_LINES) {
        const lines = run.points.slice(from, from + BATCH_LINES).map((p) => {
          const fields = Object.entries(p.fields).map(([name, value]) => `${name}=${typeof value === 'string' ? `"${value}"` : String(value)}`).join(',');
          return `${p.measurement},device_id=${p.tags.device_id} ${fields} ${p.timestamp.getTime()}`;
        });
        await post(influx.url, run.retentionPolicy ?? 'raw', lines.join('\n'));
      }
    }
    const aggregates: number[] = [];
    let answer: Row = {};
    for (let i = 0; i < 20; i++) {
      const timed = await figuresFromAggregates(influx.url, start, today.start);
      aggregates.push(timed.ms);
      answer = timed.answer;
    }
    aggregates.sort((a, b) => a - b);
    const generatedHeat = [...stored.days.values()].slice(1, DAYS + 1).reduce((sum, day) => sum + day.heatKwh, 0);
    const rawSpf = raw.figures.heatKwh / raw.figures.electricityKwh;
    console.log(`  (a) raw samples → analyser (baseline): ${raw.rows.toLocaleString('en')} rows in ${(raw.seconds * 1000).toFixed(0)} ms; SPF ${rawSpf.toFixed(3)}, ${raw.figures.heatKwh.toFixed(1)} kWh heat (generator ${generatedHeat.toFixed(1)}), ${raw.figures.starts} starts`);
    console.log(`  (b) stored days and windows → answer:  p50 ${percentile(aggregates, 50).toFixed(1)} ms, p99 ${percentile(aggregates, 99).toFixed(1)} ms over ${aggregates.length}; SPF ${String(answer.spf)}, ${String(answer.heat_kwh)} kWh heat, ${String(answer.starts)} starts, ${String(answer.days)} days`);
    console.log(`  ratio (a) / (b) p50: ${((raw.seconds * 1000) / percentile(aggregates, 50)).toFixed(0)}x faster from the aggregates`);

    const child = await startNodeRedChild('performance', loadShippedFlows(), {
      MQTT_BROKER: '127.0.0.1',
      MQTT_PORT: String(broker.port),
      MQTT_CLIENT_ID: 'heatpump-bench-performance',
      INFLUXDB_URL: influx.url,
      INFLUXDB_DATABASE: DB,
      HEATPUMP_TIME_ZONE: ZONE,
      HEATPUMP_SIMULATOR_DEVICES: '0',
      HEATPUMP_API_RATE: '0',
    });
    try {
      const url = `http://127.0.0.1:${child.port}/api/devices/${DEVICE}/performance?period=year`;
      // the flows answer 404 until their InfluxDB connection is up
      const ready = Date.now() + 30_000;
      while (Date.now() < ready && (await fetch(url)).status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
      const times: number[] = [];
      const statuses = new Map<number, number>();
      for (let i = 0; i < REQUESTS; i++) {
        const started = performance.now();
        const response = await fetch(url);
        await response.arrayBuffer();
        times.push(performance.now() - started);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
      times.sort((a, b) => a - b);
      console.log(`  (c) GET /api/devices/${DEVICE}/performance?period=year: p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms, max ${(times.at(-1) ?? NaN).toFixed(1)} ms over ${REQUESTS} (${[...statuses].map(([s, n]) => `${s}x${n}`).join(' ')})`);
      console.log(`  ratio (a) / (c) p50: ${((raw.seconds * 1000) / percentile(times, 50)).toFixed(0)}x`);
    } finally {
      await child.stop();
    }
  } finally {
    await broker.close();
    await influx.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
