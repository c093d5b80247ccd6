// The processes of a cluster on this machine, as the compose cluster profile runs them: Debian's
// mosquitto with the shipped config (a login per device, the replicas nodered-a and nodered-b),
// redis-server with its append-only file, influxd with the database set up as `npm run db:setup`
// does, and `npm start` replicas against them (each with its own HEATPUMP_HOME, port, instance id
// and MQTT login). For the failover test and the process bench.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startInfluxd, type RunningInfluxd } from '../../scripts/lib/influxd';
import { influxQuery, setupInfluxDb } from '../../scripts/lib/influx-setup';
import { startRedis, type RunningRedis } from '../../scripts/lib/redis-server';
import { deviceCredentials, ShippedMosquitto } from './mosquitto';
import { startProduct, type ProductOptions, type RunningProduct } from './runtime';

export interface ClusterBinaries {
  mosquitto: string;
  openssl: string;
  redis: string;
  influxd: string;
}

/** The replicas' MQTT logins of the compose profile (docker/mosquitto/acl). */
export type ReplicaName = 'a' | 'b';

export interface ClusterServices {
  mosquitto: ShippedMosquitto;
  redis: RunningRedis;
  influxd: RunningInfluxd;
  /** device id -> MQTT password */
  deviceLogins: Map<string, string>;
  /** the replicas' MQTT password (MQTT_PASSWORD of the compose profile) */
  replicaPassword: string;
  stop(): Promise<void>;
}

export function deviceIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `hp-${String(i + 1).padStart(3, '0')}`);
}

export async function startClusterServices(binaries: ClusterBinaries, devices: readonly string[]): Promise<ClusterServices> {
  const secret = () => crypto.randomBytes(12).toString('hex');
  const deviceLogins = new Map(devices.map((id) => [id, secret()]));
  const replicaPassword = secret();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-cluster-'));
  const started: Partial<Pick<ClusterServices, 'mosquitto' | 'redis' | 'influxd'>> = {};
  const stop = async () => {
    await started.mosquitto?.remove();
    await started.redis?.stop();
    await started.influxd?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    started.mosquitto = await ShippedMosquitto.prepare({
      binary: binaries.mosquitto,
      openssl: binaries.openssl,
      logins: { MQTT_PASSWORD: replicaPassword, MQTT_DEVICE_CREDENTIALS: deviceCredentials(deviceLogins), MQTT_REPLICA_USERS: 'nodered-a nodered-b' },
    });
    fs.mkdirSync(path.join(dataDir, 'redis'));
    // all settled before a failure is thrown, so that stop() ends those that did start
    const [broker, redis, influxd] = await Promise.allSettled([
      started.mosquitto.start(),
      startRedis({ dataDir: path.join(dataDir, 'redis'), binary: binaries.redis }),
      startInfluxd({ dataDir: path.join(dataDir, 'influxdb'), port: 0, binary: binaries.influxd }),
    ]);
    if (redis.status === 'fulfilled') started.redis = redis.value;
    if (influxd.status === 'fulfilled') started.influxd = influxd.value;
    for (const result of [broker, redis, influxd]) if (result.status === 'rejected') throw result.reason;
    const running = started as Required<typeof started>;
    await setupInfluxDb({ url: running.influxd.url });
    return { ...running, deviceLogins, replicaPassword, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** What a replica of the compose cluster profile gets in its environment. */
export function replicaEnv(services: ClusterServices, name: ReplicaName, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MQTT_BROKER: '127.0.0.1',
    MQTT_PORT: String(services.mosquitto.port),
    MQTT_USER: `nodered-${name}`,
    MQTT_PASSWORD: services.replicaPassword,
    REDIS_URL: services.redis.url,
    INFLUXDB_URL: services.influxd.url,
    HEATPUMP_INSTANCE_ID: name,
    SIMULATOR: '0',
    ...extra,
  };
}

async function mqttConnected(product: RunningProduct): Promise<boolean> {
  const health = (await (await fetch(`${product.baseUrl}/api/health`, { signal: AbortSignal.timeout(2000) })).json()) as { mqtt_connected?: boolean };
  return health.mqtt_connected === true;
}

/** `npm start` as replica `name` on `home` (kept: a restart uses it again); ready once connected to the broker. */
export function startReplica(services: ClusterServices, name: ReplicaName, home: string, options: { env?: Record<string, string>; flows?: unknown[] } = {}): Promise<RunningProduct> {
  const productOptions: ProductOptions = { home, ready: mqttConnected, readyTimeoutMs: 90_000, ...(options.flows ? { flows: options.flows } : {}) };
  return startProduct(replicaEnv(services, name, options.env), productOptions);
}

/** SIGKILL of the replica's Node-RED (npm start runs Node-RED in its own process); resolves once it is gone. */
export async function killReplica(product: RunningProduct): Promise<void> {
  const { child } = product;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

/** Rows of `sensor_reading` per device at or after `since`: device id -> timestamps (one per row). */
export async function storedReadings(influxUrl: string, since: number): Promise<Map<string, number[]>> {
  const response = await influxQuery({ url: influxUrl }, `SELECT "voltage", "device_id" FROM "raw"."sensor_reading" WHERE time >= ${since}ms`, 'heatpump');
  const byDevice = new Map<string, number[]>();
  for (const series of response.results?.[0]?.series ?? []) {
    const time = series.columns.indexOf('time');
    const device = series.columns.indexOf('device_id');
    for (const values of series.values ?? []) {
      const id = String(values[device]);
      const timestamps = byDevice.get(id) ?? [];
      timestamps.push(Date.parse(String(values[time])));
      byDevice.set(id, timestamps);
    }
  }
  return byDevice;
}

/** How many `sensor_reading` rows there are at or after `since`. */
export async function storedCount(influxUrl: string, since: number): Promise<number> {
  const response = await influxQuery({ url: influxUrl }, `SELECT count("voltage") FROM "raw"."sensor_reading" WHERE time >= ${since}ms`, 'heatpump');
  return Number(response.results?.[0]?.series?.[0]?.values?.[0]?.[1] ?? 0);
}
