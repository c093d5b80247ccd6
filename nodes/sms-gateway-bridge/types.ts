import type { NodeDef, NodeMessage } from 'node-red';

export interface SmsGatewayBridgeProps {
  name?: string;
  /** id of the sms-gateway-config node */
  gateway?: string;
  /** admin numbers that receive alerts (comma/newline separated) */
  recipients?: string;
  /** 'critical' (default) or 'all' alert levels */
  levels?: 'critical' | 'all';
  /** presence events: 'off' (default), 'offline', 'both' */
  presence?: 'off' | 'offline' | 'both';
  /** numbers allowed to command; blank = the recipients */
  whitelist?: string;
  ratePerHour?: number | string;
  dailyCap?: number | string;
  dedupMinutes?: number | string;
  retries?: number | string;
  /** longest custom text in segments */
  maxSegments?: number | string;
  /** IANA zone for times in texts; blank = the server's zone */
  timeZone?: string;
  /** reject webhooks without a valid signature (default true) */
  requireSignature?: boolean;
  /** context store that keeps the limits over a restart (e.g. 'file'); blank, or not in settings.js = memory only */
  store?: string;
  /** id of the heatpump-fleet config node STATUS reads from; blank = what the bridge saw itself */
  fleet?: string;
}

export type SmsGatewayBridgeDef = NodeDef & SmsGatewayBridgeProps;

/** 'sent-report', 'delivered', 'delivery-failed' and 'pending' are what a gateway reported (webhook or state query). */
export type DeliveryStatus = 'sent' | 'failed' | 'held' | 'duplicate' | 'pending' | 'sent-report' | 'delivered' | 'delivery-failed';

/** Output 1 payload. */
export interface DeliveryResult {
  status: DeliveryStatus;
  to?: string;
  text?: string;
  /** 'alert' | 'presence' | 'custom' | 'reply' | 'summary' */
  kind?: string;
  device?: string;
  segments?: number;
  encoding?: string;
  attempts?: number;
  ref?: string;
  state?: string;
  reason?: string;
  error?: string;
  code?: string | number;
  /** per-recipient states of a state query (SMS Gateway for Android) */
  recipients?: { phoneNumber: string; state: string; error?: string }[];
  transport: string;
  timestamp: number;
}

/** Output 4 payload: every inbound SMS and what became of it. */
export interface InboundReport {
  from: string;
  /** the sender normalised to E.164, when it is a number */
  number?: string;
  text: string;
  accepted: boolean;
  /**
   * 'other-device': a device's modem report named another device (refused, answered);
   * 'replayed': a webhook whose message id already ran (answered 200, not run again)
   */
  reason: 'command' | 'unknown-number' | 'handled-by-device' | 'other-device' | 'replayed';
  command?: string;
  device?: string;
  /** the device a refused command named */
  requested?: string;
  reply?: string;
  transport: string;
  timestamp: number;
}

export interface ResultMsg extends NodeMessage {
  payload: DeliveryResult;
}
