// The shared state of a cluster on a real redis-server: readings/s through the Redis part of a
// reading (fleet report + alert evaluation by compare-and-set) with one and with two instances
// writing at once over 100 devices, and how long the lease takes to move when its holder dies.
// Whole processes (npm start replicas with mosquitto and influxd) are measured in cluster-processes.bench.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_LEASE_TTL_MS, RedisLease } from '../nodes/shared/lease';
import { closeRedis, openRedis } from '../nodes/shared/redis-connection';
import { RedisFleet } from '../nodes/heatpump-fleet/redis-fleet';
import { AlertEngine } from '../nodes/threshold-alert/engine';
import { DEFAULT_RULES } from '../nodes/threshold-alert/rules';
import { SharedAlertStates } from '../nodes/threshold-alert/shared-state';
import { findBinary } from '../test/support/system';
import { startRedis } from '../scripts/lib/redis-server';

export const title = 'cluster: shared state in Redis (100 devices), lease failover';

const DEVICES = 100;
const READINGS = 20_000;
const T0 = 1_706_600_000_000;

/** One instance's reading path into Redis: alert evaluation, then the fleet report (flushed in batches as the fleet node does). */
async function instanceRun(url: string, prefix: string, readings: number, offset: number): Promise<void> {
  const client = openRedis(url);
  const engine = new AlertEngine({ rules: DEFAULT_RULES, overrides: new Map(), cooldownSeconds: 300, faultAfterSeconds: 600 });
  const alerts = new SharedAlertStates(client, `${prefix}alerts:n1:`);
  const fleet = new RedisFleet(client, prefix);
  // devices in parallel, each device's readings in order (as an MQTT session delivers them)
  const perDevice = Math.ceil(readings / DEVICES);
  await Promise.all(
    Array.from({ length: DEVICES }, async (_, d) => {
      const deviceId = `hp-${d}`;
      for (let i = 0; i < perDevice; i += 1) {
        const at = T0 + (offset + i) * 1000;
        const voltage = 230 + ((i * 7) % 30);
        await alerts.update(engine, deviceId, () => engine.process({ deviceId, timestamp: at, values: { voltage }, invalid: new Set() }));
        fleet.queue(deviceId, (state) => state.reading({ device_id: deviceId, timestamp: at, voltage }, [], at));
        if (i % 20 === 19) await fleet.flush();
      }
    }),
  );
  await fleet.flush();
  await closeRedis(client);
}

export async function run(): Promise<void> {
  const binary = findBinary('redis-server');
  if (!binary) {
    console.log("  skipped: redis-server not found (apt-get install -y redis-server)");
    return;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatpump-cluster-bench-'));
  const redis = await startRedis({ dataDir, binary });
  try {
    for (const instances of [1, 2]) {
      const started = process.hrtime.bigint();
      await Promise.all(Array.from({ length: instances }, (_, i) => instanceRun(redis.url, `bench${instances}:`, READINGS / instances, i * 100_000)));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      console.log(`  ${instances} instance(s): ${READINGS} readings in ${seconds.toFixed(2)} s = ${Math.round(READINGS / seconds)} readings/s`);
    }
    const key = 'bench:lease';
    const [holderClient, survivorClient] = [openRedis(redis.url), openRedis(redis.url)];
    const holder = new RedisLease(holderClient, { key, holder: 'holder' });
    await holder.tick();
    let movedAt = 0;
    const survivor = new RedisLease(survivorClient, { key, holder: 'survivor', onChange: (held) => held && (movedAt = Date.now()) });
    // the holder dies: it renews no more (its timer never started), the survivor tries as it does in a node
    const died = Date.now();
    survivor.start();
    while (movedAt === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    console.log(`  lease failover: ${((movedAt - died) / 1000).toFixed(1)} s after the holder died (lease time ${DEFAULT_LEASE_TTL_MS / 1000} s, tries every ${(DEFAULT_LEASE_TTL_MS / 3000).toFixed(1)} s)`);
    await survivor.stop();
    await Promise.all([closeRedis(holderClient), closeRedis(survivorClient)]);
  } finally {
    await redis.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
