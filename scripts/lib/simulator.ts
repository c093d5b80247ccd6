// Runs the simulated fleet against an MQTT broker: one client per device (so each has its own
// last will) or, for a large fleet, a few connections that publish for many device ids; retained
// `online` on connect, every interval a reading on heatpump/{id}/data and the matching metrics
// reading (flow rate, modulation, energy counter, ...) on heatpump/{id}/metrics (QoS 1), at most
// a given number of publishes per second over the fleet. The second device short-cycles
// (sim-model's `shortCycling`).
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../../nodes/shared/contract';
import type { MetricsReading } from '../../nodes/shared/contract';
import { createDevice, simulatedDeviceIds, stepDevice, type DevicePayload, type DeviceState } from './sim-model';

/** The one device of a fleet that short-cycles: the second (none in a fleet of one). */
export const SHORT_CYCLING_INDEX = 1;

export interface SimulatorOptions {
  brokerUrl: string;
  devices: number;
  intervalMs: number;
  seed?: number;
  /** chance per reading that a device develops a fault; default 0.002 */
  faultRate?: number;
  /** readings per publish: >1 publishes JSON arrays like the firmware's buffer flush */
  batch?: number;
  username?: string;
  password?: string;
  /** each device logs in with its id as user name and client id and this password (a broker with device logins) */
  devicePassword?: string;
  idPrefix?: string;
  /**
   * MQTT connections the devices share (device i publishes on connection i mod n); default one per
   * device. Shared connections carry no last will per device: `offline` is published at stop.
   */
  connections?: number;
  /** publishes per second at most over the whole fleet (the rest wait their turn); default no limit */
  maxPublishesPerSecond?: number;
  /** called for connection errors (default: ignored, mqtt.js keeps reconnecting) */
  onError?: (deviceId: string, err: Error) => void;
  /** clock, for tests */
  now?: () => number;
}

export interface RunningSimulator {
  deviceIds: string[];
  /** readings published so far */
  published(): number;
  /** publishes waiting for their turn under maxPublishesPerSecond */
  waiting(): number;
  stop(): Promise<void>;
}

interface SimulatedDevice {
  id: string;
  connection: Connection;
  state: DeviceState;
  pending: DevicePayload[];
  pendingMetrics: MetricsReading[];
  timer: NodeJS.Timeout | undefined;
}

export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const now = options.now ?? Date.now;
  const seed = options.seed ?? 1;
  const faultRate = options.faultRate ?? 0.002;
  const batch = Math.max(1, Math.floor(options.batch ?? 1));
  let publishedCount = 0;
  let stopped = false;

  const ids = simulatedDeviceIds(options.devices, options.idPrefix);
  // a device that logs in is held to its own topics: one connection per device then
  const connectionCount = options.devicePassword !== undefined ? ids.length : Math.max(1, Math.min(ids.length, Math.floor(options.connections ?? ids.length)));
  const perDevice = connectionCount === ids.length;
  const connections: Connection[] = Array.from({ length: connectionCount }, (_, k) => {
    const client = mqtt.connect(options.brokerUrl, {
      ...(options.devicePassword === undefined
        ? { clientId: perDevice ? `${ids[k]}-${seed}` : `sim-${seed}-${k + 1}-of-${connectionCount}`, username: options.username, password: options.password }
        : { clientId: ids[k], username: ids[k], password: options.devicePassword }),
      clean: true,
      reconnectPeriod: 2000,
      // like the firmware: keep trying when a broker refuses for now (npm start's gate: "server unavailable")
      reconnectOnConnackError: true,
      ...(perDevice && ids[k] !== undefined ? { will: { topic: topics.online(ids[k]), payload: Buffer.from('offline'), qos: 1 as const, retain: true } } : {}),
    });
    const connection: Connection = { client, deviceIds: [] };
    client.on('connect', () => {
      for (const id of connection.deviceIds) client.publish(topics.online(id), 'online', { qos: 1, retain: true });
    });
    client.on('error', (err) => options.onError?.(perDevice ? (ids[k] ?? '') : `connection ${k + 1}`, err));
    return connection;
  });

  const devices: SimulatedDevice[] = ids.map((id, index) => {
    const connection = connections[index % connectionCount] as Connection;
    connection.deviceIds.push(id);
    const state = createDevice(id, seed, now(), { shortCycling: index === SHORT_CYCLING_INDEX });
    return { id, connection, state, pending: [], pendingMetrics: [], timer: undefined };
  });

  const limiter = options.maxPublishesPerSecond === undefined ? undefined : new PublishLimiter(options.maxPublishesPerSecond);
  const publish = (client: MqttClient, topic: string, payload: string): void => {
    if (limiter) limiter.add(() => client.publish(topic, payload, { qos: 1 }));
    else client.publish(topic, payload, { qos: 1 });
  };

  const tick = (device: SimulatedDevice) => {
    const { state, reading, metrics, deviceAlerts } = stepDevice(device.state, now(), { faultRate });
    device.state = state;
    device.pending.push(reading);
    device.pendingMetrics.push(metrics);
    const { client } = device.connection;
    for (const alert of deviceAlerts) publish(client, topics.alerts(device.id), JSON.stringify(alert));
    if (device.pending.length < batch) return;
    const payload = batch === 1 ? device.pending[0] : device.pending;
    publish(client, topics.data(device.id), JSON.stringify(payload));
    const metricsPayload = batch === 1 ? device.pendingMetrics[0] : device.pendingMetrics;
    publish(client, topics.metrics(device.id), JSON.stringify(metricsPayload));
    publishedCount += device.pending.length;
    device.pending = [];
    device.pendingMetrics = [];
  };

  // spread the devices over the interval so a large fleet does not publish in bursts
  devices.forEach((device, index) => {
    const offset = Math.floor((index * options.intervalMs) / Math.max(1, devices.length));
    device.timer = setTimeout(() => {
      if (stopped) return;
      tick(device);
      device.timer = setInterval(() => tick(device), options.intervalMs);
    }, offset);
  });

  return {
    deviceIds: devices.map((device) => device.id),
    published: () => publishedCount,
    waiting: () => limiter?.size ?? 0,
    async stop() {
      if (stopped) return;
      stopped = true;
      limiter?.stop();
      for (const device of devices) {
        clearTimeout(device.timer);
        clearInterval(device.timer);
      }
      await Promise.all(
        connections.map(async ({ client, deviceIds }) => {
          if (client.connected) {
            // a clean disconnect suppresses the last will, so say goodbye explicitly
            await Promise.all(deviceIds.map((id) => client.publishAsync(topics.online(id), 'offline', { qos: 1, retain: true }).catch(() => undefined)));
          }
          await client.endAsync(!client.connected);
        }),
      );
    },
  };
}

interface Connection {
  client: MqttClient;
  /** the devices that publish on it */
  deviceIds: string[];
}

/** Runs queued publishes at most `perSecond` a second, in tenths of a second. */
class PublishLimiter {
  private readonly queue: Array<() => void> = [];
  private readonly timer: NodeJS.Timeout;

  constructor(perSecond: number) {
    let allowance = 0;
    this.timer = setInterval(() => {
      allowance = Math.min(allowance + perSecond / 10, Math.max(1, perSecond / 10));
      while (allowance >= 1 && this.queue.length > 0) {
        allowance -= 1;
        this.queue.shift()?.();
      }
    }, 100);
  }

  get size(): number {
    return this.queue.length;
  }

  add(publish: () => void): void {
    this.queue.push(publish);
  }

  stop(): void {
    clearInterval(this.timer);
    this.queue.length = 0;
  }
}
