// SMS Gateway for Android (capcom6, sms-gate.app): REST API (send, state) with basic auth, and
// its webhooks (sms:received, sms:sent, sms:delivered, sms:failed, ...) signed with
// X-Signature = hex(HMAC-SHA256(signing key, raw body + X-Timestamp)).
import { createHmac } from 'node:crypto';
import { SendError } from '../queue';
import { basicAuth, isRecord, type InboundSms, type OutgoingSms, type SendReceipt, type Transport } from './transport';
import { httpSend, isTransientStatus, type HttpReply, type HttpRequest } from './http-send';
import { sameSecret } from './twilio';

export interface AndroidSettings {
  /** cloud https://api.sms-gate.app/3rdparty/v1, local server http://<phone>:8080 */
  baseUrl: string;
  username: string;
  password: string;
  /** which phone sends (cloud/private server with several devices); blank = any */
  deviceId?: string;
  /** 1-based SIM slot; undefined = phone default */
  simNumber?: number;
  timeoutMs: number;
}

export const DEFAULT_ANDROID_BASE_URL = 'https://api.sms-gate.app/3rdparty/v1';

function base(settings: AndroidSettings): string {
  return settings.baseUrl.replace(/\/+$/, '');
}

export function buildAndroidRequest(settings: AndroidSettings, sms: OutgoingSms): HttpRequest {
  const body: Record<string, unknown> = { textMessage: { text: sms.text }, phoneNumbers: [sms.to] };
  if (settings.deviceId) body.deviceId = settings.deviceId;
  if (settings.simNumber !== undefined) body.simNumber = settings.simNumber;
  return {
    url: `${base(settings)}/messages`,
    method: 'POST',
    headers: { Authorization: basicAuth(settings.username, settings.password), 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  };
}

export function buildAndroidStateRequest(settings: AndroidSettings, id: string): HttpRequest {
  return {
    url: `${base(settings)}/messages/${encodeURIComponent(id)}`,
    method: 'GET',
    headers: { Authorization: basicAuth(settings.username, settings.password), Accept: 'application/json' },
  };
}

export interface AndroidMessageState {
  id: string;
  state: string;
  recipients: { phoneNumber: string; state: string; error?: string }[];
}

function parseState(body: unknown): AndroidMessageState | undefined {
  if (!isRecord(body) || typeof body.id !== 'string' || typeof body.state !== 'string') return undefined;
  const recipients = Array.isArray(body.recipients)
    ? body.recipients.filter(isRecord).map((r) => ({
        phoneNumber: typeof r.phoneNumber === 'string' ? r.phoneNumber : '',
        state: typeof r.state === 'string' ? r.state : '',
        ...(typeof r.error === 'string' ? { error: r.error } : {}),
      }))
    : [];
  return { id: body.id, state: body.state, recipients };
}

/** Reply of GET /messages/{id}: the message state (a Failed message is an answer, not an error), or a SendError. */
export function parseAndroidStateReply(reply: HttpReply): AndroidMessageState {
  let body: unknown;
  try {
    body = JSON.parse(reply.body);
  } catch {
    body = undefined;
  }
  if (reply.status >= 200 && reply.status < 300) {
    const state = parseState(body);
    if (!state) throw new SendError(`Android gateway: unexpected reply ${reply.body.slice(0, 80)}`, false);
    return state;
  }
  const message = isRecord(body) && typeof body.message === 'string' ? body.message : reply.body.slice(0, 120) || `HTTP ${reply.status}`;
  throw new SendError(`Android gateway ${reply.status}: ${message}`, isTransientStatus(reply.status), reply.status);
}

/** Reply of POST /messages: the message state, or a SendError (also when the gateway failed it at once). */
export function parseAndroidReply(reply: HttpReply): AndroidMessageState {
  const state = parseAndroidStateReply(reply);
  if (state.state === 'Failed') {
    const reason = state.recipients.find((r) => r.error)?.error ?? 'failed';
    throw new SendError(`Android gateway: ${reason}`, false, 'Failed');
  }
  return state;
}

export type AndroidStateStatus = 'pending' | 'sent-report' | 'delivered' | 'delivery-failed';

/** A polled state in the words of the bridge's delivery results (the same words the webhooks give). */
export interface AndroidStateResult {
  status: AndroidStateStatus;
  ref: string;
  state: string;
  recipients: AndroidMessageState['recipients'];
  /** the recipient, when the message had exactly one */
  to?: string;
  /** the first recipient error */
  reason?: string;
}

/** Gateway states Pending, Processed, Sent, Delivered, Failed; an unknown state is not final, so pending. */
export function androidStateResult(message: AndroidMessageState): AndroidStateResult {
  const state = message.state.toLowerCase();
  const status: AndroidStateStatus = state === 'delivered' ? 'delivered' : state === 'failed' ? 'delivery-failed' : state === 'sent' ? 'sent-report' : 'pending';
  const only = message.recipients.length === 1 ? message.recipients[0] : undefined;
  const reason = message.recipients.find((r) => r.error)?.error;
  return {
    status,
    ref: message.id,
    state: message.state,
    recipients: message.recipients,
    ...(only?.phoneNumber ? { to: only.phoneNumber } : {}),
    ...(reason ? { reason } : {}),
  };
}

export function androidSignature(signingKey: string, rawBody: string, timestamp: string): string {
  return createHmac('sha256', signingKey).update(rawBody + timestamp, 'utf8').digest('hex');
}

/** Valid when the hex signature matches and X-Timestamp (Unix seconds) is within maxAgeS of now. */
export function validAndroidSignature(signingKey: string, rawBody: string, timestamp: unknown, signature: unknown, now: number, maxAgeS = 300): boolean {
  if (typeof timestamp !== 'string' || typeof signature !== 'string' || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(now / 1000 - Number(timestamp)) > maxAgeS) return false;
  return sameSecret(androidSignature(signingKey, rawBody, timestamp), signature.toLowerCase());
}

export type AndroidWebhook =
  | { event: 'sms:received'; inbound: InboundSms }
  | { event: 'sms:sent' | 'sms:delivered' | 'sms:failed' | 'sms:cancelled'; ref: string; recipient?: string; reason?: string }
  | { event: string; ignored: true };

/** The webhook envelope {event, payload, ...}; a string names what is wrong with it. */
export function parseAndroidWebhook(body: unknown, now: number): AndroidWebhook | string {
  if (!isRecord(body) || typeof body.event !== 'string' || !isRecord(body.payload)) return 'not an SMS Gateway webhook envelope {event, payload}';
  const { event, payload } = body;
  if (event === 'sms:received') {
    if (typeof payload.sender !== 'string' || typeof payload.message !== 'string') return 'sms:received without sender/message';
    const received = typeof payload.receivedAt === 'string' ? Date.parse(payload.receivedAt) : NaN;
    return { event, inbound: { from: payload.sender, text: payload.message, timestamp: Number.isFinite(received) ? received : now } };
  }
  if (event === 'sms:sent' || event === 'sms:delivered' || event === 'sms:failed' || event === 'sms:cancelled') {
    if (typeof payload.messageId !== 'string') return `${event} without messageId`;
    return {
      event,
      ref: payload.messageId,
      ...(typeof payload.recipient === 'string' ? { recipient: payload.recipient } : {}),
      ...(typeof payload.reason === 'string' ? { reason: payload.reason } : {}),
    };
  }
  return { event, ignored: true };
}

export class AndroidTransport implements Transport {
  readonly kind = 'android';
  constructor(private readonly settings: AndroidSettings) {}

  async send(sms: OutgoingSms): Promise<SendReceipt> {
    const state = parseAndroidReply(await httpSend(buildAndroidRequest(this.settings, sms), this.settings.timeoutMs));
    return { ref: state.id, state: state.state };
  }

  async state(id: string): Promise<AndroidMessageState> {
    return parseAndroidStateReply(await httpSend(buildAndroidStateRequest(this.settings, id), this.settings.timeoutMs));
  }

  async close(): Promise<void> {}
}
