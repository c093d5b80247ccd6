// What a message to online-tracker means, and how its configuration resolves. Pure: no Node-RED.
import { parseDeviceTopic } from '../shared/contract';
import { deviceIdProblem } from '../shared/device-id';
import { err, ok, type Result } from '../shared/result';
import type { DeviceStatus } from './presence';

export const DEFAULT_TIMEOUT_SECONDS = 600;
export const DEFAULT_CHECK_INTERVAL_MS = 1000;
export const TIMEOUT_ENV = 'DEVICE_ONLINE_TIMEOUT_SECONDS';
/** msg.topic of the fleet summaries on output 2; an output label only, no input topic is reserved. */
export const SUMMARY_TOPIC = 'fleet';
/** Server-to-device topics: seeing them on `heatpump/#` says nothing about the device being alive. */
const SERVER_TOPICS = new Set(['cmd', 'sms/send']);

/** An i18n key under `online-tracker.errors` plus its parameters. */
export interface Problem {
  key: string;
  params?: Record<string, string>;
}

export type TrackerInput =
  /** msg.timeouts sets or clears per-device timeouts; msg.summary === true asks for the summary */
  | { kind: 'control'; timeouts: Map<string, number | null> | undefined; summary: boolean }
  | { kind: 'data'; deviceId: string }
  | { kind: 'status'; deviceId: string; status: DeviceStatus; retained: boolean }
  | { kind: 'ignored'; deviceId: string };

export interface InputMessage {
  topic?: unknown;
  payload?: unknown;
  retain?: unknown;
  /** per-device timeouts in seconds, null clears one: {"site1": 1800, "site2": null} */
  timeouts?: unknown;
  /** true: answer with the fleet summary on output 2 */
  summary?: unknown;
}

export function classifyInput(msg: InputMessage): Result<TrackerInput, Problem> {
  const { topic, payload } = msg;
  // Control travels in its own message properties (as core nodes do with msg.reset), so every
  // topic that is a valid device id stays a device, "fleet" and "timeouts" included.
  const summary = msg.summary === true;
  if (msg.timeouts !== undefined || summary) {
    if (msg.timeouts === undefined) return ok({ kind: 'control', timeouts: undefined, summary });
    const timeouts = parseDeviceTimeouts(msg.timeouts, true);
    return timeouts.ok ? ok({ kind: 'control', timeouts: timeouts.value, summary }) : timeouts;
  }
  const retained = msg.retain === true;
  const mqtt = parseDeviceTopic(topic);
  if (mqtt) {
    const id = checkedId(mqtt.deviceId, payload);
    if (!id.ok) return id;
    if (mqtt.rest === 'status/online') {
      const status = statusOf(payload);
      if (!status) return err({ key: 'bad-status', params: { device: id.value } });
      return ok({ kind: 'status', deviceId: id.value, status, retained });
    }
    if (SERVER_TOPICS.has(mqtt.rest)) return ok({ kind: 'ignored', deviceId: id.value });
    return ok({ kind: 'data', deviceId: id.value });
  }
  if (typeof topic === 'string' && topic !== '') {
    const id = checkedId(topic, payload);
    if (!id.ok) return id;
    const status = statusOf(payload);
    return ok(status ? { kind: 'status', deviceId: id.value, status, retained } : { kind: 'data', deviceId: id.value });
  }
  const claimed = payloadDeviceId(payload);
  if (claimed === undefined) return err({ key: 'no-device' });
  if (typeof claimed !== 'string') return err({ key: 'bad-device', params: { problem: deviceIdProblem(claimed) ?? '' } });
  const problem = deviceIdProblem(claimed);
  if (problem) return err({ key: 'bad-device', params: { problem } });
  return ok({ kind: 'data', deviceId: claimed });
}

/** The topic names the device; a payload claiming another id is rejected (device contract). */
function checkedId(id: string, payload: unknown): Result<string, Problem> {
  const problem = deviceIdProblem(id);
  if (problem) return err({ key: 'bad-device', params: { problem } });
  // an array of readings (heatpump-decode's readings mode): every element must be the topic's device
  for (const element of Array.isArray(payload) ? payload : [payload]) {
    const claimed = payloadDeviceId(element);
    if (claimed !== undefined && claimed !== id) return err({ key: 'id-mismatch', params: { device: id, claimed: String(claimed) } });
  }
  return ok(id);
}

/** `device_id` of a decoded reading, or `device` of a raw one parsed by `mqtt in`. */
function payloadDeviceId(payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null || Buffer.isBuffer(payload)) return undefined;
  if ('device_id' in payload) return payload.device_id;
  if ('device' in payload) return payload.device;
  return undefined;
}

/** `online` / `offline` as a string or Buffer (as `mqtt in` delivers it), surrounding blanks ignored. */
function statusOf(payload: unknown): DeviceStatus | undefined {
  const text = Buffer.isBuffer(payload) ? payload.toString('utf8') : payload;
  if (typeof text !== 'string') return undefined;
  const status = text.trim();
  return status === 'online' || status === 'offline' ? status : undefined;
}

/** A timeout in seconds (number, or a numeric string); fractions allowed, must be > 0. */
export function parseSeconds(value: unknown): number | undefined {
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

export type TimeoutSource = 'node' | 'env' | 'default';

/** The node's field wins; empty -> env DEVICE_ONLINE_TIMEOUT_SECONDS; empty -> 600 s. */
export function resolveTimeoutSeconds(nodeValue: unknown, envValue: unknown): Result<{ seconds: number; source: TimeoutSource }, Problem> {
  const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
  if (!blank(nodeValue)) {
    const seconds = parseSeconds(nodeValue);
    return seconds === undefined ? err({ key: 'bad-timeout', params: { value: String(nodeValue) } }) : ok({ seconds, source: 'node' });
  }
  if (!blank(envValue)) {
    const seconds = parseSeconds(envValue);
    return seconds === undefined
      ? err({ key: 'bad-env-timeout', params: { name: TIMEOUT_ENV, value: String(envValue) } })
      : ok({ seconds, source: 'env' });
  }
  return ok({ seconds: DEFAULT_TIMEOUT_SECONDS, source: 'default' });
}

/**
 * Per-device timeouts in seconds: `{"site1": 1800}` as an object or a JSON string (the editor
 * field; blank means none). With `allowClear`, null removes a device's setting (control messages).
 */
export function parseDeviceTimeouts(value: unknown, allowClear: false): Result<Map<string, number>, Problem>;
export function parseDeviceTimeouts(value: unknown, allowClear: true): Result<Map<string, number | null>, Problem>;
export function parseDeviceTimeouts(value: unknown, allowClear: boolean): Result<Map<string, number | null>, Problem> {
  let parsed = value;
  if (typeof value === 'string') {
    if (value.trim() === '') return ok(new Map());
    try {
      parsed = JSON.parse(value);
    } catch {
      return err({ key: 'bad-timeouts', params: { problem: 'not valid JSON' } });
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return err({ key: 'bad-timeouts', params: { problem: 'expected an object like {"site1": 1800}' } });
  }
  const timeouts = new Map<string, number | null>();
  for (const [id, raw] of Object.entries(parsed)) {
    const problem = deviceIdProblem(id);
    if (problem) return err({ key: 'bad-timeouts', params: { problem: `${JSON.stringify(id)}: ${problem}` } });
    if (raw === null && allowClear) {
      timeouts.set(id, null);
      continue;
    }
    const seconds = typeof raw === 'number' ? parseSeconds(raw) : undefined;
    if (seconds === undefined) return err({ key: 'bad-timeouts', params: { problem: `${id}: ${JSON.stringify(raw)} is not a number of seconds > 0` } });
    timeouts.set(id, seconds);
  }
  return ok(timeouts);
}

/** The runtime setting onlineTrackerCheckInterval in ms; anything unusable falls back to 1000. */
export function resolveCheckInterval(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 10 ? value : DEFAULT_CHECK_INTERVAL_MS;
}
