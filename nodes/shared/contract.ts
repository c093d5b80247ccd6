// The data contracts of docs/CONTRACTS.md that every node, flow and the firmware agree on.
// Pure data and types (and the one shape check of a metrics reading): no Node-RED import.
import { deviceIdProblem } from './device-id';

/** Numeric fields of the `sensor_reading` measurement, in the order the contract lists them. */
export const SENSOR_FIELDS = [
  'temp_inlet',
  'temp_outlet',
  'temp_ambient',
  'temp_compressor',
  'voltage',
  'current',
  'power',
  'pressure_high',
  'pressure_low',
] as const;
export type SensorField = (typeof SENSOR_FIELDS)[number];

/** Boolean fields of the `sensor_reading` measurement. */
export const STATE_FIELDS = ['compressor_running', 'fan_running', 'defrost_active'] as const;
export type StateField = (typeof STATE_FIELDS)[number];

/** Sensors the device flags in its payload's `valid` object; power is computed and has no flag. */
export const VALID_FLAGS = ['temp_inlet', 'temp_outlet', 'temp_ambient', 'temp_compressor', 'voltage', 'current', 'pressure_high', 'pressure_low'] as const;
export type ValidFlag = (typeof VALID_FLAGS)[number];

/**
 * What a device publishes on heatpump/{id}/data (docs/CONTRACTS.md "Reading"), one reading; the
 * firmware adds `overflow` (readings dropped from its full buffer) and `signal` (GSM %), and sends
 * null for a sensor it flags invalid. heatpump-decode checks every part of what arrives; this type
 * is what a well-formed device sends, as the simulator does.
 */
export interface DevicePayload {
  device: string;
  timestamp: number;
  version: string;
  temperature: { inlet: number; outlet: number; ambient: number; compressor: number };
  electrical: { voltage: number; current: number; power: number };
  pressure: { high: number; low: number };
  status: { compressor: boolean; fan: boolean; defrost: boolean };
  alerts: { voltage: number; compressor_temp: number; pressure_high: number; pressure_low: number; current: number };
  valid: Record<ValidFlag, boolean>;
  overflow?: number;
  signal?: number;
}

export const UNITS: Record<SensorField, string> = {
  temp_inlet: '°C',
  temp_outlet: '°C',
  temp_ambient: '°C',
  temp_compressor: '°C',
  voltage: 'V',
  current: 'A',
  power: 'W',
  pressure_high: 'PSI',
  pressure_low: 'PSI',
};

/**
 * One decoded reading: `msg.payload` of heatpump-decode. Sensor values appear only when the
 * device flagged them valid and they passed the plausibility ranges; absent means unknown.
 */
export type Reading = {
  device_id: string;
  /** ms since the epoch */
  timestamp: number;
} & Partial<Record<SensorField, number>> &
  Partial<Record<StateField, boolean>> & {
    /** firmware version reported by the device */
    firmware_version?: string;
    /** readings the device dropped from its full buffer since its last publish */
    overflow?: number;
    /** GSM signal strength in percent */
    signal?: number;
  };

export const MEASUREMENT_READING = 'sensor_reading';
export const MEASUREMENT_ALERT = 'alert';
/** Readings of polled and third-party sources (Modbus, Shelly, Viessmann, ...), docs/CONTRACTS.md. */
export const MEASUREMENT_METRICS = 'heatpump_metrics';

/** Metric names: field keys in InfluxDB, rule metrics in threshold-alert; plain so no quoting is needed anywhere. */
export const METRIC_NAME_PATTERN = /^[A-Za-z0-9_]{1,64}$/;
/** The `info` members stored as tags of `heatpump_metrics`; `source` is not a tag. */
export const METRICS_TAGS = ['name', 'location', 'model'] as const;
export const METRICS_INFO_KEYS = [...METRICS_TAGS, 'source'] as const;
export type MetricsInfo = Partial<Record<(typeof METRICS_INFO_KEYS)[number], string>>;

/**
 * A reading of a polled or third-party source: any named metrics. `msg.payload` of modbus-poll
 * (and later the Shelly, Viessmann, HeishaMon and ESPAltherma sources). A message carries either a
 * Reading or a MetricsReading (or an array of them) in msg.payload; `metrics` tells them apart.
 */
export interface MetricsReading {
  /** same id rules as devices (./device-id.ts) */
  device_id: string;
  /** ms since the epoch */
  timestamp: number;
  /** metric name (METRIC_NAME_PATTERN) -> value */
  metrics: Record<string, number | boolean>;
  /** metric name -> unit ('°C', 'bar', 'kWh', ...) */
  units?: Record<string, string>;
  /** the tags name, location, model of `heatpump_metrics`, and the source kind, e.g. 'modbus' */
  info?: MetricsInfo;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Why `value` is not a MetricsReading (naming the metric or member at fault), or undefined when it is one. */
export function metricsReadingProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'a metrics reading must be an object';
  const idProblem = deviceIdProblem(value.device_id);
  if (idProblem !== undefined) return idProblem;
  const { timestamp, metrics, units, info } = value;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) return 'timestamp must be ms since the epoch';
  if (!isPlainObject(metrics)) return 'metrics must be an object {name: value}';
  for (const [name, metric] of Object.entries(metrics)) {
    if (!METRIC_NAME_PATTERN.test(name)) return `metric name ${JSON.stringify(name.slice(0, 70))} must be 1 to 64 of A-Z a-z 0-9 _`;
    if (!(typeof metric === 'boolean' || (typeof metric === 'number' && Number.isFinite(metric)))) {
      return `metric ${name} must be a finite number or a boolean, got ${metric === null ? 'null' : typeof metric === 'number' ? String(metric) : typeof metric}`;
    }
  }
  if (units !== undefined) {
    if (!isPlainObject(units)) return 'units must be an object {metric name: unit}';
    for (const [name, unit] of Object.entries(units)) if (typeof unit !== 'string') return `unit of ${name} must be a string`;
  }
  if (info !== undefined) {
    if (!isPlainObject(info)) return 'info must be an object {name, location, model, source}';
    for (const [key, text] of Object.entries(info)) {
      if (!(METRICS_INFO_KEYS as readonly string[]).includes(key)) return `info.${key} is unknown (allowed: ${METRICS_INFO_KEYS.join(', ')})`;
      if (typeof text !== 'string') return `info.${key} must be a string`;
    }
  }
  return undefined;
}

/** The one shape check of a MetricsReading. */
export function isMetricsReading(value: unknown): value is MetricsReading {
  return metricsReadingProblem(value) === undefined;
}

/** A payload meant as a metrics reading (valid or not): it has `metrics`; a Reading never has. */
export function hasMetrics(value: unknown): value is Record<string, unknown> & { metrics: unknown } {
  return isPlainObject(value) && value.metrics !== undefined;
}

/** The point shape node-red-contrib-influxdb's `influxdb batch` node takes. */
export interface InfluxPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | boolean | string>;
  timestamp: Date;
  /** the retention policy to write it to when not its measurement's (shared/retention.ts): from msg.retentionPolicy */
  retentionPolicy?: string;
}

export type AlertLevel = 'warning' | 'critical';
export type AlertState = 'raised' | 'escalated' | 'cleared';

/** An alert event: output 1 of threshold-alert, and device-raised alerts decoded by heatpump-decode. */
export interface AlertEvent {
  device_id: string;
  alert_type: string;
  level: AlertLevel;
  value: number;
  threshold: number;
  message: string;
  state: AlertState;
  /** ms since the epoch */
  timestamp: number;
  /** 'device' when the device raised it itself (heatpump/{id}/alerts), else absent */
  source?: 'device';
  /** the sensor field or metric the alert is about, where there is one */
  field?: string;
}

export type PresenceEventType = 'device_online' | 'device_offline';

/** Output 1 of online-tracker. */
export interface PresenceEvent {
  event: PresenceEventType;
  device_id: string;
  /** ms since the epoch of the last message from the device, null if never seen */
  last_seen: number | null;
  /** why: a reading or status message arrived, the last will / `offline` came, or it fell silent */
  reason: 'data' | 'status' | 'timeout';
  timestamp: number;
}

export interface FleetDevice {
  device_id: string;
  online: boolean;
  last_seen: number | null;
  /** ms since the epoch when the device entered its current state */
  since: number;
}

/** Output 2 of online-tracker. */
export interface FleetSummary {
  devices: FleetDevice[];
  total: number;
  online: number;
  offline: number;
  timestamp: number;
}

/** MQTT topics of the device contract. */
export const topics = {
  data: (id: string) => `heatpump/${id}/data`,
  metrics: (id: string) => `heatpump/${id}/metrics`,
  online: (id: string) => `heatpump/${id}/status/online`,
  alerts: (id: string) => `heatpump/${id}/alerts`,
  cmd: (id: string) => `heatpump/${id}/cmd`,
  smsSend: (id: string) => `heatpump/${id}/sms/send`,
  smsReceived: (id: string) => `heatpump/${id}/sms/received`,
  smsSent: (id: string) => `heatpump/${id}/sms/sent`,
};

/** `heatpump/{id}/<rest>` -> {deviceId, rest}; undefined for any other topic. */
export function parseDeviceTopic(topic: unknown): { deviceId: string; rest: string } | undefined {
  if (typeof topic !== 'string') return undefined;
  const match = /^heatpump\/([^/]+)\/(.+)$/.exec(topic);
  if (!match || match[1] === undefined || match[2] === undefined) return undefined;
  return { deviceId: match[1], rest: match[2] };
}
