// Runs the simulated fleet against an MQTT broker: one client per device (so each has its own
// last will), retained `online` on connect, every interval a reading on heatpump/{id}/data and the
// matching metrics reading (flow rate, modulation, energy counter, ...) on heatpump/{id}/metrics
// (QoS 1). The second device short-cycles (sim-model's `shortCycling`).
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
  idPrefix?: string;
  /** called for connection errors (default: ignored, mqtt.js keeps reconnecting) */
  onError?: (deviceId: string, err: Error) => void;
  /** clock, for tests */
  now?: () => number;
}

export interface RunningSimulator {
  deviceIds: string[];
  /** readings published so far */
  published(): number;
  stop(): Promise<void>;
}

interface SimulatedDevice {
  id: string;
  client: MqttClient;
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

  const devices: SimulatedDevice[] = simulatedDeviceIds(options.devices, options.idPrefix).map((id, index) => {
    const client = mqtt.connect(options.brokerUrl, {
      clientId: `${id}-${seed}`,
      username: options.username,
      password: options.password,
      clean: true,
      reconnectPeriod: 2000,
      // like the firmware: keep trying when a broker refuses for now (npm start's gate: "server unavailable")
      reconnectOnConnackError: true,
      will: { topic: topics.online(id), payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    client.on('connect', () => {
      client.publish(topics.online(id), 'online', { qos: 1, retain: true });
    });
    client.on('error', (err) => options.onError?.(id, err));
    const state = createDevice(id, seed, now(), { shortCycling: index === SHORT_CYCLING_INDEX });
    return { id, client, state, pending: [], pendingMetrics: [], timer: undefined };
  });

  const tick = (device: SimulatedDevice) => {
    const { state, reading, metrics, deviceAlerts } = stepDevice(device.state, now(), { faultRate });
    device.state = state;
    device.pending.push(reading);
    device.pendingMetrics.push(metrics);
    for (const alert of deviceAlerts) device.client.publish(topics.alerts(device.id), JSON.stringify(alert), { qos: 1 });
    if (device.pending.length < batch) return;
    const payload = batch === 1 ? device.pending[0] : device.pending;
    device.client.publish(topics.data(device.id), JSON.stringify(payload), { qos: 1 });
    const metricsPayload = batch === 1 ? device.pendingMetrics[0] : device.pendingMetrics;
    device.client.publish(topics.metrics(device.id), JSON.stringify(metricsPayload), { qos: 1 });
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
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(
        devices.map(async (device) => {
          clearTimeout(device.timer);
          clearInterval(device.timer);
          if (device.client.connected) {
            // a clean disconnect suppresses the last will, so say goodbye explicitly
            await device.client.publishAsync(topics.online(device.id), 'offline', { qos: 1, retain: true }).catch(() => undefined);
          }
          await device.client.endAsync(!device.client.connected);
        }),
      );
    },
  };
}
