// A heat pump as the fault tests need it: mqtt.js publishing QoS 1 readings at a steady rate,
// with mqtt.js's own outgoing store as the firmware's buffer (kept while the broker is away or
// refuses it, sent again on reconnect). It counts what it sent and what the broker confirmed
// (PUBACK), by the readings' timestamps, which are unique.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { devicePayload } from '../fixtures/payloads';

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
