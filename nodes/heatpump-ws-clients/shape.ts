// Pure core of heatpump-ws-clients: the ingest tab's messages -> the JSON /api/ws pushes
// (docs/CONTRACTS.md). The shapes are those the shipped flow's JSONata change nodes produced
// before, key for key: fields are copied as they come, a key whose value is missing is left out
// (as JSONata does), timestamps become ISO 8601 with milliseconds and `Z` ($fromMillis). A
// payload that already has a `type` was shaped elsewhere (e.g. an integrator's own change node)
// and passes as it is. No Node-RED import and no clock.
import { err, ok, type Result } from '../shared/result';

/** threshold-alert's readings output: the latest reading of the message and the device's active levels then. */
export interface SensorDataMessage {
  type: 'sensor_data';
  device_id?: unknown;
  data: Record<string, unknown>;
  alerts: unknown;
  timestamp?: string;
}

/** An alert event of threshold-alert (or a device), `source` "threshold" unless it says otherwise. */
export interface AlertMessage {
  type: 'alert';
  device_id?: unknown;
  alert_type: unknown;
  level?: unknown;
  state?: unknown;
  value?: unknown;
  threshold?: unknown;
  message?: unknown;
  source: unknown;
  timestamp?: string;
}

/** An online-tracker event: `type` is its `event`, device_online or device_offline. */
export interface PresenceMessage {
  type: unknown;
  device_id?: unknown;
  reason?: unknown;
  last_seen: string | null;
  timestamp?: string;
}

export type PushedMessage = SensorDataMessage | AlertMessage | PresenceMessage;

type Fields = Record<string, unknown>;

const isFields = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);

// $fromMillis writes the year with four digits; toISOString agrees within years 0000-9999 only.
const EARLIEST_MS = Date.parse('0000-01-01T00:00:00.000Z');
const LATEST_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** ms since the epoch -> ISO 8601 as JSONata's $fromMillis writes it; undefined stays undefined. */
export function isoOfMillis(millis: unknown, field: string): Result<string | undefined, string> {
  if (millis === undefined) return ok(undefined);
  if (typeof millis !== 'number' || !(millis >= EARLIEST_MS && millis <= LATEST_MS)) return err(`${field} must be ms since the epoch, not ${JSON.stringify(millis) ?? String(millis)}`);
  return ok(new Date(millis).toISOString());
}

/** JSONata leaves out a key whose value is undefined; so does this. */
function withoutMissing<T extends object>(shaped: T): T {
  for (const key in shaped) if (shaped[key] === undefined) delete shaped[key];
  return shaped;
}

/** The levels after the last reading: the last of an array (one per reading), or the object itself. */
function latestLevels(alerts: unknown): unknown {
  if (Array.isArray(alerts)) return alerts.length > 0 ? alerts[alerts.length - 1] : {};
  return isFields(alerts) ? alerts : {};
}

function sensorData(payload: unknown, alerts: unknown): Result<SensorDataMessage, string> {
  if (Array.isArray(payload) && payload.length === 0) return err('an empty array of readings');
  const latest: unknown = Array.isArray(payload) ? payload[payload.length - 1] : payload;
  if (!isFields(latest)) return err('a reading must be an object');
  const timestamp = isoOfMillis(latest.timestamp, 'timestamp');
  if (!timestamp.ok) return timestamp;
  return ok(withoutMissing({ type: 'sensor_data', device_id: latest.device_id, data: latest, alerts: latestLevels(alerts), timestamp: timestamp.value }));
}

function alert(event: Fields): Result<AlertMessage, string> {
  const timestamp = isoOfMillis(event.timestamp, 'timestamp');
  if (!timestamp.ok) return timestamp;
  const { device_id, alert_type, level, state, value, threshold, message, source } = event;
  return ok(
    withoutMissing({
      type: 'alert',
      device_id,
      alert_type,
      level,
      state,
      value,
      threshold,
      message,
      source: typeof source === 'string' && source !== '' ? source : 'threshold',
      timestamp: timestamp.value,
    }),
  );
}

function presence(event: Fields): Result<PresenceMessage, string> {
  // never seen (null) or 0: null, as the change node's `last_seen ? ... : null`
  const lastSeen = event.last_seen ? isoOfMillis(event.last_seen, 'last_seen') : ok(null);
  if (!lastSeen.ok) return lastSeen;
  const timestamp = isoOfMillis(event.timestamp, 'timestamp');
  if (!timestamp.ok) return timestamp;
  return ok(withoutMissing({ type: event.event, device_id: event.device_id, reason: event.reason, last_seen: lastSeen.value ?? null, timestamp: timestamp.value }));
}

/**
 * msg.payload (and msg.alerts) of a pushed message -> the payload /api/ws sends: the payload
 * itself when it has a `type`, an online-tracker event (it has `event`), an alert event (it has
 * `alert_type`), else threshold-alert's readings output (one reading or an array of them).
 */
export function shapePushed(payload: unknown, alerts: unknown): Result<unknown, string> {
  if (isFields(payload)) {
    if (typeof payload.type === 'string') return ok(payload);
    if (payload.event !== undefined) return presence(payload);
    if (payload.alert_type !== undefined) return alert(payload);
  }
  if (isFields(payload) || Array.isArray(payload)) return sensorData(payload, alerts);
  return err(`the payload must be a reading, an array of readings, an alert or a presence event, not ${payload === null ? 'null' : typeof payload}`);
}
