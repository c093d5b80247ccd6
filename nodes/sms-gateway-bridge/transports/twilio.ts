// Twilio Programmable Messaging: REST Messages.json (form-encoded, basic auth with Account SID
// and auth token) and the inbound webhook with X-Twilio-Signature. Request building, reply
// parsing and signatures are pure; TwilioTransport does the I/O.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SendError } from '../queue';
import { basicAuth, isRecord, type InboundSms, type OutgoingSms, type SendReceipt, type Transport } from './transport';
import { httpSend, isTransientStatus, type HttpReply, type HttpRequest } from './http-send';

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  /** sender number (E.164) or alphanumeric id; ignored when messagingServiceSid is set */
  from: string;
  messagingServiceSid?: string;
  /** https://api.twilio.com unless tests point it elsewhere */
  apiBase: string;
  timeoutMs: number;
}

export const TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/** Twilio error codes that are worth a retry even though the HTTP status is 4xx. */
const TRANSIENT_TWILIO_CODES = new Set([20429]);

export function buildTwilioRequest(settings: TwilioSettings, sms: OutgoingSms): HttpRequest {
  const form = new URLSearchParams();
  form.set('To', sms.to);
  if (settings.messagingServiceSid) form.set('MessagingServiceSid', settings.messagingServiceSid);
  else form.set('From', settings.from);
  form.set('Body', sms.text);
  return {
    url: `${settings.apiBase.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}/Messages.json`,
    method: 'POST',
    headers: {
      Authorization: basicAuth(settings.accountSid, settings.authToken),
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
    },
    body: form.toString(),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** 201 + message resource -> receipt; Twilio's error body {code, message, status} -> SendError. */
export function parseTwilioReply(reply: HttpReply): SendReceipt {
  const body = parseJson(reply.body);
  if (reply.status >= 200 && reply.status < 300) {
    if (isRecord(body) && typeof body.sid === 'string') return { ref: body.sid, state: typeof body.status === 'string' ? body.status : undefined };
    throw new SendError(`Twilio: unexpected reply ${reply.body.slice(0, 80)}`, false);
  }
  const code = isRecord(body) && typeof body.code === 'number' ? body.code : undefined;
  const message = isRecord(body) && typeof body.message === 'string' ? body.message : reply.body.slice(0, 120) || `HTTP ${reply.status}`;
  const transient = isTransientStatus(reply.status) || (code !== undefined && TRANSIENT_TWILIO_CODES.has(code));
  throw new SendError(`Twilio ${code ?? reply.status}: ${message}`, transient, code ?? reply.status);
}

/** Twilio's webhook parameters as flat strings (repeated keys keep every value). */
export type TwilioParams = Record<string, string | string[]>;

/** base64(HMAC-SHA1(authToken, url + each key (sorted) followed by its value(s))). */
export function twilioSignature(authToken: string, url: string, params: TwilioParams): string {
  let data = url;
  for (const key of Object.keys(params).sort()) {
    const value = params[key];
    const values = Array.isArray(value) ? [...value].sort() : [value ?? ''];
    for (const v of values) data += key + v;
  }
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

export function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function validTwilioSignature(authToken: string, url: string, params: TwilioParams, header: unknown): boolean {
  return typeof header === 'string' && sameSecret(twilioSignature(authToken, url, params), header);
}

/** http in gives the body parsed (urlencoded object) or raw (Buffer/string); accept both. */
export function twilioParamsOf(payload: unknown): TwilioParams | undefined {
  if (Buffer.isBuffer(payload) || typeof payload === 'string') {
    const params: TwilioParams = {};
    for (const [key, value] of new URLSearchParams(payload.toString())) {
      const existing = params[key];
      params[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    return params;
  }
  if (!isRecord(payload)) return undefined;
  const params: TwilioParams = {};
  for (const [key, value] of Object.entries(payload)) {
    if (typeof value === 'string') params[key] = value;
    else if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) params[key] = value;
    else return undefined;
  }
  return params;
}

/** An inbound SMS webhook (From, Body); undefined when it is not one (e.g. a status callback). */
export function parseTwilioInbound(params: TwilioParams, now: number): InboundSms | undefined {
  const from = params.From;
  const body = params.Body;
  if (typeof from !== 'string' || typeof body !== 'string') return undefined;
  return { from, text: body, timestamp: now };
}

export class TwilioTransport implements Transport {
  readonly kind = 'twilio';
  constructor(private readonly settings: TwilioSettings) {}

  async send(sms: OutgoingSms): Promise<SendReceipt> {
    return parseTwilioReply(await httpSend(buildTwilioRequest(this.settings, sms), this.settings.timeoutMs));
  }

  async close(): Promise<void> {}
}
