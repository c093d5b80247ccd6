// Inbound webhooks from an http in node: check the signature, parse, and say what to answer.
// Pure: the glue passes the request's parts and `now`.
import type { InboundSms } from './transports/transport';
import { TWIML_EMPTY, parseTwilioInbound, twilioParamsOf, validTwilioSignature } from './transports/twilio';
import { parseAndroidWebhook, validAndroidSignature } from './transports/android';

export interface WebhookRequest {
  payload: unknown;
  headers: Record<string, unknown>;
  /** the URL the gateway called, as it saw it (for Twilio's signature) */
  url: string;
}

export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string>;
  payload: string;
}

export type WebhookOutcome = {
  answer: HttpAnswer;
  inbound?: InboundSms;
  /** delivery report for an earlier send */
  delivery?: { ref: string; state: string; reason?: string; recipient?: string };
  /**
   * the gateway's id of this message or event, prefixed with the gateway (and for delivery
   * reports the state): the glue runs a request whose key it has seen once only
   */
  replayKey?: string;
  /** why the request was refused (the glue reports it as an error) */
  problem?: 'bad-signature' | 'bad-body' | 'no-secret';
  detail?: string;
};

const TEXT = { 'Content-Type': 'text/plain; charset=utf-8' };
const refuse = (statusCode: number, problem: NonNullable<WebhookOutcome['problem']>, detail: string): WebhookOutcome => ({
  answer: { statusCode, headers: TEXT, payload: detail },
  problem,
  detail,
});

function header(headers: Record<string, unknown>, name: string): unknown {
  return headers[name.toLowerCase()];
}

export function handleTwilioWebhook(request: WebhookRequest, authToken: string | undefined, requireSignature: boolean, now: number): WebhookOutcome {
  const params = twilioParamsOf(request.payload);
  if (!params) return refuse(400, 'bad-body', 'body is not form-encoded Twilio parameters');
  if (requireSignature) {
    if (!authToken) return refuse(500, 'no-secret', 'no Twilio auth token configured to check X-Twilio-Signature');
    if (!validTwilioSignature(authToken, request.url, params, header(request.headers, 'x-twilio-signature')))
      return refuse(403, 'bad-signature', `X-Twilio-Signature does not match ${request.url}`);
  }
  const answer = { statusCode: 200, headers: { 'Content-Type': 'text/xml' }, payload: TWIML_EMPTY };
  const inbound = parseTwilioInbound(params, now);
  const sid = params.MessageSid ?? params.SmsSid;
  if (inbound) return { answer, inbound, ...(typeof sid === 'string' && sid ? { replayKey: `twilio:${sid}` } : {}) };
  const status = params.MessageStatus ?? params.SmsStatus;
  if (typeof status === 'string' && typeof sid === 'string') {
    const code = params.ErrorCode;
    return { answer, delivery: { ref: sid, state: status, ...(typeof code === 'string' ? { reason: `Twilio ${code}` } : {}) }, replayKey: `twilio:${sid}:${status}` };
  }
  return refuse(400, 'bad-body', 'neither an incoming SMS (From, Body) nor a status callback (MessageSid, MessageStatus)');
}

/**
 * SMS Gateway for Android: the envelope's event id ("id", the same on the gateway's retries),
 * else the payload's messageId; with the event, since one message has several events.
 */
function androidReplayKey(body: unknown, event: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { id, payload } = body as { id?: unknown; payload?: { messageId?: unknown } };
  if (typeof id === 'string' && id) return `android:${event}:${id}`;
  const messageId = payload?.messageId;
  return typeof messageId === 'string' && messageId ? `android:${event}:message:${messageId}` : undefined;
}

export function handleAndroidWebhook(request: WebhookRequest, signingKey: string | undefined, requireSignature: boolean, now: number): WebhookOutcome {
  const raw = Buffer.isBuffer(request.payload) ? request.payload.toString('utf8') : typeof request.payload === 'string' ? request.payload : JSON.stringify(request.payload);
  if (requireSignature) {
    if (!signingKey) return refuse(500, 'no-secret', 'no webhook signing key configured to check X-Signature');
    if (!validAndroidSignature(signingKey, raw, header(request.headers, 'x-timestamp'), header(request.headers, 'x-signature'), now))
      return refuse(
        403,
        'bad-signature',
        typeof request.payload === 'object' && !Buffer.isBuffer(request.payload)
          ? 'X-Signature does not match: tick "Do not parse body" on the http in node, the signature covers the raw body'
          : 'X-Signature / X-Timestamp do not match or are too old',
      );
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return refuse(400, 'bad-body', 'body is not JSON');
  }
  const parsed = parseAndroidWebhook(body, now);
  if (typeof parsed === 'string') return refuse(400, 'bad-body', parsed);
  const answer = { statusCode: 200, headers: TEXT, payload: '' };
  const replayKey = androidReplayKey(body, parsed.event);
  if ('inbound' in parsed) return { answer, inbound: parsed.inbound, ...(replayKey ? { replayKey } : {}) };
  if ('ref' in parsed)
    return {
      answer,
      ...(replayKey ? { replayKey } : {}),
      delivery: {
        ref: parsed.ref,
        state: parsed.event.slice(4),
        ...(parsed.reason ? { reason: parsed.reason } : {}),
        ...(parsed.recipient ? { recipient: parsed.recipient } : {}),
      },
    };
  return { answer };
}
