// The device's own modem (SIM800C) over MQTT. The bridge does not connect to the broker: it
// emits publishes for an mqtt out node and takes heatpump/+/sms/# from an mqtt in node.
//   server -> device heatpump/{id}/sms/send      {"id","to","text"}
//   device -> server heatpump/{id}/sms/sent      {"id","ok":true,"ref":12} | {"id","ok":false,"error":"+CMS ERROR: 500"}
//   device -> server heatpump/{id}/sms/received  {"from","text","timestamp","handled"}
import { parseDeviceTopic, topics } from '../../shared/contract';
import { parseCmsError } from '../modem-errors';
import { SendError, type Scheduler } from '../queue';
import { isRecord, type InboundSms, type OutgoingSms, type SendReceipt, type Transport } from './transport';

export interface DevicePublish {
  topic: string;
  payload: { id: string; to: string; text: string };
}

export type DeviceSmsMessage =
  | { kind: 'sent'; device: string; id: string; ok: true; ref: string }
  | { kind: 'sent'; device: string; id: string; ok: false; error: string }
  | { kind: 'received'; device: string; inbound: InboundSms }
  /** our own heatpump/{id}/sms/send, echoed by an mqtt in on heatpump/+/sms/# */
  | { kind: 'own-publish'; device: string };

export function buildDevicePublish(device: string, id: string, sms: OutgoingSms): DevicePublish {
  return { topic: topics.smsSend(device), payload: { id, to: sms.to, text: sms.text } };
}

function jsonOf(payload: unknown): unknown {
  if (Buffer.isBuffer(payload) || typeof payload === 'string') {
    try {
      return JSON.parse(payload.toString());
    } catch {
      return undefined;
    }
  }
  return payload;
}

/** Whether a message on the bridge's input is one of ours (heatpump/{id}/sms/sent|received). */
export function isDeviceSmsTopic(topic: unknown): boolean {
  const parsed = parseDeviceTopic(topic);
  return parsed !== undefined && (parsed.rest === 'sms/sent' || parsed.rest === 'sms/received' || parsed.rest === 'sms/send');
}

/** Parse heatpump/{id}/sms/sent|received; a string says what is wrong. */
export function parseDeviceSmsMessage(topic: unknown, payload: unknown, now: number): DeviceSmsMessage | string {
  const parsed = parseDeviceTopic(topic);
  if (!parsed) return `not a device topic: ${String(topic)}`;
  const device = parsed.deviceId;
  if (parsed.rest === 'sms/send') return { kind: 'own-publish', device };
  const body = jsonOf(payload);
  if (!isRecord(body)) return `${parsed.rest}: payload is not a JSON object`;
  if (parsed.rest === 'sms/sent') {
    if (typeof body.id !== 'string' || typeof body.ok !== 'boolean') return 'sms/sent needs {"id": string, "ok": boolean}';
    if (body.ok) return { kind: 'sent', device, id: body.id, ok: true, ref: body.ref === undefined ? '' : String(body.ref) };
    return { kind: 'sent', device, id: body.id, ok: false, error: typeof body.error === 'string' ? body.error : 'error' };
  }
  if (parsed.rest === 'sms/received') {
    if (typeof body.from !== 'string' || typeof body.text !== 'string') return 'sms/received needs {"from": string, "text": string}';
    const timestamp = typeof body.timestamp === 'number' && Number.isFinite(body.timestamp) ? body.timestamp : now;
    return { kind: 'received', device, inbound: { from: body.from, text: body.text, timestamp, device, handled: body.handled === true } };
  }
  return `unexpected topic ${String(topic)}`;
}

interface Pending {
  resolve: (receipt: SendReceipt) => void;
  reject: (error: Error) => void;
  timer: unknown;
}

export class DeviceMqttTransport implements Transport {
  readonly kind = 'device-mqtt';
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly publish: (message: DevicePublish) => void,
    private readonly ackTimeoutMs: number,
    private readonly scheduler: Scheduler,
    private readonly newId: () => string,
  ) {}

  /** Publishes and waits for the device's sms/sent with the same id. Retries reuse the id, so firmware can drop repeats. */
  send(sms: OutgoingSms & { id?: string }): Promise<SendReceipt> {
    const device = sms.device;
    if (!device) return Promise.reject(new SendError('no device to send through: set "Send via device" or send alerts of a device', false));
    const id = sms.id ?? this.newId();
    return new Promise<SendReceipt>((resolve, reject) => {
      const timer = this.scheduler.setTimeout(() => {
        this.pending.delete(id);
        reject(new SendError(`no sms/sent from ${device} within ${Math.round(this.ackTimeoutMs / 1000)} s`, true, 'timeout'));
      }, this.ackTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.publish(buildDevicePublish(device, id, sms));
    });
  }

  /** Feed a parsed sms/sent; false when no send waits for that id (late or foreign ack). */
  acknowledge(ack: Extract<DeviceSmsMessage, { kind: 'sent' }>): boolean {
    const waiting = this.pending.get(ack.id);
    if (!waiting) return false;
    this.pending.delete(ack.id);
    this.scheduler.clearTimeout(waiting.timer);
    if (ack.ok) waiting.resolve({ ref: ack.ref, state: 'sent' });
    else {
      const cms = parseCmsError(ack.error);
      waiting.reject(new SendError(`${ack.device}: ${ack.error}`, cms.transient, cms.code ?? ack.error));
    }
    return true;
  }

  async close(): Promise<void> {
    for (const [id, waiting] of this.pending) {
      this.scheduler.clearTimeout(waiting.timer);
      waiting.reject(new SendError(`closed while waiting for ${id}`, false));
    }
    this.pending.clear();
  }
}
