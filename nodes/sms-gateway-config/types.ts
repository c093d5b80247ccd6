import type { NodeDef } from 'node-red';
import type { TransportKind } from '../sms-gateway-bridge/transports/transport';

export interface SmsGatewayConfigProps {
  name?: string;
  transport?: TransportKind;
  /** country code for national numbers ("+49"); blank = national numbers are rejected */
  defaultCountry?: string;
  /** device-mqtt: device whose modem sends; blank = the device the alert is about */
  sendVia?: string;
  /** device-mqtt: seconds to wait for heatpump/{id}/sms/sent */
  ackTimeout?: number | string;
  twilioAccountSid?: string;
  twilioFrom?: string;
  twilioMessagingServiceSid?: string;
  twilioApiBase?: string;
  /** public URL Twilio posts to (for the signature); blank = rebuilt from the request */
  webhookUrl?: string;
  androidBaseUrl?: string;
  androidUsername?: string;
  androidDeviceId?: string;
  androidSimNumber?: number | string;
  serialPort?: string;
  serialBaud?: number | string;
  /** seconds for one HTTP request or AT command */
  timeout?: number | string;
}

export interface SmsGatewayCredentials {
  twilioAuthToken?: string;
  androidPassword?: string;
  androidSigningKey?: string;
  simPin?: string;
}

export type SmsGatewayConfigDef = NodeDef & SmsGatewayConfigProps;

/** What the bridge reads from the config node it finds with RED.nodes.getNode(). */
export interface SmsGatewayConfigNode {
  settings: SmsGatewayConfigProps;
  credentials?: SmsGatewayCredentials;
}

export function isSmsGatewayConfigNode(value: unknown): value is SmsGatewayConfigNode {
  return typeof value === 'object' && value !== null && 'settings' in value && typeof value.settings === 'object' && value.settings !== null;
}
