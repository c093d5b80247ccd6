// A 10-minute InfluxDB outage at 1,000 readings/s: 600,000 readings go into the product (npm start,
// shipped flows) while influxd is stopped. Time-compressed: the readings are fed over MQTT as fast as
// the pipeline takes them (BENCH_OUTAGE_RATE offered, default 5,000/s), not over 10 real minutes;
// the spool sees the same batches either way. Then influxd comes back and the bench times the drain
// of the spool, beside the normal write rate measured first in the same run.
import fs from 'node:fs';
import path from 'node:path';
import { startInfluxd } from '../scripts/lib/influxd';
import { flood, health, sleep, startRig, stats, storedReadings, waitUntil } from './product-load';

export const title = 'InfluxDB outage: spool 10 minutes at 1,000 readings/s, then drain';

const OUTAGE_READINGS = Number(process.env.BENCH_OUTAGE_READINGS ?? 600_000);
const RATE = Number(process.env.BENCH_OUTAGE_RATE ?? 5000);
const BASELINE_READINGS = Number(process.env.BENCH_OUTAGE_BASELINE ?? 100_000);
const DEVICES = 100;

function directoryBytes(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir).reduce((sum, name) => sum + fs.statSync(path.join(dir, name)).size, 0);
}

export async function run(): Promise<void> {
  const rig = await startRig();
  if (!rig) return;
  const spoolDir = path.join(rig.product.home, 'node-red', 'heatpump-spool', 'hp_batch');
  try {
    // baseline: the normal write rate, database up
    let began = Date.now();
    const baselineSent = await flood(rig.product.mqttUrl, { rate: RATE, seconds: BASELINE_READINGS / RATE, devices: DEVICES, prefix: 'base' });
    await waitUntil(async () => (await storedReadings(rig.influx, 'base')) >= baselineSent, 10 * 60_000);
    const normalRate = baselineSent / ((Date.now() - began) / 1000);

    const port = rig.influx.port;
    await rig.influx.stop();
    began = Date.now();
    const sent = await flood(rig.product.mqttUrl, { rate: RATE, seconds: OUTAGE_READINGS / RATE, devices: DEVICES, prefix: 'outage' });
    await waitUntil(async () => (await stats(rig.product)).total_readings >= baselineSent + sent, 10 * 60_000);
    // the last batches go through their retries (1+2+4+8+16 s) before they reach the spool
    await waitUntil(async () => (await health(rig.product)).spooled_points >= sent, 120_000);
    const feedSeconds = (Date.now() - began) / 1000;
    const spooled = (await health(rig.product)).spooled_points;
    const bytes = directoryBytes(spoolDir);

    rig.influx = await startInfluxd({ dataDir: rig.dataDir, port });
    const back = Date.now();
    let firstStored = 0;
    await waitUntil(async () => {
      if (firstStored === 0 && (await storedReadings(rig.influx, 'outage')) > 0) firstStored = Date.now();
      return (await health(rig.product)).spooled_points === 0;
    }, 30 * 60_000);
    const drained = Date.now();
    await sleep(2000);
    const stored = await storedReadings(rig.influx, 'outage');
    const dropped = (await stats(rig.product)).dropped;
    const drainSeconds = (drained - back) / 1000;
    const writeSeconds = (drained - (firstStored || back)) / 1000;
    const drainRate = stored / writeSeconds;
    console.log(`  ${sent} readings from ${DEVICES} devices during the outage (${(sent / 1000 / 60).toFixed(0)} min at 1,000 readings/s), fed in ${feedSeconds.toFixed(0)} s`);
    console.log(`  spool: ${spooled} points in ${(bytes / 1024 / 1024).toFixed(1)} MiB (${(bytes / Math.max(1, spooled)).toFixed(1)} bytes per reading)`);
    console.log(`  influxd back: first replay stored after ${((firstStored - back) / 1000).toFixed(1)} s (replay back-off), spool empty after ${drainSeconds.toFixed(1)} s`);
    console.log(`  stored ${stored} of ${sent}, lost ${sent - stored}; dropped by reason ${JSON.stringify(dropped)}`);
    console.log(`  drain ${drainRate.toFixed(0)} readings/s vs normal write rate ${normalRate.toFixed(0)} readings/s (baseline of ${baselineSent}): ratio ${(drainRate / normalRate).toFixed(2)}x`);
  } finally {
    await rig.stop();
  }
}
