// A fleet of heat pumps as the cluster tests and benches need it: one mqtt.js client per device,
// logged in with its own id and password (the shipped Mosquitto holds each to its own topics),
// retained `online` with an `offline` last will, QoS 1 readings with deterministic payloads
// (the contract's example reading, the voltage the test sets) stamped 1 s apart per device, so
// every reading is told apart by its device and timestamp. It records what it sent and what
// the broker confirmed (PUBACK).
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../../nodes/shared/contract';
import { devicePayload } from '../fixtures/payloads';

/** The example reading's voltage: no alert. */
export const NORMAL_VOLTAGE = 230.5;

interface Device {
  id: string;
  client: MqttClient;
  voltage: number;
  /** timestamps of the readings handed to mqtt.js, in order */
  sent: number[];
  /** steady publishing left out (the device went silent, its connection stays) */
  silent: boolean;
}

export class DeviceFleet {
  private readonly devices: Device[];
  private confirmedCount = 0;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    devices: Device[],
    private readonly firstTimestamp: number,
  ) {
    this.devices = devices;
  }

  /** Connects every device (retained `online` once connected); resolves when all are connected. */
  static async connect(url: string, logins: ReadonlyMap<string, string>, firstTimestamp: number): Promise<DeviceFleet> {
    const devices = [...logins].map(([id, password]): Device => {
      const client = mqtt.connect(url, {
        username: id,
        password,
        clientId: id,
        clean: true,
        reconnectPeriod: 1000,
        connectTimeout: 10_000,
        will: { topic: topics.online(id), payload: Buffer.from('offline'), qos: 1, retain: true },
      });
      // refusals and drops are retried; what is unconfirmed stays in mqtt.js's store meanwhile
      client.on('error', () => undefined);
      client.on('connect', () => client.publish(topics.online(id), 'online', { qos: 1, retain: true }));
      return { id, client, voltage: NORMAL_VOLTAGE, sent: [], silent: false };
    });
    const fleet = new DeviceFleet(devices, firstTimestamp);
    await Promise.all(devices.map(({ client }) => (client.connected ? undefined : new Promise((resolve) => client.once('connect', resolve)))));
    return fleet;
  }

  get ids(): string[] {
    return this.devices.map((device) => device.id);
  }

  /** Timestamps each device sent, in order. */
  sent(): Map<string, number[]> {
    return new Map(this.devices.map((device) => [device.id, [...device.sent]]));
  }

  totalSent(): number {
    return this.devices.reduce((sum, device) => sum + device.sent.length, 0);
  }

  totalConfirmed(): number {
    return this.confirmedCount;
  }

  /** From the next reading on the device reports this voltage. */
  setVoltage(deviceId: string, voltage: number): void {
    this.device(deviceId).voltage = voltage;
  }

  /** One reading of the device now; returns its timestamp. */
  publish(deviceId: string): number {
    const device = this.device(deviceId);
    const timestamp = this.firstTimestamp + device.sent.length * 1000;
    device.sent.push(timestamp);
    const payload = devicePayload({ device: device.id, timestamp, electrical: { voltage: device.voltage } });
    device.client.publish(topics.data(device.id), JSON.stringify(payload), { qos: 1 }, (err) => {
      if (!err) this.confirmedCount += 1;
    });
    return timestamp;
  }

  /** Every device (but the silent ones) publishes one reading per `intervalMs`, spread over the interval. */
  startSteady(intervalMs: number): void {
    const slots = Math.max(1, Math.min(this.devices.length, Math.round(intervalMs / 50)));
    let tick = 0;
    this.timer = setInterval(() => {
      const slot = tick % slots;
      tick += 1;
      this.devices.forEach((device, index) => {
        if (index % slots === slot && !device.silent) this.publish(device.id);
      });
    }, intervalMs / slots);
  }

  /** The device publishes no more readings; its connection (and its retained `online`) stays. */
  silence(deviceId: string): void {
    this.device(deviceId).silent = true;
  }

  stopSteady(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** `perDevice` readings of every device at once, as fast as mqtt.js hands them to the broker. */
  burst(perDevice: number): void {
    for (let n = 0; n < perDevice; n += 1) for (const device of this.devices) this.publish(device.id);
  }

  allConfirmed(): boolean {
    return this.confirmedCount === this.totalSent();
  }

  async end(): Promise<void> {
    this.stopSteady();
    await Promise.all(this.devices.map(({ client }) => client.endAsync(true)));
  }

  private device(deviceId: string): Device {
    const device = this.devices.find((candidate) => candidate.id === deviceId);
    if (!device) throw new Error(`no device ${deviceId} in the fleet`);
    return device;
  }
}
