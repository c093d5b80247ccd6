// What every SMS path offers the bridge. Sends throw SendError (queue.ts) so the queue knows
// whether to retry. Inbound SMS reach the bridge either as messages on its input (http in,
// mqtt in) or, for transports that own a connection (serial modem), through `onInbound`.

export type TransportKind = 'device-mqtt' | 'twilio' | 'android' | 'serial';

export interface OutgoingSms {
  to: string;
  text: string;
  /** device whose modem should send (device-mqtt transport) */
  device?: string;
}

export interface SendReceipt {
  /** the gateway's id for the message (Twilio sid, Android message id, +CMGS reference) */
  ref: string;
  /** what the gateway reported, e.g. "queued", "Pending" */
  state?: string;
}

export interface InboundSms {
  from: string;
  text: string;
  timestamp: number;
  /** the device whose modem received it (device-mqtt) */
  device?: string;
  /** the device already answered it itself (device-mqtt firmware handles STATUS/RESET) */
  handled?: boolean;
}

export interface Transport {
  readonly kind: TransportKind;
  send(sms: OutgoingSms): Promise<SendReceipt>;
  close(): Promise<void>;
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
