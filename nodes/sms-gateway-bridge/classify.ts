// What arrived on the bridge's input, told apart by shape (no msg.topic convention needed):
// alert events, presence events, readings, custom text, device-modem MQTT, webhooks, and a state
// query for a gateway message id in its own property msg.smsState. Pure.
import { SENSOR_FIELDS, STATE_FIELDS, type AlertEvent, type PresenceEvent, type Reading } from '../shared/contract';
import { isRecord } from './transports/transport';
import { isDeviceSmsTopic } from './transports/device-mqtt';

export type InputKind =
  | { kind: 'webhook' }
  | { kind: 'device-sms' }
  | { kind: 'alert'; alert: AlertEvent }
  | { kind: 'presence'; presence: PresenceEvent }
  | { kind: 'reading'; reading: Reading }
  | { kind: 'text'; text: string; to: string[] }
  | { kind: 'state-query'; id: string }
  | { kind: 'bad-state-query'; reason: string }
  | { kind: 'invalid'; reason: string };

/** The message property asking the gateway for the state of the message with that id. */
export const STATE_QUERY_PROPERTY = 'smsState';

const LEVELS = ['warning', 'critical'];
const STATES = ['raised', 'escalated', 'cleared'];

export function isAlertEvent(value: unknown): value is AlertEvent {
  return (
    isRecord(value) &&
    typeof value.device_id === 'string' &&
    typeof value.alert_type === 'string' &&
    typeof value.level === 'string' &&
    LEVELS.includes(value.level) &&
    typeof value.state === 'string' &&
    STATES.includes(value.state) &&
    typeof value.value === 'number' &&
    typeof value.threshold === 'number' &&
    typeof value.timestamp === 'number'
  );
}

export function isPresenceEvent(value: unknown): value is PresenceEvent {
  return (
    isRecord(value) &&
    (value.event === 'device_online' || value.event === 'device_offline') &&
    typeof value.device_id === 'string' &&
    typeof value.timestamp === 'number' &&
    (value.last_seen === null || typeof value.last_seen === 'number')
  );
}

export function isReading(value: unknown): value is Reading {
  if (!isRecord(value) || typeof value.device_id !== 'string' || typeof value.timestamp !== 'number') return false;
  if (!SENSOR_FIELDS.some((f) => typeof value[f] === 'number') && !STATE_FIELDS.some((f) => typeof value[f] === 'boolean')) return false;
  return SENSOR_FIELDS.every((f) => value[f] === undefined || typeof value[f] === 'number');
}

function stateQueryOf(id: unknown): InputKind {
  const where = `msg.${STATE_QUERY_PROPERTY}`;
  if (typeof id !== 'string') return { kind: 'bad-state-query', reason: `${where} must be the gateway message id (a string), got ${id === null ? 'null' : typeof id}` };
  const trimmed = id.trim();
  if (trimmed === '') return { kind: 'bad-state-query', reason: `${where} is an empty message id` };
  // "." and ".." would be resolved away as URL path segments and query the wrong resource.
  if (trimmed === '.' || trimmed === '..') return { kind: 'bad-state-query', reason: `"${trimmed}" is not a message id` };
  return { kind: 'state-query', id: trimmed };
}

function recipientsOf(to: unknown): string[] | undefined {
  if (to === undefined || to === null || to === '') return [];
  if (typeof to === 'string') return to.split(/[,;\n]+/).map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(to) && to.every((t): t is string => typeof t === 'string')) return to;
  return undefined;
}

export function classifyInput(msg: { payload?: unknown; topic?: unknown; to?: unknown; req?: unknown; res?: unknown; smsState?: unknown }): InputKind {
  if (msg.req !== undefined && msg.res !== undefined) return { kind: 'webhook' };
  if (isDeviceSmsTopic(msg.topic)) return { kind: 'device-sms' };
  // A query is told apart by its own property, like the others by their shape: any topic, even
  // a device named "sms-state", stays free, and the payload is not looked at.
  if (msg.smsState !== undefined) return stateQueryOf(msg.smsState);
  const { payload } = msg;
  if (isAlertEvent(payload)) return { kind: 'alert', alert: payload };
  if (isPresenceEvent(payload)) return { kind: 'presence', presence: payload };
  if (isReading(payload)) return { kind: 'reading', reading: payload };
  if (typeof payload === 'string') {
    if (payload.trim() === '') return { kind: 'invalid', reason: 'empty text' };
    const to = recipientsOf(msg.to);
    if (!to) return { kind: 'invalid', reason: 'msg.to must be a string or an array of strings' };
    return { kind: 'text', text: payload, to };
  }
  return { kind: 'invalid', reason: 'expected an alert event, a presence event, a reading, text with msg.to, an SMS webhook, heatpump/{id}/sms/* or msg.smsState with a message id' };
}
