// How `npm start` reads its configuration from the environment (pure: env in, values out).
// The values it exports for the flows are the environment variables of README "Configuration";
// see scripts/start.ts.

export type Env = Record<string, string | undefined>;

export interface MqttTarget {
  /** false: npm start runs the embedded broker */
  external: boolean;
  host: string;
  port: number;
}

function portNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number (0-65535), got "${raw}"`);
  return port;
}

/** MQTT_BROKER may be a host name (`mosquitto`) or a URL (`mqtt://host:1883`). */
export function mqttTarget(env: Env): MqttTarget {
  const broker = env.MQTT_BROKER?.trim();
  const port = portNumber('MQTT_PORT', env.MQTT_PORT, 1883);
  if (!broker) return { external: false, host: '127.0.0.1', port };
  if (broker.includes('://')) {
    const url = new URL(broker);
    return { external: true, host: url.hostname, port: url.port ? Number(url.port) : port };
  }
  return { external: true, host: broker, port };
}

/**
 * Why this environment cannot run as a cluster replica, or undefined. With REDIS_URL the flow
 * subscribes to $share/<group>/... topics, which the embedded broker (aedes) does not know: it
 * would deliver nothing, so a replica needs an external broker with shared subscriptions.
 */
export function clusterBrokerProblem(env: Env): string | undefined {
  if (!env.REDIS_URL?.trim() || env.MQTT_BROKER?.trim()) return undefined;
  return 'REDIS_URL is set, so the flow shares the device stream through $share/ subscriptions, which the embedded broker does not support: set MQTT_BROKER to a broker that does (Mosquitto 2), or unset REDIS_URL';
}

/** SIMULATOR unset: 3 devices; `0`: off; `N`: N devices. */
export function simulatorDevices(env: Env): number {
  const raw = env.SIMULATOR?.trim();
  if (raw === undefined || raw === '') return 3;
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 0 || count > 10000) throw new Error(`SIMULATOR must be 0 (off) or a device count, got "${raw}"`);
  return count;
}

/** SIMULATOR_INTERVAL: seconds between readings per simulated device (default 10). */
export function simulatorIntervalMs(env: Env): number {
  const raw = env.SIMULATOR_INTERVAL?.trim();
  if (raw === undefined || raw === '') return 10_000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0.05 || seconds > 86400) throw new Error(`SIMULATOR_INTERVAL must be seconds (0.05-86400), got "${raw}"`);
  return Math.round(seconds * 1000);
}

export { portNumber };
