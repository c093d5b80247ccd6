// Whole processes of a cluster: Debian's mosquitto with the shipped config, redis-server, influxd
// and `npm start` replicas with the shipped flow, 100 devices with their own logins. Readings/s
// through one replica and through two (a backlog of readings, QoS 1, drained into InfluxDB), and
// the failover when the replica holding the SMS summary lease is killed (SIGKILL) mid-stream:
// how long until the survivor holds the lease, and, with the killed replica started again
// as soon as the lease moved, until every reading sent since the kill is stored (its share waits
// for it at the broker).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeRedis, openRedis } from '../nodes/shared/redis-connection';
import { deviceIds, killReplica, startClusterServices, startReplica, storedCount, type ClusterServices, type ReplicaName } from '../test/support/cluster';
import { DeviceFleet } from '../test/support/device-fleet';
import type { RunningProduct } from '../test/support/runtime';
import { findBinary } from '../test/support/system';

export const title = 'cluster processes: readings/s through one and two npm start replicas (mosquitto, redis-server, influxd, 100 devices), failover';

const DEVICES = 100;
/** readings per device in the measured backlog */
const BACKLOG_PER_DEVICE = 200;
/** the shipped flow's SMS bridge: its summary lease is the cluster's one lease */
const SUMMARY_LEASE = 'sms:hp_sms_bridge:summaries';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls until every reading `fleet` sent up to now is in InfluxDB; returns when that was seen (ms
 * since the epoch). A row is one device's reading at one timestamp, so the count is exact.
 */
async function allStored(services: ClusterServices, fleet: DeviceFleet, since: number, timeoutMs = 300_000): Promise<number> {
  const sent = fleet.totalSent();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = await storedCount(services.influxd.url, since);
    if (stored >= sent) return Date.now();
    if (Date.now() > deadline) throw new Error(`${sent - stored} readings not stored after ${timeoutMs} ms`);
    await delay(200);
  }
}

export async function run(): Promise<void> {
  const binaries = { mosquitto: findBinary('mosquitto'), openssl: findBinary('openssl'), redis: findBinary('redis-server'), influxd: findBinary('influxd') };
  if (!binaries.mosquitto || !binaries.openssl || !binaries.redis || !binaries.influxd || !findBinary('mosquitto_passwd')) {
    console.log('  skipped: mosquitto, redis-server, influxd or openssl not found (apt-get install -y mosquitto redis-server influxdb openssl)');
    return;
  }
  const services = await startClusterServices({ mosquitto: binaries.mosquitto, openssl: binaries.openssl, redis: binaries.redis, influxd: binaries.influxd }, deviceIds(DEVICES));
  const homes: string[] = [];
  const running: RunningProduct[] = [];
  const firstTimestamp = Date.now() - 2 * 3_600_000;
  const fleet = await DeviceFleet.connect(services.mosquitto.url, services.deviceLogins, firstTimestamp);
  const rates = new Map<number, number>();
  try {
    for (const instances of [1, 2]) {
      // a share group and key prefix per run: the runs do not see each other's state
      const env = { HEATPUMP_SHARE_GROUP: `bench${instances}`, HEATPUMP_REDIS_PREFIX: `bench${instances}:` };
      const names: ReplicaName[] = instances === 1 ? ['a'] : ['a', 'b'];
      const replicas = new Map<ReplicaName, RunningProduct>();
      const replicaHomes = new Map<ReplicaName, string>();
      await Promise.all(
        names.map(async (name) => {
          const home = fs.mkdtempSync(path.join(os.tmpdir(), `hp-bench-replica-${name}-`));
          homes.push(home);
          replicaHomes.set(name, home);
          const replica = await startReplica(services, name, home, { env });
          running.push(replica);
          replicas.set(name, replica);
        }),
      );
      // warm-up: the first readings of each device (fleet records, alert states) are not measured
      fleet.burst(2);
      await allStored(services, fleet, firstTimestamp);
      const readings = DEVICES * BACKLOG_PER_DEVICE;
      const started = Date.now();
      fleet.burst(BACKLOG_PER_DEVICE);
      const seconds = ((await allStored(services, fleet, firstTimestamp)) - started) / 1000;
      rates.set(instances, readings / seconds);
      console.log(`  ${instances} replica(s): ${readings} readings (${DEVICES} devices, QoS 1) stored in ${seconds.toFixed(1)} s = ${Math.round(readings / seconds)} readings/s`);

      if (instances === 2) {
        const redis = openRedis(services.redis.url);
        try {
          const leaseKey = `${env.HEATPUMP_REDIS_PREFIX}${SUMMARY_LEASE}`;
          const holder = (await redis.get(leaseKey)) as ReplicaName | null;
          if (holder !== 'a' && holder !== 'b') throw new Error(`no replica holds ${leaseKey} (${String(holder)})`);
          const survivor: ReplicaName = holder === 'a' ? 'b' : 'a';
          fleet.startSteady(1000);
          await delay(5000);
          const killedAt = Date.now();
          await killReplica(replicas.get(holder) as RunningProduct);
          // restarted only once the lease moved: back within the lease time, a replica renews its own lease (same instance id)
          let leaseMovedAt = 0;
          while (leaseMovedAt === 0) {
            if ((await redis.get(leaseKey)) === survivor) leaseMovedAt = Date.now();
            else if (Date.now() - killedAt > 60_000) throw new Error(`the lease did not move to ${survivor} within 60 s`);
            else await delay(100);
          }
          const back = await startReplica(services, holder, replicaHomes.get(holder) as string, { env });
          running.push(back);
          const backAt = Date.now();
          fleet.stopSteady();
          const storedAt = await allStored(services, fleet, firstTimestamp);
          console.log(
            `  failover (SIGKILL of the lease holder, ${DEVICES} readings/s): lease on the survivor after ${((leaseMovedAt - killedAt) / 1000).toFixed(1)} s; ` +
              `killed replica started again then, back after ${((backAt - killedAt) / 1000).toFixed(1)} s; every reading sent since the kill stored after ${((storedAt - killedAt) / 1000).toFixed(1)} s`,
          );
        } finally {
          await closeRedis(redis);
        }
      }
      for (const replica of running.splice(0)) await replica.stop();
    }
    const one = rates.get(1) ?? NaN;
    const two = rates.get(2) ?? NaN;
    console.log(`  two / one replica: ${(two / one).toFixed(2)} (${os.cpus().length} CPUs shared by mosquitto, redis-server, influxd, the replicas and this bench)`);
  } finally {
    await fleet.end();
    for (const replica of running) await replica.stop();
    await services.stop();
    for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
  }
}
