// Build the transport a config node describes. Settings and credentials come in; missing
// required ones give a message key for the node's red status instead of a throw.
import type { SmsGatewayConfigProps, SmsGatewayCredentials } from '../../sms-gateway-config/types';
import type { Scheduler } from '../queue';
import { AndroidTransport, DEFAULT_ANDROID_BASE_URL } from './android';
import { DeviceMqttTransport, type DevicePublish } from './device-mqtt';
import { SerialModemTransport, type ModemEvents } from './serial';
import type { Transport, TransportKind } from './transport';
import { TwilioTransport } from './twilio';

export interface TransportHooks extends ModemEvents {
  publish(message: DevicePublish): void;
  scheduler: Scheduler;
  newId(): string;
}

export const TRANSPORT_KINDS: readonly TransportKind[] = ['device-mqtt', 'twilio', 'android', 'serial'];

export function positiveNumber(value: unknown, fallback: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

export type Built = { ok: true; transport: Transport } | { ok: false; missing: string };

export function buildTransport(settings: SmsGatewayConfigProps, credentials: SmsGatewayCredentials, hooks: TransportHooks): Built {
  const kind = settings.transport ?? 'device-mqtt';
  const timeoutMs = positiveNumber(settings.timeout, 15) * 1000;
  switch (kind) {
    case 'device-mqtt':
      return { ok: true, transport: new DeviceMqttTransport(hooks.publish, positiveNumber(settings.ackTimeout, 70) * 1000, hooks.scheduler, hooks.newId) };
    case 'twilio':
      if (!settings.twilioAccountSid || !credentials.twilioAuthToken) return { ok: false, missing: 'Account SID / auth token' };
      if (!settings.twilioFrom && !settings.twilioMessagingServiceSid) return { ok: false, missing: 'From / Messaging Service SID' };
      return {
        ok: true,
        transport: new TwilioTransport({
          accountSid: settings.twilioAccountSid,
          authToken: credentials.twilioAuthToken,
          from: settings.twilioFrom ?? '',
          messagingServiceSid: settings.twilioMessagingServiceSid || undefined,
          apiBase: settings.twilioApiBase || 'https://api.twilio.com',
          timeoutMs,
        }),
      };
    case 'android': {
      if (!settings.androidUsername || !credentials.androidPassword) return { ok: false, missing: 'username / password' };
      const sim = positiveNumber(settings.androidSimNumber, 0);
      return {
        ok: true,
        transport: new AndroidTransport({
          baseUrl: settings.androidBaseUrl || DEFAULT_ANDROID_BASE_URL,
          username: settings.androidUsername,
          password: credentials.androidPassword,
          deviceId: settings.androidDeviceId || undefined,
          simNumber: sim >= 1 ? sim : undefined,
          timeoutMs,
        }),
      };
    }
    case 'serial':
      if (!settings.serialPort) return { ok: false, missing: 'serial port' };
      return {
        ok: true,
        transport: new SerialModemTransport(
          { path: settings.serialPort, baudRate: positiveNumber(settings.serialBaud, 115200), commandTimeoutMs: Math.min(timeoutMs, 15000), sendTimeoutMs: 60000, pin: credentials.simPin || undefined },
          hooks,
          hooks.scheduler,
        ),
      };
    default:
      return { ok: false, missing: `transport ${String(kind)}` };
  }
}
