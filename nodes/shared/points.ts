// Conversion of our typed messages into the points node-red-contrib-influxdb's `influxdb batch`
// node writes (docs/CONTRACTS.md "Storage contract"). heatpump-decode (points mode) and heatpump-batch
// both go through here, so there is one mapping from a Reading / AlertEvent to a point.
import {
  MEASUREMENT_ALERT,
  MEASUREMENT_METRICS,
  MEASUREMENT_READING,
  METRICS_TAGS,
  SENSOR_FIELDS,
  STATE_FIELDS,
  type AlertEvent,
  type InfluxPoint,
  type MetricsReading,
  type Reading,
  hasMetrics,
  metricsReadingProblem,
} from './contract';
import { deviceIdProblem } from './device-id';
import { err, ok, type Result } from './result';

/**
 * A Reading as a `sensor_reading` point. The timestamp is a Date: the influx 1.x client turns a
 * Date into the write precision, while a bare number would be taken as nanoseconds.
 */
export function readingToPoint(r: Reading): InfluxPoint {
  const fields: Record<string, number | boolean> = {};
  for (const field of SENSOR_FIELDS) {
    const value = r[field];
    if (value !== undefined) fields[field] = value;
  }
  for (const field of STATE_FIELDS) {
    const value = r[field];
    if (value !== undefined) fields[field] = value;
  }
  return { measurement: MEASUREMENT_READING, tags: { device_id: r.device_id }, fields, timestamp: new Date(r.timestamp) };
}

/**
 * A MetricsReading as a `heatpump_metrics` point: tag heatpump_id, and name, location,
 * model where the reading has them (an empty tag value is not allowed in line protocol); one field
 * per metric, numbers as floats, booleans as booleans.
 */
export function metricsToPoint(r: MetricsReading): InfluxPoint {
  const tags: Record<string, string> = { heatpump_id: r.device_id };
  for (const tag of METRICS_TAGS) {
    const value = r.info?.[tag];
    if (value !== undefined && value !== '') tags[tag] = value;
  }
  return { measurement: MEASUREMENT_METRICS, tags, fields: { ...r.metrics }, timestamp: new Date(r.timestamp) };
}

/**
 * An AlertEvent as an `alert` point: tags device_id, alert_type, level, source (device or
 * threshold: a device-raised and a server-raised row of the same moment never overwrite each
 * other); fields value, message.
 */
export function alertToPoint(a: AlertEvent): InfluxPoint {
  return {
    measurement: MEASUREMENT_ALERT,
    tags: { device_id: a.device_id, alert_type: a.alert_type, level: a.level, source: a.source ?? 'threshold' },
    fields: { value: a.value, message: a.message },
    timestamp: new Date(a.timestamp),
  };
}

export interface PointsOutcome {
  points: InfluxPoint[];
  /** readings without a single stored field (line protocol needs a field), and cleared alerts: nothing to write */
  empty: number;
}

type Item = Record<string, unknown>;

const isItem = (value: unknown): value is Item => typeof value === 'object' && value !== null && !Array.isArray(value);

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** Accepts a Reading, a MetricsReading, an AlertEvent, an InfluxPoint, or an array of these; says what is wrong otherwise. */
export function toPoints(payload: unknown): Result<PointsOutcome, string> {
  const items = Array.isArray(payload) ? payload : [payload];
  const outcome: PointsOutcome = { points: [], empty: 0 };
  for (let index = 0; index < items.length; index++) {
    const where = Array.isArray(payload) ? `[${index}] ` : '';
    const item: unknown = items[index];
    if (!isItem(item)) return err(`${where}expected a Reading, MetricsReading, AlertEvent or InfluxPoint object, got ${describe(item)}`);
    const problem =
      'measurement' in item
        ? addPoint(item, outcome)
        : 'alert_type' in item
          ? addAlert(item, outcome)
          : hasMetrics(item)
            ? addMetrics(item, outcome)
            : 'device_id' in item
              ? addReading(item, outcome)
              : 'has neither measurement (InfluxPoint), alert_type (AlertEvent), metrics (MetricsReading) nor device_id (Reading)';
    if (problem !== undefined) return err(`${where}${problem}`);
  }
  return ok(outcome);
}

function addReading(item: Item, outcome: PointsOutcome): string | undefined {
  const idProblem = deviceIdProblem(item.device_id);
  if (idProblem !== undefined) return `Reading: ${idProblem}`;
  if (!isFiniteNumber(item.timestamp)) return `Reading ${String(item.device_id)}: timestamp must be ms since the epoch, got ${describe(item.timestamp)}`;
  for (const field of SENSOR_FIELDS) {
    const value = item[field];
    if (value !== undefined && !isFiniteNumber(value)) return `Reading ${String(item.device_id)}: ${field} must be a finite number, got ${describe(value)}`;
  }
  for (const field of STATE_FIELDS) {
    const value = item[field];
    if (value !== undefined && typeof value !== 'boolean') return `Reading ${String(item.device_id)}: ${field} must be a boolean, got ${describe(value)}`;
  }
  // Checked field by field above, so the item has the Reading shape.
  const point = readingToPoint(item as Reading);
  if (Object.keys(point.fields).length === 0) outcome.empty++;
  else outcome.points.push(point);
  return undefined;
}

function addMetrics(item: Item, outcome: PointsOutcome): string | undefined {
  const problem = metricsReadingProblem(item);
  if (problem !== undefined) return `MetricsReading${typeof item.device_id === 'string' ? ` ${item.device_id.slice(0, 64)}` : ''}: ${problem}`;
  const point = metricsToPoint(item as unknown as MetricsReading);
  if (Object.keys(point.fields).length === 0) outcome.empty++;
  else outcome.points.push(point);
  return undefined;
}

function addAlert(item: Item, outcome: PointsOutcome): string | undefined {
  const idProblem = deviceIdProblem(item.device_id);
  if (idProblem !== undefined) return `AlertEvent: ${idProblem}`;
  const who = `AlertEvent ${String(item.device_id)}`;
  if (typeof item.alert_type !== 'string' || !ALERT_TYPE_PATTERN.test(item.alert_type)) return `${who}: alert_type must match ${String(ALERT_TYPE_PATTERN)}, got ${describe(item.alert_type)}`;
  if (item.level !== 'warning' && item.level !== 'critical') return `${who}: level must be "warning" or "critical", got ${describe(item.level)}`;
  if (!isFiniteNumber(item.value)) return `${who}: value must be a finite number, got ${describe(item.value)}`;
  if (!isFiniteNumber(item.timestamp)) return `${who}: timestamp must be ms since the epoch, got ${describe(item.timestamp)}`;
  if (typeof item.message !== 'string') return `${who}: message must be a string, got ${describe(item.message)}`;
  // a tag value: only the two the storage contract knows (absent is stored as `threshold`)
  if (item.source !== undefined && item.source !== 'device') return `${who}: source must be "device" or absent, got ${describe(item.source)}`;
  // an `alert` row records that an alert fired; its end is in the live state, not a row
  if (item.state === 'cleared') {
    outcome.empty++;
    return undefined;
  }
  outcome.points.push(alertToPoint(item as unknown as AlertEvent));
  return undefined;
}

function addPoint(item: Item, outcome: PointsOutcome): string | undefined {
  if (typeof item.measurement !== 'string' || item.measurement === '') return `InfluxPoint: measurement must be a non-empty string, got ${describe(item.measurement)}`;
  const who = `InfluxPoint ${item.measurement}`;
  const tags = item.tags ?? {};
  if (!isItem(tags)) return `${who}: tags must be an object, got ${describe(tags)}`;
  // Object.keys, not Object.entries: heatpump-batch checks every point it takes, and entries made an array per tag and field
  for (const name of Object.keys(tags)) {
    const value = tags[name];
    if (typeof value !== 'string') return `${who}: tag ${name} must be a string, got ${describe(value)}`;
  }
  const fields = isItem(item.fields) ? item.fields : {};
  const fieldNames = Object.keys(fields);
  if (fieldNames.length === 0) return `${who}: fields must be an object with at least one field`;
  for (const name of fieldNames) {
    const value = fields[name];
    if (!(isFiniteNumber(value) || typeof value === 'boolean' || typeof value === 'string')) return `${who}: field ${name} must be a finite number, boolean or string, got ${describe(value)}`;
  }
  const timestamp = item.timestamp instanceof Date ? item.timestamp : isFiniteNumber(item.timestamp) ? new Date(item.timestamp) : undefined;
  if (timestamp === undefined || Number.isNaN(timestamp.getTime())) return `${who}: timestamp must be a Date or ms since the epoch, got ${describe(item.timestamp)}`;
  outcome.points.push({ measurement: item.measurement, tags: tags as Record<string, string>, fields: fields as InfluxPoint['fields'], timestamp });
  return undefined;
}

/** alert_type of the device contract: lower case, digits and underscores, at most 32 characters. */
export const ALERT_TYPE_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;

/** A short, safe description of an unexpected value for error texts. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'undefined') return 'nothing';
  return String(value);
}
