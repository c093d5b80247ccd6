// The data contracts of docs/CONTRACTS.md that every node, flow and the firmware agree on.
// Pure data and types: no Node-RED import.

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

/** The point shape node-red-contrib-influxdb's `influxdb batch` node takes. */
export interface InfluxPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | boolean | string>;
  timestamp: Date;
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
  /** the sensor field the alert is about, where there is one */
  field?: SensorField;
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
