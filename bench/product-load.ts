// Shared by the outage and overload benches: the product (npm start, shipped flows) against a real
// influxd, devices publishing readings at a rate over MQTT (QoS 1, not waiting for the broker: a
// device does not wait for a slow server either), and the product's RSS and counters over time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findInfluxd, startInfluxd, type RunningInfluxd } from '../scripts/lib/influxd';
import { influxQuery, rowsOf } from '../scripts/lib/influx-setup';
import { startProduct, type RunningProduct } from '../test/support/runtime';
export { flood, rssMiB } from '../test/support/feeder';

export interface Rig {
  influx: RunningInfluxd;
  product: RunningProduct;
  dataDir: string;
  stop(): Promise<void>;
}

/** influxd and the product on it; undefined (with a note) when influxd is not installed. */
export async function startRig(): Promise<Rig | undefined> {
  const binary = findInfluxd();
  if (!binary) {
    console.log('  skipped: influxd not found (apt-get install -y influxdb)');
    return undefined;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-bench-influx-'));
  const influx = await startInfluxd({ dataDir, port: 0, binary });
  const product = await startProduct({ INFLUXDB_URL: influx.url });
  const rig: Rig = {
    influx,
    product,
    dataDir,
    stop: async () => {
      await rig.product.stop();
      await rig.influx.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await waitUntil(async () => (await health(product)).status === 'healthy', 30_000);
  return rig;
}

export interface Health {
  status: string;
  spooled_points: number;
  dropped: Record<string, number>;
}

export async function health(product: RunningProduct): Promise<Health> {
  return (await (await fetch(`${product.baseUrl}/api/health`, { signal: AbortSignal.timeout(10_000) })).json()) as Health;
}

export async function stats(product: RunningProduct): Promise<{ total_readings: number; points_written: number; dropped: Record<string, number> }> {
  return (await (await fetch(`${product.baseUrl}/api/stats`, { signal: AbortSignal.timeout(10_000) })).json()) as { total_readings: number; points_written: number; dropped: Record<string, number> };
}

export async function storedReadings(influx: RunningInfluxd, prefix: string): Promise<number> {
  const rows = rowsOf(await influxQuery({ url: influx.url }, `SELECT COUNT("voltage") FROM "raw"."sensor_reading" WHERE "device_id" =~ /^${prefix}/`, 'heatpump'));
  return Number(rows[0]?.count ?? 0);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return true;
    } catch {
      // not answering yet
    }
    await sleep(500);
  }
  return false;
}
