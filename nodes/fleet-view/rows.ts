// Table rows of the fleet, its active alerts and its last rejections, as ui-table shows them
// (one object per row, one key per column). Pure: no Node-RED import.
import type { ActiveAlert, DeviceRecord, Rejection } from '../heatpump-fleet/fleet-state';
import { alertValueText, valueText, type Labels } from './format';

export interface DeviceRow {
  device_id: string;
  /** online / offline / unknown, translated */
  status: string;
  /** ms of the last reading or message (a `datetime` column formats it in the browser), or "never" */
  last_seen: number | string;
  inlet: string;
  outlet: string;
  compressor: string;
  power: string;
  /** `voltage_high (critical), current (warning)` or "none" */
  alerts: string;
}

export interface AlertRow {
  /** ms: when the episode was raised */
  since: number;
  device_id: string;
  /** translated level */
  level: string;
  alert_type: string;
  /** the value with its unit, `252.5 V` */
  value: string;
  message: string;
  /** who raised it: the device or the server's threshold check, translated */
  source: string;
}

export interface RejectionRow {
  time: number;
  /** the device, or an en dash when the payload named none */
  device_id: string;
  field: string;
  reason: string;
}

/** Table order: devices with active alerts first, then offline, online, unknown presence. */
export const RANK = { alerting: 0, offline: 1, online: 2, unknown: 3 } as const;

export function rankOf(device: DeviceRecord): number {
  for (const _type in device.alerts) return RANK.alerting;
  if (device.online === false) return RANK.offline;
  return device.online === true ? RANK.online : RANK.unknown;
}

/** Code-unit order, the same as the HTTP API's device list. */
export const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const levelText = (level: ActiveAlert['level'], labels: Labels) => (level === 'critical' ? labels.critical : labels.warning);

/** Active alerts in a stable order (by type), so an unchanged set gives the same text. */
function alertsText(device: DeviceRecord, labels: Labels): string {
  const types = Object.keys(device.alerts).sort(compareIds);
  if (types.length === 0) return labels.none;
  return types.map((type) => `${type} (${levelText((device.alerts[type] as ActiveAlert).level, labels)})`).join(', ');
}

export function deviceRow(device: DeviceRecord, labels: Labels): DeviceRow {
  const reading = device.reading;
  return {
    device_id: device.device_id,
    status: device.online === null ? labels.unknown : device.online ? labels.online : labels.offline,
    last_seen: device.last_seen ?? labels.never,
    inlet: valueText(reading?.temp_inlet, 1, '°C'),
    outlet: valueText(reading?.temp_outlet, 1, '°C'),
    compressor: valueText(reading?.temp_compressor, 1, '°C'),
    power: valueText(reading?.power, 0, 'W'),
    alerts: alertsText(device, labels),
  };
}

export function sameRow<T extends object>(a: T, b: T): boolean {
  for (const key in a) if (a[key] !== b[key]) return false;
  return true;
}

export function alertRow(deviceId: string, alert: ActiveAlert, labels: Labels): AlertRow {
  return {
    since: alert.since,
    device_id: deviceId,
    level: levelText(alert.level, labels),
    alert_type: alert.alert_type,
    value: alertValueText(alert.alert_type, alert.value),
    message: alert.message,
    source: alert.source === 'device' ? labels.sourceDevice : labels.sourceThreshold,
  };
}

/** Newest episode first; ties by device and alert type so the order is stable. */
export function compareAlertRows(a: AlertRow, b: AlertRow): number {
  return b.since - a.since || compareIds(a.device_id, b.device_id) || compareIds(a.alert_type, b.alert_type);
}

/** The last rejections, newest first. */
export function rejectionRows(rejections: readonly Rejection[]): RejectionRow[] {
  const rows: RejectionRow[] = [];
  for (let i = rejections.length - 1; i >= 0; i--) {
    const r = rejections[i] as Rejection;
    rows.push({ time: r.time, device_id: r.device_id ?? '\u2013', field: r.field ?? '\u2013', reason: r.reason });
  }
  return rows;
}
