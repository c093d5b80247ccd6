// A simulated day of two heat pumps through the shipped product (`npm start`: its embedded MQTT
// broker, the shipped flows in Node-RED, Debian's influxd): each device's metrics readings on
// heatpump/{id}/metrics, stamped with the simulated times and published as fast as the broker
// takes them. heatpump-performance (every device) must find the model's own totals in InfluxDB and
// through GET /api/devices/{id}/performance and /energy; only the short-cycling device is flagged.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { influxQuery, rowsOf } from '../../scripts/lib/influx-setup';
import { simulateSeries, type SimulationTotals, type StepResult } from '../../scripts/lib/sim-model';
import { requireBinary } from '../support/system';
import { eventually, startProduct, type RunningProduct } from '../support/runtime';

const DB = 'heatpump';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const INTERVAL = 20_000;
/** readings per publish: a device's 10 minutes, as a buffer flush */
const PER_PUBLISH = 30;
/** the day before yesterday (UTC, the zone the product runs in here): whole, inside raw retention, and never ahead of the clock */
const DAY_START = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;
const DATE = new Date(DAY_START).toISOString().slice(0, 10);
const NEXT_DATE = new Date(DAY_START + DAY).toISOString().slice(0, 10);

const DEVICES = [
  { id: 'e2e-steady', setup: { ambientMean: 1 }, shortCycling: false },
  { id: 'e2e-cycling', setup: { ambientMean: 1, shortCycling: true }, shortCycling: true },
] as const;

/** The model's exact totals over the day: the difference of its running totals at the day's two midnights. */
function dayTotals(steps: readonly StepResult[]): SimulationTotals {
  const at = (t: number) => steps.find((step) => step.metrics.timestamp === t)?.state.totals;
  const first = at(DAY_START);
  const last = at(DAY_START + DAY);
  assert.ok(first && last);
  return {
    electricalKwh: last.electricalKwh - first.electricalKwh,
    heatKwh: last.heatKwh - first.heatKwh,
    defrostHeatKwh: last.defrostHeatKwh - first.defrostHeatKwh,
    defrosts: last.defrosts - first.defrosts,
    dhwCycles: last.dhwCycles - first.dhwCycles,
    starts: last.starts - first.starts,
  };
}

/**
 * Compressor starts and defrosts as the published flags show them. A start is off to on between
 * two samples of the day; a defrost is an episode of the flag overlapping the day (heatpump-
 * performance counts one running over midnight in both days). The model counts a defrost when
 * it triggers, so its own count can differ by one at each midnight.
 */
function flagStarts(steps: readonly StepResult[], flag: 'defrost_active' | 'compressor_running'): number {
  let starts = 0;
  for (let i = 1; i < steps.length; i++) {
    const { timestamp, metrics } = (steps[i] as StepResult).metrics;
    if (timestamp < DAY_START || timestamp >= DAY_START + DAY) continue;
    const continued = steps[i - 1]?.metrics.metrics[flag] === true;
    if (metrics[flag] === true && (!continued || (flag === 'defrost_active' && timestamp === DAY_START))) starts++;
  }
  return starts;
}

/**
 * Heat: the node integrates 5-minute means of flow × ΔT sampled every 20 s, the model integrates
 * every 5 s: a run starting or ending between two samples is off by up to 20 s of its heat, which
 * over a day (170 starts of the short-cycling device) stays well under 3 %. Electricity comes from
 * the counter (exact at the samples, rounded to 0.1 Wh) and the API rounds to 3 decimals: 0.2 %.
 */
const HEAT_TOLERANCE = 0.03;
const ELECTRICITY_TOLERANCE = 0.002;

const within = (actual: unknown, expected: number, share: number, what: string) =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) <= share * Math.abs(expected), `${what}: ${String(actual)} is not within ${share * 100} % of ${expected}`);

describe('performance pipeline end to end (npm start, MQTT metrics, heatpump-performance, influxd, API)', function () {
  this.timeout(300_000);
  let influx: RunningInfluxd;
  let influxDir: string;
  let product: RunningProduct;
  let device: MqttClient;
  const generated = DEVICES.map(({ id, setup }) =>
    simulateSeries({ id, seed: 5, start: DAY_START - HOUR, end: DAY_START + DAY + 10 * 60_000, intervalMs: INTERVAL, setup }),
  );

  const query = async (q: string) => rowsOf(await influxQuery({ url: influx.url }, q, DB));
  const api = async (pathAndQuery: string) => {
    const res = await fetch(`${product.baseUrl}${pathAndQuery}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  before(async function () {
    requireBinary(this, 'influxd', 'influxdb');
    influxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-performance-pipeline-'));
    influx = await startInfluxd({ dataDir: influxDir, port: 0 });
    product = await startProduct({ INFLUXDB_URL: influx.url, HEATPUMP_TIME_ZONE: 'UTC' });
    await eventually(async () => ((await api('/api/health')).body as { status?: string }).status === 'healthy' || undefined, 30_000, 'healthy');
    device = mqtt.connect(product.mqttUrl, { clientId: 'test-performance-gateway' });
    await new Promise((resolve, reject) => device.once('connect', resolve).once('error', reject));
    // both devices side by side in time order, each publish a device's next 10 minutes
    const chunks = generated.map((steps) => {
      const list: StepResult[][] = [];
      for (let i = 0; i < steps.length; i += PER_PUBLISH) list.push(steps.slice(i, i + PER_PUBLISH));
      return list;
    });
    for (let i = 0; i < Math.max(...chunks.map((list) => list.length)); i++) {
      for (const [d, list] of chunks.entries()) {
        const chunk = list[i];
        if (chunk === undefined) continue;
        await device.publishAsync(`heatpump/${DEVICES[d]?.id}/metrics`, JSON.stringify(chunk.map((step) => step.metrics)), { qos: 1 });
      }
    }
  });

  after(async () => {
    await device?.endAsync();
    const code = await product?.stop();
    await influx?.stop();
    if (influxDir) fs.rmSync(influxDir, { recursive: true, force: true });
    assert.equal(code, 0, 'npm start exits 0 on SIGTERM');
  });

  it('stores every metrics reading, the 5-minute cop windows and the finished day of each device in InfluxDB', async () => {
    for (const [d, { id }] of DEVICES.entries()) {
      const rows = await eventually(async () => {
        // (the hour before, generated to warm the model up, is a day of its own)
        const found = await query(`SELECT * FROM "daily"."energy_daily" WHERE "device_id" = '${id}' AND time = ${DAY_START}ms`);
        return found.length > 0 ? found : undefined;
      }, 120_000, `the energy_daily row of ${id}`);
      assert.equal(rows.length, 1);
      const row = rows[0] as Record<string, unknown>;
      const totals = dayTotals(generated[d] as StepResult[]);
      within(row.heat_energy, totals.heatKwh, HEAT_TOLERANCE, `${id} heat_energy`);
      within(row.electrical_energy, totals.electricalKwh, ELECTRICITY_TOLERANCE, `${id} electrical_energy`);
      const steps = generated[d] as StepResult[];
      assert.ok(Math.abs(flagStarts(steps, 'defrost_active') - totals.defrosts) <= 2, 'the flags show the model\'s defrosts');
      assert.equal(row.defrost_count, flagStarts(steps, 'defrost_active'), `${id} defrost_count`);
      assert.equal(row.compressor_starts, flagStarts(steps, 'compressor_running'), `${id} compressor_starts`);
      assert.equal(row.short_cycling, DEVICES[d]?.shortCycling, `${id} short_cycling`);
      // The day's row can land before the day's last windows and raw readings: heatpump-batch
      // writes one batch per retention policy, and under load they queue behind each other.
      let windows: Record<string, unknown> | undefined;
      await eventually(async () => {
        [windows] = await query(`SELECT count("cop_running") AS running, count("quality") AS windows FROM "hourly"."cop" WHERE "device_id" = '${id}' AND time >= ${DAY_START}ms AND time < ${DAY_START + DAY}ms`);
        return windows?.windows === 288 || undefined;
      }, 120_000, () => `${id}: every 5-minute window of the day (${String(windows?.windows)} of 288)`);
      assert.ok(Number(windows?.running) > 0);
      const expected = (generated[d] as StepResult[]).length;
      let readings: unknown;
      await eventually(async () => {
        const [stored] = await query(`SELECT count("flow_rate") AS readings FROM "heatpump_metrics" WHERE "heatpump_id" = '${id}'`);
        readings = stored?.readings;
        return readings === expected || undefined;
      }, 120_000, () => `${id}: every metrics reading stored (${String(readings)} of ${expected})`);
    }
  });

  it('answers the day through /performance: heat, electricity, SPF, defrosts and starts as generated; only the short-cycling device flagged', async () => {
    for (const [d, { id, shortCycling }] of DEVICES.entries()) {
      const { status, body } = await api(`/api/devices/${id}/performance?period=custom&start=${DATE}&end=${NEXT_DATE}`);
      assert.equal(status, 200, JSON.stringify(body));
      const totals = dayTotals(generated[d] as StepResult[]);
      assert.equal(body.days, 1);
      within(body.heat_kwh, totals.heatKwh, HEAT_TOLERANCE, `${id} heat_kwh`);
      within(body.electricity_kwh, totals.electricalKwh, ELECTRICITY_TOLERANCE, `${id} electricity_kwh`);
      within(body.spf, totals.heatKwh / totals.electricalKwh, HEAT_TOLERANCE + ELECTRICITY_TOLERANCE, `${id} spf`);
      const steps = generated[d] as StepResult[];
      assert.equal((body.defrosts as { count?: unknown }).count, flagStarts(steps, 'defrost_active'), `${id} defrosts`);
      assert.equal(body.starts, flagStarts(steps, 'compressor_running'), `${id} starts`);
      assert.equal(body.short_cycling_days, shortCycling ? 1 : 0, `${id} short_cycling_days`);
      if (shortCycling) assert.ok(Number(body.max_starts_per_hour) >= 6, `${id} max_starts_per_hour ${String(body.max_starts_per_hour)}`);
      else assert.ok(Number(body.max_starts_per_hour) < 6, `${id} max_starts_per_hour ${String(body.max_starts_per_hour)}`);
    }
  });

  it('answers the day through /energy?every=1d', async () => {
    for (const [d, { id }] of DEVICES.entries()) {
      const res = await fetch(`${product.baseUrl}/api/devices/${id}/energy?every=1d&start=${DATE}&end=${NEXT_DATE}`);
      assert.equal(res.status, 200);
      const periods = (await res.json()) as Array<Record<string, unknown>>;
      assert.deepEqual(periods.map((p) => [p.period, p.days]), [[DATE, 1]]);
      const totals = dayTotals(generated[d] as StepResult[]);
      within(periods[0]?.heat_kwh, totals.heatKwh, HEAT_TOLERANCE, `${id} energy heat_kwh`);
      within(periods[0]?.electricity_kwh, totals.electricalKwh, ELECTRICITY_TOLERANCE, `${id} energy electricity_kwh`);
    }
  });
});
