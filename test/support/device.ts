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

/** A device's rows in `sensor_reading`: how many, and their distinct timestamps. */
export async function storedRows(influxUrl: string, deviceId: string): Promise<{ rows: number; timestamps: Set<number> }> {
  const response = await influxQuery({ url: influxUrl }, `SELECT "voltage" FROM "raw"."sensor_reading" WHERE "device_id" = '${deviceId}'`, 'heatpump');
  const rows = rowsOf(response);
  return { rows: rows.length, timestamps: new Set(rows.map((row) => Date.parse(String(row.time)))) };
}

/** The timestamps of a device's rows. */
export async function storedTimestamps(influxUrl: string, deviceId: string): Promise<Set<number>> {
  return (await storedRows(influxUrl, deviceId)).timestamps;
}

/** Points heatpump-batch replayed from its write-ahead journal at a start, as its warning in the log says. */
export function journalReplayed(log: string): number {
  return [...log.matchAll(/(\d+) points a stopped run had not seen confirmed are replayed from the journal/g)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** Messages the receive journal sent again at a start (taken in from mqtt in, not handled before a kill). */
export function receivedSentAgain(log: string): number {
  return [...log.matchAll(/sent again (\d+) message\(s\) taken in but not handled/g)].reduce((sum, match) => sum + Number(match[1]), 0);
}

export interface KillOutcome {
  /** the report line: sent / confirmed / stored / lost */
  line: string;
  /** readings sent and not stored */
  lost: number;
  /** rows beyond one per timestamp (a replay must overwrite, never add) */
  duplicateRows: number;
}

/**
 * After a kill of Node-RED at reading `killedAt` and a restart: waits until every reading is
 * confirmed and stored (the pipeline writes in batches, retries, and replays what the killed
 * Node-RED had journaled), then counts. Readings sent after the kill went through the broker's
 * queue; those sent before it that the killed Node-RED had taken come back from its journal.
 */
export async function countAfterKill(device: PublishingDevice, deviceId: string, killedAt: number, influxUrl: string): Promise<KillOutcome> {
  await eventually(() => (device.confirmed.size === device.sent.length ? true : undefined), 30_000, () => `every reading confirmed (${device.confirmed.size} of ${device.sent.length})`);
  let stored = { rows: 0, timestamps: new Set<number>() };
  await eventually(async () => {
    stored = await storedRows(influxUrl, deviceId);
    return device.sent.every((timestamp) => stored.timestamps.has(timestamp)) ? true : undefined;
  }, 40_000, 'every reading in InfluxDB', 1_000).catch(() => 'counted below');
  const lost = device.sent.filter((timestamp) => !stored.timestamps.has(timestamp));
  const lostBeforeKill = lost.filter((timestamp) => device.sent.indexOf(timestamp) < killedAt).length;
  return {
    line:
      `sent ${device.sent.length}, confirmed ${device.confirmed.size}, stored ${stored.timestamps.size} (${stored.rows} rows), lost ${lost.length} ` +
      `(${lostBeforeKill} of them sent before the kill, ${lost.length - lostBeforeKill} after it)`,
    lost: lost.length,
    duplicateRows: stored.rows - stored.timestamps.size,
  };
}
