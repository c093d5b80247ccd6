// A heat pump as the fault tests need it: mqtt.js publishing QoS 1 readings at a steady rate,
// with mqtt.js's own outgoing store as the firmware's buffer (kept while the broker is away or
// refuses it, sent again on reconnect). It counts what it sent and what the broker confirmed
// (PUBACK), by the readings' timestamps, which are unique.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { influxQuery, rowsOf } from '../../scripts/lib/influx-setup';
import { devicePayload } from '../fixtures/payloads';
import { eventually } from './wait';

export interface PublishingDevice {
  client: MqttClient;
  /** timestamps of every reading handed to mqtt.js */
  sent: number[];
  /** timestamps the broker PUBACKed */
  confirmed: Set<number>;
  /** stop publishing new readings (the store keeps what is unconfirmed) */
  stopPublishing(): void;
  end(): Promise<void>;
}

/**
 * `ratePerSecond` readings a second, in ticks of 50 ms, stamped from `firstTimestamp` 1 ms apart
 * (unique, and in the past so heatpump-decode keeps them).
 */
export function startPublishingDevice(url: string, deviceId: string, ratePerSecond: number, firstTimestamp: number, options: IClientOptions = {}): PublishingDevice {
  // refused ("server unavailable") or offline: retry every 250 ms like a device, keeping its store
  const client = mqtt.connect(url, { clientId: deviceId, clean: true, reconnectPeriod: 250, reconnectOnConnackError: true, connectTimeout: 2000, ...options });
  client.on('error', () => {}); // refusals while the server restarts are expected
  const sent: number[] = [];
  const confirmed = new Set<number>();
  const perTick = Math.max(1, Math.round(ratePerSecond / 20));
  const topic = `heatpump/${deviceId}/data`;
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i++) {
      const timestamp = firstTimestamp + sent.length;
      sent.push(timestamp);
      client.publish(topic, JSON.stringify(devicePayload({ device: deviceId, timestamp })), { qos: 1 }, (err) => {
        if (!err) confirmed.add(timestamp);
      });
    }
  }, 50);
  return {
    client,
    sent,
    confirmed,
    stopPublishing: () => clearInterval(timer),
    end: async () => {
      clearInterval(timer);
      await client.endAsync(true);
    },
  };
}

/** The timestamps of a device's rows in `sensor_reading` (one row per timestamp: they are unique). */
export async function storedTimestamps(influxUrl: string, deviceId: string): Promise<Set<number>> {
  const response = await influxQuery({ url: influxUrl }, `SELECT "voltage" FROM "raw"."sensor_reading" WHERE "device_id" = '${deviceId}'`, 'heatpump');
  return new Set(rowsOf(response).map((row) => Date.parse(String(row.time))));
}

export interface KillOutcome {
  /** the report line: sent / confirmed / stored / lost */
  line: string;
  /** readings sent after the kill (they went through the broker's queue) and not stored */
  lostAfterKill: number;
  /** how far before the kill the oldest lost reading was sent (ms); 0 when none */
  oldestLostBeforeKillMs: number;
}

/**
 * After a kill of Node-RED at reading `killedAt` and a restart: waits until every reading is
 * confirmed and every reading sent after the kill is stored (the pipeline writes in batches and
 * retries), then counts. Readings sent before the kill may have been taken by the killed Node-RED
 * (a PUBACK can still arrive after kill() is called) and gone with its memory: counted apart.
 */
export async function countAfterKill(device: PublishingDevice, deviceId: string, killedAt: number, ratePerSecond: number, influxUrl: string): Promise<KillOutcome> {
  await eventually(() => (device.confirmed.size === device.sent.length ? true : undefined), 30_000, () => `every reading confirmed (${device.confirmed.size} of ${device.sent.length})`);
  const sentBeforeKill = new Set(device.sent.slice(0, killedAt));
  const sentAfterKill = device.sent.slice(killedAt);
  let stored = new Set<number>();
  await eventually(async () => {
    stored = await storedTimestamps(influxUrl, deviceId);
    return sentAfterKill.every((timestamp) => stored.has(timestamp)) ? true : undefined;
  }, 40_000, 'the readings sent after the kill in InfluxDB', 1_000).catch(() => 'counted below');
  const lostAfterKill = sentAfterKill.filter((timestamp) => !stored.has(timestamp)).length;
  const lostBeforeKill = [...sentBeforeKill].filter((timestamp) => !stored.has(timestamp));
  const oldestLost = lostBeforeKill.length > 0 ? killedAt - device.sent.indexOf(Math.min(...lostBeforeKill)) : 0;
  const oldestLostBeforeKillMs = Math.round((oldestLost / ratePerSecond) * 1000);
  return {
    line:
      `sent ${device.sent.length}, confirmed ${device.confirmed.size}, stored ${stored.size}; ` +
      `sent after the kill ${sentAfterKill.length}, lost ${lostAfterKill}; ` +
      `sent before it and lost with the killed Node-RED's memory ${lostBeforeKill.length} (the oldest ${oldestLostBeforeKillMs} ms before the kill)`,
    lostAfterKill,
    oldestLostBeforeKillMs,
  };
}
